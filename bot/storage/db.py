"""Engines, sessions and schema upgrades for SQLite (default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Any constant: PostgreSQL processes that upgrade at once take turns on this advisory lock.
_MIGRATION_LOCK_ID = 0x6B656675  # "kefu"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine with the per-dialect settings kefu relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers work while one process writes.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def dialect_name(session: AsyncSession) -> Literal["postgresql", "sqlite"]:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """`insert` of the session's dialect, for ON CONFLICT clauses (SQLite and PostgreSQL share them)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def write_transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """`sessions.begin()` for a transaction that writes; on SQLite such transactions of this process
    take turns on an asyncio lock. SQLite lets one writer in at a time anyway, and a writer that finds
    the database locked sleeps in its busy handler (1, 2, 5, 10 ... 100 ms) before it looks again: with
    several chats in flight that back-off, not the work, was the latency. The lock hands over at once.
    Never nest two of these in one task (the lock is not re-entrant)."""
    lock = _write_lock(sessions)
    if lock is None:
        async with sessions.begin() as session:
            yield session
        return
    async with lock, sessions.begin() as session:
        yield session


#: One write lock per SQLite engine and event loop (an asyncio.Lock belongs to one loop).
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _write_lock(sessions: async_sessionmaker[AsyncSession]) -> asyncio.Lock | None:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    loop = asyncio.get_running_loop()
    held = _WRITE_LOCKS.get(bind.sync_engine)
    if held is None or held[0] is not loop:
        held = _WRITE_LOCKS[bind.sync_engine] = (loop, asyncio.Lock())
    return held[1]


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    command.upgrade(alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the latest by default); cheap when it is already there."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def downgrade_database(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_current)
