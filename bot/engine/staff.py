"""What the shop's people do with a customer's chat: read its card, answer, note, give it back to the bot.

Each function is one transaction of its own; `Engine` exposes them as its staff-facing methods.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine import replies
from bot.engine.i18n import N_, Lang, zh_or_ru
from bot.engine.messages import Reply
from bot.engine.text import clean
from bot.engine.turn import Shop, TurnEffects
from bot.storage.access import OrderAccess, resolve_viewer
from bot.storage.conversations import (
    close_handoff,
    find_conversation,
    get_conversation,
    log_message,
    recent_messages,
)
from bot.storage.models import Message
from bot.storage.outbox import mark_update
from intents import IntentId

ROLE_NAMES = {"customer": N_("customer"), "supplier": N_("supplier"), "staff": N_("staff")}
#: `/reply shipping`: the short topic names staff type, for the shop's answers.
CANNED_TOPICS = {
    "shipping": IntentId.SHIPPING_INFO,
    "payment": IntentId.PAYMENT_INFO,
    "returns": IntentId.RETURN_POLICY,
    "return": IntentId.RETURN_POLICY,
    "customs": IntentId.CUSTOMS_INFO,
}
Sessions = async_sessionmaker[AsyncSession]


async def give_back(
    sessions: Sessions,
    shop: Shop,
    user_id: int,
    staff_id: int | None,
    *,
    update_id: int | None = None,
    effects: TurnEffects | None = None,
) -> Reply | None:
    """Staff give the chat back to the bot; the customer is told in its language. None when the
    chat was not handed over, or `update_id` was handled before."""
    async with sessions.begin() as session:
        if update_id is not None and not await mark_update(session, update_id):
            return None
        conversation = await find_conversation(session, user_id)
        if conversation is None or not await close_handoff(session, conversation, staff_id):
            return None
        lang = zh_or_ru(conversation.lang)
        text = shop.i18n[lang]._("Our colleague has finished; I'm back to help you. Ask me anything.")
        log_message(session, conversation, direction="out", author="bot", text=text, lang=lang)
        reply = Reply([text], IntentId.HUMAN_HANDOFF, lang, handoff=False)
        if effects is not None:
            await effects(session, reply)
        return reply


async def staff_card(
    sessions: Sessions, shop: Shop, user_id: int, display_name: str, staff_lang: Lang
) -> str:
    """The context staff see first in a new topic: who, role, language, recent turns, orders."""
    tr = shop.i18n[staff_lang]
    async with sessions.begin() as session:
        conversation = await get_conversation(session, user_id, lock=False)
        viewer = await resolve_viewer(session, user_id, shop.staff_ids)
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
    lines += [_message_line(message) for message in messages]
    if orders:
        lines.append(tr._("Orders:"))
        lines += [
            tr._("· {order_no} — {status}", order_no=o.order_no, status=replies.status_word(tr, o.status))
            for o in orders
        ]
    else:
        lines.append(tr._("No linked orders."))
    return "\n".join(lines)


def _message_line(message: Message) -> str:
    """One logged message for the card; the customer's carry what the bot understood, for staff to judge."""
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
    return line


async def record_staff_message(sessions: Sessions, user_id: int, text: str, *, note: bool) -> None:
    """An operator's answer relayed to the customer (or a /note kept for colleagues)."""
    async with sessions.begin() as session:
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


async def canned_answer(sessions: Sessions, shop: Shop, user_id: int, topic: str) -> tuple[str, Lang] | None:
    """`/reply shipping`: the shop's answer in the customer's language."""
    topic = CANNED_TOPICS.get(topic, topic)
    async with sessions.begin() as session:
        conversation = await get_conversation(session, user_id, lock=False)
        viewer = await resolve_viewer(session, user_id, shop.staff_ids)
    lang = zh_or_ru(conversation.lang)
    answer = shop.faq.answer(topic, lang, viewer.role.value)
    return (answer, lang) if answer else None


async def set_language(sessions: Sessions, user_id: int, lang: Lang) -> None:
    async with sessions.begin() as session:
        conversation = await get_conversation(session, user_id)
        conversation.lang = lang
