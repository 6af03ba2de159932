"""Customers and suppliers asking about orders: one order's state, or the list of their orders.

Which orders a user may see is decided in bot.storage.access alone; here only what to say.
"""

from __future__ import annotations

import re
import unicodedata

from bot.engine import replies
from bot.engine.messages import Button, Reply
from bot.engine.turn import Turn
from bot.storage.access import OrderView, Role
from bot.storage.keys import order_key
from intents import IntentId, Understanding

_CODE_RUN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\s\-_/]*[0-9A-Za-z]")


def typed_form(text: str, key: str) -> str:
    """The order number as the user typed it (echoed back; never the stored form of someone's order)."""
    folded = unicodedata.normalize("NFKC", text)
    for match in _CODE_RUN.finditer(folded):
        run = match.group()
        if order_key(run) == key:
            return run.strip()
        for part in run.split():
            if order_key(part) == key:
                return part
    return key


def not_found(turn: Turn, asked: str) -> str:
    # Exactly the same words whether the order does not exist or is someone else's.
    return turn.tr._("I couldn't find order {order_no} among your orders.", order_no=asked)


async def visible_order(turn: Turn, u: Understanding) -> tuple[OrderView | None, str | None]:
    """The first order named in the message that this user may see; else what was asked for."""
    candidates = [u.order_no] if u.order_no else []
    candidates += [c for c in u.order_candidates if c not in candidates]
    access = turn.orders()
    for candidate in candidates:
        order = await access.find(candidate)
        if order is not None:
            return order, candidate
    return None, (typed_form(turn.text, candidates[0]) if candidates else None)


async def order_status(turn: Turn, u: Understanding, intent: str) -> Reply:
    tr = turn.tr
    order, asked = await visible_order(turn, u)
    if order is not None:
        turn.remember(last_order=order.order_no)
        card = replies.order_card(tr, order, for_supplier=turn.viewer.role is Role.SUPPLIER)
        return turn.reply([card], intent)
    if asked is not None:
        texts = [not_found(turn, asked)]
        if turn.viewer.role is Role.CUSTOMER:
            texts.append(
                tr._(
                    "Please check the number. If you ordered with another phone number, "
                    "share your phone with the button below and I'll look again."
                )
            )
        return turn.reply(texts, intent, request_contact=turn.viewer.role is Role.CUSTOMER)
    return await order_list(turn, intent, asking_status=True)


async def order_by_number(turn: Turn, order_no: str) -> Reply:
    """An order's card for the order button the user pressed (its number as the shop wrote it)."""
    order = await turn.orders().find(order_no)
    if order is None:
        return turn.reply([not_found(turn, order_no)], IntentId.ORDER_STATUS)
    card = replies.order_card(turn.tr, order, for_supplier=turn.viewer.role is Role.SUPPLIER)
    return turn.reply([card], IntentId.ORDER_STATUS)


async def order_list(turn: Turn, intent: str, *, asking_status: bool = False) -> Reply:
    tr = turn.tr
    access = turn.orders()
    supplier = turn.viewer.role is Role.SUPPLIER
    # A supplier's list is its to-do: paid orders with its own lines still in no parcel.
    orders = await access.to_ship(limit=10) if supplier else await access.recent(limit=10)
    if supplier:
        if not orders:
            return turn.reply([tr._("You have no orders waiting to be shipped.")], intent)
        texts = [
            tr.n_(
                "{n} order is waiting for you to ship:",
                "{n} orders are waiting for you to ship:",
                len(orders),
            )
        ]
    else:
        if not orders:
            texts = [
                tr._(
                    "I can't find any orders linked to your account. Send me the order number, "
                    "or share your phone number with the button below so I can find orders placed with it."
                )
            ]
            return turn.reply(texts, intent, request_contact=True)
        if asking_status and len(orders) == 1:
            return turn.reply([replies.order_card(tr, orders[0])], intent)
        active = [o for o in orders if o.status in replies.ACTIVE_STATUSES]
        if asking_status and len(active) == 1:
            return turn.reply([replies.order_card(tr, active[0])], intent)
        texts = [tr.n_("You have {n} order:", "Your {n} most recent orders:", len(orders))]
    texts += [replies.order_summary(tr, o) for o in orders]
    texts.append(tr._("Tap an order to see its details."))
    buttons = [Button(o.order_no, f"o:{o.order_no}") for o in orders]
    return turn.reply(texts, intent, buttons=buttons)
