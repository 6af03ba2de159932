"""docs/ describes what the code does: every setting, command, column and intent id is documented, the
files architecture.md names exist, and nothing in the repository cites a file outside it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import PROJECT_ROOT, Settings
from bot.importing import catalog, orders, suppliers
from intents import INTENTS

DOCS = PROJECT_ROOT / "docs"


def interfaces() -> str:
    return (DOCS / "interfaces.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_as_its_variable() -> None:
    text = interfaces()
    missing = [
        f"KEFU_{name.upper()}" for name in Settings.model_fields if f"`KEFU_{name.upper()}`" not in text
    ]
    assert missing == []


def test_every_intent_id_is_documented() -> None:
    text = interfaces()
    assert [intent for intent in INTENTS if f"| `{intent}` |" not in text] == []


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the parser: ("say",), ("failed", "list"), ..."""
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found += commands(sub, (*prefix, name))
    return found


def test_every_command_is_documented() -> None:
    text = interfaces()
    paths = commands(build_parser())
    assert ("failed", "retry") in paths and ("db", "upgrade") in paths
    assert [" ".join(p) for p in paths if f"kefu {' '.join(p)}" not in text] == []


@pytest.mark.parametrize("module", [suppliers, catalog, orders], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_import_column_is_documented(module: object) -> None:
    columns = {*module.REQUIRED, *module.OPTIONAL}  # type: ignore[attr-defined]
    headers = [set(h.split(",")) for h in re.findall(r"^`([a-z_]+(?:,[a-z_]+)+)`$", interfaces(), re.M)]
    assert columns in headers


#: A repository path in backticks: `bot/engine/conversation.py`, `locales/*/LC_MESSAGES/messages.po`.
PATH = re.compile(r"`((?:bot|intents|tests|catalog_data|locales|docs|benchmarks|deploy)/[\w/.*-]*)`")


def test_the_files_architecture_names_exist() -> None:
    named = set()
    for line in (DOCS / "architecture.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(">"):
            continue  # a quoted note describes work on a branch not merged yet
        named.update(PATH.findall(line))
    assert len(named) > 30
    assert [p for p in sorted(named) if not any(PROJECT_ROOT.glob(p.rstrip("/")))] == []


#: How a citation of a file outside the repository looks.
OUTSIDE = re.compile(r"shared/|/work/|(?<!docs/)interfaces\.md")


def test_nothing_cites_a_file_outside_the_repository() -> None:
    roots = ["bot", "intents", "tests", "benchmarks", "catalog_data", "deploy", "docs"]
    files = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "pyproject.toml"]
    for root in roots:
        files += [p for p in (PROJECT_ROOT / root).rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    cited = []
    for path in files:
        if path == Path(__file__):
            continue  # the patterns themselves
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if OUTSIDE.search(line) and not _links_within_docs(path, line):
                cited.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert cited == []


TEXT_SUFFIXES = {
    ".py",
    ".md",
    ".toml",
    ".jsonl",
    ".csv",
    ".cfg",
    ".ini",
    ".yaml",
    ".yml",
    ".example",
    ".service",
}


def _links_within_docs(path: Path, line: str) -> bool:
    """docs/architecture.md links to interfaces.md beside it: inside the repository."""
    return path.parent == DOCS and "(interfaces.md)" in line and "shared" not in line
