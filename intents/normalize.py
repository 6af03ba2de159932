"""Script-aware text normalisation shared by every matcher.

Everything that compares text goes through :func:`fold` first so that full-width forms,
traditional characters, case and ё/е never make two spellings of one thing differ.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from intents import chinese

# Han: CJK unified ideographs, extension A, compatibility ideographs.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CYR = "\u0400-\u04ff"
HAN_RE = re.compile(f"[{_HAN}]")
CYR_RE = re.compile(f"[{_CYR}]")
# A "word" for the alphabetic scripts; Latin keeps the characters that a wrong keyboard layout
# turns Russian letters into (ж->; э->' б->, ю->. х->[ ъ->] ё->`), so layout slips survive tokenising.
TOKEN_RE = re.compile(f"[{_HAN}]+|[{_CYR}]+|[a-z0-9]+(?:[;',.\\[\\]`]+[a-z0-9]+)*[;',.\\[\\]`]?|[0-9]+")
# the same tokens, each as (han, cyrillic, other): one of the three is non-empty
TOKEN_KIND_RE = re.compile(
    f"([{_HAN}]+)|([{_CYR}]+)|([a-z0-9]+(?:[;',.\\[\\]`]+[a-z0-9]+)*[;',.\\[\\]`]?|[0-9]+)"
)
_SPACE_RE = re.compile(r"\s+")
# Anything that is not a letter, digit or Han becomes a space (punctuation, emoji, quotes «»).
_JUNK_RE = re.compile(f"[^0-9a-z{_CYR}{_HAN}\\s;',.\\[\\]`]+")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−－"), "-")


def nfkc(text: str) -> str:
    """NFKC (full-width letters/digits to ASCII) and all dash look-alikes to '-'."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


_ACCENTED_RE = re.compile("[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")


def strip_accents(text: str) -> str:
    """Drop combining marks (pinyin tones: lián -> lian) but keep й and ё (composed Cyrillic)."""
    if text.isascii() or not _ACCENTED_RE.search(text):
        return text
    decomposed = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or ch in "\u0306\u0308")
    return unicodedata.normalize("NFC", out)


def fold_uncached(text: str) -> str:
    """Canonical comparable form: NFKC, traditional->simplified, lower case, ё->е, tones stripped,
    punctuation to spaces (layout-slip punctuation inside Latin words is kept), single spaces."""
    t = nfkc(text)
    if HAN_RE.search(t):
        t = chinese.t2s(t)
    t = strip_accents(t.lower()).replace("ё", "е").replace("ü", "v")
    t = _JUNK_RE.sub(" ", t)
    return _SPACE_RE.sub(" ", t).strip()


# messages repeat (greetings, 'есть?'); catalog builds use fold_uncached to keep this cache useful
fold = lru_cache(maxsize=65536)(fold_uncached)


def tokens(folded: str) -> list[str]:
    """Runs of one script each: Han runs, Cyrillic words, Latin/digit words."""
    return TOKEN_RE.findall(folded)


def is_han(token: str) -> bool:
    return bool(token) and HAN_RE.match(token[0]) is not None


def is_cyrillic(token: str) -> bool:
    return bool(token) and CYR_RE.match(token[0]) is not None


def clean_latin(token: str) -> str:
    """A Latin token without layout punctuation and digits (for pinyin/translit comparisons)."""
    return "".join(c for c in token if "a" <= c <= "z")


MAX_CLAUSES = 6  # a long message is also read clause by clause, up to this many
# clause breaks: sentence punctuation, and a comma or full stop that is not inside a number (1,5 л)
_CLAUSE_RE = re.compile(r"[，。！？；：、\n～~!?;…]+|(?<!\d)[,.]|[,.](?!\d)")


def clauses(text: str) -> list[str]:
    """The clauses of a message ('请问有蜂蜜吗？纯天然的那种' -> two), empty ones dropped."""
    return [p for p in _CLAUSE_RE.split(text) if p.strip()]
