"""The per-user flood limit: at most so many messages a minute from one user in a private chat."""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.engine.i18n import I18n
from bot.engine.language import from_language_code
from bot.telegram.updates import REPLAY_FLAG, sender_of

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class UserFloodLimit(BaseMiddleware):
    """At most `per_minute` messages a minute from one user: one polite notice, then quiet for a while."""

    def __init__(
        self, per_minute: int, i18n: I18n, redis: Redis | None = None, quiet_seconds: int = 120
    ) -> None:
        self.per_minute = per_minute
        self.i18n = i18n
        self.redis = redis
        self.quiet_seconds = quiet_seconds
        self._windows: dict[int, deque[float]] = {}
        self._quiet_until: dict[int, float] = {}

    async def _count(self, user_id: int) -> int:
        """Messages from the user in the last 60 s, this one included: a sliding window (a fixed
        calendar minute would let a burst across its boundary through twice)."""
        now = time.time()
        if self.redis is not None:
            key = f"kefu:flood:{user_id}"
            pipe = self.redis.pipeline(transaction=True)
            pipe.zremrangebyscore(key, 0, now - 60)
            pipe.zadd(key, {f"{now}:{uuid.uuid4().hex[:8]}": now})
            pipe.zcard(key)
            pipe.expire(key, 61)
            return int((await pipe.execute())[2])
        stamps = self._windows.get(user_id)
        if stamps is None:
            if len(self._windows) > 100_000:
                self._windows.clear()
            stamps = self._windows[user_id] = deque()
        while stamps and stamps[0] <= now - 60:
            stamps.popleft()
        stamps.append(now)
        return len(stamps)

    async def _quiet(self, user_id: int) -> bool:
        if self.redis is not None:
            return bool(await self.redis.exists(f"kefu:quiet:{user_id}"))
        return self._quiet_until.get(user_id, 0) > time.monotonic()

    async def _silence(self, user_id: int) -> None:
        if self.redis is not None:
            await self.redis.set(f"kefu:quiet:{user_id}", 1, ex=self.quiet_seconds)
        else:
            self._quiet_until[user_id] = time.monotonic() + self.quiet_seconds

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update) or data.get(REPLAY_FLAG):
            return await handler(event, data)
        user_id, lang_code, private = sender_of(event)
        if user_id is None or not private:
            return await handler(event, data)
        if await self._quiet(user_id):
            return None
        if await self._count(user_id) > self.per_minute:
            await self._silence(user_id)
            tr = self.i18n[from_language_code(lang_code) or "zh"]
            await data["bot"].send_message(
                user_id,
                tr._(
                    "You're writing very fast; I'll take a short break. Please write again in a couple of minutes."
                ),
            )
            log.info("user flood limit", extra={"chat": user_id})
            return None
        return await handler(event, data)
