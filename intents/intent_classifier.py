"""Intent matching from data: TF-IDF character n-gram nearest examples, keywords and message facts.

The examples and keywords live in intents/data/intents_<lang>.toml. `IntentClassifier` is the one
front; each job behind it has its own module:
  intent_ids       the fixed intent ids
  intent_units     a message as the matcher reads it (units, question or not)
  intent_examples  nearest example phrases, through an inverted index of n-grams
  intent_keywords  keywords on folded text, pinyin, sound and Russian stems
  intent_signals   facts found by the other matchers (an order number, a product) shift the balance
Below a confidence threshold the answer is out_of_scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from intents.intent_examples import Examples
from intents.intent_ids import INTENTS, SMALL_TALK, IntentId
from intents.intent_keywords import Keywords
from intents.intent_signals import THRESHOLD, Signals, apply_signals, small_talk_yields
from intents.intent_units import is_question, plain_zh, units, zh_question_form
from intents.normalize import MAX_CLAUSES, clauses
from intents.resources import load

__all__ = [
    "INTENTS",
    "THRESHOLD",
    "IntentClassifier",
    "IntentId",
    "IntentResult",
    "Signals",
    "is_question",
    "plain_zh",
    "zh_question_form",
]


@dataclass(frozen=True, slots=True)
class IntentResult:
    intent: IntentId
    confidence: float
    scores: dict[IntentId, float] = field(default_factory=dict)


def _intent_data(lang: str, data: Mapping[str, Any]) -> dict[IntentId, Mapping[str, Sequence[str]]]:
    """The sections of intents_<lang>.toml by intent id; an unknown intent is an error in the file."""
    for intent in data:
        if intent not in INTENTS:
            raise ValueError(f"unknown intent {intent!r} in intents_{lang}.toml")
    return {IntentId(intent): spec for intent, spec in data.items()}


_NO_SIGNALS = Signals()  # a message about which the other matchers found nothing


def _plain_data(data: Mapping[IntentId, Mapping[str, Sequence[str]]]) -> dict[IntentId, dict[str, list[str]]]:
    """Chinese examples and keywords read the way messages are (plain_zh), so that a regional word in
    either meets its plain form in the other."""
    return {
        intent: {
            k: [plain_zh(x) for x in v] if k in ("examples", "keywords") else list(v) for k, v in spec.items()
        }
        for intent, spec in data.items()
    }


class _LanguageModel:
    def __init__(self, lang: str, data: Mapping[str, Any]) -> None:
        self.lang = lang
        by_intent: Mapping[IntentId, Mapping[str, Sequence[str]]] = _intent_data(lang, data)
        if lang == "zh":
            by_intent = _plain_data(by_intent)
        self.examples = Examples(lang, by_intent)
        self.keywords = Keywords(by_intent)


class IntentClassifier:
    """Scores every intent for a message in a given language; data loaded once at construction."""

    def __init__(self, files: dict[str, str] | None = None) -> None:
        files = files or {"zh": "intents_zh.toml", "ru": "intents_ru.toml"}
        self._models = {lang: _LanguageModel(lang, load(name)) for lang, name in files.items()}

    def classify(self, text: str, lang: str, signals: Signals = _NO_SIGNALS) -> IntentResult:
        model = self._models.get(lang) or next(iter(self._models.values()))
        if model.lang == "zh":
            text = plain_zh(text)
        whole = units(text, model.lang)
        knn = model.examples.similar(whole)
        parts = clauses(text)
        if len(parts) > 1:
            # a long message says what it wants in one clause: each intent keeps its best
            # similarity, whole message or clause ('…，帮我全部列出来看看')
            # (not small talk: '你好，…' or '…，谢谢' is politeness around the request)
            for part in parts[:MAX_CLAUSES]:
                for intent, sims in model.examples.similar(units(part, model.lang)).items():
                    if intent not in SMALL_TALK and sims[0] > (knn.get(intent) or [0.0])[0]:
                        knn[intent] = sims
        kw = model.keywords.hits(text, whole)
        scores: dict[IntentId, float] = {}
        for intent in INTENTS:
            sims = knn.get(intent, [])
            top = sims[0] if sims else 0.0
            top3 = sum(sims[:3]) / 3.0
            scores[intent] = 0.55 * top + 0.2 * top3 + 0.3 * min(1.2, kw.get(intent, 0.0))
        question = is_question(text, model.lang)
        apply_signals(scores, signals, kw, whole, question)
        small_talk_yields(scores, signals, kw, question, len(parts) > 1)
        best = max(scores, key=lambda i: scores[i])
        conf = max(0.0, min(1.0, scores[best]))
        if best != IntentId.OUT_OF_SCOPE and conf < THRESHOLD:
            return IntentResult(IntentId.OUT_OF_SCOPE, round(1.0 - conf, 3), scores)
        return IntentResult(best, round(conf, 3), scores)
