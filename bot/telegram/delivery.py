"""Outgoing requests: Telegram's rate limits respected, 429 waited out, network and 5xx retried.

Registered on the bot's session (`bot.session.middleware(...)`), so every call any handler makes goes
through it: a request middleware is aiogram's one place below all handlers and above HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

#: Methods that post something into a chat: these are what Telegram's flood limits count.
SENDING = frozenset(
    {
        "SendMessage", "CopyMessage", "ForwardMessage", "SendPhoto", "SendSticker", "SendVoice", "SendDocument",
        "SendVideo", "SendAnimation", "EditMessageText", "EditMessageReplyMarkup", "CreateForumTopic",
        "EditForumTopic",
    }
)  # fmt: skip


@dataclass
class Bucket:
    """A token bucket: `capacity` at once, refilled at `rate` a second."""

    capacity: float
    rate: float
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens, self.stamp = self.capacity, time.monotonic()

    def wait_time(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        need = (1 - self.tokens) / self.rate
        self.tokens -= 1  # reserve: the caller waits `need` and then owns this token
        return need


@dataclass
class OutboxLimits:
    """Telegram's published limits: ~30 messages/s overall, ~1/s per chat, ~20/min per group."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    chat_burst: float = 3.0
    per_group_per_minute: float = 20.0
    group_burst: float = 5.0


class RateLimiter:
    """Queues (never drops) outgoing posts so each stays within the limits; in-process."""

    def __init__(self, limits: OutboxLimits) -> None:
        self.limits = limits
        self.overall = Bucket(limits.per_second, limits.per_second)
        self.chats: dict[int | str, Bucket] = {}
        self._lock = asyncio.Lock()

    def _chat(self, chat_id: int | str) -> Bucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            group = (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
            if group:
                bucket = Bucket(self.limits.group_burst, self.limits.per_group_per_minute / 60)
            else:
                bucket = Bucket(self.limits.chat_burst, self.limits.per_chat_per_second)
            if len(self.chats) > 50_000:  # forget idle chats now and then
                self.chats.clear()
            self.chats[chat_id] = bucket
        return bucket

    def backlog(self, chat_id: int | str) -> float:
        """Seconds a new post to this chat would wait now (0 when it can go at once)."""
        bucket = self.chats.get(chat_id)
        if bucket is None:
            return 0.0
        refilled = min(bucket.capacity, bucket.tokens + (time.monotonic() - bucket.stamp) * bucket.rate)
        return 0.0 if refilled >= 1 else (1 - refilled) / bucket.rate

    async def acquire(self, chat_id: int | str | None) -> None:
        async with self._lock:
            wait = self.overall.wait_time()
            if chat_id is not None:
                wait = max(wait, self._chat(chat_id).wait_time())
        if wait > 0:
            await asyncio.sleep(wait)


def _timed_out(error: Exception) -> bool:
    return isinstance(error, TelegramNetworkError) and isinstance(
        error.__cause__, asyncio.TimeoutError | TimeoutError
    )


# GCRA in one round trip: reserve the next slot of a key and say how long to wait for it (ms).
_GCRA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now + 1000))
return tostring(wait)
"""


class SharedRateLimiter(RateLimiter):
    """The same limits shared by every bot process through Redis (Telegram counts per bot, not per
    process); falls back to this process's own buckets while Redis is unreachable."""

    def __init__(self, limits: OutboxLimits, redis: Any) -> None:
        super().__init__(limits)
        self.redis = redis
        self._script = redis.register_script(_GCRA)

    def _key_params(self, chat_id: int | str) -> tuple[str, float, float]:
        group = (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
        if group:
            interval = 60_000 / self.limits.per_group_per_minute
            return f"kefu:rate:chat:{chat_id}", interval, interval * (self.limits.group_burst - 1)
        interval = 1000 / self.limits.per_chat_per_second
        return f"kefu:rate:chat:{chat_id}", interval, interval * (self.limits.chat_burst - 1)

    async def acquire(self, chat_id: int | str | None) -> None:
        overall = 1000 / self.limits.per_second
        try:
            wait = float(
                await self._script(
                    keys=["kefu:rate:all"], args=[overall, overall * (self.limits.per_second - 1)]
                )
            )
            if chat_id is not None:
                key, interval, tolerance = self._key_params(chat_id)
                wait = max(wait, float(await self._script(keys=[key], args=[interval, tolerance])))
                self._chat(chat_id).wait_time()  # this process's share, for backlog() (merging decisions)
        except Exception:  # Redis away: pace with this process's buckets rather than not at all
            await super().acquire(chat_id)
            return
        if wait > 0:
            await asyncio.sleep(wait / 1000)


class ReliableRequests(BaseRequestMiddleware):
    """Bounded retries: 429 after retry_after (never answerCallbackQuery: it expires), network errors and
    5xx with exponential backoff; a user who blocked the bot is reported once and not retried."""

    def __init__(
        self,
        limiter: RateLimiter | None = None,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.limiter = limiter
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.on_blocked = on_blocked

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id: Any = getattr(method, "chat_id", None)
        sending = type(method).__name__ in SENDING
        for attempt in range(1, self.attempts + 1):
            if sending and self.limiter is not None:
                await self.limiter.acquire(chat_id)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if isinstance(method, AnswerCallbackQuery) or attempt == self.attempts:
                    raise
                log.warning(
                    "429 from Telegram",
                    extra={"method": type(method).__name__, "retry_after": error.retry_after},
                )
                await asyncio.sleep(min(error.retry_after, 300))
            except (TelegramNetworkError, TelegramServerError) as error:
                if attempt == self.attempts or (sending and _timed_out(error)):
                    # A send that timed out may well have been delivered: sending it again could
                    # double it, so only requests that never left (connection errors, 5xx) are retried.
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
                log.warning(
                    "Telegram unreachable, retrying",
                    extra={"method": type(method).__name__, "error": str(error), "delay": round(delay, 2)},
                )
                await asyncio.sleep(delay)
            except TelegramForbiddenError:
                if self.on_blocked is not None and isinstance(chat_id, int) and chat_id > 0:
                    await self.on_blocked(chat_id)
                raise
        raise AssertionError("unreachable")  # pragma: no cover
