"""The conversation engine: one incoming message in, what to send out. Channel-agnostic.

The Telegram front-ends and `kefu say` / `kefu demo` are thin shells around `Engine.handle`, so they
behave identically. Order access goes through bot.storage.access on every path.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine import replies
from bot.engine.catalog import (
    CatalogIndex,
    ProductFacts,
    in_stock_alternatives,
    product_by_id,
    product_facts,
)
from bot.engine.faq import FaqBook
from bot.engine.i18n import N_, I18n, Lang, Translator
from bot.engine.language import choose_language, explicit_switch, from_language_code
from bot.engine.messages import Button, Incoming, Outgoing, Reply
from bot.engine.text import MAX_UNDERSTOOD, clean, has_words
from bot.storage.access import (
    SHIPPABLE,
    NewParcel,
    OrderAccess,
    OrderView,
    Role,
    ShipmentOutcome,
    ShipmentResult,
    Viewer,
    report_shipment,
    resolve_viewer,
)
from bot.storage.conversations import (
    close_handoff,
    find_conversation,
    get_conversation,
    log_message,
    open_handoff,
    recent_messages,
    verify_phone,
)
from bot.storage.keys import contact_phone, order_key
from bot.storage.models import Conversation, ParcelDestination
from bot.storage.outbox import mark_update
from intents import Understanding, detect_language
from intents.normalize import fold
from intents.sizes import size_variants, sizes
from intents.tracking import carrier_of, find_tracking_numbers, to_warehouse, written_carrier

log = logging.getLogger(__name__)

ROLE_NAMES = {"customer": N_("customer"), "supplier": N_("supplier"), "staff": N_("staff")}
FAQ_INTENTS = ("shipping_info", "payment_info", "return_policy", "customs_info")
#: Misses in a row (not understood) after which people take over.
MAX_MISSES = 2
#: A best product match this far ahead of the next one is "clear-cut": shown alone, no choice buttons.
CLEAR_MARGIN = 8.0
CLEAR_SCORE = 75.0
#: Called inside a turn's transaction with its reply: a front-end writes what it must send there
#: (an outbox), so the turn and its sends are committed together.
TurnEffects = Callable[[AsyncSession, Reply], Awaitable[None]]


@dataclass(slots=True)
class Turn:
    """Everything one turn needs, so the handlers below stay short."""

    session: AsyncSession
    conversation: Conversation
    viewer: Viewer
    incoming: Incoming
    text: str
    lang: Lang
    tr: Translator

    @property
    def context(self) -> dict[str, Any]:
        return self.conversation.context

    def remember(self, **values: Any) -> None:
        # Reassign, so SQLAlchemy sees the JSON column change.
        self.conversation.context = {**self.conversation.context, **values}

    def orders(self) -> OrderAccess:
        return OrderAccess(self.session, self.viewer)


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: CatalogIndex,
        i18n: I18n,
        faq: FaqBook,
        staff_ids: frozenset[int] = frozenset(),
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.i18n = i18n
        self.faq = faq
        self.staff_ids = staff_ids

    # -- entry points -------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> Reply:
        reply = await self.handle_once(incoming)
        return reply if reply is not None else Reply([], "repeated", "zh", handoff=False)

    async def handle_once(self, incoming: Incoming, effects: TurnEffects | None = None) -> Reply | None:
        """One turn, in one transaction with the mark of its update id and `effects`; None when that
        update id was handled before (nothing changes then)."""
        understander = await self.catalog.get()
        async with self.sessions.begin() as session:
            if incoming.update_id is not None and not await mark_update(session, incoming.update_id):
                return None
            conversation = await get_conversation(session, incoming.user_id)
            conversation.blocked_bot = False  # writing to us again means it unblocked the bot
            viewer = await resolve_viewer(session, incoming.user_id, self.staff_ids)
            text = clean(incoming.text)
            lang = self._language(conversation, text, incoming.lang_code)
            turn = Turn(session, conversation, viewer, incoming, text, lang, self.i18n[lang])
            understanding = (
                understander.understand(text[:MAX_UNDERSTOOD], default_lang=lang) if has_words(text) else None
            )
            reply = await self._respond(turn, understanding)
            conversation.lang = reply.lang
            self._log(turn, understanding, reply)
            if effects is not None:
                await effects(session, reply)
        log.info(
            "turn",
            extra={
                "user": incoming.user_id,
                "role": viewer.role.value,
                "intent": reply.intent,
                "lang": reply.lang,
                "handoff": reply.handoff,
            },
        )
        return reply

    async def close_handoff(
        self,
        user_id: int,
        staff_id: int | None,
        *,
        update_id: int | None = None,
        effects: TurnEffects | None = None,
    ) -> Reply | None:
        """Staff give the chat back to the bot; the customer is told in its language. None when the
        chat was not handed over, or `update_id` was handled before."""
        async with self.sessions.begin() as session:
            if update_id is not None and not await mark_update(session, update_id):
                return None
            conversation = await find_conversation(session, user_id)
            if conversation is None or not await close_handoff(session, conversation, staff_id):
                return None
            lang: Lang = "ru" if conversation.lang == "ru" else "zh"
            text = self.i18n[lang]._("Our colleague has finished; I'm back to help you. Ask me anything.")
            log_message(session, conversation, direction="out", author="bot", text=text, lang=lang)
            reply = Reply([text], "human_handoff", lang, handoff=False)
            if effects is not None:
                await effects(session, reply)
            return reply

    async def staff_card(self, user_id: int, display_name: str, staff_lang: Lang) -> str:
        """The context staff see first in a new topic: who, role, language, recent turns, orders."""
        tr = self.i18n[staff_lang]
        async with self.sessions.begin() as session:
            conversation = await get_conversation(session, user_id, lock=False)
            viewer = await resolve_viewer(session, user_id, self.staff_ids)
            messages = await recent_messages(session, conversation.id, limit=8)
            orders = await OrderAccess(session, viewer).recent(limit=5)
        lang_name = {"zh": "中文", "ru": "русский"}.get(conversation.lang or "", "?")
        lines = [
            tr._("Customer: {name} (id {user_id})", name=display_name, user_id=user_id),
            tr._("Role: {role} · language: {lang}", role=tr._(ROLE_NAMES[viewer.role.value]), lang=lang_name),
        ]
        if viewer.verified_phone:
            lines.append(tr._("Verified phone: {phone}", phone=viewer.verified_phone))
        if messages:
            lines.append(tr._("Last messages:"))
        for message in messages:
            arrow = "→" if message.direction == "in" else "←"
            text = message.text if len(message.text) <= 200 else message.text[:200] + "…"
            line = f"{arrow} {text}"
            if message.direction == "in" and message.intent:
                line += f"  [{message.intent}"
                if message.confidence is not None:
                    line += f" {message.confidence:.2f}"
                products = (message.details or {}).get("products") or []
                if products:
                    line += "; " + ", ".join(f"{sku} {score}" for sku, score in products[:3])
                line += "]"
            lines.append(line)
        if orders:
            lines.append(tr._("Orders:"))
            lines += [f"· {o.order_no} — {replies.status_word(tr, o.status)}" for o in orders]
        else:
            lines.append(tr._("No linked orders."))
        return "\n".join(lines)

    async def record_staff_message(self, user_id: int, text: str, *, note: bool = False) -> None:
        """An operator's answer relayed to the customer (or a /note kept for colleagues)."""
        async with self.sessions.begin() as session:
            conversation = await get_conversation(session, user_id, lock=False)
            log_message(
                session,
                conversation,
                direction="in" if note else "out",
                author="staff",
                text=clean(text),
                lang=conversation.lang,
                intent="note" if note else "staff_reply",
            )

    async def canned_answer(self, user_id: int, topic: str) -> tuple[str, Lang] | None:
        """`/reply shipping`: the shop's answer in the customer's language."""
        aliases = {"shipping": "shipping_info", "payment": "payment_info", "returns": "return_policy",
                   "return": "return_policy", "customs": "customs_info"}  # fmt: skip
        topic = aliases.get(topic, topic)
        async with self.sessions.begin() as session:
            conversation = await get_conversation(session, user_id, lock=False)
            viewer = await resolve_viewer(session, user_id, self.staff_ids)
        lang: Lang = "ru" if conversation.lang == "ru" else "zh"
        answer = self.faq.answer(topic, lang, viewer.role.value)
        return (answer, lang) if answer else None

    async def set_language(self, user_id: int, lang: Lang) -> None:
        async with self.sessions.begin() as session:
            conversation = await get_conversation(session, user_id)
            conversation.lang = lang

    # -- the turn -----------------------------------------------------------------------------

    def _language(self, conversation: Conversation, text: str, lang_code: str | None) -> Lang:
        switch = explicit_switch(text) if text else None
        if switch:
            return switch
        command = text.split()
        if (
            len(command) == 2
            and command[0].lower().startswith("/lang")
            and command[1].lower()[:2] in ("zh", "ru")
        ):
            return command[1].lower()[:2]  # type: ignore[return-value]
        # A command's argument (a deep-link token, an order number) says nothing about the language.
        words = "" if text.startswith("/") else text
        detected = detect_language(words) if has_words(words) else None
        remembered = conversation.lang or from_language_code(lang_code)
        if conversation.lang is None and detected is None:
            return from_language_code(lang_code) or "zh"
        return choose_language(detected, text, remembered, lang_code)

    async def _respond(self, turn: Turn, understanding: Understanding | None) -> Reply:
        incoming, tr = turn.incoming, turn.tr
        if incoming.contact_phone is not None:
            reply = await self._contact(turn)
            reply.to_staff = reply.handoff  # during a handoff the people holding the chat see the card
            return reply
        if turn.conversation.handoff_active:
            # /start is the Telegram client's doing (the Start button, a t.me link), not words for staff,
            # and its payload may be a one-time supplier invite that must not be posted in the staff group.
            # Other commands are relayed: they are addressed to whoever holds the chat.
            if _command_name(turn.text) == "/start":
                return await self._start_in_handoff(turn)
            # People hold the chat: the bot keeps quiet (the staff layer relays the message).
            intent = understanding.intent if understanding else "human_handoff"
            return Reply([], intent, turn.lang, handoff=True, to_staff=True)
        if incoming.callback:
            return await self._callback(turn, incoming.callback)
        if turn.text.startswith("/"):
            command = await self._command(turn)
            if command is not None:
                return command
        if explicit_switch(turn.text):
            return self._reply(turn, [tr._("Language switched.")], "greeting")
        if understanding is None:
            return self._reply(
                turn,
                [tr._("I read only text for now. Please write your question in a few words.")],
                "out_of_scope",
            )
        return await self._by_intent(turn, understanding)

    async def _by_intent(self, turn: Turn, u: Understanding) -> Reply:
        intent = u.intent
        if intent != "out_of_scope":
            turn.remember(misses=0)
        if intent == "greeting":
            return self._greeting(turn)
        if intent == "thanks":
            return self._reply(turn, [turn.tr._("You're welcome! Anything else I can help with?")], intent)
        if intent == "goodbye":
            return self._reply(turn, [turn.tr._("Goodbye, and thank you for shopping with us!")], intent)
        if intent in ("product_search", "product_price"):
            return await self._products(turn, u)
        if intent == "supplier_ship" and turn.viewer.role is not Role.CUSTOMER:
            return await self._shipment(turn, u)
        if intent in ("order_status", "supplier_ship"):
            return await self._order_status(turn, u, intent)
        if intent == "order_list":
            return await self._order_list(turn, intent)
        if intent in FAQ_INTENTS:
            answer = self.faq.answer(intent, turn.lang, turn.viewer.role.value)
            if answer:
                return self._reply(turn, [answer], intent)
        if intent == "human_handoff":
            return await self._handoff(turn, "asked", intent)
        return await self._miss(turn, intent)

    # -- intents ------------------------------------------------------------------------------

    def _greeting(self, turn: Turn) -> Reply:
        tr = turn.tr
        if turn.viewer.role is Role.SUPPLIER:
            text = tr._(
                "Hello! I can show the orders you need to fulfil and record shipments: "
                "send the order number and the tracking number when you ship."
            )
            return self._reply(turn, [text], "greeting", buttons=[Button(tr._("My orders"), "orders")])
        text = tr._(
            "Hello! I'm the shop's assistant. Ask me about products, prices and stock, "
            "your order, delivery, payment, returns or customs."
        )
        return self._reply(turn, [text], "greeting", buttons=self._suggestions(tr))

    async def _products(self, turn: Turn, u: Understanding) -> Reply:
        tr = turn.tr
        skus = [m.sku for m in u.products]
        if not skus and turn.context.get("last_skus"):
            skus = list(turn.context["last_skus"])[:1]  # "那个多少钱": the product just discussed
        if not skus:
            return await self._miss(turn, u.intent, product_question=True)
        facts = await product_facts(turn.session, skus)
        if not facts:
            return await self._miss(turn, u.intent, product_question=True)
        scores = {m.sku: m.score for m in u.products}
        top = facts[0]
        clear_cut = (
            u.category is None
            and not u.brand  # a brand asked for: show its products to choose from
            and (
                len(facts) == 1
                or (
                    scores.get(top.sku, 100.0) - scores.get(facts[1].sku, 0.0) >= CLEAR_MARGIN
                    # the same product in another pack, and no size asked: let the shopper choose
                    and not (size_variants(top.name_ru, facts[1].name_ru) and not sizes(fold(u.text)))
                )
            )
            and scores.get(top.sku, 100.0) >= CLEAR_SCORE
        ) or not u.products
        if clear_cut:
            turn.remember(last_skus=[top.sku])
            return await self._product_answer(turn, top, u.intent)
        turn.remember(last_skus=[p.sku for p in facts])
        if u.category is None:
            texts = [tr._("Here is what I found:")]
        else:
            texts = [tr._("Here is what we have in this category:")]
        texts += [replies.product_line(tr, p) for p in facts]
        texts.append(tr._("Tap a product for details."))
        buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in facts]
        return self._reply(turn, texts, u.intent, buttons=buttons)

    async def _product_answer(self, turn: Turn, product: ProductFacts, intent: str) -> Reply:
        tr = turn.tr
        texts = [replies.product_card(tr, product)]
        buttons: list[Button] = []
        if product.stock <= 0:
            alternatives = await in_stock_alternatives(turn.session, product)
            if alternatives:
                texts.append(tr._("It's out of stock right now. These are in stock:"))
                texts += [replies.product_line(tr, p) for p in alternatives]
                buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in alternatives]
            else:
                texts.append(tr._("It's out of stock right now; we restock every week."))
        return self._reply(turn, texts, intent, buttons=buttons)

    async def _visible_order(self, turn: Turn, u: Understanding) -> tuple[OrderView | None, str | None]:
        """The first order named in the message that this user may see; else what was asked for."""
        candidates = [u.order_no] if u.order_no else []
        candidates += [c for c in u.order_candidates if c not in candidates]
        access = turn.orders()
        for candidate in candidates:
            order = await access.find(candidate)
            if order is not None:
                return order, candidate
        return None, (typed_form(turn.text, candidates[0]) if candidates else None)

    async def _order_status(self, turn: Turn, u: Understanding, intent: str) -> Reply:
        tr = turn.tr
        order, asked = await self._visible_order(turn, u)
        if order is not None:
            turn.remember(last_order=order.order_no)
            card = replies.order_card(tr, order, for_supplier=turn.viewer.role is Role.SUPPLIER)
            return self._reply(turn, [card], intent)
        if asked is not None:
            # Exactly the same words whether the order does not exist or is someone else's.
            texts = [tr._("I couldn't find order {order_no} among your orders.", order_no=asked)]
            if turn.viewer.role is Role.CUSTOMER:
                texts.append(
                    tr._(
                        "Please check the number. If you ordered with another phone number, "
                        "share your phone with the button below and I'll look again."
                    )
                )
            return self._reply(turn, texts, intent, request_contact=turn.viewer.role is Role.CUSTOMER)
        return await self._order_list(turn, intent, asking_status=True)

    async def _order_list(self, turn: Turn, intent: str, *, asking_status: bool = False) -> Reply:
        tr = turn.tr
        access = turn.orders()
        supplier = turn.viewer.role is Role.SUPPLIER
        # A supplier's list is its to-do: paid orders with its own lines still in no parcel.
        orders = await access.to_ship(limit=10) if supplier else await access.recent(limit=10)
        if supplier:
            if not orders:
                return self._reply(turn, [tr._("You have no orders waiting to be shipped.")], intent)
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
                return self._reply(turn, texts, intent, request_contact=True)
            if asking_status and len(orders) == 1:
                return self._reply(turn, [replies.order_card(tr, orders[0])], intent)
            active = [o for o in orders if o.status in replies.ACTIVE_STATUSES]
            if asking_status and len(active) == 1:
                return self._reply(turn, [replies.order_card(tr, active[0])], intent)
            texts = [tr.n_("You have {n} order:", "Your {n} most recent orders:", len(orders))]
        texts += [replies.order_summary(tr, o) for o in orders]
        texts.append(tr._("Tap an order to see its details."))
        buttons = [Button(o.order_no, f"o:{o.order_no}") for o in orders]
        return self._reply(turn, texts, intent, buttons=buttons)

    async def _shipment(self, turn: Turn, u: Understanding) -> Reply:
        tr = turn.tr
        order, asked = await self._visible_order(turn, u)
        if order is None:
            if asked is None:
                text = tr._(
                    "Which order did you ship? Send the order number and the tracking number, e.g. KF-250117-003 RA123456789RU."
                )
            else:
                text = tr._("I couldn't find order {order_no} among your orders.", order_no=asked)
            return self._reply(turn, [text], "supplier_ship")
        scan = find_tracking_numbers(turn.text, exclude={order_key(order.order_no)})
        if scan.rejected and order.status in SHIPPABLE:
            # Nothing half-written: a mistyped number is sent again with the others.
            text = tr._(
                "This doesn't look like a tracking number: {numbers}. A tracking number is 9 to 30 Latin "
                "letters and digits. Nothing was recorded; please send it again.",
                numbers=", ".join(scan.rejected),
            )
            return self._reply(turn, [text], "supplier_ship")
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
            return self._reply(turn, [self._shipment_refused(tr, result, scan.numbers)], "supplier_ship")
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
        notifications = await self._notify_shipped(turn.session, result)
        if notifications:
            texts.append(tr._("The customer has been notified."))
        reply = self._reply(turn, texts, "supplier_ship")
        reply.notifications = notifications
        return reply

    @staticmethod
    def _shipment_refused(tr: Translator, result: ShipmentResult, numbers: tuple[str, ...]) -> str:
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

    async def _notify_shipped(self, session: AsyncSession, result: ShipmentResult) -> list[Outgoing]:
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
            lang: Lang = "ru" if conversation.lang == "ru" else "zh"
            tr = self.i18n[lang]
            all_lines = {line.id for line in order.lines}
            whole = result.order_shipped and len(parcels) == 1 and set(parcels[0].line_ids) >= all_lines
            # Warehouse-bound boxes read alike to the shopper: each distinct notice is sent once.
            texts = list(
                dict.fromkeys(replies.parcel_notice(tr, order, p, whole_order=whole) for p in parcels)
            )
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
                    intent="supplier_ship",
                )
                out.append(Outgoing(user_id, text, lang))
        return out

    async def _handoff(self, turn: Turn, reason: str, intent: str) -> Reply:
        await open_handoff(turn.session, turn.conversation, reason)
        turn.remember(misses=0)
        text = turn.tr._(
            "I'm passing our chat to a colleague from the shop. Please stay here: "
            "they will answer in this chat as soon as they can."
        )
        reply = self._reply(turn, [text], intent)
        reply.handoff, reply.handoff_started = True, True
        return reply

    async def _miss(self, turn: Turn, intent: str, *, product_question: bool = False) -> Reply:
        tr = turn.tr
        misses = int(turn.context.get("misses", 0)) + 1
        turn.remember(misses=misses)
        if misses >= MAX_MISSES:
            return await self._handoff(turn, "not_understood", intent)
        if product_question:
            text = tr._("I couldn't find that product. Could you write its name differently, or the brand?")
        else:
            text = tr._(
                "Sorry, I didn't quite get that. I can help with products and prices, your orders, "
                "delivery, payment, returns and customs. What would you like to know?"
            )
        return self._reply(turn, [text], intent, buttons=self._suggestions(tr))

    # -- contact, callbacks, commands ---------------------------------------------------------

    async def _contact(self, turn: Turn) -> Reply:
        tr, incoming = turn.tr, turn.incoming
        phone = contact_phone(incoming.contact_phone or "")
        if incoming.contact_user_id is None:
            # Telegram's share-my-phone button always names the account; a card without an owner (typed
            # in, or another person's saved contact) proves nothing about whose number it is.
            return self._reply(
                turn,
                [
                    tr._(
                        "I can only verify a phone number shared with the button below: "
                        "a contact card sent another way doesn't show that the number is yours."
                    )
                ],
                "order_list",
                request_contact=True,
            )
        if incoming.contact_user_id != incoming.user_id:
            return self._reply(
                turn,
                [
                    tr._(
                        "Please share your own phone number with the button below, not someone else's contact."
                    )
                ],
                "order_list",
                request_contact=True,
            )
        if phone is None:
            return self._reply(turn, [tr._("That doesn't look like a phone number.")], "order_list")
        await verify_phone(turn.session, incoming.user_id, phone)
        turn.viewer = await resolve_viewer(turn.session, incoming.user_id, self.staff_ids)
        reply = await self._order_list(turn, "order_list")
        reply.texts.insert(0, tr._("Thank you, your phone number is verified."))
        reply.request_contact = False
        return reply

    async def _callback(self, turn: Turn, data: str) -> Reply:
        # Callback data comes from the client and can be forged: only the shapes our own buttons have
        # are read (ASCII ids within the columns' range); anything else is answered with silence.
        silence = self._reply(turn, [], "out_of_scope")
        kind, _, value = data.partition(":")
        if len(data.encode()) > 64 or not data.isprintable() or not re.fullmatch(r"[a-z_]{1,16}", kind):
            return silence
        if kind == "p":
            # a product id is a 32-bit INTEGER column: a larger number is no id of ours
            if not re.fullmatch(r"[1-9][0-9]{0,9}", value) or int(value) > 2**31 - 1:
                return silence
            product = await product_by_id(turn.session, int(value))
            if product is not None:
                turn.remember(last_skus=[product.sku], misses=0)
                return await self._product_answer(turn, product, "product_search")
            return self._reply(turn, [turn.tr._("That button is no longer valid.")], "out_of_scope")
        if kind == "o":
            if not value.strip():  # an order number as the shop wrote it (buttons carry it verbatim)
                return silence
            order = await turn.orders().find(value)
            if order is not None:
                card = replies.order_card(turn.tr, order, for_supplier=turn.viewer.role is Role.SUPPLIER)
                return self._reply(turn, [card], "order_status")
            return self._reply(
                turn,
                [turn.tr._("I couldn't find order {order_no} among your orders.", order_no=value)],
                "order_status",
            )
        if kind == "orders":
            return await self._order_list(turn, "order_list")
        if kind == "lang" and value in ("zh", "ru"):
            turn.lang = value  # type: ignore[assignment]
            turn.tr = self.i18n[turn.lang]
            return self._reply(turn, [turn.tr._("Language switched.")], "greeting")
        if kind == "faq" and value in FAQ_INTENTS:
            answer = self.faq.answer(value, turn.lang, turn.viewer.role.value)
            if answer:
                return self._reply(turn, [answer], value)
        if kind == "handoff" and not value:
            return await self._handoff(turn, "asked", "human_handoff")
        return silence

    async def _start_in_handoff(self, turn: Turn) -> Reply:
        """`/start [token]` while people hold the chat: a supplier invite still links the account."""
        token = turn.text.partition(" ")[2].strip()
        linked = await self._redeem_invite(turn, token) if token else None
        note = turn.tr._(
            "A colleague from the shop is answering you in this chat: write here and they will reply."
        )
        return self._reply(turn, [linked, note] if linked else [note], "greeting")

    async def _command(self, turn: Turn) -> Reply | None:
        tr = turn.tr
        name, _, argument = turn.text.partition(" ")
        name = _command_name(name)
        if name == "/start":
            if argument.strip():
                linked = await self._link_supplier(turn, argument.strip())
                if linked is not None:
                    return linked
            return self._greeting(turn)
        if name == "/help":
            return self._reply(turn, [self._help(turn)], "greeting", buttons=self._suggestions(tr))
        if name == "/lang":
            if argument.strip().lower()[:2] in ("zh", "ru"):
                return self._reply(turn, [tr._("Language switched.")], "greeting")
            buttons = [Button("中文", "lang:zh"), Button("Русский", "lang:ru")]
            return self._reply(turn, [tr._("Which language do you prefer?")], "greeting", buttons=buttons)
        if name == "/orders":
            return await self._order_list(turn, "order_list")
        return None

    def _help(self, turn: Turn) -> str:
        tr = turn.tr
        if turn.viewer.role is Role.SUPPLIER:
            return tr._(
                "Send /orders to see what you need to ship. When you ship, write the order number and the "
                'tracking number, e.g. "KF-250117-003 shipped, RA123456789RU". /lang changes the language.'
            )
        return tr._(
            'Ask me in your own words: "do you have Alenka chocolate?", "how much is the kvass?", '
            '"where is my order KF-250117-003?". /orders lists your orders, /lang changes the language, '
            'and writing "operator" brings in a person.'
        )

    async def _link_supplier(self, turn: Turn, token: str) -> Reply | None:
        text = await self._redeem_invite(turn, token)
        if text is None:
            return None
        reply = self._greeting(turn)
        reply.texts.insert(0, text)
        return reply

    async def _redeem_invite(self, turn: Turn, token: str) -> str | None:
        """Link the account to the supplier a valid invite names; what to tell the user, or None."""
        from bot.storage.invites import redeem_invite

        supplier = await redeem_invite(turn.session, token, turn.incoming.user_id)
        if supplier is None:
            return None
        turn.viewer = await resolve_viewer(turn.session, turn.incoming.user_id, self.staff_ids)
        name = supplier.name_zh if turn.lang == "zh" else supplier.name_ru
        return turn.tr._("Your account is now linked to the supplier {name}.", name=name)

    # -- helpers ------------------------------------------------------------------------------

    def _suggestions(self, tr: Translator) -> list[Button]:
        return [
            Button(tr._("My orders"), "orders"),
            Button(tr._("Delivery"), "faq:shipping_info"),
            Button(tr._("Talk to a person"), "handoff"),
        ]

    def _reply(
        self,
        turn: Turn,
        texts: list[str],
        intent: str,
        *,
        buttons: list[Button] | None = None,
        request_contact: bool = False,
    ) -> Reply:
        return Reply(
            texts,
            intent,
            turn.lang,
            handoff=turn.conversation.handoff_active,
            buttons=buttons or [],
            request_contact=request_contact,
        )

    def _log(self, turn: Turn, understanding: Understanding | None, reply: Reply) -> None:
        details: dict[str, Any] | None = None
        if understanding is not None:
            details = {
                "products": [[m.sku, round(m.score, 1)] for m in understanding.products],
                "order_no": understanding.order_no,
                "candidates": list(understanding.order_candidates),
            }
        author = turn.viewer.role.value
        incoming_text = turn.text or (
            f"[contact {turn.incoming.contact_phone}]" if turn.incoming.contact_phone else ""
        )
        if turn.incoming.callback:
            incoming_text = incoming_text or f"[button {turn.incoming.callback}]"
        log_message(
            turn.session,
            turn.conversation,
            direction="in",
            author=author,
            text=incoming_text,
            lang=turn.lang,
            intent=reply.intent,
            confidence=understanding.confidence if understanding else None,
            details=details,
            telegram_message_id=turn.incoming.telegram_message_id,
        )
        if reply.texts:
            log_message(
                turn.session,
                turn.conversation,
                direction="out",
                author="bot",
                text=reply.text,
                lang=reply.lang,
                intent=reply.intent,
            )


_CODE_RUN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\s\-_/]*[0-9A-Za-z]")


def _command_name(text: str) -> str:
    """`/start@kefu_bot payload` -> `/start`."""
    return text.partition(" ")[0].split("@", 1)[0].lower()


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
