"""Opening the configured database for a command: engine, migrations, sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.db import create_engine, create_sessionmaker, upgrade_database


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def open_database(url: str, *, upgrade: bool = True) -> AsyncIterator[Database]:
    """Every command that touches the database brings it up to the latest revision first."""
    engine = create_engine(url)
    try:
        if upgrade:
            await upgrade_database(engine)
        yield Database(engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()
