"""A message reduced to what can name a product, split by script into comparable forms.

Both the product index and the intent matcher use it, so a message is analysed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from intents import chinese, russian
from intents.language import LatinKind, latin_kind
from intents.normalize import clean_latin, fold, is_cyrillic, is_han, tokens
from intents.orders import strip_codes
from intents.resources import word_set
from intents.sizes import sizes, strip_sizes


@dataclass(frozen=True, slots=True)
class QueryParts:
    han: tuple[str, ...]  # Han words left after dropping the question around the product
    cyr: tuple[str, ...]  # Cyrillic words (folded), incl. Latin words typed in the wrong layout
    latin: tuple[str, ...]  # Latin words (letters only), pinyin or transliteration
    pinyin: tuple[tuple[str, ...], ...]  # syllables of Latin words that are valid pinyin
    sizes: frozenset[str]
    kinds: tuple[LatinKind, ...]  # kind of each Latin word
    layout_alt: tuple[str, ...]  # unknown Latin words read as the Russian layout (a slip plus a typo)
    numbers: frozenset[str] = frozenset()  # bare numbers (Балтика 7, 9号): model numbers or sizes

    @property
    def empty(self) -> bool:
        return not (self.han or self.cyr or self.latin)

    @property
    def text(self) -> str:
        return " ".join((*self.han, *self.cyr, *self.latin))


_NUM_RE = re.compile(r"(?<![0-9.,])(\d{1,3}(?:[.,]\d)?)(?![0-9])")


def number_tokens(folded_without_sizes: str) -> frozenset[str]:
    """Bare numbers as comparable tokens: '0,5' -> '0.5'."""
    return frozenset(n.replace(",", ".") for n in _NUM_RE.findall(folded_without_sizes))


def _content_han(run: str) -> list[str]:
    stop = word_set("query", "zh_stop")
    return [w for w in chinese.segment(run) if w not in stop and w.strip()]


@lru_cache(maxsize=16384)
def analyse(text: str) -> QueryParts:
    """Split a message into product-naming parts; the question words around them are dropped."""
    f = fold(strip_codes(text))
    size_set = sizes(f)
    f = strip_sizes(f)
    han: list[str] = []
    cyr: list[str] = []
    latin: list[str] = []
    pinyin: list[tuple[str, ...]] = []
    kinds: list[LatinKind] = []
    layout_alt: list[str] = []
    ru_stop = word_set("query", "ru_stop")
    numbers = number_tokens(f)
    for tok in tokens(f):
        if is_han(tok):
            han.extend(_content_han(tok))
        elif is_cyrillic(tok):
            if tok not in ru_stop:
                cyr.append(tok)
        elif any(c.isalpha() for c in tok):
            kind = latin_kind(tok)
            word = clean_latin(tok)
            if kind is LatinKind.NEUTRAL:
                continue
            if kind is LatinKind.LAYOUT:
                conv = russian.layout_to_ru(tok)
                if conv not in ru_stop:
                    cyr.append(conv)
                continue
            if kind in (LatinKind.TRANSLIT, LatinKind.UNKNOWN) and russian.detranslit(word) in ru_stop:
                continue
            latin.append(word)
            kinds.append(kind)
            if kind is LatinKind.UNKNOWN:
                layout_alt.append(russian.layout_to_ru(tok))
            sylls = chinese.split_pinyin(word)
            if sylls is not None:
                pinyin.append(sylls)
    return QueryParts(
        tuple(han),
        tuple(cyr),
        tuple(latin),
        tuple(pinyin),
        size_set,
        tuple(kinds),
        tuple(layout_alt),
        numbers,
    )
