"""Follow-ups about the order under discussion: "单号再发我一下", "什么时候能到", "а что в нём?".

The order is the one last shown, named or listed alone (bot.engine.orders remembers its number in the
conversation context); it is read again through bot.storage.access on every turn, so a follow-up
never shows what the user may not see now. Which fact is asked for is intents' job (order_aspect).
"""

from __future__ import annotations

from bot.engine import replies
from bot.engine.i18n import N_, Translator
from bot.engine.messages import Button, Reply
from bot.engine.orders import ORDER_IN_CONTEXT, order_list, order_status, remember_order
from bot.engine.turn import Turn
from bot.storage.access import OrderView, Role
from bot.storage.models import OrderStatus
from intents import IntentId, Understanding
from intents.intent_ids import PRODUCT_INTENTS
from intents.order_followups import OrderAspect, order_aspect

#: A product matched this well is what the message is about ("格瓦斯什么时候到货"), not the order.
_NAMED_PRODUCT = 85.0
#: Intents a follow-up cue never overrides.
_OWN_INTENTS = (IntentId.GREETING, IntentId.THANKS, IntentId.GOODBYE, IntentId.HUMAN_HANDOFF)
_ORDER_INTENTS = (IntentId.ORDER_STATUS, IntentId.ORDER_LIST, IntentId.SUPPLIER_SHIP)

#: What happens next to an order in each status.
NEXT_STEP: dict[str, str] = {
    OrderStatus.CREATED: N_("It will be packed and shipped once it is paid."),
    OrderStatus.PAID: N_(
        "It is paid and will be packed and shipped soon; you'll get the tracking number then."
    ),
    OrderStatus.PACKING: N_(
        "It is being packed and will be shipped soon; you'll get the tracking number then."
    ),
    OrderStatus.SHIPPED: N_("It is on its way to you."),
    OrderStatus.CUSTOMS: N_("It is in customs clearance; after that a courier brings it to you."),
    OrderStatus.DELIVERING: N_("A courier is bringing it to you."),
    OrderStatus.DELIVERED: N_("It has been delivered."),
    OrderStatus.CANCELLED: N_("It was cancelled and will not be shipped."),
    OrderStatus.REFUNDED: N_("It was refunded and will not be shipped."),
}


def _product_named(u: Understanding) -> bool:
    return u.intent in PRODUCT_INTENTS and bool(u.products) and u.products[0].score >= _NAMED_PRODUCT


async def order_follow_up(turn: Turn, u: Understanding) -> Reply | None:
    """The answer when the message is about an order without being understood so (None otherwise):
    a number of one of the user's orders said in passing, or a follow-up about the order in context."""
    if u.intent in _OWN_INTENTS:
        return None
    if u.order_candidates or u.order_short:
        if u.intent in _ORDER_INTENTS or _product_named(u):
            return None
        # "还有一个 251121-013 呢": a number of the user's own order is the subject
        named = await turn.orders().find_named([u.order_no or "", *u.order_candidates], u.order_short)
        return await order_status(turn, u, IntentId.ORDER_STATUS) if named is not None else None
    aspect = order_aspect(turn.text)
    if aspect is None or _product_named(u):
        return None
    number = turn.context.get(ORDER_IN_CONTEXT)
    order = await turn.orders().find(number) if isinstance(number, str) else None
    if order is None:
        if u.intent == IntentId.OUT_OF_SCOPE or u.intent in PRODUCT_INTENTS:
            # "单号呢" with no order in context: the user's orders (the one on its way, or a list)
            return await order_list(turn, IntentId.ORDER_STATUS, asking_status=True)
        return None
    if aspect is OrderAspect.OTHER:
        return await _other_order(turn, order)
    return turn.reply(_about(turn, order, aspect), IntentId.ORDER_STATUS)


def _about(turn: Turn, order: OrderView, aspect: OrderAspect) -> list[str]:
    tr = turn.tr
    head = tr._(
        "Order {order_no}: {status}", order_no=order.order_no, status=replies.status_word(tr, order.status)
    )
    if aspect is OrderAspect.CONTENTS:
        items = [tr._("Your items:") if turn.viewer.role is Role.SUPPLIER else tr._("Items:")]
        for line in order.lines:
            name = line.name_zh if tr.lang == "zh" else line.name_ru
            items.append(f"· {name} × {line.quantity} — {tr.price(line.total_cny)}")
        items.append(tr._("Total: {total}", total=tr.price(order.total_cny)))
        return ["\n".join([head, *items])]
    numbers = _tracking(turn, order)
    lines = [head]
    if aspect is OrderAspect.TRACKING:
        if numbers:
            return [*lines, *numbers]
        lines.append(tr._("There is no tracking number for this order yet."))
        return ["\n".join([*lines, _next_step(tr, order)])]
    return ["\n".join([*lines, _next_step(tr, order), *numbers])]


def _tracking(turn: Turn, order: OrderView) -> list[str]:
    customer = turn.viewer.role is Role.CUSTOMER
    parcels = [p for p in order.parcels if p.tracking_no and not (customer and p.to_warehouse)]
    return [replies.tracking_line(turn.tr, p) for p in parcels]


def _next_step(tr: Translator, order: OrderView) -> str:
    return tr._(NEXT_STEP[order.status]) if order.status in NEXT_STEP else ""


async def _other_order(turn: Turn, current: OrderView) -> Reply:
    tr = turn.tr
    others = [o for o in await turn.orders().recent(limit=10) if o.order_no != current.order_no]
    if not others:
        return turn.reply([tr._("You have no other orders.")], IntentId.ORDER_STATUS)
    if len(others) == 1:
        remember_order(turn, others[0])
        card = replies.order_card(tr, others[0], for_supplier=turn.viewer.role is Role.SUPPLIER)
        return turn.reply([card], IntentId.ORDER_STATUS)
    texts = [tr._("Your other orders:"), *(replies.order_summary(tr, o) for o in others)]
    texts.append(tr._("Tap an order to see its details."))
    return turn.reply(
        texts, IntentId.ORDER_STATUS, buttons=[Button(o.order_no, f"o:{o.order_no}") for o in others]
    )
