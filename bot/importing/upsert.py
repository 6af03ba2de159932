"""Bulk INSERT ... ON CONFLICT DO UPDATE, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import dialect_insert

T = TypeVar("T")
#: Rows per statement: well under SQLite's 32,766 bound parameters and asyncpg's 32,767.
BATCH = 1000
EXECUTEMANY_BATCH = 10_000


def chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def upsert(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], key: str, update: Sequence[str]
) -> None:
    if not rows:
        return
    insert = dialect_insert(session)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[key], set_={column: stmt.excluded[column] for column in update}
    )
    # One compiled statement run as executemany: compiling a 1000-row VALUES clause per batch costs
    # more than the database's work.
    for batch in chunks(rows, EXECUTEMANY_BATCH):
        await session.execute(stmt, list(batch))
