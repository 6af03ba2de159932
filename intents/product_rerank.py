"""The rerank of the product index: rapidfuzz scores of a few dozen candidates against the message.

Only the candidates the postings found best are scored here, on pre-normalised keys
(processor=None): the Han part of a message against Han names (and their folded pinyin, for
homophone typos), the Cyrillic part against stems (and their sound keys, for words misspelt by ear),
the Latin part as pinyin, as transliteration or as a wrong keyboard layout, whichever fits best. The
score blends that similarity with the candidate's gram coverage, then sizes and numbers asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from intents import chinese, russian
from intents.product_grams import number_as_sizes
from intents.product_keys import A_NUM, A_PY, A_SIZE, A_SK, FS, KS, U_RU, U_ZH
from intents.product_records import Hit
from intents.query import QueryParts


def _phonetic_words(text: str) -> str:
    return " ".join(russian.phonetic(w) for w in text.split())


def _blend(q: str, key: str) -> float:
    """Similarity of a query part to one key: exact-ish ratio, or the query found inside a longer key
    (a short nickname in a long name), or the key inside a longer query; penalised by the part of
    the longer string left unexplained."""
    r = fuzz.ratio(q, key, processor=None)
    if r >= 96:
        return r
    lq, lk = len(q), len(key)
    if not lq or not lk:
        return 0.0
    p = fuzz.partial_ratio(q, key, processor=None)
    if lq <= lk:
        p *= 0.86 + 0.14 * lq / lk
    else:
        p *= 0.45 + 0.55 * lk / lq
    return max(r, p)


def _blend_words(q: str, key: str) -> float:
    """As _blend, plus word-order freedom for multi-word Russian/Latin text."""
    b = _blend(q, key)
    if " " in q or " " in key:
        t = fuzz.token_set_ratio(q, key, processor=None)
        if t > b:
            nq, nk = q.count(" ") + 1, key.count(" ") + 1
            t *= 0.9 + 0.1 * min(nq, nk) / max(nq, nk)
            b = max(b, t)
    return b


def _best(
    q: str, keys: list[str], words: bool, memo: dict[tuple[str, str, bool], float] | None = None
) -> float:
    """The best similarity of q to any of keys (the first one reaching 99.5 ends the search); memo
    keeps the scores of one query, whose candidates share keys (a brand, a category word)."""
    f = _blend_words if words else _blend
    best = 0.0
    for k in keys:
        if memo is None:
            s = f(q, k)
        else:
            mk = (q, k, words)
            s = memo.get(mk, -1.0)
            if s < 0.0:
                s = memo[mk] = f(q, k)
        if s > best:
            best = s
            if best >= 99.5:
                break
    return best


@lru_cache(maxsize=65536)
def _fold_spaced(pinyin: str) -> str:
    """Spaced pinyin syllables folded for homophones ('qiao ke li' -> 'qiao ke ni')."""
    return " ".join(chinese.fold_syllable(x) for x in pinyin.split())


@dataclass(frozen=True, slots=True)
class QueryKeys:
    """What the rerank compares against every candidate, worked out once per query."""

    han: str
    han_folded: str
    ru: str
    ru_sound: str
    cyr_weight: float
    joined: str
    skeleton: str
    layout: str
    latin_weight: float
    bound: float  # the most a candidate can score beyond 35 * coverage
    memo: dict[tuple[str, str, bool], float]  # (query part, key, words) -> similarity

    @staticmethod
    def of(q: QueryParts) -> QueryKeys:
        han = "".join(q.han)
        ru = " ".join(russian.stem(w) for w in q.cyr)
        return QueryKeys(
            han=han,
            han_folded=" ".join(chinese.fold_syllable(x) for x in chinese.pinyin_of(han)) if han else "",
            ru=ru,
            ru_sound=_phonetic_words(ru),
            cyr_weight=float(sum(map(len, q.cyr))),
            joined="".join(q.latin),
            skeleton=" ".join(russian.skeleton(w) for w in q.latin),
            layout=" ".join(russian.stem(w) for w in q.layout_alt),
            latin_weight=float(sum(map(len, q.latin))),
            bound=65.0 + (6.0 if q.sizes else 0.0) + 5.0 * len(q.numbers),
            memo={},
        )


def rerank(q: QueryParts, qx: QueryKeys, pid: int, uni_keys: str, asc_keys: str, coverage: float) -> Hit:
    """Score product `pid`, whose packed keys (see product_keys) are given, for the query."""
    uni = uni_keys.split(FS)
    asc = asc_keys.split(FS)
    parts: list[tuple[float, float]] = []  # (weight, score) per script part of the query
    memo = qx.memo
    latin_via = ""
    if qx.han:
        qh = qx.han
        zh_keys = uni[U_ZH].split(KS) if uni[U_ZH] else []
        s = _best(qh, zh_keys, words=False, memo=memo) if zh_keys else 0.0
        if s < 92 and asc[A_PY]:
            # homophone typo (巧克丽, 格娃斯): compare folded pinyin syllables
            pf_keys = [_fold_spaced(k) for k in asc[A_PY].split(KS)]
            s = max(s, 0.9 * _best(qx.han_folded, pf_keys, words=False, memo=memo))
        parts.append((2.0 * len(qh), s))
    ru_keys: list[str] | None = None
    if q.cyr:
        ru_keys = uni[U_RU].split(KS) if uni[U_RU] else []
        qr = qx.ru
        s = _best(qr, ru_keys, words=True, memo=memo) if ru_keys else 0.0
        if s < 92 and ru_keys:
            # misspelt by ear (вотка, сгушенка): compare sound keys, a little below a true match
            s = max(
                s, 0.92 * _best(qx.ru_sound, [_phonetic_words(k) for k in ru_keys], words=True, memo=memo)
            )
        parts.append((qx.cyr_weight, s))
    if q.latin:
        best, latin_via = 0.0, ""
        if asc[A_PY]:
            py_keys = asc[A_PY].split(KS)
            joined = qx.joined
            cands = [k.replace(" ", "") for k in py_keys]
            s = _best(joined, cands, words=False, memo=memo)
            if len(joined) <= 5:  # initials: ftj, nnt
                s = max(
                    s,
                    0.95 * _best(joined, [chinese.initials(tuple(k.split())) for k in py_keys], False, memo),
                )
            if s > best:
                best, latin_via = s, "py"
        if asc[A_SK]:
            s = _best(qx.skeleton, asc[A_SK].split(KS), words=True, memo=memo)
            if s > best:
                best, latin_via = s, "sk"
        if q.layout_alt and uni[U_RU]:
            if ru_keys is None:
                ru_keys = uni[U_RU].split(KS)
            s = _best(qx.layout, ru_keys, words=True, memo=memo)
            if s > best:
                best, latin_via = s, "ru"
        parts.append((qx.latin_weight, best))
    weight = sum(w for w, _ in parts)
    fuzzy = sum(w * s for w, s in parts) / weight if weight else 0.0
    score = 0.65 * fuzzy + 35.0 * min(1.0, coverage)
    if q.sizes or q.numbers:
        have = set(asc[A_SIZE].split())
        nums = set(asc[A_NUM].split())
        if q.sizes & have:
            score += 6.0
        elif q.sizes and have:
            score -= 8.0
        for n in q.numbers:
            if n in nums or have.intersection(number_as_sizes(n)):
                score += 5.0
            elif nums or have:
                score -= 3.0
    return Hit(pid, max(0.0, min(100.0, score)), coverage, latin_via)
