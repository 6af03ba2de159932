"""kefu's language and matching engine: pure functions over text, no I/O beyond its own data files.

Public API: product records and index, order numbers, language detection, and the Understander
that turns one chat message into an intent, products and an order number.
"""

from intents.intent_classifier import IntentClassifier
from intents.intent_ids import INTENTS, IntentId
from intents.language import detect_language
from intents.orders import normalize_order_no, order_no_candidates
from intents.product_index import ProductIndex, ProductMatch, ProductRecord
from intents.understand import Understander, Understanding, warm_up

__all__ = [
    "INTENTS",
    "IntentClassifier",
    "IntentId",
    "ProductIndex",
    "ProductMatch",
    "ProductRecord",
    "Understander",
    "Understanding",
    "detect_language",
    "normalize_order_no",
    "order_no_candidates",
    "warm_up",
]
