"""Reply language of a short message: script counting plus a small Latin sub-classifier.

Off-the-shelf detectors fail on one-word messages and know nothing of pinyin, transliteration or
a wrong keyboard layout, so each Latin word is classified as pinyin (zh), layout slip or
transliteration (ru), or neutral (ok, hello, an order number). Function words decide mixed messages:
'想要Коровка' is Chinese, 'есть 炼乳?' is Russian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from intents import chinese, russian
from intents.normalize import clean_latin, fold, is_cyrillic, is_han, tokens
from intents.orders import strip_codes
from intents.resources import word_set


class LatinKind(Enum):
    NEUTRAL = "neutral"
    PINYIN = "pinyin"
    LAYOUT = "layout"  # Russian typed with the Latin layout on: ghbdtn = привет
    TRANSLIT = "translit"  # Russian spelled in Latin letters: pryaniki
    UNKNOWN = "unknown"


_TONED_RE = re.compile(r"^(?:[a-z]{1,6}[1-5])+$")  # lian4ru3
_LAYOUT_PUNCT_RE = re.compile(r"[a-z][;',.\[\]`]+[a-z]|[a-z][;'\[\]`]$")
# Letter groups that pinyin has and Russian transliteration (almost) never: they settle ties.
_PINYIN_MARKS = ("x", "q", "ao", "ou", "iu", "ui", "ang", "eng", "ong", "ian", "uo", "zh", "ue", "ai")


@lru_cache(maxsize=65536)
def latin_kind(token: str) -> LatinKind:
    """What a Latin token (folded, may carry layout punctuation) most likely is."""
    word = clean_latin(token)
    if len(word) < 2 or (any(c.isdigit() for c in token) and not _TONED_RE.match(token)):
        return LatinKind.NEUTRAL
    if word in word_set("language", "neutral_latin"):
        return LatinKind.NEUTRAL
    if word in word_set("language", "zh_latin"):
        return LatinKind.PINYIN
    if word in word_set("language", "ru_latin"):
        return LatinKind.TRANSLIT
    if _LAYOUT_PUNCT_RE.search(token):
        return LatinKind.LAYOUT
    layout_known = len(word) >= 3 and russian.is_known_word(russian.layout_to_ru(token))
    sylls = chinese.split_pinyin(word)
    translit_known = len(word) >= 3 and russian.is_known_word(russian.detranslit(word))
    if sylls is not None:
        marked = any(m in word for m in _PINYIN_MARKS)
        if layout_known and not marked:
            return LatinKind.LAYOUT
        if translit_known and not marked:
            return LatinKind.TRANSLIT
        return LatinKind.PINYIN
    if layout_known:
        return LatinKind.LAYOUT
    if translit_known:
        return LatinKind.TRANSLIT
    # Not pinyin: a Latin-spelled brand or a layout slip with a typo; weakly Russian.
    return LatinKind.UNKNOWN


@dataclass(frozen=True, slots=True)
class LanguageEvidence:
    zh: float
    ru: float

    def decide(self, default: str | None) -> str | None:
        if self.zh == self.ru:
            return default
        return "zh" if self.zh > self.ru else "ru"


def evidence(text: str, ignore: frozenset[str] = frozenset()) -> LanguageEvidence:
    """Weighted zh/ru evidence; tokens in `ignore` (e.g. product names found) count a tenth."""
    zh = ru = 0.0
    zh_fn = word_set("language", "zh_function")
    ru_fn = word_set("language", "ru_function")
    for tok in tokens(fold(strip_codes(text))):
        damp = 0.1 if tok in ignore else 1.0
        if is_han(tok):
            zh += damp * len(tok)
            for w in chinese.segment(tok):
                if w in zh_fn:
                    zh += 2.0
                else:  # single function characters inside longer jieba words (想要, 有吗)
                    zh += 1.0 * sum(1 for ch in w if ch in zh_fn) if len(w) > 1 else 0.0
        elif is_cyrillic(tok):
            ru += damp * 2.0 + (2.0 if tok in ru_fn else 0.0)
        else:
            kind = latin_kind(tok)
            if kind is LatinKind.PINYIN:
                zh += damp * 2.0
            elif kind in (LatinKind.LAYOUT, LatinKind.TRANSLIT):
                ru += damp * 2.0
                conv = russian.layout_to_ru(tok) if kind is LatinKind.LAYOUT else ""
                if conv in ru_fn:
                    ru += 2.0
            elif kind is LatinKind.UNKNOWN:
                ru += damp * 0.5
    return LanguageEvidence(zh, ru)


def detect_language(text: str, default: str | None = None) -> str | None:
    """'zh' or 'ru' for any message with a signal; `default` (None if not given) when there is none
    (emoji, an order number alone, 'ok') or when the evidence is exactly balanced."""
    return evidence(text).decide(default)
