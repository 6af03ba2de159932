"""The conversation engine: one incoming message in, what to send out. Channel-agnostic.

The Telegram front-ends and `kefu say` / `kefu demo` are thin shells around `Engine.handle`, so they
behave identically. This module runs a turn and sends it to the handler of its subject (products,
orders, shipments, commands and buttons, a shared contact, handoff); staff operations are in
bot.engine.staff. Order access goes through bot.storage.access on every path.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine import staff
from bot.engine.answers import FAQ_INTENTS, shop_answer
from bot.engine.catalog import CatalogIndex
from bot.engine.commands import button, command, start_in_handoff
from bot.engine.contact import shared_contact
from bot.engine.faq import FaqBook
from bot.engine.followups import answer_followup
from bot.engine.greetings import goodbye, greeting, language_switched, thanks
from bot.engine.handoff import apologise, frustrated, hand_off, miss
from bot.engine.i18n import I18n, Lang
from bot.engine.language import choose_language, explicit_switch, from_language_code, lang_command
from bot.engine.messages import Incoming, Reply
from bot.engine.order_context import order_follow_up
from bot.engine.orders import order_list, order_status
from bot.engine.products import answer_products
from bot.engine.shipments import record_shipment
from bot.engine.text import MAX_UNDERSTOOD, clean, command_name, has_words
from bot.engine.turn import Shop, Turn, TurnEffects
from bot.storage.access import Role
from bot.storage.conversations import log_messages, message_row, open_conversation
from bot.storage.db import write_transaction
from bot.storage.models import Conversation
from bot.storage.outbox import mark_update
from intents import IntentId, Understanding, detect_language
from intents.intent_ids import PRODUCT_INTENTS

__all__ = ["Engine", "TurnEffects"]

log = logging.getLogger(__name__)


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
        self.shop = Shop(i18n, faq, staff_ids)

    # -- entry points -------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> Reply:
        reply = await self.handle_once(incoming)
        return reply if reply is not None else Reply([], "repeated", "zh", handoff=False)

    async def handle_once(self, incoming: Incoming, effects: TurnEffects | None = None) -> Reply | None:
        """One turn, in one transaction with the mark of its update id and `effects`; None when that
        update id was handled before (nothing changes then)."""
        understander = await self.catalog.get()
        text = clean(incoming.text)
        words = text[:MAX_UNDERSTOOD] if has_words(text) else ""
        # Understood before the transaction, so the user's row (and SQLite's write lock) is not held
        # while the matcher runs; read again inside only if the chat's language turns out otherwise.
        guess = (detect_language(words) if words else None) or from_language_code(incoming.lang_code) or "zh"
        understood = understander.understand(words, default_lang=guess) if words else None
        async with write_transaction(self.sessions) as session:
            if incoming.update_id is not None and not await mark_update(session, incoming.update_id):
                return None
            conversation, viewer = await open_conversation(session, incoming.user_id, self.staff_ids)
            conversation.blocked_bot = False  # writing to us again means it unblocked the bot
            lang = self._language(conversation, text, incoming.lang_code)
            turn = Turn(
                self.shop,
                session,
                conversation,
                viewer,
                incoming,
                text,
                lang,
                self.i18n[lang],
                understander.followups,
            )
            understanding = (
                understood
                if understood is None or lang == guess
                else understander.understand(words, default_lang=lang)
            )
            reply = await _respond(turn, understanding)
            conversation.lang = reply.lang
            await _log(turn, understanding, reply)
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

    # -- staff operations (bot.engine.staff) ---------------------------------------------------

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
        return await staff.give_back(
            self.sessions, self.shop, user_id, staff_id, update_id=update_id, effects=effects
        )

    async def staff_card(self, user_id: int, display_name: str, staff_lang: Lang) -> str:
        """The context staff see first in a new topic: who, role, language, recent turns, orders."""
        return await staff.staff_card(self.sessions, self.shop, user_id, display_name, staff_lang)

    async def record_staff_message(self, user_id: int, text: str, *, note: bool = False) -> None:
        """An operator's answer relayed to the customer (or a /note kept for colleagues)."""
        await staff.record_staff_message(self.sessions, user_id, text, note=note)

    async def canned_answer(self, user_id: int, topic: str) -> tuple[str, Lang] | None:
        """`/reply shipping`: the shop's answer in the customer's language."""
        return await staff.canned_answer(self.sessions, self.shop, user_id, topic)

    async def set_language(self, user_id: int, lang: Lang) -> None:
        await staff.set_language(self.sessions, user_id, lang)

    # -- the turn -----------------------------------------------------------------------------

    def _language(self, conversation: Conversation, text: str, lang_code: str | None) -> Lang:
        switch = (explicit_switch(text) or lang_command(text)) if text else None
        if switch:
            return switch
        # A command's argument (a deep-link token, an order number) says nothing about the language.
        words = "" if text.startswith("/") else text
        detected = detect_language(words) if has_words(words) else None
        remembered = conversation.lang or from_language_code(lang_code)
        if conversation.lang is None and detected is None:
            return from_language_code(lang_code) or "zh"
        return choose_language(detected, text, remembered, lang_code)


async def _respond(turn: Turn, understanding: Understanding | None) -> Reply:
    incoming, tr = turn.incoming, turn.tr
    if incoming.contact_phone is not None:
        reply = await shared_contact(turn)
        reply.to_staff = reply.handoff  # during a handoff the people holding the chat see the card
        return reply
    if turn.conversation.handoff_active:
        # /start is the Telegram client's doing (the Start button, a t.me link), not words for staff,
        # and its payload may be a one-time supplier invite that must not be posted in the staff group.
        # Other commands are relayed: they are addressed to whoever holds the chat.
        if command_name(turn.text) == "/start":
            return await start_in_handoff(turn)
        # People hold the chat: the bot keeps quiet (the staff layer relays the message).
        intent = understanding.intent if understanding else IntentId.HUMAN_HANDOFF
        return Reply([], intent, turn.lang, handoff=True, to_staff=True)
    if incoming.callback:
        return await button(turn, incoming.callback)
    if turn.text.startswith("/"):
        answered = await command(turn)
        if answered is not None:
            return answered
    if explicit_switch(turn.text):
        return language_switched(turn)
    if understanding is None:
        pointed = await answer_followup(turn, None)  # '？？' about the products just shown
        if pointed is not None:
            return pointed
        return turn.reply(
            [tr._("I read only text for now. Please write your question in a few words.")],
            IntentId.OUT_OF_SCOPE,
        )
    return await _by_intent(turn, understanding)


async def _by_intent(turn: Turn, u: Understanding) -> Reply:
    intent = u.intent
    if intent != IntentId.OUT_OF_SCOPE:
        turn.remember(misses=0)
    if intent != IntentId.HUMAN_HANDOFF and frustrated(u.text):
        return apologise(turn)
    followup = await answer_followup(turn, u)  # 'а №4?' may read as a greeting on its own
    if followup is not None:
        return followup
    if intent == IntentId.GREETING:
        return greeting(turn)
    if intent == IntentId.THANKS:
        return thanks(turn)
    if intent == IntentId.GOODBYE:
        return goodbye(turn)
    about_order = await order_follow_up(turn, u)  # "单号呢" about the order in context
    if about_order is not None:
        return about_order
    if intent in PRODUCT_INTENTS:
        return await answer_products(turn, u)
    if intent == IntentId.SUPPLIER_SHIP and turn.viewer.role is not Role.CUSTOMER:
        return await record_shipment(turn, u)
    if intent in (IntentId.ORDER_STATUS, IntentId.SUPPLIER_SHIP):
        return await order_status(turn, u, intent)
    if intent == IntentId.ORDER_LIST:
        return await order_list(turn, intent)
    if intent in FAQ_INTENTS:
        answer = shop_answer(turn, intent)
        if answer is not None:
            return answer
    if intent == IntentId.HUMAN_HANDOFF:
        return await hand_off(turn, "asked", intent)
    return await miss(turn, intent)


async def _log(turn: Turn, understanding: Understanding | None, reply: Reply) -> None:
    """The turn in the conversation's history: what came in (with what was understood) and the reply,
    in one INSERT."""
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
    rows = [
        message_row(
            direction="in",
            author=author,
            text=incoming_text,
            lang=turn.lang,
            intent=reply.intent,
            confidence=understanding.confidence if understanding else None,
            details=details,
            telegram_message_id=turn.incoming.telegram_message_id,
        )
    ]
    if reply.texts:
        rows.append(
            message_row(direction="out", author="bot", text=reply.text, lang=reply.lang, intent=reply.intent)
        )
    await log_messages(turn.session, turn.conversation, rows)
