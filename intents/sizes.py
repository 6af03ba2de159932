"""Package sizes in any language or unit, as one comparable token ('200 г', '200克', '0.2kg' -> '200g').

Sizes tell variants of one product apart (a 100 g bar vs a 200 g box), so both the catalog names
and the message are reduced to the same tokens.
"""

from __future__ import annotations

import re

from intents.normalize import fold

# unit -> (canonical unit, multiplier)
_UNITS: dict[str, tuple[str, float]] = {
    "g": ("g", 1), "gr": ("g", 1), "г": ("g", 1), "гр": ("g", 1), "грамм": ("g", 1), "граммов": ("g", 1),
    "克": ("g", 1), "kg": ("g", 1000), "кг": ("g", 1000), "公斤": ("g", 1000), "千克": ("g", 1000),
    "斤": ("g", 500),
    "ml": ("ml", 1), "мл": ("ml", 1), "毫升": ("ml", 1), "l": ("ml", 1000), "л": ("ml", 1000),
    "литр": ("ml", 1000), "литра": ("ml", 1000), "升": ("ml", 1000),
    "шт": ("pc", 1), "штук": ("pc", 1), "штуки": ("pc", 1), "pcs": ("pc", 1), "片": ("pc", 1),
    "粒": ("pc", 1), "颗": ("pc", 1), "支": ("pc", 1), "瓶": ("btl", 1), "罐": ("can", 1), "盒": ("box", 1),
    "袋": ("bag", 1), "包": ("bag", 1),
}  # fmt: skip
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
# Latin/Cyrillic units must not run on into a word ('2 глазированных' is not 2 g).
SIZE_RE = re.compile(rf"(\d+(?:[.,]\d+)?)\s*({_UNIT_ALT})(?![a-zа-я])")


# Chinese numerals before a unit: '一公斤', '两斤', '半升' (digits are what the catalog uses)
_ZH_DIGITS = {"半": "0.5", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "十": "10"}  # fmt: skip
_ZH_NUM_RE = re.compile(
    "(?<![0-9一二两三四五六七八九十百千万])([半一二两三四五六七八九十])(?=公斤|千克|斤|升|毫升|克)"
)


# Russian sizes said in words: 'пол-кило' (500 g), 'полторашка' (1.5 l), 'литровую банку' (1 l)
_RU_WORD_SIZES = [
    (re.compile(r"(?<![0-9а-я])пол[\s-]?(?:кило(?:грамма)?|кг)(?![а-я])"), " 500 г "),
    (re.compile(r"(?<=\d)\s?кило(?![а-я])"), " кг "),
    (re.compile(r"(?<![0-9а-я])(?:полтора\s+литра|полторашк[аиуе])(?![а-я])"), " 1.5 л "),
    (re.compile(r"(?<![0-9а-я])(?:пол[\s-]?литра|поллитровк[аиуе])(?![а-я])"), " 0.5 л "),
    (re.compile(r"(?<![0-9.,]\s)(?<![0-9а-я.,])(?:литр|литров(?:ая|ую|ой|ый|ые|ых))(?![а-я])"), " 1 л "),
    (
        re.compile(r"(?<![0-9.,]\s)(?<![0-9а-я.,])(?:кило|килограмм(?:ов(?:ая|ую|ой|ый|ые|ых))?)(?![а-я])"),
        " 1 кг ",
    ),
]


def _ru_word_sizes(folded: str) -> str:
    if "пол" not in folded and "литр" not in folded and "кило" not in folded:
        return folded
    for pattern, size in _RU_WORD_SIZES:
        folded = pattern.sub(size, folded)
    return folded


def zh_numerals(folded: str) -> str:
    """'一公斤' -> '1公斤' (only a single numeral right before a weight or volume unit)."""
    folded = _ru_word_sizes(folded)
    if not _ZH_NUM_RE.search(folded):
        return folded
    return _ZH_NUM_RE.sub(lambda m: _ZH_DIGITS[m.group(1)], folded)


def sizes(folded: str) -> frozenset[str]:
    """Size tokens found in folded text: '200g', '500ml', '12pc'. Counts of boxes/bottles included."""
    return split_sizes(folded)[0]


DIGIT_RE = re.compile(r"\d")


def split_sizes(folded: str) -> tuple[frozenset[str], str]:
    """(the size tokens, the text without them) in one pass; text without digits costs one search."""
    z = zh_numerals(folded)
    if not DIGIT_RE.search(z):
        return frozenset(), z
    found = SIZE_RE.findall(z)
    if not found:
        return frozenset(), z
    out: set[str] = set()
    for num, unit in found:
        canon, mult = _UNITS[unit]
        try:
            value = float(num.replace(",", ".")) * mult
        except ValueError:
            continue
        out.add(f"{value:g}{canon}")
    return frozenset(out), SIZE_RE.sub(" ", z)


def size_variants(name_a: str, name_b: str) -> bool:
    """Two names that differ only in their size ('爱莲巧牛奶巧克力 100克' / '… 200克'): the same
    product in two packs, which a message naming no size cannot choose between."""
    a_sizes, a_rest = split_sizes(fold(name_a))
    b_sizes, b_rest = split_sizes(fold(name_b))
    return a_sizes != b_sizes and " ".join(a_rest.split()) == " ".join(b_rest.split())
