"""Dead letters: updates whose handling failed for a reason that a retry would not cure by itself.

Each is kept with its error so a person can read it (`kefu failed list`) and, once the cause is fixed,
ask for a replay (`kefu failed retry ID`). The command line only marks the row; the running bot's
replay loop claims marked rows and feeds them through its dispatcher, so the replay gets the bot's
own Telegram session, locks and pacing.
"""

from __future__ import annotations

import json
import traceback as tb
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Conversation, FailedUpdate, FailedUpdateStatus
from bot.storage.types import utcnow

#: A claimed replay that has not finished after this long belongs to a process that died: claim again.
STALE_CLAIM = timedelta(minutes=10)
_MAX_MESSAGE = 2_000
_MAX_TRACEBACK = 20_000


def _text(value: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text; the rest is kept as written (the reader escapes it for a terminal).
    value = value.replace("\x00", "\\x00")
    return value if len(value) <= limit else value[: limit - 1] + "…"


async def record_failure(
    sessions: async_sessionmaker[AsyncSession],
    update_id: int,
    chat_id: int | None,
    raw: dict[str, Any],
    error: BaseException,
) -> tuple[bool, str | None]:
    """Store (or update) the dead letter of an update. Returns (first failure?, the chat's language)."""
    message = _text(str(error), _MAX_MESSAGE)
    trace = _text("".join(tb.format_exception(error)), _MAX_TRACEBACK)
    error_class = _text(f"{type(error).__module__}.{type(error).__qualname__}", 200)
    async with sessions.begin() as session:
        row = await session.scalar(
            select(FailedUpdate).where(FailedUpdate.update_id == update_id).with_for_update()
        )
        first = row is None
        if row is None:
            session.add(
                FailedUpdate(
                    update_id=update_id,
                    chat_id=chat_id,
                    update_json=json.dumps(raw, ensure_ascii=True),
                    error_class=error_class,
                    error_message=message,
                    traceback=trace,
                )
            )
        else:  # failed again (a replay): the latest error is what a person needs to see
            row.error_class, row.error_message, row.traceback = error_class, message, trace
            row.failures += 1
            row.failed_at = utcnow()
            row.status = FailedUpdateStatus.FAILED.value
        lang = None
        if first and chat_id is not None:
            lang = await session.scalar(
                select(Conversation.lang).where(Conversation.telegram_user_id == chat_id)
            )
    return first, lang


async def list_failed(session: AsyncSession, *, include_done: bool = False) -> Sequence[FailedUpdate]:
    query = select(FailedUpdate).order_by(FailedUpdate.id)
    if not include_done:
        query = query.where(FailedUpdate.status != FailedUpdateStatus.DONE.value)
    return (await session.scalars(query)).all()


async def request_retry(session: AsyncSession, failed_id: int) -> FailedUpdate | None:
    """Mark a dead letter for replay by the running bot; None when there is no such row. A row being
    replayed or already replayed is returned unchanged (its status says which)."""
    row = await session.get(FailedUpdate, failed_id, with_for_update=True)
    if row is not None and row.status == FailedUpdateStatus.FAILED.value:
        row.status = FailedUpdateStatus.RETRY.value
        row.retry_requested_at = utcnow()
    return row


async def claim_retries(sessions: async_sessionmaker[AsyncSession], limit: int = 10) -> list[FailedUpdate]:
    """Rows marked for replay, each claimed by exactly one process (a conditional update: the process
    whose update changes the row owns it), oldest first."""
    stale = utcnow() - STALE_CLAIM
    claimable = or_(
        FailedUpdate.status == FailedUpdateStatus.RETRY.value,
        (FailedUpdate.status == FailedUpdateStatus.RETRYING.value) & (FailedUpdate.retried_at < stale),
    )
    async with sessions() as session:
        candidates = (
            await session.scalars(
                select(FailedUpdate).where(claimable).order_by(FailedUpdate.id).limit(limit)
            )
        ).all()
    claimed = []
    for row in candidates:
        async with sessions.begin() as session:
            result = await session.execute(
                update(FailedUpdate)
                .where(FailedUpdate.id == row.id, claimable)
                .values(status=FailedUpdateStatus.RETRYING.value, retried_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(row)
    return claimed


async def finish_retry(
    sessions: async_sessionmaker[AsyncSession], failed_id: int, *, again: bool = False
) -> None:
    """A claimed replay went through (`done`), or met an outage and waits for the next round (`again`).
    A replay that failed anew was already set back to `failed` by `record_failure`."""
    status = FailedUpdateStatus.RETRY if again else FailedUpdateStatus.DONE
    async with sessions.begin() as session:
        await session.execute(
            update(FailedUpdate)
            .where(FailedUpdate.id == failed_id, FailedUpdate.status == FailedUpdateStatus.RETRYING.value)
            .values(status=status.value)
            .execution_options(synchronize_session=False)
        )
