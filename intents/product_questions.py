"""What a product question asks beyond "is it there": a property of the product, a price range or
order, a product pointed at on a live stream's screen. Pure; the cue words are in
intents/data/product_questions.toml.

Chinese is read as plain Mandarin first (intents.dialect), so '几多钱以内' and '最平' are read too.
Chinese cues are found in one pass over the message (the cues that begin with each character are
tried there, longest first); Russian cues are looked up by word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from intents.dialect import plain_chinese
from intents.normalize import HAN_RE, fold, tokens
from intents.orders import strip_codes
from intents.resources import load

#: The properties a question may ask about, in the order they are reported.
PROPERTIES = ("origin", "size", "shelf_life", "storage", "ingredients", "taste", "usage")


@dataclass(frozen=True, slots=True)
class PriceRange:
    """A price filter asked for: bounds in yuan (inclusive; None = open) and the order asked, 'asc'
    (cheapest first: '最便宜的', 'самый дешёвый', and any range) or 'desc' ('最贵的')."""

    min: Decimal | None = None
    max: Decimal | None = None
    order: str | None = None


@cache
def _data() -> dict[str, Any]:
    return load("product_questions.toml")


# ---- Chinese cues: first character -> cues, longest first ---------------------------------------
class _Cues:
    def __init__(self, cues: dict[str, list[str]]) -> None:
        by_first: dict[str, list[tuple[str, str]]] = {}
        for label, words in cues.items():
            for w in words:
                key = plain_chinese(w).lower()
                if key:
                    by_first.setdefault(key[0], []).append((key, label))
        self.table = {c: sorted(v, key=lambda kv: -len(kv[0])) for c, v in by_first.items()}
        self.firsts = frozenset(self.table)

    def find(self, text: str) -> list[str]:
        """Labels of the cues found in text, in the order found (each once)."""
        if self.firsts.isdisjoint(text):
            return []
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            for key, label in self.table.get(text[i], ()):
                if text.startswith(key, i):
                    if label not in out:
                        out.append(label)
                    i += len(key) - 1
                    break
            i += 1
        return out


# ---- Russian cues: word patterns ('жирн-' any ending), several words in order --------------------
_RuCue = tuple[tuple[str, bool], ...]  # (word, is_prefix) per word


def _ru_cue(raw: str) -> _RuCue:
    words = [(fold(w.rstrip("-")), w.endswith("-")) for w in raw.split()]
    return tuple((w, prefix) for w, prefix in words if w)


def _word_ok(token: str, word: str, prefix: bool) -> bool:
    return token.startswith(word) if prefix else token == word


def _ru_found(toks: list[str], cue: _RuCue) -> bool:
    j = 0
    for t in toks:
        if _word_ok(t, *cue[j]):
            j += 1
            if j == len(cue):
                return True
    return False


@cache
def _zh_properties() -> _Cues:
    return _Cues(_data()["property"]["zh"])


@cache
def _ru_properties() -> dict[str, list[tuple[str, _RuCue]]]:
    """first letter of a cue's first word -> (property, cue)."""
    out: dict[str, list[tuple[str, _RuCue]]] = {}
    for label, words in _data()["property"]["ru"].items():
        for w in words:
            cue = _ru_cue(w)
            if cue:
                out.setdefault(cue[0][0][:1], []).append((label, cue))
    return out


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    return plain_chinese(text).lower()


def asked_properties(text: str) -> tuple[str, ...]:
    """The properties of a product a message asks about ('是哪产的' origin, 'сколько мл' size), in
    PROPERTIES order; empty when it asks none."""
    found = set(_zh_properties().find(_plain(text)))
    toks = tokens(fold(text))
    ru = _ru_properties()
    for t in toks:
        for label, cue in ru.get(t[:1], ()):
            if label not in found and _ru_found(toks, cue):
                found.add(label)
    return tuple(p for p in PROPERTIES if p in found)


@cache
def _price_words() -> tuple[_Cues, frozenset[str]]:
    words = _data()["price_words"]
    return _Cues({"price": words["zh"]}), frozenset(fold(w) for w in words["ru"])


def asks_price(text: str) -> bool:
    """Does the message ask the price outright (多少钱, 价格, сколько стоит, цена…)?"""
    zh, ru = _price_words()
    if zh.find(_plain(text)):
        return True
    return any(t.startswith(w) for t in tokens(fold(text)) for w in ru if t[:2] == w[:2])


# ---- numbers: Chinese numerals to digits ----------------------------------------------------------
_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_ZH_NUM_RE = re.compile("[零〇一幺二两三四五六七八九十百千万]+")


def zh_number(s: str) -> int | None:
    """'五十' 50, '一百五' 150, '两百' 200, '百' 100, '十五' 15; digit by digit without units ('一二')."""
    if not any(c in _ZH_UNIT for c in s):
        return int("".join(str(_ZH_DIGIT[c]) for c in s)) if s else None
    total, section, digit, last_unit = 0, 0, None, 0
    for c in s:
        if c in _ZH_DIGIT:
            digit = _ZH_DIGIT[c]
        else:
            unit = _ZH_UNIT[c]
            if unit == 10000:
                total = (total + section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
            last_unit = unit
    if digit is not None:
        # '一百五' is 150: a digit after a unit counts one unit lower
        section += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return total + section


_AMOUNT_AFTER_RE = re.compile(r"\s*(?:块|元|米|号|以|之|左右|来块|到|至|-|~)")


def _digits(text: str) -> str:
    """Chinese numerals that say an amount ('五十', '两百', '五块', '3号') as digits; others ('看一下',
    '一瓶', '两斤') stay, for the matchers that read them as words or sizes."""

    def one(m: re.Match[str]) -> str:
        run = m.group(0)
        if any(c in _ZH_UNIT for c in run) or _AMOUNT_AFTER_RE.match(text, m.end()):
            return str(zh_number(run))
        return run

    return _ZH_NUM_RE.sub(one, text) if _ZH_NUM_RE.search(text) else text


# ---- price ranges ----------------------------------------------------------------------------------
def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"(\d{1,6}(?:\.\d{1,2})?)"
_NOT_SIZE_ZH = r"(?!\s*(?:克|g|kg|公斤|千克|斤|两|升|l|ml|毫升|片|包|瓶|罐|盒|袋|个|天|小时|分钟|岁|度|%|号|月|年|周|单|件))"


@cache
def _zh_patterns() -> tuple[re.Pattern[str], ...]:
    d = _data()["price_range"]["zh"]
    unit = f"(?:{_alt(d['units'])})?"
    return (
        re.compile(
            f"{_NUM}\\s*{unit}\\s*(?:{_alt(d['between'])})\\s*{_NUM}\\s*{unit}{_NOT_SIZE_ZH}(?:之间|中间)?"
        ),
        re.compile(f"{_NUM}\\s*{unit}\\s*(?:{_alt(d['max_after'])})"),
        re.compile(f"(?:{_alt(d['max_before'])})\\s*{_NUM}\\s*{unit}{_NOT_SIZE_ZH}"),
        re.compile(f"{_NUM}\\s*{unit}\\s*(?:{_alt(d['min_after'])})"),
        re.compile(f"(?:{_alt(d['min_before'])})\\s*{_NUM}\\s*{unit}{_NOT_SIZE_ZH}"),
        re.compile(f"{_NUM}\\s*(?:{_alt(d['about'])})"),
    )


@cache
def _ru_patterns() -> tuple[re.Pattern[str], ...]:
    d = _data()["price_range"]["ru"]
    unit = f"(?:\\s*(?:{_alt(d['units'])})(?![а-я]))?"
    not_price = f"(?!\\s*(?:{_alt(d['not_price'])}))"
    return (
        re.compile(f"(?<![а-я])от\\s*{_NUM}{unit}\\s*до\\s*{_NUM}{unit}{not_price}"),
        re.compile(f"(?<![а-я])(?:{_alt(d['max_before'])})\\s*{_NUM}{not_price}{unit}"),
        re.compile(f"(?<![а-я])(?:{_alt(d['min_before'])})\\s*{_NUM}{not_price}{unit}"),
    )


def _order(text: str, lang_key: str) -> tuple[str | None, str]:
    """'asc' / 'desc' / None, and the text without the words that said it."""
    d = _data()["price_range"][lang_key]
    for order, key in (("asc", "cheapest"), ("desc", "dearest")):
        for w in sorted(d[key], key=len, reverse=True):
            if w in text:
                return order, text.replace(w, " ")
    return None, text


_Bound = Decimal | None


def _bounds(kind: int, a: Decimal, m: re.Match[str], *, ru: bool) -> tuple[_Bound, _Bound]:
    """(min, max) said by the pattern of number `kind` (see _zh_patterns / _ru_patterns)."""
    if kind == 0:  # between two numbers
        b = Decimal(m.group(2))
        return (a, b) if a <= b else (b, a)
    if ru:
        return (None, a) if kind == 1 else (a, None)
    if kind in (1, 2):
        return None, a
    if kind in (3, 4):
        return a, None
    return a * Decimal("0.8"), a * Decimal("1.2")  # about: '百来块'


def price_range(text: str) -> tuple[PriceRange | None, str]:
    """The price range or order a message asks for, and the message without the words that said it
    (so they do not count as product words or sizes). (None, text) when it asks none."""
    clean = strip_codes(text)  # an order number's digits are no price
    zh = _digits(_plain(clean))
    for kind, pattern in enumerate(_zh_patterns() if HAN_RE.search(zh) else ()):
        m = pattern.search(zh)
        if m is None:
            continue
        a = Decimal(m.group(1))
        lo, hi = _bounds(kind, a, m, ru=False)
        order, rest = _order(zh[: m.start()] + " " + zh[m.end() :], "zh")
        return PriceRange(lo, hi, order or "asc"), rest
    ru = fold(clean)
    for kind, pattern in enumerate(_ru_patterns()):
        m = pattern.search(ru)
        if m is None:
            continue
        lo, hi = _bounds(kind, Decimal(m.group(1)), m, ru=True)
        order, rest = _order(ru[: m.start()] + " " + ru[m.end() :], "ru")
        return PriceRange(lo, hi, order or "asc"), rest
    for lang_key, folded in (("zh", zh), ("ru", ru)):
        order, rest = _order(folded, lang_key)
        if order is not None:
            return PriceRange(order=order), rest
    return None, text


# ---- the product on screen ---------------------------------------------------------------------------
@cache
def _screen() -> tuple[re.Pattern[str], _Cues, tuple[str, ...]]:
    d = _data()["screen"]
    numbered = re.compile(f"\\d+\\s*(?:{_alt(d['zh_after_number'])})")
    return numbered, _Cues({"screen": d["zh"]}), tuple(fold(w) for w in d["ru"])


def screen_reference(text: str) -> tuple[bool, str]:
    """Does the message point at a product on the live stream ('3号链接', '主播手里那个', 'лот 5')?
    And the message without the numbered link (its number is no size or model number)."""
    numbered, zh_cues, ru_cues = _screen()
    plain = _digits(_plain(text))
    m = numbered.search(plain)
    if m is not None:
        return True, plain[: m.start()] + " " + plain[m.end() :]
    if zh_cues.find(plain):
        return True, text
    toks = tokens(fold(text))
    return any(t.startswith(w) for t in toks for w in ru_cues), text
