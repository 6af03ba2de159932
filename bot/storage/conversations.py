"""Conversations, their messages and handoffs: the state `kefu say` and the Telegram bot share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import dialect_name
from bot.storage.models import Base, Conversation, Customer, Handoff, Message
from bot.storage.types import utcnow

#: The first key of the two-key advisory locks on phone numbers (any constant of this project's own).
_PHONE_LOCK_SPACE = 0x6B6570


async def get_conversation(
    session: AsyncSession, telegram_user_id: int, *, lock: bool = True
) -> Conversation:
    """The user's conversation, created on first contact (race-free: INSERT ... ON CONFLICT).

    With `lock`, the row is held until commit, so two processes never interleave one user's turns:
    PostgreSQL locks it with SELECT ... FOR UPDATE (inserting first only for a new user); SQLite upserts
    and reads it back in one statement, a write that takes the database's write lock before the read.
    """
    params = {"user": telegram_user_id, "now": utcnow()}
    if lock:
        if dialect_name(session) == "postgresql":
            found = await session.scalar(_LOCKED, {"user": telegram_user_id}, execution_options=_FRESH)
            if found is not None:
                return found
        else:
            upserted: Conversation = (
                await session.scalars(_SQLITE_UPSERT, params, execution_options=_FRESH)
            ).one()
            return upserted
    await session.execute(_INSERT[dialect_name(session)], params)
    conversation = await session.scalar(
        _LOCKED if lock else _FIND, {"user": telegram_user_id}, execution_options=_FRESH
    )
    assert conversation is not None  # inserted above if it was missing
    return conversation


def _new_conversation(insert: Callable[..., Any]) -> Any:
    return insert(_TABLE).values(
        telegram_user_id=bindparam("user"),
        context={},
        handoff_active=False,
        blocked_bot=False,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )


# Built once: the per-turn statements cost no construction or cache-key work. Inserts go to the table
# (plain Core statements, cheaper than the ORM's bulk-insert path), rows come back as ORM objects.
_TABLE = Base.metadata.tables[Conversation.__tablename__]
_FRESH = {"populate_existing": True}
_FIND = select(Conversation).where(Conversation.telegram_user_id == bindparam("user"))
_LOCKED = _FIND.with_for_update()
_INSERT = {
    name: _new_conversation(insert).on_conflict_do_nothing(index_elements=["telegram_user_id"])
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_SQLITE_UPSERT = select(Conversation).from_statement(
    _new_conversation(sqlite.insert)
    .on_conflict_do_update(index_elements=["telegram_user_id"], set_={"telegram_user_id": bindparam("user")})
    .returning(*_TABLE.c)
)


async def find_conversation(session: AsyncSession, telegram_user_id: int) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.telegram_user_id == telegram_user_id))


def log_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    direction: str,
    author: str,
    text: str,
    lang: str | None,
    intent: str | None = None,
    confidence: float | None = None,
    details: dict[str, Any] | None = None,
    telegram_message_id: int | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation.id,
        direction=direction,
        author=author,
        text=text.replace("\x00", ""),  # PostgreSQL's text cannot hold NUL (button data is not cleaned)
        lang=lang,
        intent=intent,
        confidence=confidence,
        details=details,
        telegram_message_id=telegram_message_id,
        created_at=utcnow(),
    )
    session.add(message)
    return message


async def recent_messages(session: AsyncSession, conversation_id: int, limit: int = 10) -> list[Message]:
    rows = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.scalars().all()))


async def open_handoff(session: AsyncSession, conversation: Conversation, reason: str) -> Handoff | None:
    """Hand the conversation to people; None when it already is."""
    if conversation.handoff_active:
        return None
    conversation.handoff_active = True
    handoff = Handoff(conversation_id=conversation.id, reason=reason, opened_at=utcnow())
    session.add(handoff)
    return handoff


async def close_handoff(session: AsyncSession, conversation: Conversation, closed_by: int | None) -> bool:
    if not conversation.handoff_active:
        return False
    conversation.handoff_active = False
    await session.execute(
        update(Handoff)
        .where(Handoff.conversation_id == conversation.id, Handoff.closed_at.is_(None))
        .values(closed_at=utcnow(), closed_by=closed_by)
    )
    return True


async def verify_phone(session: AsyncSession, telegram_user_id: int, phone: str) -> None:
    """Record a phone number the user shared about itself (Telegram contact of its own).

    A number is verified to one account at a time, the latest that shared it: a number passes to a
    new owner (carriers recycle them, people change accounts), and the previous account no longer
    sees the orders placed with it.
    """
    if session.get_bind().dialect.name == "postgresql":
        # Two accounts sharing one number at once take turns, so the later one always clears the
        # earlier one (READ COMMITTED would otherwise let both keep it). SQLite writes one at a time.
        await session.execute(select(func.pg_advisory_xact_lock(_PHONE_LOCK_SPACE, func.hashtext(phone))))
    await session.execute(
        update(Customer)
        .where(Customer.verified_phone == phone, Customer.telegram_user_id != telegram_user_id)
        .values(verified_phone=None, phone_verified_at=None)
    )
    customer = await session.scalar(select(Customer).where(Customer.telegram_user_id == telegram_user_id))
    if customer is None:
        customer = Customer(telegram_user_id=telegram_user_id, created_at=utcnow())
        session.add(customer)
    customer.verified_phone = phone
    customer.phone_verified_at = utcnow()


async def mark_blocked(session: AsyncSession, telegram_user_id: int, blocked: bool = True) -> None:
    """The user blocked the bot (Telegram answered 403): later sends to it are skipped."""
    await session.execute(
        update(Conversation)
        .where(Conversation.telegram_user_id == telegram_user_id)
        .values(blocked_bot=blocked)
    )
