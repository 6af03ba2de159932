"""The engine stays in small modules, one subject each, and its shared rules have one spelling."""

from __future__ import annotations

import ast
import re

import pytest

from bot.config import PROJECT_ROOT

MAX_LINES = 450
ENGINE = PROJECT_ROOT / "bot" / "engine"


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_engine_module_is_small(path) -> None:  # type: ignore[no-untyped-def]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines; split it by subject (at most {MAX_LINES})"


def test_no_free_zh_or_ru_choice_in_engine() -> None:
    """`"ru" if x == "ru" else "zh"` is written once, in bot.engine.i18n.zh_or_ru."""
    pattern = re.compile(r"""["']ru["']\s+if\s+[^\n]*==\s*["']ru["']\s+else\s+["']zh["']""")
    found = [
        p.name
        for p in ENGINE.glob("*.py")
        if p.name != "i18n.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert not found


def _string_literals(path) -> set[str]:  # type: ignore[no-untyped-def]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Not code: docstrings, and English msgids (N_("shipped") is a sentence for people, not a status).
    prose = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Name) and node.func.id == "N_")
            or (isinstance(node.func, ast.Attribute) and node.func.attr in ("_", "n_"))
        ):
            prose.update(id(arg) for arg in node.args)
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose
    }


def test_engine_spells_statuses_and_intents_through_their_enums() -> None:
    from bot.storage.models import OrderStatus
    from intents import IntentId

    shared = {s.value for s in OrderStatus} | {i.value for i in IntentId}
    # "customs" is also a /reply topic staff type (`/reply customs`), not the order status.
    allowed = {"staff.py": {"customs"}}
    free = {
        p.name: sorted((_string_literals(p) & shared) - allowed.get(p.name, set()))
        for p in ENGINE.glob("*.py")
    }
    assert not {name: words for name, words in free.items() if words}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("/lang ru", "ru"),
        ("/lang zh", "zh"),
        ("/LANG RU", "ru"),
        ("/lang@kefu_bot zh", "zh"),
        ("/lang russian", "ru"),
        ("/lang ru please", "ru"),
        ("/lang", None),
        ("/lang en", None),
        ("/language ru", None),
        ("lang ru", None),
    ],
)
def test_one_lang_command_reading(text: str, lang: str | None) -> None:
    from bot.engine.language import lang_command

    assert lang_command(text) == lang


def test_lang_argument_as_staff_type_it() -> None:
    from bot.engine.language import lang_argument

    assert lang_argument(" RU ") == "ru"
    assert lang_argument("zh-hans") == "zh"
    assert lang_argument("") is None
    assert lang_argument("uk") is None


def test_zh_or_ru() -> None:
    from bot.engine.i18n import zh_or_ru

    assert zh_or_ru("ru") == "ru"
    assert [zh_or_ru(v) for v in ("zh", None, "", "en", 7)] == ["zh"] * 5


async def test_lang_command_switches_when_it_says_it_did(say) -> None:  # type: ignore[no-untyped-def]
    """The turn's language and the "/lang" answer come from the same reading of the command."""
    from bot.engine.i18n import I18n

    switched = I18n(PROJECT_ROOT / "locales")["ru"]._("Language switched.")
    assert (await say(5100000001, "你好")).lang == "zh"
    reply = await say(5100000001, "/lang ru please")
    assert (reply.lang, reply.text) == ("ru", switched)
    assert (await say(5100000001, "/lang@kefu_bot zh")).lang == "zh"
