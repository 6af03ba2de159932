"""Loading the TOML data shipped in intents/data (the only file I/O of this package)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from intents.normalize import fold


@cache
def load(name: str) -> dict[str, Any]:
    """A data file of this package by name ('lexicon.toml', 'intents_zh.toml')."""
    data = resources.files("intents").joinpath("data", name).read_bytes()
    return tomllib.loads(data.decode("utf-8"))


@cache
def word_set(section: str, key: str) -> frozenset[str]:
    """A folded word list from lexicon.toml, e.g. word_set('query', 'ru_stop')."""
    return frozenset(fold(w) for w in load("lexicon.toml")[section][key])
