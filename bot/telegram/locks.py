"""Per-key locks: in-process, or in Redis when several bot processes share the work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis


class Locks:
    def __init__(self, redis: Redis | None = None, timeout: float = 30.0) -> None:
        self._redis = redis
        self._timeout = timeout
        self._local: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._local.get(key, (asyncio.Lock(), 0))
        self._local[key] = (lock, users + 1)
        try:
            async with lock:
                if self._redis is None:
                    yield
                else:
                    redis_lock = self._redis.lock(
                        f"kefu:lock:{key}", timeout=self._timeout, blocking_timeout=self._timeout
                    )
                    async with redis_lock:
                        yield
        finally:
            lock, users = self._local[key]
            if users <= 1:
                del self._local[key]  # nobody else waits: do not keep a lock per conversation forever
            else:
                self._local[key] = (lock, users - 1)
