"""The fixed intent ids: the one source of truth for their spelling.

Shops, scripts and `kefu classify --json` depend on these exact strings, so they never change; a
`StrEnum` member is the string itself (it compares, hashes, formats and serialises as its value).
"""

from __future__ import annotations

from enum import StrEnum


class IntentId(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    PRODUCT_SEARCH = "product_search"  # asks for a product or its availability
    PRODUCT_PRICE = "product_price"  # asks what a product costs
    ORDER_STATUS = "order_status"  # where or in what state an order is
    ORDER_LIST = "order_list"  # all my orders (a supplier's: the orders it has to fulfil)
    SHIPPING_INFO = "shipping_info"
    PAYMENT_INFO = "payment_info"
    RETURN_POLICY = "return_policy"
    CUSTOMS_INFO = "customs_info"
    HUMAN_HANDOFF = "human_handoff"
    SUPPLIER_SHIP = "supplier_ship"  # a supplier reports an order shipped
    OUT_OF_SCOPE = "out_of_scope"  # anything the shop cannot help with


#: Every intent, in the order the classifier scores them (the first best score wins a tie).
INTENTS: tuple[IntentId, ...] = tuple(IntentId)
#: The intents answered with products.
PRODUCT_INTENTS = frozenset({IntentId.PRODUCT_SEARCH, IntentId.PRODUCT_PRICE})
#: Politeness that yields to a real request in the same message.
SMALL_TALK = (IntentId.GREETING, IntentId.THANKS, IntentId.GOODBYE)
