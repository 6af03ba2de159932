"""Product index: character n-gram candidates with IDF, then a rapidfuzz rerank of a few dozen.

`ProductIndex` is the one front of the product matcher; each job behind it has its own module:
  product_records     ProductRecord in, ProductMatch / Hit out
  product_grams       what catalog texts and messages are cut into (both sides alike)
  product_keys        what is kept of each product: its grams and packed rerank keys
  product_postings    gram -> products, read within a budget, rarest grams first
  product_rerank      rapidfuzz scores of the best candidates
  product_categories  a whole category asked for, and its products
A query collects candidates from the postings (only the rarest grams bring candidates; the commoner
ones add their weight), orders them by the share of the query's gram weight they have, and reranks
the best few dozen, stopping once no candidate left can reach the shown ones.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable

import numpy as np

from intents.language import LatinKind
from intents.normalize import fold
from intents.product_categories import Categories
from intents.product_grams import OTHER, SOUND, SPELT, query_grams
from intents.product_keys import KeyBuilder
from intents.product_postings import PostingsBuilder
from intents.product_records import Hit, ProductMatch, ProductRecord
from intents.product_rerank import QueryKeys, rerank
from intents.query import QueryParts, analyse

__all__ = ["Hit", "ProductIndex", "ProductMatch", "ProductRecord"]

_CANDIDATES = 48  # products reranked with rapidfuzz at most


class ProductIndex:
    """Built once per process from the catalog; `search` answers one query in about a millisecond."""

    def __init__(self, products: Iterable[ProductRecord]) -> None:
        self._skus: list[str] = []
        self._uni: list[str] = []  # packed Unicode keys of each product (see product_keys)
        self._asc: list[str] = []  # packed ASCII keys
        self._categories = Categories()
        self._brand = array("i")  # brand number of each product, -1 without one
        self._brand_ids: dict[str, int] = {}
        self._sku_pid: dict[str, int] = {}
        postings = PostingsBuilder()
        keys = KeyBuilder()
        for rec in products:
            pid = len(self._skus)
            self._skus.append(rec.sku)
            self._sku_pid.setdefault(rec.sku, pid)
            uni, asc, grams, names = keys.product(rec)
            self._uni.append(uni)
            self._asc.append(asc)
            self._categories.add(rec.category_ru, rec.category_zh)
            brand = fold(rec.brand) if rec.brand else ""
            self._brand.append(self._brand_ids.setdefault(brand, len(self._brand_ids)) if brand else -1)
            postings.add(pid, grams, names)
        self._postings = postings.build(len(self._skus))
        del postings
        self._categories.finish()

    def __len__(self) -> int:
        return len(self._skus)

    def sku(self, pid: int) -> str:
        return self._skus[pid]

    def pid_of(self, sku: str) -> int | None:
        return self._sku_pid.get(sku)

    def related(self, pid: int, other: int) -> tuple[bool, bool]:
        """(same brand, same category) of two products: how close a follow-up's product is to the
        one in context ('榛子的呢' after 爱莲巧 is the Алёнка with hazelnuts, not another brand's)."""
        brand = self._brand[pid]
        return brand >= 0 and brand == self._brand[other], self._categories.category_of(
            pid
        ) == self._categories.category_of(other)

    # ---- products -------------------------------------------------------------------------
    def search(self, query: str, limit: int = 5) -> list[ProductMatch]:
        """Best products for a message (question words around the product are ignored)."""
        return [ProductMatch(self._skus[h.pid], round(h.score, 1)) for h in self.rank(analyse(query), limit)]

    def rank(self, q: QueryParts, limit: int = 5) -> list[Hit]:
        if q.empty and not q.sizes:
            return []
        present = self._postings.present(query_grams(q))
        # coverage: the share of the query's gram weight a product has, read as spelt (Cyrillic
        # trigrams) or as sounded (their sound keys), whichever explains more
        totals = [0.0, 0.0, 0.0]
        for _, kind, w, _, _ in present:
            totals[kind] += w
        spelt_total = (totals[OTHER] + totals[SPELT]) or 1.0
        sounded_total = (totals[OTHER] + totals[SOUND]) or 1.0
        cand, spelt, sounded = self._postings.candidates(present, totals[SOUND] > 0)
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
        qx = QueryKeys.of(q)
        uni, asc = self._uni, self._asc
        hits: list[Hit] = []
        best: list[float] = []  # min-heap of the `limit` best scores so far
        for pid, cov in top:  # best coverage first, so the bound below only falls
            if cov < floor:
                break
            # a candidate that cannot reach the limit-th best score so far cannot be shown
            if len(best) >= limit and qx.bound + 35.0 * min(1.0, cov) < best[0]:
                break
            hit = rerank(q, qx, pid, uni[pid], asc[pid], cov)
            hits.append(hit)
            if len(best) < limit:
                heapq.heappush(best, hit.score)
            elif hit.score > best[0]:
                heapq.heapreplace(best, hit.score)
        hits.sort(key=lambda h: (-h.score, h.pid))
        return hits[:limit]

    def brand_skus(self, pid: int, limit: int) -> list[str]:
        """Skus of the products of the same brand as product `pid` (itself first), at most `limit`;
        empty when it has no brand. A scan of the brand numbers: brand questions are rare."""
        bid = self._brand[pid]
        if bid < 0:
            return []
        members = np.flatnonzero(np.frombuffer(self._brand, dtype=np.int32) == bid)[:limit].tolist()
        return [self._skus[pid], *(self._skus[m] for m in members if m != pid)][:limit]

    def latin_via(self, hit: Hit) -> LatinKind | None:
        if hit.latin_via == "py":
            return LatinKind.PINYIN
        if hit.latin_via in ("sk", "ru"):
            return LatinKind.TRANSLIT
        return None

    # ---- categories -----------------------------------------------------------------------
    def categories(self) -> list[tuple[str, str]]:
        """(category_ru, category_zh) pairs of the catalog."""
        return self._categories.names()

    def match_category(self, query: str | QueryParts, lang: str = "zh") -> str | None:
        """The category a message asks for as a whole ('有糖果吗', 'какой есть шоколад?'): the
        category name in `lang` (or the other one if empty), or None when it names no category."""
        return self._categories.match(analyse(query) if isinstance(query, str) else query, lang)

    def names_only_category(self, q: QueryParts, category: str) -> bool:
        """Does the message name nothing but the category ('какое есть пиво', '巧克力多少钱')? Then
        a product that merely has the category's word in its name is not 'named' by it."""
        return self._categories.names_only(q, category)

    def category_skus(self, category: str, limit: int | None = None) -> list[str]:
        """Skus of a category named in either language (as returned by match_category), in catalog
        order; at most `limit` (a category of a big catalog has tens of thousands)."""
        return [self._skus[pid] for pid in self._categories.products(category, limit)]

    def in_category(self, sku: str, category: str) -> bool:
        pid = self._sku_pid.get(sku)
        return pid is not None and self._categories.contains(pid, category)
