"""Small rooms: no module of bot/ or intents/ (migrations aside) grows past about 450 lines, so each
new feature lands in a module of its own job rather than in a file that already does several."""

from __future__ import annotations

from bot.config import PROJECT_ROOT

LIMIT = 450


def test_no_module_of_bot_or_intents_is_over_the_limit() -> None:
    sizes = {
        str(path.relative_to(PROJECT_ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("bot", "intents")
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert len(sizes) > 40
    assert {name: n for name, n in sizes.items() if n > LIMIT} == {}
