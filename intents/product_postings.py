"""The inverted index of the product index: gram -> products, and reading it within a budget.

Scanning every product with a fuzzy scorer costs ~0.3 s a query at 100k products, so a query first
collects candidates here: only the rarest grams of the query bring candidates, within a postings
budget, and the commoner grams only add their weight to those candidates (numpy scatter-adds and
gathers over sorted postings arrays; both budgets grow with the square root of the catalog).
Postings are int32 arrays of product numbers, all in one array, so 1M products stay in memory.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from itertools import accumulate, repeat
from operator import call, itemgetter

import numpy as np
import numpy.typing as npt

from intents.product_grams import SOUND, SPELT, gram_kind

Ints = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
_Bools = npt.NDArray[np.bool_]
NO_INTS: Ints = np.zeros(0, dtype=np.int32)
_NO_FLOATS: Floats = np.zeros(0)

_BUDGET = 3_000  # postings read per query at most (the rarest grams first), at 100k products
_CHECK = 60_000  # postings of commoner grams checked against those candidates, at most
_TIE = 1e-9  # tie-break weight (see Postings.candidates)

#: (df, kind, idf, tie, postings) of one gram of a query
Present = tuple[int, int, float, int, Ints]


def _new_posting() -> Callable[[int], None]:
    return array("i").append


class PostingsBuilder:
    """Collects the grams of each product as it is indexed, then packs them into `Postings`."""

    def __init__(self) -> None:
        # gram -> the append method of its postings array: a product's grams are appended in one
        # C-level pass (map/call) instead of a Python loop over ~100 grams a product
        self._appenders: defaultdict[str, Callable[[int], None]] = defaultdict(_new_posting)
        # name grams are nearly all unique (one per product name and nickname): kept as sorted
        # (hash, product) arrays rather than millions of dictionary entries
        self._name_hashes = array("q")
        self._name_pids = array("i")

    def add(self, pid: int, grams: Iterable[str], names: set[int]) -> None:
        self._name_hashes.extend(names)
        self._name_pids.extend(repeat(pid, len(names)))
        deque(map(call, map(self._appenders.__getitem__, grams), repeat(pid)), maxlen=0)

    def build(self, n: int) -> Postings:
        """The postings of n products; the builder is spent after (Postings empties it gram by gram)."""
        return Postings(self._appenders, self._name_hashes, self._name_pids, n)


def _add(kind: int, w: float, postings: Ints, spelt: Floats, sounded: Floats | None) -> None:
    if kind != SOUND:
        spelt[postings] += w  # pids of one gram are distinct: a plain fancy-index add is exact
    if sounded is not None and kind != SPELT:
        sounded[postings] += w


class Postings:
    """gram -> ascending product numbers, all in one int32 array (a view per gram, no object per
    gram beyond its dictionary entry); name grams (see product_grams.name_grams), nearly all unique,
    as a sorted array of their hashes beside the products they name."""

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
        self._products = n
        self._n = max(1, n)
        self._idf = array("d", (math.log(1.0 + self._n / df) for df in lengths))
        self._kind = bytes(map(gram_kind, grams))
        # copied gram by gram, each array let go once copied: the peak stays near one copy
        flat = np.empty(self._starts[-1], dtype=np.int32)
        for i, g in enumerate(grams):
            posting: array[int] = appenders.pop(g).__self__  # type: ignore[attr-defined]
            flat[self._starts[i] : self._starts[i + 1]] = np.frombuffer(posting, dtype=np.int32)
        self._flat: Ints = flat
        hashes = np.frombuffer(name_hashes, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")  # stable: products stay ascending within a name
        self._name_hash: npt.NDArray[np.int64] = hashes[order]
        self._name_pid: Ints = np.frombuffer(name_pids, dtype=np.int32)[order]
        self._scratch = threading.local()
        # postings grow with the catalog: read and check a little more in a bigger one (sqrt keeps
        # the latency growth below the catalog's)
        scale = max(1.0, math.sqrt(self._n / 100_000))
        self.budget = int(_BUDGET * scale)
        self.check = int(_CHECK * scale)

    def present(self, grams: Iterable[str]) -> list[Present]:
        """(df, kind, idf, tie, postings) of the grams the catalog has, rarest first."""
        ids = self._ids
        starts, idf, kind, flat = self._starts, self._idf, self._kind, self._flat
        out: list[Present] = []
        names: list[int] = []
        name_kinds: list[int] = []
        for g in grams:
            if g[0] == "=":
                names.append(hash(g))
                name_kinds.append(gram_kind(g))
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

    def get(self, gram: str) -> Ints:
        for g in self.present((gram,)):
            return g[4]
        return NO_INTS

    def idf(self, gram: str) -> float:
        return self.present((gram,))[0][2]

    def candidates(self, present: list[Present], sound: bool) -> tuple[Ints, Floats, Floats | None]:
        """Candidate products (ascending pids) with their gram weight read as spelt (Han, Latin, sizes,
        Cyrillic spelling) and, when the query has Cyrillic sound keys, as sounded (the same without
        spelling, plus sound keys). Only the rarest grams, within a postings budget, bring candidates;
        the commoner ones (a product type, a flavour, a misspelt brand's surviving trigrams) only add
        their weight, so ties among thousands of candidates are broken by them. Sums are numpy
        scatter-adds into per-thread dense buffers, reset after."""
        if not present:
            return NO_INTS, _NO_FLOATS, None
        spelt, sounded_buf, mark = self.buffers()
        sounded = sounded_buf if sound else None
        budget = self.budget
        read = 0
        rest = len(present)
        first: list[Ints] = []
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
            if checked > self.check:
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

    def buffers(self) -> tuple[Floats, Floats, _Bools]:
        """Zeroed arrays over all products (two of scores, one of candidate marks), one set per
        thread, allocated on first use."""
        bufs: tuple[Floats, Floats, _Bools] | None = getattr(self._scratch, "bufs", None)
        if bufs is None:
            n = self._products
            bufs = self._scratch.bufs = (np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.bool_))
        return bufs


_RAREST = itemgetter(0, 1, 2, 3)
