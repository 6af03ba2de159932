"""Conversations, their messages and handoffs: the state `kefu say` and the Telegram bot share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from bot.storage.access import ROLE_COLUMNS, Viewer, viewer_of
from bot.storage.db import dialect_name
from bot.storage.models import Base, Conversation, Customer, Handoff, Message
from bot.storage.types import utcnow

#: The first key of the two-key advisory locks on phone numbers (any constant of this project's own).
_PHONE_LOCK_SPACE = 0x6B6570


async def get_conversation(
    session: AsyncSession, telegram_user_id: int, *, lock: bool = True
) -> Conversation:
    """The user's conversation, created on first contact (race-free: INSERT ... ON CONFLICT).

    With `lock`, the row is held until commit, so two processes never interleave one user's turns
    (see `open_conversation`).
    """
    if lock:
        locked, _viewer = await open_conversation(session, telegram_user_id, frozenset())
        return locked
    await session.execute(_INSERT[dialect_name(session)], {"user": telegram_user_id, "now": utcnow()})
    conversation = await session.scalar(_FIND, {"user": telegram_user_id}, execution_options=_FRESH)
    assert conversation is not None  # inserted above if it was missing
    return conversation


async def open_conversation(
    session: AsyncSession, telegram_user_id: int, staff_ids: frozenset[int]
) -> tuple[Conversation, Viewer]:
    """A turn's start: the user's conversation, created on first contact and held until commit, and
    who the user is (as `resolve_viewer` says), read in the same statement as the row.

    PostgreSQL locks the row with SELECT ... FOR UPDATE (inserting first only for a new user); SQLite
    upserts and reads it back in one statement, a write that takes the database's write lock before
    the read. The role is read with the row, never remembered from an earlier turn: a phone verified,
    a supplier invite taken or a link removed a moment ago counts at once, in every process.
    """
    params = {"user": telegram_user_id, "now": utcnow()}
    if dialect_name(session) == "postgresql":
        row = (await session.execute(_PG_OPEN, params, execution_options=_FRESH)).first()
        if row is None:
            await session.execute(_INSERT["postgresql"], params)
            row = (await session.execute(_PG_OPEN, params, execution_options=_FRESH)).one()
    else:
        row = (await session.execute(_SQLITE_OPEN, params, execution_options=_FRESH)).one()
    conversation, supplier_id, supplier_code, phone = row
    return conversation, viewer_of(telegram_user_id, staff_ids, supplier_id, supplier_code, phone)


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
_PG_OPEN = (
    select(Conversation, *ROLE_COLUMNS)
    .where(Conversation.telegram_user_id == bindparam("user"))
    .with_for_update(of=Conversation)
)
_INSERT = {
    name: _new_conversation(insert).on_conflict_do_nothing(index_elements=["telegram_user_id"])
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


class _Qualified(ColumnElement[Any]):
    """A subquery that keeps its table names inside SQLite's RETURNING, where SQLAlchemy drops them
    (and `telegram_user_id` alone would then be ambiguous, or be the conversation's own column)."""

    inherit_cache = True
    _traverse_internals: _TraverseInternalsType = [("element", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, element: ColumnElement[Any]) -> None:
        self.element = element
        self.type = element.type


@compiles(_Qualified)
def _compile_qualified(element: _Qualified, compiler: SQLCompiler, **kw: Any) -> str:
    kw.pop("include_table", None)
    return compiler.process(element.element, **kw)


# SQLite allows subqueries of other tables in RETURNING: the role comes back with the row.
_SQLITE_ROLE = tuple(_Qualified(column.element).label(column.name) for column in ROLE_COLUMNS)
_SQLITE_OPEN = select(Conversation, *_SQLITE_ROLE).from_statement(
    _new_conversation(sqlite.insert)
    .on_conflict_do_update(index_elements=["telegram_user_id"], set_={"telegram_user_id": bindparam("user")})
    .returning(*_TABLE.c, *_SQLITE_ROLE)
)


async def find_conversation(session: AsyncSession, telegram_user_id: int) -> Conversation | None:
    return await session.scalar(select(Conversation).where(Conversation.telegram_user_id == telegram_user_id))


def message_row(
    *,
    direction: str,
    author: str,
    text: str,
    lang: str | None,
    intent: str | None = None,
    confidence: float | None = None,
    details: dict[str, Any] | None = None,
    telegram_message_id: int | None = None,
) -> dict[str, Any]:
    """The values of one `messages` row (its conversation aside), as `log_message` writes them."""
    return {
        "direction": direction,
        "author": author,
        "text": text.replace("\x00", ""),  # PostgreSQL's text cannot hold NUL (button data is not cleaned)
        "lang": lang,
        "intent": intent,
        "confidence": confidence,
        "details": details,
        "telegram_message_id": telegram_message_id,
        "created_at": utcnow(),
    }


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
    """One message as an ORM object, written with the session's next flush."""
    values = message_row(
        direction=direction,
        author=author,
        text=text,
        lang=lang,
        intent=intent,
        confidence=confidence,
        details=details,
        telegram_message_id=telegram_message_id,
    )
    message = Message(conversation_id=conversation.id, **values)
    session.add(message)
    return message


async def log_messages(
    session: AsyncSession, conversation: Conversation, rows: Sequence[dict[str, Any]]
) -> None:
    """Rows of `message_row`, written at once, in order, in one call to the driver (a turn's message
    and its reply): a Core executemany, which SQLAlchemy caches (a multi-row VALUES it compiles anew
    each time) and which needs no ids back, unlike the ORM's flush."""
    if rows:
        await session.execute(_INSERT_MESSAGE, [{"conversation_id": conversation.id, **row} for row in rows])


_INSERT_MESSAGE = insert(Base.metadata.tables[Message.__tablename__])


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
