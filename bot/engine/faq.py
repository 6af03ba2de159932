"""The shop's own answers (catalog_data/faq.toml), per intent, role and language."""

from __future__ import annotations

import tomllib
from pathlib import Path


class FaqBook:
    def __init__(self, entries: dict[str, dict[str, dict[str, str]]]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: Path) -> FaqBook:
        with path.open("rb") as f:
            return cls(tomllib.load(f))

    def answer(self, topic: str, lang: str, role: str = "customer") -> str | None:
        """The entry for this role, else the customers' one (what most shops write first)."""
        entry = self._entries.get(topic, {})
        for audience in (role, "customer"):
            text = entry.get(audience, {}).get(lang)
            if text:
                return text.strip()
        return None

    def topics(self) -> list[str]:
        return sorted(self._entries)
