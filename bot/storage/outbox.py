"""The processed-update mark and the outbox: what a handled update still has to send.

Both are written in the transaction of the turn that handled the update, so after a crash either
nothing of the turn happened (Telegram's re-send handles it afresh) or the mark and every send it owes
are in the database (the re-send, or any process's delivery loop, sends what is left).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.db import dialect_name
from bot.storage.models import Base, OutboxItem, ProcessedUpdate
from bot.storage.types import utcnow

#: Telegram gives up re-sending an update after about a day; sent rows are kept as long, for review.
KEEP = timedelta(days=2)


async def mark_update(session: AsyncSession, update_id: int) -> bool:
    """Record that `update_id` is handled (part of the caller's transaction); False if it already was.

    On PostgreSQL a second transaction inserting the same id waits for the first: if that one commits,
    this one sees the conflict; if it rolls back, this one goes on. Either way the turn runs once."""
    result = await session.execute(_MARK[dialect_name(session)], {"update_id": update_id, "at": utcnow()})
    return bool(getattr(result, "rowcount", 0))


#: Built once (it runs every turn): the mark, for each dialect's ON CONFLICT.
_MARK = {
    # the table, not the mapped class: a plain INSERT whose result has the rowcount
    name: insert(Base.metadata.tables[ProcessedUpdate.__tablename__])
    .values(update_id=bindparam("update_id"), processed_at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=["update_id"])
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


async def update_marked(session: AsyncSession, update_id: int) -> bool:
    found = await session.scalar(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    return found is not None


def add_item(
    session: AsyncSession,
    *,
    update_id: int | None,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    claim_for: float | None = None,
) -> OutboxItem:
    """A row to send; `claim_for`: already claimed by the writer for that long (it sends it right
    after the commit, without another round trip to claim it)."""
    now = utcnow()
    item = OutboxItem(
        update_id=update_id,
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        state="pending",
        attempts=0 if claim_for is None else 1,
        progress=0,
        due_at=now,
        claimed_until=None if claim_for is None else now + timedelta(seconds=claim_for),
    )
    session.add(item)
    return item


def _claimable(now: Any) -> ColumnElement[bool]:
    return and_(
        OutboxItem.state == "pending",
        or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now),
    )


async def claim(
    session: AsyncSession,
    *,
    lease: float,
    update_id: int | None = None,
    older_than: float | None = None,
    limit: int = 50,
) -> list[OutboxItem]:
    """Take pending rows nobody holds (or whose holder's lease ran out), oldest first, for `lease`
    seconds. `older_than`: only rows written at least that many seconds ago and due now (the delivery
    loop leaves the newest to the process that wrote them)."""
    now = utcnow()
    condition = _claimable(now)
    if update_id is not None:
        condition = and_(condition, OutboxItem.update_id == update_id)
    if older_than is not None:
        condition = and_(
            condition,
            OutboxItem.created_at <= now - timedelta(seconds=older_than),
            OutboxItem.due_at <= now,
        )
    candidates = select(OutboxItem.id).where(condition).order_by(OutboxItem.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Several processes claiming at once each take different rows instead of waiting on each other.
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(OutboxItem)
        .where(OutboxItem.id.in_(candidates.scalar_subquery()), _claimable(now))
        .values(claimed_until=now + timedelta(seconds=lease), attempts=OutboxItem.attempts + 1)
        .returning(OutboxItem)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.scalars(statement)).all())
    return sorted(rows, key=lambda row: row.id)


async def finish(session: AsyncSession, item_id: int, *, failed: str | None = None) -> None:
    """Sent (or given up for good, with the reason)."""
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(
            state="failed" if failed else "sent",
            sent_at=utcnow(),
            claimed_until=None,
            last_error=failed,
        )
        .execution_options(synchronize_session=False)
    )


async def postpone(session: AsyncSession, item_id: int, *, delay: float, error: str) -> None:
    """Not sent this time: free the row for a later attempt."""
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(claimed_until=None, due_at=utcnow() + timedelta(seconds=delay), last_error=error[:500])
        .execution_options(synchronize_session=False)
    )


async def extend(session: AsyncSession, item_id: int, seconds: float) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.state == "pending")
        .values(claimed_until=utcnow() + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )


async def set_progress(session: AsyncSession, item_id: int, parts: int) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id)
        .values(progress=parts)
        .execution_options(synchronize_session=False)
    )


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "pending")
        )
        or 0
    )


async def prune(session: AsyncSession) -> None:
    """Forget old marks and old finished rows (a re-send older than KEEP no longer comes)."""
    cutoff = utcnow() - KEEP
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    await session.execute(
        delete(OutboxItem).where(OutboxItem.state != "pending", OutboxItem.created_at < cutoff)
    )


async def refused(session: AsyncSession, limit: int = 20) -> Sequence[OutboxItem]:
    """Sends Telegram refused for good or that were given up, newest first (for `kefu failed list`)."""
    return (
        await session.scalars(
            select(OutboxItem).where(OutboxItem.state == "failed").order_by(OutboxItem.id.desc()).limit(limit)
        )
    ).all()
