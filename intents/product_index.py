"""Product index: character n-gram candidates with IDF, then a rapidfuzz rerank of a few hundred.

Scanning every product string with a fuzzy scorer costs ~0.5 s a query at 100k products, so a
query first collects candidates from an inverted index of character n-grams (Han unigrams and
bigrams, Cyrillic/Latin word trigrams, folded pinyin syllable bigrams for homophones, size tokens),
reading only the rarest grams of the query within a postings budget; then only the best few hundred
candidates are scored with rapidfuzz on pre-normalised strings (processor=None).

Memory is kept flat for 1M products: postings are array('i') of product numbers; each product keeps
two packed strings (its Unicode keys and its ASCII keys) instead of per-product objects.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter

from rapidfuzz import fuzz

from intents import chinese, russian
from intents.language import LatinKind
from intents.normalize import CYR_RE, clean_latin, fold, fold_uncached, is_cyrillic, is_han, tokens
from intents.query import QueryParts, analyse, number_tokens
from intents.sizes import sizes, strip_sizes


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


_KS = "\x1f"  # between keys of one field
_FS = "\x1e"  # between fields
# Unicode part: Han keys | Cyrillic keys as stems ; ASCII part: pinyin keys (spaced syllables) | skeletons | sizes
_U_ZH, _U_RU = 0, 1
_A_PY, _A_SK, _A_SIZE, _A_NUM = 0, 1, 2, 3

_CANDIDATES = 64  # products reranked with rapidfuzz at most
_BUDGET = 6_000  # postings read per query at most (the rarest grams first): bounds the latency


_cat = str.__add__  # map(_cat, s, s[1:]) builds n-grams in C, not in a Python loop


def _han_grams(run: str, out: set[str]) -> None:
    out.update(run)
    out.update(map(_cat, run, run[1:]))


def _word_grams(word: str, out: set[str]) -> None:
    w = f" {word} "
    out.update(map(_cat, map(_cat, w, w[1:]), w[2:]))


_OTHER, _SPELT, _SOUND = 0, 1, 2  # gram kinds: Han/Latin/sizes, Cyrillic spelling, Cyrillic sound key


def _gram_kind(g: str) -> int:
    if g[0] == "%":
        return _SOUND
    return _SPELT if CYR_RE.search(g) else _OTHER


def _phonetic_grams(word: str, out: set[str]) -> None:
    """Trigrams of the sound key of a Cyrillic word's stem (endings inflect), in their own namespace."""
    w = f" {russian.phonetic(russian.stem(word))} "
    out.update("%" + w[i : i + 3] for i in range(len(w) - 2))


def _syllable_grams(sylls: Iterable[str], out: set[str]) -> None:
    folded = [chinese.fold_syllable(s) for s in sylls]
    if len(folded) == 1:
        out.add("~" + folded[0])
    out.update(f"~{a} {b}" for a, b in pairwise(folded))


def _phonetic_words(text: str) -> str:
    return " ".join(russian.phonetic(w) for w in text.split())


def _folded_pinyin(han: str) -> str:
    """Homophone key of a Han string: folded toneless syllables ('巧克丽' and '巧克力' agree)."""
    return " ".join(chinese.fold_syllable(x) for x in chinese.pinyin_of(han))


def _number_as_sizes(n: str) -> tuple[str, ...]:
    """A bare number may be a size whose unit was left out: 'квас 0,5' is 0.5 l, 'мёд 500' is 500 g."""
    v = float(n)
    out = [f"{v:g}g", f"{v:g}ml"]
    if v < 10:
        out += [f"{v * 1000:g}ml", f"{v * 1000:g}g"]
    return tuple(out)


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


def _best(q: str, keys: list[str], words: bool) -> float:
    f = _blend_words if words else _blend
    best = 0.0
    for k in keys:
        s = f(q, k)
        if s > best:
            best = s
            if best >= 99.5:
                break
    return best


class ProductIndex:
    """Built once per process from the catalog; `search` answers one query in about a millisecond."""

    def __init__(self, products: Iterable[ProductRecord]) -> None:
        self._skus: list[str] = []
        self._uni: list[str] = []
        self._asc: list[str] = []
        self._cat = array("i")
        self._categories: list[tuple[str, str]] = []
        self._cat_ids: dict[tuple[str, str], int] = {}
        self._sku_pid: dict[str, int] = {}
        postings: defaultdict[str, array[int]] = defaultdict(lambda: array("i"))
        grams: set[str] = set()
        for rec in products:
            pid = len(self._skus)
            self._skus.append(rec.sku)
            self._sku_pid.setdefault(rec.sku, pid)
            grams.clear()
            uni, asc = self._keys(rec, grams)
            self._uni.append(uni)
            self._asc.append(asc)
            cat = (rec.category_ru.strip(), rec.category_zh.strip())
            cid = self._cat_ids.get(cat)
            if cid is None:
                cid = self._cat_ids[cat] = len(self._categories)
                self._categories.append(cat)
            self._cat.append(cid)
            for g in grams:
                postings[g].append(pid)
        self._postings = dict(postings)
        n = max(1, len(self._skus))
        self._idf = {g: math.log(1.0 + n / len(a)) for g, a in postings.items()}
        self._category_keys = [self._category_strings(c) for c in self._categories]
        self._cat_members: list[array[int]] | None = None

    # ---- building -------------------------------------------------------------------------
    @staticmethod
    def _keys(rec: ProductRecord, grams: set[str]) -> tuple[str, str]:
        zh: dict[str, None] = {}
        ru: dict[str, None] = {}
        py: dict[str, None] = {}
        sk: dict[str, None] = {}
        size: set[str] = set()
        nums: set[str] = set()
        seen = ""
        for text in (rec.name_zh, *rec.aliases_zh, rec.name_ru, *rec.aliases_ru, rec.brand):
            if not text:
                continue
            f = fold_uncached(text)
            # an alias or brand inside the name adds no gram (but stays a key: exact matches rank first)
            g = set() if f in seen else grams
            seen += "\n" + f
            size |= sizes(f)
            f = strip_sizes(f)
            nums |= number_tokens(f)
            toks = tokens(f)
            han = "".join(t for t in toks if is_han(t))
            if han:
                zh[han] = None
                _han_grams(han, g)
                sylls = chinese.pinyin_of(han)
                if sylls:
                    py[" ".join(sylls)] = None
                    _word_grams("".join(sylls), g)
                    _word_grams(chinese.initials(sylls), g)
                    _syllable_grams(sylls, g)
            cyr = [t for t in toks if is_cyrillic(t)]
            if cyr:
                ru[" ".join(russian.stem(w) for w in cyr)] = None
                for w in cyr:
                    _word_grams(w, g)
                    _phonetic_grams(w, g)
            alpha = [russian.translit(t) if is_cyrillic(t) else clean_latin(t) for t in toks if not is_han(t)]
            skel = " ".join(s for s in (russian.skeleton(a) for a in alpha) if s)
            if skel:
                sk[skel] = None
                for w in skel.split():
                    _word_grams(w, g)
        grams.update("#" + s for s in size)
        grams.update("#n" + n for n in nums)
        uni = _FS.join((_KS.join(zh), _KS.join(ru)))
        asc = _FS.join((_KS.join(py), _KS.join(sk), " ".join(sorted(size)), " ".join(sorted(nums))))
        return uni, asc

    def _category_strings(self, cat: tuple[str, str]) -> tuple[str, str, str, str]:
        ru, zh = cat
        ru_f = " ".join(russian.stem(w) for w in tokens(fold(ru)) if is_cyrillic(w))
        zh_f = "".join(t for t in tokens(fold(zh)) if is_han(t))
        py = "".join(chinese.pinyin_of(zh_f)) if zh_f else ""
        return ru_f, zh_f, py, _folded_pinyin(zh_f)

    # ---- querying -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._skus)

    def sku(self, pid: int) -> str:
        return self._skus[pid]

    def search(self, query: str, limit: int = 5) -> list[ProductMatch]:
        """Best products for a message (question words around the product are ignored)."""
        return [ProductMatch(self._skus[h.pid], round(h.score, 1)) for h in self.rank(analyse(query), limit)]

    def rank(self, q: QueryParts, limit: int = 5) -> list[Hit]:
        if q.empty and not q.sizes:
            return []
        qgrams = self._query_grams(q)
        parts = self._candidates(qgrams)
        if not parts:
            return []
        # coverage: the share of the query's gram weight a product has, read as spelt (Cyrillic
        # trigrams) or as sounded (their sound keys), whichever explains more
        totals = [0.0, 0.0, 0.0]
        for g in qgrams:
            if g in self._idf:
                totals[_gram_kind(g)] += self._idf[g]
        spelt = (totals[_OTHER] + totals[_SPELT]) or 1.0
        sounded = (totals[_OTHER] + totals[_SOUND]) or 1.0
        scored = {
            pid: max(
                (a[_OTHER] + a[_SPELT]) / spelt, (a[_OTHER] + a[_SOUND]) / sounded if totals[_SOUND] else 0.0
            )
            for pid, a in parts.items()
        }
        # rank by gram score; among equals prefer short product texts (the plain product, not a kit)
        top = heapq.nlargest(_CANDIDATES, scored.items(), key=itemgetter(1))
        floor = 0.4 * top[0][1]
        hits = [self._rerank(q, pid, cov) for pid, cov in top if cov >= floor]
        hits.sort(key=lambda h: (-h.score, h.pid))
        return hits[:limit]

    def _query_grams(self, q: QueryParts) -> set[str]:
        grams: set[str] = set()
        for w in q.han:
            _han_grams(w, grams)
        if q.han:
            _syllable_grams(chinese.pinyin_of("".join(q.han)), grams)
        for w in (*q.cyr, *q.layout_alt):
            _word_grams(w, grams)
            _phonetic_grams(w, grams)
        for w in q.latin:
            _word_grams(w, grams)
            _word_grams(russian.skeleton(w), grams)
        if q.pinyin:
            _syllable_grams([s for word in q.pinyin for s in word], grams)
            if len(q.latin) > 1:
                _word_grams("".join(q.latin), grams)
        grams.update("#" + s for s in q.sizes)
        grams.update("#n" + n for n in q.numbers)
        grams.update("#" + s for n in q.numbers for s in _number_as_sizes(n))
        return grams

    def _candidates(self, qgrams: set[str]) -> dict[int, list[float]]:
        present = [(len(self._postings[g]), g) for g in qgrams if g in self._postings]
        present.sort()
        acc: dict[int, list[float]] = {}
        read = 0
        for df, g in present:
            if read + df > _BUDGET:
                if read:
                    break
                # even the rarest gram is very common (a category word in a huge catalog): a slice of
                # its products is as good as all of them, and bounded
                df = _BUDGET
            read += df
            w = self._idf[g]
            kind = _gram_kind(g)
            postings = self._postings[g]
            for pid in postings if df == len(postings) else postings[:df]:
                a = acc.get(pid)
                if a is None:
                    a = acc[pid] = [0.0, 0.0, 0.0]
                a[kind] += w
        return acc

    def _rerank(self, q: QueryParts, pid: int, coverage: float) -> Hit:
        uni = self._uni[pid].split(_FS)
        asc = self._asc[pid].split(_FS)
        parts: list[tuple[float, float]] = []  # (weight, score) per script part of the query
        latin_via = ""
        if q.han:
            qh = "".join(q.han)
            zh_keys = uni[_U_ZH].split(_KS) if uni[_U_ZH] else []
            s = _best(qh, zh_keys, words=False) if zh_keys else 0.0
            if s < 92 and asc[_A_PY]:
                # homophone typo (巧克丽, 格娃斯): compare folded pinyin syllables
                qf = " ".join(chinese.fold_syllable(x) for x in chinese.pinyin_of(qh))
                pf_keys = [
                    " ".join(chinese.fold_syllable(x) for x in k.split()) for k in asc[_A_PY].split(_KS)
                ]
                s = max(s, 0.9 * _best(qf, pf_keys, words=False))
            parts.append((2.0 * len(qh), s))
        ru_keys: list[str] | None = None
        if q.cyr:
            ru_keys = uni[_U_RU].split(_KS) if uni[_U_RU] else []
            qr = " ".join(russian.stem(w) for w in q.cyr)
            s = _best(qr, ru_keys, words=True) if ru_keys else 0.0
            if s < 92 and ru_keys:
                # misspelt by ear (вотка, сгушенка): compare sound keys, a little below a true match
                s = max(
                    s, 0.92 * _best(_phonetic_words(qr), [_phonetic_words(k) for k in ru_keys], words=True)
                )
            parts.append((float(sum(map(len, q.cyr))), s))
        if q.latin:
            best, latin_via = 0.0, ""
            if asc[_A_PY]:
                py_keys = asc[_A_PY].split(_KS)
                joined = "".join(q.latin)
                cands = [k.replace(" ", "") for k in py_keys]
                s = _best(joined, cands, words=False)
                if len(joined) <= 5:  # initials: ftj, nnt
                    s = max(
                        s, 0.95 * _best(joined, [chinese.initials(tuple(k.split())) for k in py_keys], False)
                    )
                if s > best:
                    best, latin_via = s, "py"
            if asc[_A_SK]:
                qs = " ".join(russian.skeleton(w) for w in q.latin)
                s = _best(qs, asc[_A_SK].split(_KS), words=True)
                if s > best:
                    best, latin_via = s, "sk"
            if q.layout_alt and uni[_U_RU]:
                if ru_keys is None:
                    ru_keys = uni[_U_RU].split(_KS)
                ql = " ".join(russian.stem(w) for w in q.layout_alt)
                s = _best(ql, ru_keys, words=True)
                if s > best:
                    best, latin_via = s, "ru"
            parts.append((float(sum(map(len, q.latin))), best))
        weight = sum(w for w, _ in parts)
        fuzzy = sum(w * s for w, s in parts) / weight if weight else 0.0
        score = 0.65 * fuzzy + 35.0 * min(1.0, coverage)
        if q.sizes or q.numbers:
            have = set(asc[_A_SIZE].split())
            nums = set(asc[_A_NUM].split())
            if q.sizes & have:
                score += 6.0
            elif q.sizes and have:
                score -= 8.0
            for n in q.numbers:
                if n in nums or have.intersection(_number_as_sizes(n)):
                    score += 5.0
                elif nums or have:
                    score -= 3.0
        return Hit(pid, max(0.0, min(100.0, score)), coverage, latin_via)

    # ---- categories -----------------------------------------------------------------------
    def categories(self) -> list[tuple[str, str]]:
        """(category_ru, category_zh) pairs of the catalog."""
        return list(self._categories)

    def match_category(self, query: str | QueryParts, lang: str = "zh") -> str | None:
        """The category a message asks for as a whole ('有糖果吗', 'какой есть шоколад?'): the
        category name in `lang` (or the other one if empty), or None when it names no category."""
        q = analyse(query) if isinstance(query, str) else query
        if q.empty:
            return None
        qh = "".join(q.han)
        qr = " ".join(russian.stem(w) for w in (*q.cyr, *q.layout_alt))
        ql = "".join(q.latin)
        qp = _folded_pinyin(qh) if qh else ""
        best, best_cid = 0.0, -1
        for cid, (ru_f, zh_f, py, zh_fp) in enumerate(self._category_keys):
            s = 0.0
            if qh and zh_f:
                s = max(s, fuzz.ratio(qh, zh_f, processor=None))
                if (len(qh) >= 2 and zh_f.startswith(qh)) or qh.endswith(zh_f):
                    s = max(s, 92.0)
                if s < 88 and len(qh) >= 2 and zh_fp:
                    # typed by sound: 巧克丽 for 巧克力
                    s = max(s, 0.95 * fuzz.ratio(qp, zh_fp, processor=None))
            if qr and ru_f:
                s = max(s, fuzz.token_set_ratio(qr, ru_f, processor=None) if len(qr) >= 4 else 0.0)
            if ql and py:
                s = max(s, fuzz.ratio(ql, py, processor=None))
            if s > best:
                best, best_cid = s, cid
        if best < 88 or best_cid < 0:
            return None
        ru, zh = self._categories[best_cid]
        return (zh or ru) if lang == "zh" else (ru or zh)

    def category_skus(self, category: str) -> list[str]:
        """Skus of a category named in either language (as returned by match_category)."""
        f = fold(category)
        if self._cat_members is None:  # built on first use: most processes never ask
            members: list[array[int]] = [array("i") for _ in self._categories]
            for pid, c in enumerate(self._cat):
                members[c].append(pid)
            self._cat_members = members
        out: list[str] = []
        for cid, (ru, zh) in enumerate(self._categories):
            if f and f in (fold(ru), fold(zh)):
                out.extend(self._skus[pid] for pid in self._cat_members[cid])
        return out

    def latin_via(self, hit: Hit) -> LatinKind | None:
        if hit.latin_via == "py":
            return LatinKind.PINYIN
        if hit.latin_via in ("sk", "ru"):
            return LatinKind.TRANSLIT
        return None
