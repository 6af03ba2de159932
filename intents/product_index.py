"""Product index: character n-gram candidates with IDF, then a rapidfuzz rerank of a few dozen.

Scanning every product string with a fuzzy scorer costs ~0.3 s a query at 100k products, so a
query first collects candidates from an inverted index of character n-grams (Han unigrams and
bigrams, Cyrillic/Latin word trigrams, folded pinyin syllable bigrams for homophones, size tokens,
whole short names), reading only the rarest grams of the query within a postings budget, then adding
the weight of the commoner grams to those candidates (numpy scatter-adds and gathers over sorted
postings arrays; both budgets grow with the square root of the catalog); then only the best few
dozen candidates are scored with rapidfuzz on pre-normalised strings (processor=None). The build
caches the grams of every word and of every repeated text.

Memory is kept flat for 1M products: postings are int32 arrays of product numbers; each product
keeps two packed strings (its Unicode keys and its ASCII keys) instead of per-product objects.
"""

from __future__ import annotations

import heapq
import math
import threading
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, pairwise, repeat
from operator import call, itemgetter
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from intents import chinese, russian
from intents.language import LatinKind
from intents.normalize import (
    CYR_RE,
    TOKEN_KIND_RE,
    clean_latin,
    fold,
    fold_uncached,
    is_cyrillic,
    is_han,
    tokens,
)
from intents.query import QueryParts, analyse, number_tokens
from intents.resources import word_set
from intents.sizes import DIGIT_RE, split_sizes


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

_CANDIDATES = 48  # products reranked with rapidfuzz at most
_BUDGET = 3_000  # postings read per query at most (the rarest grams first), at 100k products
_CHECK = 60_000  # postings of commoner grams checked against those candidates, at most
_TIE = 1e-9  # tie-break weight (see _candidates)


_Ints = npt.NDArray[np.int32]
_Floats = npt.NDArray[np.float64]
_Bools = npt.NDArray[np.bool_]
_NO_INTS: _Ints = np.zeros(0, dtype=np.int32)
_NO_FLOATS: _Floats = np.zeros(0)

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
    if g[0] == "=":  # a whole name, as typed or as it sounds (see _name_grams)
        return _SOUND if g[1] in "%~" else _SPELT
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


_NAME_HAN = 8  # longest Han name (or nickname) indexed as a whole
_NAME_WORDS = 3  # longest Russian/Latin one


def _name_grams(han: str, pinyin: str, stems: list[str], skels: list[str], out: set[str]) -> None:
    """A short name or nickname as one gram ('=炼乳', '=сгущёнк', '=p:lianru', '=s:kvas'): a message
    that contains a product's whole nickname is strong evidence for it, and such a gram is rare
    even where thousands of products share its characters. The same name as it sounds ('=~gewasi',
    '=%фатк') counts in the sounded reading only, so a nickname typed right is not counted twice."""
    if 2 <= len(han) <= _NAME_HAN:
        out.add("=" + han)
        if pinyin:
            out.add("=p:" + pinyin.replace(" ", ""))
            # and as it sounds: 格娃斯 typed for the nickname 格瓦斯
            out.add("=~" + "".join(chinese.fold_syllable(x) for x in pinyin.split()))
    if 0 < len(stems) <= _NAME_WORDS:
        out.add("=" + " ".join(stems))
        out.add("=%" + " ".join(map(russian.phonetic, stems)))  # вотка for водка
    if 0 < len(skels) <= _NAME_WORDS:
        out.add("=s:" + " ".join(skels))


def _query_name_grams(q: QueryParts, han: str, sylls: tuple[str, ...], out: set[str]) -> None:
    """Every part of a message that could be a whole name (see _name_grams); absent ones cost a
    lookup. `han` is the message's Han text and `sylls` its syllables (worked out once by the caller)."""
    _word_runs(list(han), "=", "", out, _NAME_HAN, least=2)
    if len(sylls) == len(han):  # one syllable a character: runs of them align with the substrings
        _word_runs([chinese.fold_syllable(x) for x in sylls], "=~", "", out, _NAME_HAN, least=2)
    for words in (q.cyr, q.layout_alt):
        stems = [russian.stem(w) for w in words]
        _word_runs(stems, "=", " ", out)
        _word_runs([russian.phonetic(s) for s in stems], "=%", " ", out)
    _word_runs(list(q.latin), "=p:", "", out, _NAME_HAN)  # pinyin may come a syllable a word
    _word_runs([russian.skeleton(w) for w in q.latin], "=s:", " ", out)


def _word_runs(
    words: list[str], prefix: str, sep: str, out: set[str], most: int = _NAME_WORDS, least: int = 1
) -> None:
    """prefix + every run of `least` to `most` consecutive words, joined by sep."""
    n = len(words)
    for i in range(n):
        out.update(prefix + sep.join(words[i:j]) for j in range(i + least, min(n, i + most) + 1))


def _phonetic_words(text: str) -> str:
    return " ".join(russian.phonetic(w) for w in text.split())


def _folded_pinyin(han: str) -> str:
    """Homophone key of a Han string: folded toneless syllables ('巧克丽' and '巧克力' agree)."""
    return " ".join(chinese.fold_syllable(x) for x in chinese.pinyin_of(han))


def _category_word(word: str, cat_word: str) -> float:
    """How well a stem asked matches a stem of a category name; one root of five letters is
    enough ('молочки' is 'молочная продукция' said casually)."""
    if len(word) >= 5 and len(cat_word) >= 5 and word[:5] == cat_word[:5]:
        return 90.0
    return fuzz.ratio(word, cat_word, processor=None)


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
class _QueryKeys:
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
    def of(q: QueryParts) -> _QueryKeys:
        han = "".join(q.han)
        ru = " ".join(russian.stem(w) for w in q.cyr)
        return _QueryKeys(
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


class _Text(NamedTuple):
    """What one catalog text (a name, an alias, a brand) contributes to its product."""

    folded: str
    sizes: frozenset[str]
    numbers: frozenset[str]
    han: str  # its Han runs joined (a Chinese key)
    pinyin: str  # their syllables, spaced (a pinyin key)
    ru: str  # its Cyrillic words as stems (a Russian key)
    skeleton: str  # its alphabetic words as transliteration skeletons (a Latin key)
    grams: frozenset[str] | set[str]
    names: frozenset[int]  # hashes of the whole text as name grams, if short (see _name_grams)


_NO_GRAMS: frozenset[str] = frozenset()
_TEXT_CACHE = 65_536  # repeated texts (brands, shared aliases) remembered during a build


class _Builder:
    """Per-build caches: a catalog repeats its words (types, flavours, brands) many times over, so
    the grams and keys of a word, and of a text seen twice, are worked out once. Dropped after the
    build (nothing here is needed per message)."""

    def __init__(self) -> None:
        self._cyr: dict[str, tuple[str, str, frozenset[str]]] = {}
        self._other: dict[str, tuple[str, frozenset[str]]] = {}
        self._texts: dict[str, _Text] = {}
        self._once: set[str] = set()

    def text(self, raw: str) -> _Text:
        t = self._texts.get(raw)
        if t is not None:
            return t
        t = self._text(raw)
        if raw in self._once:  # remembered from its second appearance: unique names cost no memory
            if len(self._texts) >= _TEXT_CACHE:
                self._texts.clear()
            self._texts[raw] = t
        else:
            if len(self._once) >= 4 * _TEXT_CACHE:
                self._once.clear()
            self._once.add(raw)
        return t

    def _cyr_word(self, w: str) -> tuple[str, str, frozenset[str]]:
        got = self._cyr.get(w)
        if got is None:
            g: set[str] = set()
            _word_grams(w, g)
            _phonetic_grams(w, g)
            sk = russian.skeleton(russian.translit(w))
            if sk:
                _word_grams(sk, g)
            got = self._cyr[w] = (russian.stem(w), sk, frozenset(g))
        return got

    def _other_word(self, w: str) -> tuple[str, frozenset[str]]:
        got = self._other.get(w)
        if got is None:
            sk = russian.skeleton(clean_latin(w))
            g: set[str] = set()
            if sk:
                _word_grams(sk, g)
            got = self._other[w] = (sk, frozenset(g))
        return got

    def _text(self, raw: str) -> _Text:
        f = fold_uncached(raw)
        size, rest = split_sizes(f)
        nums = number_tokens(rest) if size or DIGIT_RE.search(rest) else _NO_GRAMS
        grams: set[str] = set()
        han_runs: list[str] = []
        stems: list[str] = []
        skels: list[str] = []
        name_stems: list[str] = []  # without the words a message loses too (в, с, для)
        name_skels: list[str] = []
        ru_stop = word_set("query", "ru_stop")
        for h, c, o in TOKEN_KIND_RE.findall(rest):
            if h:
                han_runs.append(h)
            elif c:
                stem, sk, g = self._cyr_word(c)
                stems.append(stem)
                if sk:
                    skels.append(sk)
                if c not in ru_stop:
                    name_stems.append(stem)
                    if sk:
                        name_skels.append(sk)
                grams |= g
            else:
                sk, g = self._other_word(o)
                if sk:
                    skels.append(sk)
                    name_skels.append(sk)
                    grams |= g
        han = "".join(han_runs)
        py = ""
        if han:
            _han_grams(han, grams)
            sylls = chinese.pinyin_of(han)
            if sylls:
                py = " ".join(sylls)
                _word_grams("".join(sylls), grams)
                _word_grams(chinese.initials(sylls), grams)
                _syllable_grams(sylls, grams)
        names: set[str] = set()
        _name_grams(han, py, name_stems, name_skels, names)
        return _Text(
            f, size, nums, han, py, " ".join(stems), " ".join(skels), grams, frozenset(map(hash, names))
        )


def _new_posting() -> Callable[[int], None]:
    return array("i").append


def _add(kind: int, w: float, postings: _Ints, spelt: _Floats, sounded: _Floats | None) -> None:
    if kind != _SOUND:
        spelt[postings] += w  # pids of one gram are distinct: a plain fancy-index add is exact
    if sounded is not None and kind != _SPELT:
        sounded[postings] += w


class _Postings:
    """gram -> ascending product numbers, all in one int32 array (a view per gram, no object per
    gram beyond its dictionary entry); name grams (see _name_grams), nearly all unique, as a sorted
    array of their hashes beside the products they name."""

    def __init__(
        self,
        appenders: dict[str, Callable[[int], None]],
        name_hashes: array[int],
        name_pids: array[int],
        n: int,
    ) -> None:
        grams = list(appenders)
        lengths = [len(app.__self__) for app in appenders.values()]  # type: ignore[attr-defined]
        self._ids = {g: i for i, g in enumerate(grams)}
        self._starts = array("q", [0])
        self._starts.extend(accumulate(lengths))
        self._n = max(1, n)
        self._idf = array("d", (math.log(1.0 + self._n / df) for df in lengths))
        self._kind = bytes(map(_gram_kind, grams))
        # copied gram by gram, each array let go once copied: the peak stays near one copy
        flat = np.empty(self._starts[-1], dtype=np.int32)
        for i, g in enumerate(grams):
            posting: array[int] = appenders.pop(g).__self__  # type: ignore[attr-defined]
            flat[self._starts[i] : self._starts[i + 1]] = np.frombuffer(posting, dtype=np.int32)
        self._flat: _Ints = flat
        hashes = np.frombuffer(name_hashes, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")  # stable: products stay ascending within a name
        self._name_hash: npt.NDArray[np.int64] = hashes[order]
        self._name_pid: _Ints = np.frombuffer(name_pids, dtype=np.int32)[order]

    def present(self, grams: Iterable[str]) -> list[tuple[int, int, float, int, _Ints]]:
        """(df, kind, idf, tie, postings) of the grams the catalog has, rarest first."""
        ids = self._ids
        starts, idf, kind, flat = self._starts, self._idf, self._kind, self._flat
        out: list[tuple[int, int, float, int, _Ints]] = []
        names: list[int] = []
        name_kinds: list[int] = []
        for g in grams:
            if g[0] == "=":
                names.append(hash(g))
                name_kinds.append(_gram_kind(g))
                continue
            i = ids.get(g)
            if i is not None:
                a, b = starts[i], starts[i + 1]
                out.append((b - a, kind[i], idf[i], i, flat[a:b]))
        if names:
            want = np.array(names, dtype=np.int64)
            lo = np.searchsorted(self._name_hash, want, side="left").tolist()
            hi = np.searchsorted(self._name_hash, want, side="right").tolist()
            for k, (a, b) in enumerate(zip(lo, hi, strict=True)):
                if b > a:
                    df = b - a
                    idf_ = math.log(1.0 + self._n / df)
                    out.append((df, name_kinds[k], idf_, -1 - k, self._name_pid[a:b]))
        out.sort(key=_RAREST)
        return out

    def get(self, gram: str) -> _Ints:
        for g in self.present((gram,)):
            return g[4]
        return _NO_INTS

    def idf(self, gram: str) -> float:
        return self.present((gram,))[0][2]


_RAREST = itemgetter(0, 1, 2, 3)


class ProductIndex:
    """Built once per process from the catalog; `search` answers one query in about a millisecond."""

    def __init__(self, products: Iterable[ProductRecord]) -> None:
        self._skus: list[str] = []
        self._uni: list[str] = []
        self._asc: list[str] = []
        self._cat = array("i")
        self._categories: list[tuple[str, str]] = []
        self._cat_ids: dict[tuple[str, str], int] = {}
        self._brand = array("i")  # brand number of each product, -1 without one
        self._brand_ids: dict[str, int] = {}
        self._sku_pid: dict[str, int] = {}
        # gram -> the append method of its postings array: a product's grams are appended in one
        # C-level pass (map/call) instead of a Python loop over ~100 grams a product
        appenders: defaultdict[str, Callable[[int], None]] = defaultdict(_new_posting)
        # name grams are nearly all unique (one per product name and nickname): kept as sorted
        # (hash, product) arrays rather than millions of dictionary entries
        name_hashes = array("q")
        name_pids = array("i")
        builder = _Builder()
        for rec in products:
            pid = len(self._skus)
            self._skus.append(rec.sku)
            self._sku_pid.setdefault(rec.sku, pid)
            uni, asc, grams, names = self._keys(rec, builder)
            name_hashes.extend(names)
            name_pids.extend(repeat(pid, len(names)))
            self._uni.append(uni)
            self._asc.append(asc)
            cat = (rec.category_ru.strip(), rec.category_zh.strip())
            cid = self._cat_ids.get(cat)
            if cid is None:
                cid = self._cat_ids[cat] = len(self._categories)
                self._categories.append(cat)
            self._cat.append(cid)
            brand = fold(rec.brand) if rec.brand else ""
            self._brand.append(self._brand_ids.setdefault(brand, len(self._brand_ids)) if brand else -1)
            deque(map(call, map(appenders.__getitem__, grams), repeat(pid)), maxlen=0)
        self._postings = _Postings(appenders, name_hashes, name_pids, len(self._skus))
        del appenders
        n = max(1, len(self._skus))
        self._category_keys = [self._category_strings(c) for c in self._categories]
        self._cat_members: list[_Ints] | None = None
        self._scratch = threading.local()
        # postings grow with the catalog: read and check a little more in a bigger one (sqrt keeps
        # the latency growth below the catalog's)
        scale = max(1.0, math.sqrt(n / 100_000))
        self._budget = int(_BUDGET * scale)
        self._check = int(_CHECK * scale)

    # ---- building -------------------------------------------------------------------------
    @staticmethod
    def _keys(rec: ProductRecord, builder: _Builder) -> tuple[str, str, set[str], set[int]]:
        zh: dict[str, None] = {}
        ru: dict[str, None] = {}
        py: dict[str, None] = {}
        sk: dict[str, None] = {}
        size: set[str] = set()
        nums: set[str] = set()
        parts: list[frozenset[str] | set[str]] = []
        names: set[int] = set()
        seen = ""
        for text in (rec.name_zh, *rec.aliases_zh, rec.name_ru, *rec.aliases_ru, rec.brand):
            if not text:
                continue
            t = builder.text(text)
            f = t.folded
            # an alias or brand inside the name adds no gram but its name gram (and stays a key:
            # exact matches rank first)
            if f not in seen:
                parts.append(t.grams)
            names |= t.names
            seen += "\n" + f
            if t.sizes:
                size |= t.sizes
            if t.numbers:
                nums |= t.numbers
            if t.han:
                zh[t.han] = None
            if t.pinyin:
                py[t.pinyin] = None
            if t.ru:
                ru[t.ru] = None
            if t.skeleton:
                sk[t.skeleton] = None
        grams: set[str] = set().union(*parts)
        if size:
            grams.update("#" + s for s in size)
        if nums:
            grams.update("#n" + n for n in nums)
        uni = _FS.join((_KS.join(zh), _KS.join(ru)))
        asc = _FS.join((_KS.join(py), _KS.join(sk), " ".join(sorted(size)), " ".join(sorted(nums))))
        return uni, asc, grams, names

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
        present = self._postings.present(self._query_grams(q))
        # coverage: the share of the query's gram weight a product has, read as spelt (Cyrillic
        # trigrams) or as sounded (their sound keys), whichever explains more
        totals = [0.0, 0.0, 0.0]
        for _, kind, w, _, _ in present:
            totals[kind] += w
        spelt_total = (totals[_OTHER] + totals[_SPELT]) or 1.0
        sounded_total = (totals[_OTHER] + totals[_SOUND]) or 1.0
        cand, spelt, sounded = self._candidates(present, totals[_SOUND] > 0)
        if not len(cand):
            return []
        coverage = spelt / spelt_total
        if sounded is not None:
            coverage = np.maximum(coverage, sounded / sounded_total)
        if len(coverage) > _CANDIDATES:
            best_n = np.argpartition(-coverage, _CANDIDATES - 1)[:_CANDIDATES]
            order = best_n[np.argsort(-coverage[best_n], kind="stable")]
        else:
            order = np.argsort(-coverage, kind="stable")
        top: list[tuple[int, float]] = list(zip(cand[order].tolist(), coverage[order].tolist(), strict=True))
        if top[0][1] <= 0.0:
            return []
        floor = 0.4 * top[0][1]
        qx = _QueryKeys.of(q)
        hits: list[Hit] = []
        best: list[float] = []  # min-heap of the `limit` best scores so far
        for pid, cov in top:  # best coverage first, so the bound below only falls
            if cov < floor:
                break
            # a candidate that cannot reach the limit-th best score so far cannot be shown
            if len(best) >= limit and qx.bound + 35.0 * min(1.0, cov) < best[0]:
                break
            hit = self._rerank(q, qx, pid, cov)
            hits.append(hit)
            if len(best) < limit:
                heapq.heappush(best, hit.score)
            elif hit.score > best[0]:
                heapq.heapreplace(best, hit.score)
        hits.sort(key=lambda h: (-h.score, h.pid))
        return hits[:limit]

    def _query_grams(self, q: QueryParts) -> set[str]:
        grams: set[str] = set()
        for w in q.han:
            _han_grams(w, grams)
        han = "".join(q.han)
        sylls = chinese.pinyin_of(han) if han else ()
        if sylls:
            _syllable_grams(sylls, grams)
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
        _query_name_grams(q, han, sylls, grams)
        grams.update("#" + s for s in q.sizes)
        grams.update("#n" + n for n in q.numbers)
        grams.update("#" + s for n in q.numbers for s in _number_as_sizes(n))
        return grams

    def _candidates(
        self, present: list[tuple[int, int, float, int, _Ints]], sound: bool
    ) -> tuple[_Ints, _Floats, _Floats | None]:
        """Candidate products (ascending pids) with their gram weight read as spelt (Han, Latin, sizes,
        Cyrillic spelling) and, when the query has Cyrillic sound keys, as sounded (the same without
        spelling, plus sound keys). Only the rarest grams, within a postings budget, bring candidates;
        the commoner ones (a product type, a flavour, a misspelt brand's surviving trigrams) only add
        their weight, so ties among thousands of candidates are broken by them. Sums are numpy
        scatter-adds into per-thread dense buffers, reset after."""
        if not present:
            return _NO_INTS, _NO_FLOATS, None
        spelt, sounded_buf, mark = self._buffers()
        sounded = sounded_buf if sound else None
        budget = self._budget
        read = 0
        rest = len(present)
        first: list[_Ints] = []
        for i, (df, kind, w, _, postings) in enumerate(present):
            if read + df > budget:
                if read:
                    rest = i
                    break
                # even the rarest gram is very common (a category word in a huge catalog): a slice of
                # its products is as good as all of them, and bounded
                df = budget
                postings = postings[:df]
            read += df
            # + a weight far below any real difference, halving with each commoner gram: equal sums
            # rank the products that have the rarer grams first
            _add(kind, w + _TIE * 0.5**i, postings, spelt, sounded)
            first.append(postings)
        cand = first[0] if len(first) == 1 else np.unique(np.concatenate(first))
        mark[cand] = True
        checked = 0
        for df, kind, w, _, postings in present[rest:]:
            checked += df
            if checked > self._check:
                break
            found = postings[mark[postings]]  # a gather of bytes: cheap even for long postings
            if len(found):
                _add(kind, w, found, spelt, sounded)
        mark[cand] = False
        spelt_of = spelt[cand]
        spelt[cand] = 0.0
        sounded_of = None
        if sounded is not None:
            sounded_of = sounded[cand]
            sounded[cand] = 0.0
        return cand, spelt_of, sounded_of

    def _buffers(self) -> tuple[_Floats, _Floats, _Bools]:
        """Zeroed arrays over all products (two of scores, one of candidate marks), one set per
        thread, allocated on first use."""
        bufs: tuple[_Floats, _Floats, _Bools] | None = getattr(self._scratch, "bufs", None)
        if bufs is None:
            n = len(self._skus)
            bufs = self._scratch.bufs = (np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.bool_))
        return bufs

    def _rerank(self, q: QueryParts, qx: _QueryKeys, pid: int, coverage: float) -> Hit:
        uni = self._uni[pid].split(_FS)
        asc = self._asc[pid].split(_FS)
        parts: list[tuple[float, float]] = []  # (weight, score) per script part of the query
        memo = qx.memo
        latin_via = ""
        if qx.han:
            qh = qx.han
            zh_keys = uni[_U_ZH].split(_KS) if uni[_U_ZH] else []
            s = _best(qh, zh_keys, words=False, memo=memo) if zh_keys else 0.0
            if s < 92 and asc[_A_PY]:
                # homophone typo (巧克丽, 格娃斯): compare folded pinyin syllables
                pf_keys = [_fold_spaced(k) for k in asc[_A_PY].split(_KS)]
                s = max(s, 0.9 * _best(qx.han_folded, pf_keys, words=False, memo=memo))
            parts.append((2.0 * len(qh), s))
        ru_keys: list[str] | None = None
        if q.cyr:
            ru_keys = uni[_U_RU].split(_KS) if uni[_U_RU] else []
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
            if asc[_A_PY]:
                py_keys = asc[_A_PY].split(_KS)
                joined = qx.joined
                cands = [k.replace(" ", "") for k in py_keys]
                s = _best(joined, cands, words=False, memo=memo)
                if len(joined) <= 5:  # initials: ftj, nnt
                    s = max(
                        s,
                        0.95
                        * _best(joined, [chinese.initials(tuple(k.split())) for k in py_keys], False, memo),
                    )
                if s > best:
                    best, latin_via = s, "py"
            if asc[_A_SK]:
                s = _best(qx.skeleton, asc[_A_SK].split(_KS), words=True, memo=memo)
                if s > best:
                    best, latin_via = s, "sk"
            if q.layout_alt and uni[_U_RU]:
                if ru_keys is None:
                    ru_keys = uni[_U_RU].split(_KS)
                s = _best(qx.layout, ru_keys, words=True, memo=memo)
                if s > best:
                    best, latin_via = s, "ru"
            parts.append((qx.latin_weight, best))
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
            if qr and ru_f and len(qr) >= 3:  # пиво stems to пив
                # every word asked is a word of the category ('мёд' of 'Мёд и орехи'), not merely
                # one of them ('зефир в шоколаде' is a marshmallow, not the category Шоколад)
                cat_words = ru_f.split()
                s = max(
                    s,
                    min(max(_category_word(w, c) for c in cat_words) for w in qr.split()),
                )
            if ql and py:
                s = max(s, fuzz.ratio(ql, py, processor=None))
                if len(py) >= 4 and ql.endswith(py):  # 'eluositangguo': 俄罗斯糖果
                    s = max(s, 92.0)
            if s > best:
                best, best_cid = s, cid
        if best < 88 or best_cid < 0:
            return None
        ru, zh = self._categories[best_cid]
        return (zh or ru) if lang == "zh" else (ru or zh)

    def names_only_category(self, q: QueryParts, category: str) -> bool:
        """Does the message name nothing but the category ('какое есть пиво', '巧克力多少钱')? Then
        a product that merely has the category's word in its name is not 'named' by it."""
        f = fold(category)
        for cid, (ru, zh) in enumerate(self._categories):
            if f not in (fold(ru), fold(zh)):
                continue
            ru_f, zh_f, py, _ = self._category_keys[cid]
            han = "".join(q.han)
            if han and (not zh_f or han.replace(zh_f, "")):
                return False
            words = ru_f.split()
            for w in (*q.cyr, *q.layout_alt):
                st = russian.stem(w)
                if not words or max(fuzz.ratio(st, c, processor=None) for c in words) < 85:
                    return False
            if q.latin and "".join(q.latin) != py:
                return False
            return True
        return False

    def category_skus(self, category: str, limit: int | None = None) -> list[str]:
        """Skus of a category named in either language (as returned by match_category), in catalog
        order; at most `limit` (a category of a big catalog has tens of thousands)."""
        out: list[str] = []
        for cid in self._category_ids(category):
            members = self._members(cid)
            if limit is not None:
                members = members[: max(0, limit - len(out))]
            out.extend(self._skus[pid] for pid in members.tolist())
        return out

    def brand_skus(self, pid: int, limit: int) -> list[str]:
        """Skus of the products of the same brand as product `pid` (itself first), at most `limit`;
        empty when it has no brand. A scan of the brand numbers: brand questions are rare."""
        bid = self._brand[pid]
        if bid < 0:
            return []
        members = np.flatnonzero(np.frombuffer(self._brand, dtype=np.int32) == bid)[:limit].tolist()
        return [self._skus[pid], *(self._skus[m] for m in members if m != pid)][:limit]

    def in_category(self, sku: str, category: str) -> bool:
        pid = self._sku_pid.get(sku)
        return pid is not None and self._cat[pid] in self._category_ids(category)

    def _category_ids(self, category: str) -> list[int]:
        f = fold(category)
        return [cid for cid, (ru, zh) in enumerate(self._categories) if f and f in (fold(ru), fold(zh))]

    def _members(self, cid: int) -> _Ints:
        if (
            self._cat_members is None
        ):  # built on first use (a stable sort by category): most processes never ask
            cats = np.frombuffer(self._cat, dtype=np.int32)
            order = np.argsort(cats, kind="stable").astype(np.int32)
            bounds = np.searchsorted(cats[order], np.arange(len(self._categories) + 1))
            self._cat_members = [order[a:b] for a, b in pairwise(bounds.tolist())]
        return self._cat_members[cid]

    def latin_via(self, hit: Hit) -> LatinKind | None:
        if hit.latin_via == "py":
            return LatinKind.PINYIN
        if hit.latin_via in ("sk", "ru"):
            return LatinKind.TRANSLIT
        return None
