"""Every text a user may read, per language: the catalogs' msgstrs and the shop's FAQ answers."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"
FAQ = PROJECT_ROOT / "catalog_data" / "faq.toml"
GLOSSARY = PROJECT_ROOT / "docs" / "glossary.md"


def msgstrs(lang: str) -> Iterator[tuple[str, str]]:
    """(msgid, one translated string) for every entry of the language's catalog, plural forms each."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            yield msgid, string


def faq_entries(path: Path = FAQ) -> dict[str, dict[str, str]]:
    """'topic.audience' -> {lang: text}."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {
        f"{topic}.{audience}": {lang: text for lang, text in texts.items()}
        for topic, audiences in data.items()
        for audience, texts in audiences.items()
    }


def all_texts(lang: str) -> list[tuple[str, str]]:
    """(where, text) for every text of the language a user may read."""
    texts = [(f"msgid {msgid!r}", string) for msgid, string in msgstrs(lang)]
    texts += [(f"faq {key}", entry[lang]) for key, entry in faq_entries().items() if lang in entry]
    return texts
