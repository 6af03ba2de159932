"""Each Telegram update handled once: webhook retries, re-sends and several processes repeat update ids."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.db import dialect_insert
from bot.storage.models import ProcessedUpdate
from bot.storage.types import utcnow

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: Telegram gives up re-sending an update after about a day.
KEEP = timedelta(days=2)


class UpdateSeen(Protocol):
    async def first_time(self, update_id: int) -> bool: ...

    async def forget(self, update_id: int) -> None: ...


class RedisUpdateSeen:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def first_time(self, update_id: int) -> bool:
        return bool(
            await self.redis.set(f"kefu:update:{update_id}", 1, nx=True, ex=int(KEEP.total_seconds()))
        )

    async def forget(self, update_id: int) -> None:
        await self.redis.delete(f"kefu:update:{update_id}")


class DatabaseUpdateSeen:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._inserted = 0

    async def first_time(self, update_id: int) -> bool:
        async with self.sessions.begin() as session:
            insert = dialect_insert(session)
            result = await session.execute(
                insert(ProcessedUpdate)
                .values(update_id=update_id, processed_at=utcnow())
                .on_conflict_do_nothing(index_elements=["update_id"])
            )
            self._inserted += 1
            if self._inserted % 1000 == 0:  # prune now and then, not on every update
                await session.execute(
                    delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < utcnow() - KEEP)
                )
            return bool(getattr(result, "rowcount", 0))

    async def forget(self, update_id: int) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.update_id == update_id))
