"""A supplier (or staff) reports an order shipped; the customers of the order are told about each parcel."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import replies
from bot.engine.i18n import Translator, zh_or_ru
from bot.engine.messages import Outgoing, Reply
from bot.engine.orders import not_found, remember_order, visible_order
from bot.engine.turn import Shop, Turn
from bot.storage.access import SHIPPABLE, NewParcel, Role, ShipmentOutcome, ShipmentResult, report_shipment
from bot.storage.conversations import get_conversation, log_message
from bot.storage.keys import order_key
from bot.storage.models import ParcelDestination
from intents import IntentId, Understanding
from intents.tracking import carrier_of, find_tracking_numbers, to_warehouse, written_carrier


async def record_shipment(turn: Turn, u: Understanding) -> Reply:
    tr = turn.tr
    named = await visible_order(turn, u)
    order, asked = named.order, named.asked
    if order is None:
        if asked is None:
            text = tr._(
                "Which order did you ship? Send the order number and the tracking number, e.g. KF-250117-003 RA123456789RU."
            )
        else:
            text = not_found(turn, asked)
        return turn.reply([text], IntentId.SUPPLIER_SHIP)
    remember_order(turn, order)
    # the order's number is no parcel, whether typed in full or as the short form that named it
    scan = find_tracking_numbers(turn.text, exclude={order_key(order.order_no), named.key or ""} - {""})
    if scan.rejected and order.status in SHIPPABLE:
        # Nothing half-written: a mistyped number is sent again with the others.
        text = tr._(
            "This doesn't look like a tracking number: {numbers}. A tracking number is 9 to 30 Latin "
            "letters and digits. Nothing was recorded; please send it again.",
            numbers=", ".join(scan.rejected),
        )
        return turn.reply([text], IntentId.SUPPLIER_SHIP)
    destination = ParcelDestination.WAREHOUSE if to_warehouse(turn.text) else ParcelDestination.CUSTOMER
    # An order that cannot be shipped is refused below whatever the numbers (nothing is written then).
    # The carrier from the number's format, else as the supplier wrote it ("СДЭК", "中通").
    written = written_carrier(turn.text)
    parcels = [] if scan.rejected else [NewParcel(n, carrier_of(n) or written) for n in scan.numbers]
    result = await report_shipment(
        turn.session, turn.viewer, order.order_no, parcels, destination=destination
    )
    assert result is not None  # the order was just found visible to this viewer
    if result.outcome is not ShipmentOutcome.RECORDED:
        return turn.reply([_refused(tr, result, scan.numbers)], IntentId.SUPPLIER_SHIP)
    order_no = result.order.order_no
    if turn.viewer.role is Role.SUPPLIER:
        if destination is ParcelDestination.WAREHOUSE:
            thanks = tr._(
                "Thank you! Your items in order {order_no} are marked as sent to our warehouse.",
                order_no=order_no,
            )
        else:
            thanks = tr._(
                "Thank you! Your items in order {order_no} are marked as shipped.", order_no=order_no
            )
    else:
        thanks = tr._("Thank you! Order {order_no} is marked as shipped.", order_no=order_no)
    texts = [thanks]
    for parcel in result.new_parcels:
        if parcel.tracking_no:
            texts.append(replies.tracking_line(tr, parcel))
        else:
            texts.append(tr._("Please send the tracking number when you have it."))
    notifications = await notify_customers(turn.shop, turn.session, result)
    if notifications:
        texts.append(tr._("The customer has been notified."))
    reply = turn.reply(texts, IntentId.SUPPLIER_SHIP)
    reply.notifications = notifications
    return reply


def _refused(tr: Translator, result: ShipmentResult, numbers: tuple[str, ...]) -> str:
    order = result.order
    if result.outcome is ShipmentOutcome.NOT_PAID:
        return tr._(
            "Order {order_no} has not been paid yet, so it can't be shipped. Please wait until it is paid.",
            order_no=order.order_no,
        )
    if result.outcome is ShipmentOutcome.CANCELLED:
        return tr._("Order {order_no} has been cancelled; please don't ship it.", order_no=order.order_no)
    if result.outcome is ShipmentOutcome.REFUNDED:
        return tr._("Order {order_no} has been refunded; please don't ship it.", order_no=order.order_no)
    if result.outcome is ShipmentOutcome.ALREADY_RECORDED:
        if numbers:
            return tr.n_(
                "Tracking number {tracking} is already recorded for order {order_no}; nothing has changed.",
                "Tracking numbers {tracking} are already recorded for order {order_no}; nothing has changed.",
                len(numbers),
                tracking=", ".join(numbers),
                order_no=order.order_no,
            )
        return tr._(
            "Order {order_no} is already marked as shipped. Send the tracking number if you have it.",
            order_no=order.order_no,
        )
    return tr._(
        "Order {order_no} is {status}; it can't be marked as shipped.",
        order_no=order.order_no,
        status=replies.status_word(tr, order.status),
    )


async def notify_customers(shop: Shop, session: AsyncSession, result: ShipmentResult) -> list[Outgoing]:
    """One message per new parcel to each customer of the order, in the customer's language."""
    out: list[Outgoing] = []
    order = result.customer_order
    if order is None:
        return out
    new_ids = {p.id for p in result.new_parcels}
    parcels = [p for p in order.parcels if p.id in new_ids]
    for user_id in result.notify:
        conversation = await get_conversation(session, user_id, lock=False)
        if conversation.blocked_bot:
            continue  # Telegram refused earlier: it blocked the bot
        lang = zh_or_ru(conversation.lang)
        tr = shop.i18n[lang]
        all_lines = {line.id for line in order.lines}
        whole = result.order_shipped and len(parcels) == 1 and set(parcels[0].line_ids) >= all_lines
        # Warehouse-bound boxes read alike to the shopper: each distinct notice is sent once.
        texts = list(dict.fromkeys(replies.parcel_notice(tr, order, p, whole_order=whole) for p in parcels))
        if result.order_shipped and not whole and texts:
            texts[-1] += "\n" + replies.whole_order_shipped(tr)
        for text in texts:
            log_message(
                session,
                conversation,
                direction="out",
                author="bot",
                text=text,
                lang=lang,
                intent=IntentId.SUPPLIER_SHIP,
            )
            out.append(Outgoing(user_id, text, lang))
    return out
