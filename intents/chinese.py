"""Chinese helpers: traditional->simplified, word segmentation, pinyin keys.

OpenCC, jieba and pypinyin are loaded lazily once per process (jieba's dictionary takes ~0.7 s).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from functools import lru_cache
from itertools import compress, count
from typing import Any

_lock = threading.Lock()
_opencc: Any = None
_jieba: Any = None


def t2s(text: str) -> str:
    """Traditional to simplified (native OpenCC: ~1 µs a message)."""
    global _opencc
    if _opencc is None:
        import opencc

        with _lock:
            if _opencc is None:
                try:
                    _opencc = opencc.OpenCC("t2s")
                except Exception:  # older builds want the config file name
                    _opencc = opencc.OpenCC("t2s.json")
    return str(_opencc.convert(text))


def jieba_module() -> Any:
    """The initialised jieba module, quiet (its logger prints to stderr at INFO)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


@lru_cache(maxsize=32768)
def segment(han_run: str) -> tuple[str, ...]:
    """jieba words of a Han run (never pass Cyrillic: jieba splits it into letters)."""
    return tuple(jieba_module().lcut(han_run, HMM=True))


@lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    """Toneless pinyin syllables known to pypinyin ('ü' written 'v'); vowel-less interjections dropped."""
    from pypinyin.pinyin_dict import pinyin_dict

    out: set[str] = set()
    for readings in pinyin_dict.values():
        for p in readings.split(","):
            q = "".join(c for c in unicodedata.normalize("NFKD", p) if not unicodedata.combining(c))
            q = q.replace("ü", "v")
            if q.isascii() and q.isalpha() and any(v in q for v in "aeiouv"):
                out.add(q)
    out.update({"lve", "nve", "lue", "nue"})  # ü after l/n is often typed u or v
    return frozenset(out)


_MAX_SYL = 6


@lru_cache(maxsize=65536)
def split_pinyin(latin: str) -> tuple[str, ...] | None:
    """Segment toneless Latin letters into pinyin syllables ('lianru' -> ('lian', 'ru')), or None.

    Dynamic programming preferring fewer syllables, so 'xian' stays one syllable; an apostrophe
    or space is a forced boundary (xi'an)."""
    parts = [p for p in latin.replace("'", " ").split() if p]
    if not parts:
        return None
    syl = syllables()
    out: list[str] = []
    for part in parts:
        n = len(part)
        best: list[tuple[str, ...] | None] = [None] * (n + 1)
        best[0] = ()
        for i in range(n):
            cur = best[i]
            if cur is None:
                continue
            for j in range(i + 1, min(n, i + _MAX_SYL) + 1):
                piece = part[i:j]
                if piece in syl:
                    cand = (*cur, piece)
                    old = best[j]
                    if old is None or len(cand) < len(old):
                        best[j] = cand
        end = best[n]
        if end is None:
            return None
        out.extend(end)
    return tuple(out)


@lru_cache(maxsize=1)
def _polyphones() -> frozenset[str]:
    """Characters with more than one reading: only runs containing them need phrase context."""
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(chr(cp) for cp, readings in pinyin_dict.items() if "," in readings)


_char_pinyin: dict[str, str] = {}


def _pinyin_phrase(run: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(
        s.replace("ü", "v") for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore", v_to_u=False)
    )


_word_pinyin: dict[str, tuple[str, ...]] = {}


def _pinyin_words(run: str) -> tuple[str, ...]:
    """pypinyin's reading of a run, word by word: pypinyin splits a run into dictionary words
    (forward maximum matching) and reads each word on its own, so caching a word's reading gives
    the same syllables as _pinyin_phrase(run) at a fraction of the cost (catalogs repeat words)."""
    from pypinyin.seg.simpleseg import seg

    out: list[str] = []
    for w in seg(run):
        py = _word_pinyin.get(w)
        if py is None:
            py = _word_pinyin[w] = _pinyin_phrase(w)
        out.extend(py)
    return tuple(out)


@lru_cache(maxsize=1)
def _phrase_tables() -> tuple[dict[str, Any], Any]:
    """pypinyin's phrase dictionary and the set of all phrase prefixes its segmenter built at import
    (None if the two could disagree)."""
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.seg import mmseg

    # the segmenter's prefixes come from PHRASES_DICT, pypinyin's (possibly extended) copy of phrases_dict
    prefixes = getattr(mmseg.p_set, "_set", None)
    if not isinstance(prefixes, set) or not phrases_dict.keys() <= PHRASES_DICT.keys():
        prefixes = None
    return phrases_dict, prefixes


def _has_phrase(run: str, poly: frozenset[str]) -> bool:
    """Does a dictionary phrase (which may fix a polyphone's reading) cover a polyphonic character?
    A phrase of 2..5 characters counts when a polyphone is among its first four. Only starts whose
    two characters begin some phrase are walked (found in C), each given up at its first non-prefix."""
    phrases, prefixes = _phrase_tables()
    n = len(run)
    if prefixes is None:
        return _has_phrase_slow(run, poly, phrases)
    is_poly = list(map(poly.__contains__, run))
    for a in compress(count(), map(prefixes.__contains__, map(str.__add__, run, run[1:]))):
        if not any(is_poly[a : a + 4]):
            continue
        for b in range(a + 2, min(n, a + 5) + 1):
            piece = run[a:b]
            if b > a + 2 and piece not in prefixes:
                break
            if piece in phrases and any(is_poly[a : min(b, a + 4)]):
                return True
    return False


def _has_phrase_slow(run: str, poly: frozenset[str], phrases: dict[str, Any]) -> bool:
    n = len(run)
    for i, ch in enumerate(run):
        if ch not in poly:
            continue
        for a in range(max(0, i - 3), i + 1):
            for b in range(i + 1, min(n, a + 5) + 1):
                if b - a >= 2 and run[a:b] in phrases:
                    return True
    return False


@lru_cache(maxsize=65536)
def pinyin_of(han_run: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of a Han run. Phrase context (pypinyin's segmenter, ~20 µs) only
    when the run has a polyphonic character (重庆, 快乐); otherwise a per-character table (building
    an index of 1M names would otherwise spend most of its time here)."""
    poly = _polyphones()
    if any(ch in poly for ch in han_run) and _has_phrase(han_run, poly):
        return _pinyin_words(han_run)
    out: list[str] = []
    for ch in han_run:
        py = _char_pinyin.get(ch)
        if py is None:
            got = _pinyin_phrase(ch)
            py = _char_pinyin[ch] = got[0] if got else ""
        if py:
            out.append(py)
    return tuple(out)


# Homophone folding: the confusions of typing by sound (z/zh, c/ch, s/sh, -n/-ng, n/l, ü/u),
# so that 巧克丽 and 巧克力, 格娃斯 and 格瓦斯, 伏特家 and 伏特加 share one key.
_INITIAL_FOLD = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("f", "h"))
_FINAL_FOLD = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"), ("ong", "on"))


@lru_cache(maxsize=4096)
def fold_syllable(s: str) -> str:
    s = s.replace("v", "u")
    for a, b in _INITIAL_FOLD:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    for a, b in _FINAL_FOLD:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


def initials(sylls: tuple[str, ...]) -> str:
    return "".join(s[0] for s in sylls if s)
