"""Customers and suppliers asking about orders: one order's state, or the list of their orders.

Which orders a user may see is decided in bot.storage.access alone; here only what to say.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.engine import replies
from bot.engine.messages import Button, Reply
from bot.engine.turn import Turn
from bot.storage.access import OrderView, Role
from bot.storage.keys import order_key
from intents import IntentId, Understanding

#: The conversation-context key of the order under discussion (its number as the shop writes it).
ORDER_IN_CONTEXT = "order_no"
_CODE_RUN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\s\-_/]*[0-9A-Za-z]")


def typed_form(text: str, key: str) -> str | None:
    """The order number as the user typed it (echoed back; never the stored form of someone's
    order), or None when the message does not hold it as typed (a number read from speech)."""
    folded = unicodedata.normalize("NFKC", text.replace("№", " "))
    for match in _CODE_RUN.finditer(folded):
        run = match.group()
        if order_key(run) == key:
            return run.strip()
        for part in run.split():
            if order_key(part) == key:
                return part
    return None


def not_found(turn: Turn, asked: str) -> str:
    # Exactly the same words whether the order does not exist or is someone else's.
    return turn.tr._("I couldn't find order {order_no} among your orders.", order_no=asked)


@dataclass(frozen=True, slots=True)
class Named:
    """The order a message names, as this user may see it, or what the user asked for."""

    order: OrderView | None
    #: The number as the user wrote it, for "not found" (None: the message names no order).
    asked: str | None
    #: The normalised key that named the order (a short form: the digits typed).
    key: str | None = None


async def visible_order(turn: Turn, u: Understanding) -> Named:
    """The first order named in the message that this user may see (typed in full, in another script,
    spoken, or without its prefix: bot.storage.access decides); else what was asked for."""
    keys = [u.order_no] if u.order_no else []
    keys += [c for c in u.order_candidates if c not in keys]
    found = await turn.orders().find_named(keys, u.order_short)
    if found is not None:
        return Named(found[0], found[1], found[1])
    if not keys and not u.order_short:
        return Named(None, None)
    for key in (*keys, *u.order_short):
        typed = typed_form(turn.text, key)
        if typed is not None:
            return Named(None, typed)
    return Named(None, keys[0] if keys else u.order_short[0])


def remember_order(turn: Turn, order: OrderView) -> None:
    """The order now under discussion: follow-ups ("单号呢", "а когда приедет?") are about it."""
    turn.remember(**{ORDER_IN_CONTEXT: order.order_no})


def forget_order(turn: Turn) -> None:
    """The user asked about a number we could not find: a follow-up is not about an earlier order."""
    if turn.context.get(ORDER_IN_CONTEXT) is not None:
        turn.remember(**{ORDER_IN_CONTEXT: None})


async def order_status(turn: Turn, u: Understanding, intent: str) -> Reply:
    tr = turn.tr
    named = await visible_order(turn, u)
    order, asked = named.order, named.asked
    if order is not None:
        remember_order(turn, order)
        card = replies.order_card(tr, order, for_supplier=turn.viewer.role is Role.SUPPLIER)
        return turn.reply([card], intent)
    if asked is not None:
        forget_order(turn)
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
    remember_order(turn, order)
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
        active = [o for o in orders if o.status in replies.ACTIVE_STATUSES]
        if len(orders) == 1 or len(active) == 1:
            # the one order (or the one still on its way) is what "单号呢" asks about next
            remember_order(turn, orders[0] if len(orders) == 1 else active[0])
        if asking_status and len(orders) == 1:
            return turn.reply([replies.order_card(tr, orders[0])], intent)
        if asking_status and len(active) == 1:
            return turn.reply([replies.order_card(tr, active[0])], intent)
        texts = [tr.n_("You have {n} order:", "Your {n} most recent orders:", len(orders))]
    texts += [replies.order_summary(tr, o) for o in orders]
    texts.append(tr._("Tap an order to see its details."))
    buttons = [Button(o.order_no, f"o:{o.order_no}") for o in orders]
    return turn.reply(texts, intent, buttons=buttons)
