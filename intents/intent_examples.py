"""The example phrases of the intent matcher: TF-IDF nearest examples through an inverted index.

A message is compared with every example of its language through an inverted index of n-grams, so
the cost does not grow with a per-example scan. Chinese examples are also compared by sound (folded
pinyin syllables), so a message typed in pinyin meets the Chinese examples it sounds like.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from intents import chinese
from intents.intent_ids import IntentId
from intents.intent_units import units as units_of
from intents.language import LatinKind, latin_kind
from intents.normalize import is_han


def _grams(units: Iterable[str]) -> Counter[str]:
    g: Counter[str] = Counter()
    for u in units:
        if u.startswith("#"):
            g[u] += 1
        elif is_han(u):
            g.update(u)
            g.update(u[i : i + 2] for i in range(len(u) - 1))
            g.update("3" + u[i : i + 3] for i in range(len(u) - 2))
        else:
            g["w:" + u] += 1
            w = f" {u} "
            g.update(w[i : i + 3] for i in range(len(w) - 2))
    return g


def _pinyin_grams(units: Iterable[str]) -> Counter[str]:
    """Folded pinyin syllables and syllable pairs of a message's Han runs and pinyin words, so a
    message typed in pinyin ('tuihuo zenme tui') meets the Chinese examples it sounds like."""
    sylls: list[str] = []
    for u in units:
        if u.startswith("#"):
            continue
        got = chinese.pinyin_of(u) if is_han(u) else chinese.split_pinyin(u) if u.isascii() else None
        if got:
            sylls.extend(chinese.fold_syllable(x) for x in got)
    g: Counter[str] = Counter("p:" + x for x in sylls)
    g.update(f"p:{a} {b}" for a, b in pairwise(sylls))
    return g


class _Knn:
    """TF-IDF cosine between a message and every example, through an inverted index of grams."""

    def __init__(self, vectors: list[Counter[str]], labels: list[IntentId]) -> None:
        self.labels = labels
        n = len(vectors)
        df: Counter[str] = Counter()
        for v in vectors:
            df.update(v.keys())
        self.idf = {g: math.log(1.0 + n / c) for g, c in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, v in enumerate(vectors):
            weights = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in v.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for g, w in weights.items():
                self.postings[g].append((i, w / norm))

    def query(self, grams: Counter[str]) -> dict[IntentId, list[float]]:
        weights = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in grams.items() if g in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            return {}
        acc: dict[int, float] = defaultdict(float)
        for g, w in weights.items():
            qw = w / norm
            for i, ew in self.postings[g]:
                acc[i] += qw * ew
        per: dict[IntentId, list[float]] = defaultdict(list)
        for i, sc in acc.items():
            per[self.labels[i]].append(sc)
        for v in per.values():
            v.sort(reverse=True)
        return per


class Examples:
    """The examples of one language, indexed for nearest-example similarity per intent."""

    def __init__(self, lang: str, data: Mapping[IntentId, Mapping[str, Sequence[str]]]) -> None:
        labels: list[IntentId] = []
        vectors: list[Counter[str]] = []
        py_vectors: list[Counter[str]] = []
        for intent, spec in data.items():
            for ex in spec.get("examples", []):
                units = units_of(ex, lang)
                vectors.append(_grams(units))
                if lang == "zh":
                    py_vectors.append(_pinyin_grams(units))
                labels.append(intent)
        self._grams_knn = _Knn(vectors, labels)
        # Chinese typed in pinyin: the examples compared by sound as well
        self._pinyin_knn = _Knn(py_vectors, labels) if py_vectors else None

    def similar(self, units: list[str]) -> dict[IntentId, list[float]]:
        """Per intent, the similarities of its examples to the message's units, best first."""
        per = self._grams_knn.query(_grams(units))
        if self._pinyin_knn is not None and not any(is_han(u) for u in units):
            if any(latin_kind(u) is LatinKind.PINYIN for u in units if u.isascii() and not u.startswith("#")):
                for intent, sims in self._pinyin_knn.query(_pinyin_grams(units)).items():
                    if sims[0] > (per.get(intent) or [0.0])[0]:
                        per[intent] = sims
        return per
