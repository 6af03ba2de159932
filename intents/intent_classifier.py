"""Intent matching from data: TF-IDF character n-gram nearest examples, keywords and message facts.

The examples and keywords live in intents/data/intents_<lang>.toml. A message is compared with
every example of its language through an inverted index of n-grams (so the cost does not grow with
a per-example scan), keywords are matched on folded text (zh, also through pinyin) or word stems
(ru, one typo allowed in long words), and facts found by the other matchers (an order number, a
product) shift the balance. Below a confidence threshold the answer is out_of_scope.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from intents import chinese, russian
from intents.language import LatinKind, latin_kind
from intents.normalize import clean_latin, fold, is_cyrillic, is_han, tokens
from intents.orders import mask_codes
from intents.resources import load

INTENTS = (
    "greeting",
    "thanks",
    "goodbye",
    "product_search",
    "product_price",
    "order_status",
    "order_list",
    "shipping_info",
    "payment_info",
    "return_policy",
    "customs_info",
    "human_handoff",
    "supplier_ship",
    "out_of_scope",
)
OUT_OF_SCOPE = "out_of_scope"
THRESHOLD = 0.34  # below this the matcher admits it does not know
ORDER_TOKEN = "ordno"  # what order/tracking numbers become, in examples and messages alike

_SMALL_TALK = ("greeting", "thanks", "goodbye")


@dataclass(frozen=True, slots=True)
class Signals:
    """Facts about the message found by the other matchers."""

    order_resolved: bool = False  # names an order of this shop
    order_like: bool = False  # contains something shaped like an order or tracking number
    product_score: float = 0.0  # best product match, 0..100
    product_coverage: float = 0.0  # share of the message's product words explained by it
    category: bool = False  # names a whole category


@dataclass(frozen=True, slots=True)
class IntentResult:
    intent: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)


def _units(text: str, lang: str) -> list[str]:
    """Comparable units of a message: Han runs, Russian stems, Latin words (pinyin kept as is,
    layout slips and transliteration turned back into Cyrillic stems), the order placeholder."""
    out: list[str] = []
    for tok in tokens(fold(mask_codes(text, ORDER_TOKEN))):
        if tok == ORDER_TOKEN:
            out.append("#order")
        elif is_han(tok):
            out.append(tok)
        elif is_cyrillic(tok):
            out.append(russian.stem(tok))
        elif any(c.isalpha() for c in tok):
            kind = latin_kind(tok)
            word = clean_latin(tok)
            if kind is LatinKind.LAYOUT or (kind is LatinKind.UNKNOWN and lang == "ru"):
                conv = russian.layout_to_ru(tok)
                if kind is LatinKind.UNKNOWN and not russian.is_known_word(conv):
                    conv = russian.detranslit(word)
                out.append(russian.stem(conv))
            elif kind is LatinKind.TRANSLIT:
                out.append(russian.stem(russian.detranslit(word)))
            elif word:
                out.append(word)
    return out


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


@dataclass(slots=True)
class _Keyword:
    intent: str
    text: str  # zh: folded phrase; ru: space-joined stems
    stems: tuple[str, ...]
    pinyin: str  # zh: joined pinyin for Latin messages ('' for short ones)
    weight: float = 1.0


class _LanguageModel:
    def __init__(self, lang: str, data: dict[str, dict[str, list[str]]]) -> None:
        self.lang = lang
        self.example_intent: list[str] = []
        self.example_norm: list[float] = []
        vectors: list[Counter[str]] = []
        for intent, spec in data.items():
            if intent not in INTENTS:
                raise ValueError(f"unknown intent {intent!r} in intents_{lang}.toml")
            for ex in spec.get("examples", []):
                vectors.append(_grams(_units(ex, lang)))
                self.example_intent.append(intent)
        n = len(vectors)
        df: Counter[str] = Counter()
        for v in vectors:
            df.update(v.keys())
        self.idf = {g: math.log(1.0 + n / c) for g, c in df.items()}
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, v in enumerate(vectors):
            weights = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in v.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            self.example_norm.append(norm)
            for g, w in weights.items():
                self.postings[g].append((i, w / norm))
        self.keywords = self._keywords(data)
        self.han_keywords = [k for k in self.keywords if any(is_han(c) for c in k.text)]
        self.phrase_keywords = [k for k in self.keywords if k not in self.han_keywords and len(k.stems) > 1]
        self.word_keywords: dict[str, list[_Keyword]] = defaultdict(list)
        # long single-word keywords by (first letter, length): one typo allowed (сколко, дотавка)
        self.fuzzy_keywords: dict[tuple[str, int], list[_Keyword]] = defaultdict(list)
        for k in self.keywords:
            if k in self.han_keywords or len(k.stems) != 1:
                continue
            self.word_keywords[k.stems[0]].append(k)
            if len(k.stems[0]) >= 5:
                self.fuzzy_keywords[(k.stems[0][0], len(k.stems[0]))].append(k)

    def _keywords(self, data: dict[str, dict[str, list[str]]]) -> list[_Keyword]:
        out: list[_Keyword] = []
        for intent, spec in data.items():
            for raw in spec.get("keywords", []):
                f = fold(raw)
                if not f:
                    continue
                stems = tuple(russian.stem(t) if is_cyrillic(t) else t for t in tokens(f))
                han = "".join(t for t in tokens(f) if is_han(t))
                sylls = chinese.pinyin_of(han) if han else ()
                py = "".join(sylls) if len(sylls) >= 2 else ""
                out.append(_Keyword(intent, f, stems, py))
        # a keyword that also shows up in other intents' examples says less about its own intent
        examples = [(i, fold(e)) for i, spec in data.items() for e in spec.get("examples", [])]
        for kw in out:
            own = sum(1 for i, e in examples if i == kw.intent and kw.text in e)
            other = sum(1 for i, e in examples if i != kw.intent and kw.text in e)
            kw.weight = (1.0 + own) / (1.0 + own + 1.5 * other)
        return out

    def knn(self, grams: Counter[str]) -> dict[str, list[float]]:
        weights = {g: (1.0 + math.log(c)) * self.idf[g] for g, c in grams.items() if g in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            return {}
        acc: dict[int, float] = defaultdict(float)
        for g, w in weights.items():
            qw = w / norm
            for i, ew in self.postings[g]:
                acc[i] += qw * ew
        per: dict[str, list[float]] = defaultdict(list)
        for i, s in acc.items():
            per[self.example_intent[i]].append(s)
        for v in per.values():
            v.sort(reverse=True)
        return per

    def keyword_hits(self, text: str, units: list[str]) -> dict[str, float]:
        f = fold(text)
        stems = [u for u in units if not is_han(u)]
        latin = "".join(u for u in units if u.isascii() and not u.startswith("#"))
        found: list[_Keyword] = [
            k for k in self.han_keywords if k.text in f or (bool(k.pinyin) and k.pinyin in latin)
        ]
        for m in set(stems):
            exact = self.word_keywords.get(m)
            if exact:
                found.extend(exact)
            elif len(m) >= 4:
                for n in (len(m) - 1, len(m), len(m) + 1):
                    found.extend(
                        k for k in self.fuzzy_keywords.get((m[0], n), ()) if OSA.distance(m, k.stems[0]) <= 1
                    )
        if self.phrase_keywords and len(stems) > 1:
            joined = " " + " ".join(stems) + " "
            found.extend(k for k in self.phrase_keywords if (" " + " ".join(k.stems) + " ") in joined)
        hits: dict[str, float] = defaultdict(float)
        for k in found:
            hits[k.intent] = max(hits[k.intent], k.weight) + 0.15 * min(hits[k.intent], k.weight)
        return hits


class IntentClassifier:
    """Scores every intent for a message in a given language; data loaded once at construction."""

    def __init__(self, files: dict[str, str] | None = None) -> None:
        files = files or {"zh": "intents_zh.toml", "ru": "intents_ru.toml"}
        self._models = {lang: _LanguageModel(lang, load(name)) for lang, name in files.items()}

    def classify(self, text: str, lang: str, signals: Signals = Signals()) -> IntentResult:
        model = self._models.get(lang) or next(iter(self._models.values()))
        units = _units(text, model.lang)
        knn = model.knn(_grams(units))
        kw = model.keyword_hits(text, units)
        scores: dict[str, float] = {}
        for intent in INTENTS:
            sims = knn.get(intent, [])
            top = sims[0] if sims else 0.0
            top3 = sum(sims[:3]) / 3.0
            scores[intent] = 0.55 * top + 0.2 * top3 + 0.3 * min(1.2, kw.get(intent, 0.0))
        self._apply_signals(scores, signals, kw, units)
        best = max(scores, key=lambda i: scores[i])
        conf = max(0.0, min(1.0, scores[best]))
        if best != OUT_OF_SCOPE and conf < THRESHOLD:
            return IntentResult(OUT_OF_SCOPE, round(1.0 - conf, 3), scores)
        return IntentResult(best, round(conf, 3), scores)

    @staticmethod
    def _apply_signals(scores: dict[str, float], s: Signals, kw: dict[str, float], units: list[str]) -> None:
        # graded: a partial match (мёд алтайский when the shop sells other honey) still says "product"
        has_product = s.product_score >= 68 and s.product_coverage >= 0.3
        if s.order_resolved or s.order_like:
            boost = 0.25 if s.order_resolved else 0.12
            scores["order_status"] += boost
            scores["supplier_ship"] += boost * (1.0 if kw.get("supplier_ship") else 0.4)
            scores["order_list"] -= 0.1
            scores[OUT_OF_SCOPE] -= 0.2
            for i in _SMALL_TALK:
                scores[i] -= 0.15
        if has_product or s.category:
            quality = min(1.0, (s.product_score - 60.0) / 30.0) if has_product else 1.0
            strength = (0.18 + 0.12 * min(1.0, s.product_coverage)) * quality if has_product else 0.22
            scores["product_search"] += strength
            scores["product_price"] += strength * (1.0 if kw.get("product_price") else 0.5)
            scores[OUT_OF_SCOPE] -= 0.25 * quality
            for i in _SMALL_TALK:
                scores[i] -= 0.1
            # a bare product name ('Коровка', '炼乳') is a product search
            if (
                len(units) <= 2
                and not any(kw.values())
                and s.product_score >= 78
                and s.product_coverage >= 0.5
            ):
                scores["product_search"] = max(scores["product_search"], 0.6)
