"""Facts found by the other matchers, and how they shift the intent scores.

A resolved order number, a named product or category, a question mark, two codes beside a shipping
word: each moves the balance between intents that the examples and keywords alone cannot tell apart
('KF-… 已发货' from a supplier is a shipment report, '…发货了吗' from a customer is an order question).
"""

from __future__ import annotations

from dataclasses import dataclass

from intents.intent_ids import INTENTS, SMALL_TALK, IntentId

THRESHOLD = 0.34  # below this the matcher admits it does not know

# topics a named product does not turn into a product question ('伏特加能过海关吗', 'сгущёнка протекла')
_OTHER_TOPICS = tuple(
    i
    for i in INTENTS
    if i not in (*SMALL_TALK, IntentId.PRODUCT_SEARCH, IntentId.PRODUCT_PRICE, IntentId.OUT_OF_SCOPE)
)
# services whose price is asked like a product's ('сколько стоит доставка', '关税多少钱')
_PRICED_SERVICES = (IntentId.SHIPPING_INFO, IntentId.CUSTOMS_INFO)
# general questions that a named order turns into a question about that order
_ORDER_DAMPED = (IntentId.SHIPPING_INFO, IntentId.CUSTOMS_INFO)


@dataclass(frozen=True, slots=True)
class Signals:
    """Facts about the message found by the other matchers."""

    order_resolved: bool = False  # names an order of this shop
    order_like: bool = False  # contains something shaped like an order or tracking number
    product_score: float = 0.0  # best product match, 0..100
    product_coverage: float = 0.0  # share of the message's product words explained by it
    category: bool = False  # names a whole category
    codes: int = 0  # order/tracking-number-shaped spans in the message (an order plus a tracking number: 2)


def apply_signals(
    scores: dict[IntentId, float], s: Signals, kw: dict[IntentId, float], units: list[str], question: bool
) -> None:
    """Shift the scores (in place) by what the other matchers found and by whether it is a question."""
    # graded: a partial match (мёд алтайский when the shop sells other honey) still says "product"
    has_product = s.product_score >= 68 and s.product_coverage >= 0.3
    ship_kw = kw.get(IntentId.SUPPLIER_SHIP, 0.0)
    if question:
        # 'уже отправили?', 'KF-… 的快递单号是多少': a customer asking, not a supplier reporting
        scores[IntentId.SUPPLIER_SHIP] -= 0.4
        if ship_kw:
            scores[IntentId.ORDER_STATUS] += 0.2
    if s.order_resolved or s.order_like:
        boost = 0.25 if s.order_resolved else 0.12
        scores[IntentId.ORDER_STATUS] += boost
        # a question about a shipment ('…打包好了没') is the customer's, not a supplier's report
        scores[IntentId.SUPPLIER_SHIP] += boost * (1.0 if ship_kw and not question else 0.4)
        if ship_kw and s.codes >= 2 and not question:
            # an order number and a tracking number next to a shipping word: a shipment report
            scores[IntentId.SUPPLIER_SHIP] += 0.2
        # one named order: a question about that order, not about all of them or general rules
        scores[IntentId.ORDER_LIST] -= 0.3
        for i in _ORDER_DAMPED:
            scores[i] -= 0.15
        scores[IntentId.OUT_OF_SCOPE] -= 0.2
        for i in SMALL_TALK:
            scores[i] -= 0.15
    if kw.get(IntentId.PRODUCT_PRICE) and not (has_product or s.category):
        # the price of a service ('стоимость пересылки', '清关费用多少') is a question about it
        for service in _PRICED_SERVICES:
            if kw.get(service):
                scores[service] = max(scores[service], scores[IntentId.PRODUCT_PRICE] + 0.02)
    if has_product or s.category:
        quality = min(1.0, (s.product_score - 60.0) / 30.0) if has_product else 1.0
        strength = (0.18 + 0.12 * min(1.0, s.product_coverage)) * quality if has_product else 0.22
        price_kw, search_kw = kw.get(IntentId.PRODUCT_PRICE, 0.0), kw.get(IntentId.PRODUCT_SEARCH, 0.0)
        if not (price_kw or search_kw) and any(kw.get(i) for i in _OTHER_TOPICS):
            # the product is the context of another question (customs, a return, a shipment)
            strength *= 0.4
        scores[IntentId.PRODUCT_SEARCH] += strength
        scores[IntentId.PRODUCT_PRICE] += strength * (1.0 if price_kw else 0.5)
        if price_kw and not search_kw:
            # 'Тушёнка почём?': a price word makes a question about a product a price question
            scores[IntentId.PRODUCT_PRICE] = max(
                scores[IntentId.PRODUCT_PRICE], scores[IntentId.PRODUCT_SEARCH] + 0.02
            )
        scores[IntentId.OUT_OF_SCOPE] -= 0.25 * quality
        for i in SMALL_TALK:
            scores[i] -= 0.1
        # a bare product name ('Коровка', '炼乳') is a product search
        if len(units) <= 2 and not any(kw.values()) and s.product_score >= 78 and s.product_coverage >= 0.5:
            scores[IntentId.PRODUCT_SEARCH] = max(scores[IntentId.PRODUCT_SEARCH], 0.6)


def small_talk_yields(
    scores: dict[IntentId, float], s: Signals, kw: dict[IntentId, float], question: bool, clauses: bool
) -> None:
    """A greeting (or thanks) around a real request is answered as the request: 'Здравствуйте, а
    квас есть?' asks for kvass. Small talk keeps a message with nothing else in it."""
    # a product-like word alone is not enough: 'спасибо большое' is not a question about 'Алёнка большая'
    named = (s.product_score >= 80 and s.product_coverage >= 0.5) or s.category
    asked = max(
        (kw.get(i, 0.0) for i in (*_OTHER_TOPICS, IntentId.PRODUCT_PRICE, IntentId.PRODUCT_SEARCH)),
        default=0.0,
    )
    # '请帮我转接人工服务，谢谢': a clear request in its own clause beside the thanks
    said = clauses and asked >= 0.8
    if not (s.order_like or (named and (question or asked)) or (question and asked) or said):
        return
    other = max(scores[i] for i in INTENTS if i not in SMALL_TALK and i != IntentId.OUT_OF_SCOPE)
    if other >= THRESHOLD:
        for i in SMALL_TALK:
            scores[i] = min(scores[i], other - 0.01)
