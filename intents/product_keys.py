"""What the index keeps of each product: its grams (for the postings) and its keys (for the rerank).

Memory stays flat for 1M products: each product keeps two packed strings, its Unicode keys and its
ASCII keys, instead of per-product objects; the layout constants below say where each field sits.
A catalog repeats its words (types, flavours, brands) many times over, so a build caches the grams
of every word and of every repeated text.
"""

from __future__ import annotations

from typing import NamedTuple

from intents import chinese, russian
from intents.normalize import TOKEN_KIND_RE, clean_latin, fold_uncached
from intents.product_grams import han_grams, name_grams, phonetic_grams, syllable_grams, word_grams
from intents.product_records import ProductRecord
from intents.query import number_tokens
from intents.resources import word_set
from intents.sizes import DIGIT_RE, split_sizes

KS = "\x1f"  # between keys of one field
FS = "\x1e"  # between fields
# Unicode part: Han keys | Cyrillic keys as stems ; ASCII part: pinyin keys (spaced syllables) | skeletons | sizes
U_ZH, U_RU = 0, 1
A_PY, A_SK, A_SIZE, A_NUM = 0, 1, 2, 3


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
    names: frozenset[int]  # hashes of the whole text as name grams, if short (see name_grams)


_NO_GRAMS: frozenset[str] = frozenset()
_TEXT_CACHE = 65_536  # repeated texts (brands, shared aliases) remembered during a build


class KeyBuilder:
    """Per-build caches: the grams and keys of a word, and of a text seen twice, are worked out
    once. Dropped after the build (nothing here is needed per message)."""

    def __init__(self) -> None:
        self._cyr: dict[str, tuple[str, str, frozenset[str]]] = {}
        self._other: dict[str, tuple[str, frozenset[str]]] = {}
        self._texts: dict[str, _Text] = {}
        self._once: set[str] = set()

    def product(self, rec: ProductRecord) -> tuple[str, str, set[str], set[int]]:
        """A product's packed Unicode keys, packed ASCII keys, grams and name-gram hashes."""
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
            t = self.text(text)
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
        uni = FS.join((KS.join(zh), KS.join(ru)))
        asc = FS.join((KS.join(py), KS.join(sk), " ".join(sorted(size)), " ".join(sorted(nums))))
        return uni, asc, grams, names

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
            word_grams(w, g)
            phonetic_grams(w, g)
            sk = russian.skeleton(russian.translit(w))
            if sk:
                word_grams(sk, g)
            got = self._cyr[w] = (russian.stem(w), sk, frozenset(g))
        return got

    def _other_word(self, w: str) -> tuple[str, frozenset[str]]:
        got = self._other.get(w)
        if got is None:
            sk = russian.skeleton(clean_latin(w))
            g: set[str] = set()
            if sk:
                word_grams(sk, g)
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
            han_grams(han, grams)
            sylls = chinese.pinyin_of(han)
            if sylls:
                py = " ".join(sylls)
                word_grams("".join(sylls), grams)
                word_grams(chinese.initials(sylls), grams)
                syllable_grams(sylls, grams)
        names: set[str] = set()
        name_grams(han, py, name_stems, name_skels, names)
        return _Text(
            f, size, nums, han, py, " ".join(stems), " ".join(skels), grams, frozenset(map(hash, names))
        )
