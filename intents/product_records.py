"""The product index's data types: a catalog row in, a match or a ranked hit out.

On their own so that every part of the index (keys, rerank, the `ProductIndex` front) can name them
without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """One catalog row, as the caller passes it in."""

    sku: str
    name_ru: str
    name_zh: str
    aliases_ru: tuple[str, ...] = ()
    aliases_zh: tuple[str, ...] = ()
    brand: str = ""
    category_ru: str = ""
    category_zh: str = ""


@dataclass(frozen=True, slots=True)
class ProductMatch:
    sku: str
    score: float  # 0..100, best first


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked product with the evidence behind it (used by the intent matcher)."""

    pid: int
    score: float
    coverage: float  # share of the query's IDF weight found in the product, 0..1
    latin_via: str  # for Latin queries: 'py' (pinyin), 'sk' (transliteration), 'ru' (layout) or ''
