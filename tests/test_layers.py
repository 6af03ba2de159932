"""The layers of docs/architecture.md hold: arrows point one way (front-ends -> engine -> storage, intents)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

#: folder -> module prefixes its files must not import.
FORBIDDEN = {
    "intents": ("bot",),
    "bot/engine": ("aiogram", "telegram", "bot.telegram", "bot.cli", "bot.chat_cli", "bot.understanding_cli"),
    "bot/storage": ("aiogram", "telegram", "bot.engine", "bot.telegram", "bot.importing", "bot.cli"),
    "bot/importing": ("aiogram", "telegram", "bot.engine", "bot.telegram", "bot.cli"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions and TYPE_CHECKING blocks."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_import_points_up_the_layers(folder: str) -> None:
    wrong = []
    for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
        for module in imported_modules(path):
            if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[folder]):
                wrong.append(f"{path.relative_to(PROJECT_ROOT)} imports {module}")
    assert wrong == []


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("def f() -> None:\n    from bot.telegram.run import run_polling\n", encoding="utf-8")
    assert "bot.telegram.run" in imported_modules(source)
