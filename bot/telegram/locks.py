"""Per-key locks: in-process, or in Redis when several bot processes share the work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class Locks:
    def __init__(self, redis: Any | None = None, timeout: float = 30.0) -> None:
        self._redis = redis
        self._timeout = timeout
        self._local: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        local = self._local.setdefault(key, asyncio.Lock())
        async with local:
            if self._redis is None:
                yield
                return
            lock = self._redis.lock(f"kefu:lock:{key}", timeout=self._timeout, blocking_timeout=self._timeout)
            async with lock:
                yield
