"""The categories of the product index: a whole category asked for, and the products in it.

'有糖果吗' and 'какое есть пиво' ask for a category, not a product; a catalog has a few dozen
categories, so a message is compared with each of them (Han, stems, pinyin, and pinyin by sound),
while the products of one are looked up in arrays sorted once, on first use.
"""

from __future__ import annotations

from array import array
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from intents import chinese, russian
from intents.normalize import fold, is_cyrillic, is_han, tokens
from intents.query import QueryParts

_Ints = npt.NDArray[np.int32]


def _folded_pinyin(han: str) -> str:
    """Homophone key of a Han string: folded toneless syllables ('巧克丽' and '巧克力' agree)."""
    return " ".join(chinese.fold_syllable(x) for x in chinese.pinyin_of(han))


def _category_word(word: str, cat_word: str) -> float:
    """How well a stem asked matches a stem of a category name; one root of five letters is
    enough ('молочки' is 'молочная продукция' said casually)."""
    if len(word) >= 5 and len(cat_word) >= 5 and word[:5] == cat_word[:5]:
        return 90.0
    return fuzz.ratio(word, cat_word, processor=None)


def _category_strings(cat: tuple[str, str]) -> tuple[str, str, str, str]:
    ru, zh = cat
    ru_f = " ".join(russian.stem(w) for w in tokens(fold(ru)) if is_cyrillic(w))
    zh_f = "".join(t for t in tokens(fold(zh)) if is_han(t))
    py = "".join(chinese.pinyin_of(zh_f)) if zh_f else ""
    return ru_f, zh_f, py, _folded_pinyin(zh_f)


class Categories:
    """The (category_ru, category_zh) pairs of a catalog and the category of each product."""

    def __init__(self) -> None:
        self._names: list[tuple[str, str]] = []
        self._ids: dict[tuple[str, str], int] = {}
        self._of = array("i")  # category number of each product
        self._keys: list[tuple[str, str, str, str]] = []
        self._members: list[_Ints] | None = None

    def add(self, category_ru: str, category_zh: str) -> None:
        """The category of the next product indexed."""
        cat = (category_ru.strip(), category_zh.strip())
        cid = self._ids.get(cat)
        if cid is None:
            cid = self._ids[cat] = len(self._names)
            self._names.append(cat)
        self._of.append(cid)

    def finish(self) -> None:
        """Once every product is added: the comparable forms of each category's names."""
        self._keys = [_category_strings(c) for c in self._names]

    def names(self) -> list[tuple[str, str]]:
        return list(self._names)

    def match(self, q: QueryParts, lang: str) -> str | None:
        """The category a message asks for as a whole: its name in `lang` (or the other one if empty),
        or None when it names no category."""
        if q.empty:
            return None
        qh = "".join(q.han)
        qr = " ".join(russian.stem(w) for w in (*q.cyr, *q.layout_alt))
        ql = "".join(q.latin)
        qp = _folded_pinyin(qh) if qh else ""
        best, best_cid = 0.0, -1
        for cid, (ru_f, zh_f, py, zh_fp) in enumerate(self._keys):
            s = 0.0
            if qh and zh_f:
                s = max(s, fuzz.ratio(qh, zh_f, processor=None))
                # '俄罗斯糖果' is the category with a word before it; '夏美尔棉花糖巧克力(味)' is a product
                if (len(qh) >= 2 and zh_f.startswith(qh)) or (qh.endswith(zh_f) and len(qh) - len(zh_f) <= 4):
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
        ru, zh = self._names[best_cid]
        return (zh or ru) if lang == "zh" else (ru or zh)

    def names_only(self, q: QueryParts, category: str) -> bool:
        """Does the message name nothing but the category ('какое есть пиво', '巧克力多少钱')? Then
        a product that merely has the category's word in its name is not 'named' by it."""
        f = fold(category)
        for cid, (ru, zh) in enumerate(self._names):
            if f not in (fold(ru), fold(zh)):
                continue
            ru_f, zh_f, py, _ = self._keys[cid]
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

    def products(self, category: str, limit: int | None = None) -> list[int]:
        """Product numbers of a category named in either language, in catalog order; at most `limit`."""
        out: list[int] = []
        for cid in self._category_ids(category):
            members = self._members_of(cid)
            if limit is not None:
                members = members[: max(0, limit - len(out))]
            out.extend(members.tolist())
        return out

    def category_of(self, pid: int) -> int:
        return self._of[pid]

    def contains(self, pid: int, category: str) -> bool:
        return self._of[pid] in self._category_ids(category)

    def _category_ids(self, category: str) -> list[int]:
        f = fold(category)
        return [cid for cid, (ru, zh) in enumerate(self._names) if f and f in (fold(ru), fold(zh))]

    def _members_of(self, cid: int) -> _Ints:
        if self._members is None:  # built on first use (a stable sort by category): most processes never ask
            cats = np.frombuffer(self._of, dtype=np.int32)
            order = np.argsort(cats, kind="stable").astype(np.int32)
            bounds = np.searchsorted(cats[order], np.arange(len(self._names) + 1))
            self._members = [order[a:b] for a, b in pairwise(bounds.tolist())]
        return self._members[cid]
