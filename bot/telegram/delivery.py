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
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

#: Methods that post something into a chat: these are what Telegram's flood limits count.
SENDING = frozenset(
    {
        "SendMessage", "CopyMessage", "ForwardMessage", "SendPhoto", "SendSticker", "SendVoice", "SendDocument",
        "SendVideo", "SendAnimation", "EditMessageText", "EditMessageReplyMarkup", "EditMessageCaption",
        "EditMessageMedia", "SendAudio", "SendVideoNote", "SendMediaGroup", "CreateForumTopic", "EditForumTopic",
    }
)  # fmt: skip


@dataclass
class Bucket:
    """A token bucket: `capacity` at once, refilled at `rate` a second. Not used for pacing any more (a
    bucket of 30 refilled 30/s lets ~60 through in the first second: see `Gcra`)."""

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


#: Spacing is stretched by this fraction, so that timer and network jitter (up to 3% of a window, 30 ms
#: of a second) cannot put one send too many into a window as Telegram counts it on arrival.
SLACK = 0.03


@dataclass(frozen=True)
class Gcra:
    """One limit as a generic cell rate algorithm: sends `interval` seconds apart on average, up to
    `burst` of them back to back. Each send moves the key's theoretical arrival time (TAT) on by
    `interval`; a send may go when now >= TAT - tolerance, with tolerance = (burst - 1) * interval.
    Then sends k and k+m are at least m*interval - tolerance apart, so any window of W seconds holds
    fewer than W / interval + burst of them."""

    key: str
    interval: float
    burst: float

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval

    @classmethod
    def window(cls, key: str, count: float, period: float, burst: float) -> Gcra:
        """At most `count` sends in any `period` seconds, `burst` of them at once: the interval that
        makes period / interval + burst <= count + 1."""
        return cls(key, period * (1 + SLACK) / (count + 1 - burst), burst)


@dataclass
class OutboxLimits:
    """Telegram's published limits: ~30 messages/s overall, ~1/s per chat, ~20/min per group."""

    per_second: float = 30.0
    #: Sends that may go back to back overall (within the 30 of any second).
    burst: float = 2.0
    per_chat_per_second: float = 1.0
    chat_burst: float = 3.0
    per_group_per_minute: float = 20.0
    group_burst: float = 3.0
    #: The length of the group window in seconds (a minute; tests shorten it).
    group_period: float = 60.0

    def __post_init__(self) -> None:
        if not (1 <= self.burst <= self.per_second and 1 <= self.group_burst <= self.per_group_per_minute):
            raise ValueError("a burst must be at least 1 and at most the window's count")

    def overall(self) -> Gcra:
        return Gcra.window("all", self.per_second, 1.0, self.burst)

    def chat(self, chat_id: int | str) -> Gcra:
        if _is_group(chat_id):
            return Gcra.window(
                f"chat:{chat_id}", self.per_group_per_minute, self.group_period, self.group_burst
            )
        # ~1 a second on average; any one second holds at most chat_burst
        return Gcra(f"chat:{chat_id}", (1 + SLACK) / self.per_chat_per_second, self.chat_burst)


def _is_group(chat_id: int | str) -> bool:
    return (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)


class RateLimiter:
    """Queues (never drops) outgoing posts so that every window stays within the limits; in-process.

    A send waits first for its own chat (holding only that chat's turn, so a busy group does not hold
    up private chats), then, in order with the process's other ready senders, for the overall limit;
    both are taken at the same instant, the instant the send is let through."""

    def __init__(self, limits: OutboxLimits) -> None:
        self.limits = limits
        self._tat: dict[str, float] = {}
        self._turn = asyncio.Lock()
        self._chat_turns: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    def _local(self, limits: list[Gcra], take: bool) -> list[float]:
        """Seconds each limit would make a send wait now; with `take`, a send that need not wait is
        counted against all of them."""
        now = time.monotonic()
        waits = [max(0.0, self._tat.get(g.key, now) - g.tolerance - now) for g in limits]
        if take and not any(waits):
            self._count(limits, now)
        return waits

    def _count(self, limits: list[Gcra], now: float) -> None:
        for g in limits:
            self._tat[g.key] = max(self._tat.get(g.key, now), now) + g.interval
        if len(self._tat) > 50_000:  # forget chats idle long enough to be back at a full burst
            self._tat = {key: tat for key, tat in self._tat.items() if tat > now}

    async def _check(self, limits: list[Gcra], take: bool) -> list[float]:
        return self._local(limits, take)

    def backlog(self, chat_id: int | str) -> float:
        """Seconds a new post to this chat would wait now (0 when it can go at once): the chat's limit
        as granted so far, plus one interval for each send of this process already queued for it."""
        chat = self.limits.chat(chat_id)
        _, users = self._chat_turns.get(chat.key, (None, [0]))
        now = time.monotonic()
        tat = max(self._tat.get(chat.key, now), now) + users[0] * chat.interval
        return max(0.0, tat - chat.tolerance - now)

    async def acquire(self, chat_id: int | str | None) -> None:
        overall = self.limits.overall()
        if chat_id is None:
            async with self._turn:
                while True:
                    [wait] = await self._check([overall], take=True)
                    if not wait:
                        return
                    await asyncio.sleep(wait)
        chat = self.limits.chat(chat_id)
        lock, users = self._chat_turns.setdefault(chat.key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:  # this chat's sends go one after the other, in order
                await self._acquire_both(chat, overall)
        finally:
            users[0] -= 1
            if not users[0]:
                del self._chat_turns[chat.key]

    async def _acquire_both(self, chat: Gcra, overall: Gcra) -> None:
        while True:
            [wait] = await self._check([chat], take=False)
            if wait:
                await asyncio.sleep(wait)
                continue
            async with self._turn:
                while True:
                    chat_wait, overall_wait = await self._check([chat, overall], take=True)
                    if not chat_wait and not overall_wait:
                        return
                    if chat_wait:
                        break  # another process took the chat's slot: wait for it outside the turn
                    await asyncio.sleep(overall_wait)


def _timed_out(error: Exception) -> bool:
    return isinstance(error, TelegramNetworkError) and isinstance(
        error.__cause__, asyncio.TimeoutError | TimeoutError
    )


# GCRA over several keys at once, in one round trip and on Redis's clock: how long each limit would
# make a send wait now (ms); when none would and ARGV[1] is "1", the send is counted against all.
# ARGV: take, then interval and tolerance (ms) of each key in turn.
_GCRA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local waits, tats, free = {}, {}, true
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local wait = tat - tonumber(ARGV[2 * i + 1]) - now
  if wait > 0 then free = false else wait = 0 end
  waits[i], tats[i] = string.format('%.3f', wait), tat
end
if free and ARGV[1] == '1' then
  for i, key in ipairs(KEYS) do
    local new_tat = tats[i] + tonumber(ARGV[2 * i])
    redis.call('SET', key, string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now + 1000))
  end
end
return waits
"""


class SharedRateLimiter(RateLimiter):
    """The same limits shared by every bot process through Redis (Telegram counts per bot, not per
    process); falls back to this process's own state while Redis is unreachable."""

    def __init__(self, limits: OutboxLimits, redis: Redis) -> None:
        super().__init__(limits)
        self.redis = redis
        self._script = redis.register_script(_GCRA)

    async def _check(self, limits: list[Gcra], take: bool) -> list[float]:
        args: list[Any] = ["1" if take else "0"]
        for g in limits:
            args += [g.interval * 1000, g.tolerance * 1000]
        try:
            waits = [
                float(w) / 1000
                for w in await self._script(keys=[f"kefu:rate:{g.key}" for g in limits], args=args)
            ]
        except Exception:  # Redis away: pace with this process's own state rather than not at all
            return self._local(limits, take)
        if take and not any(waits):
            self._count(limits, time.monotonic())  # this process's view, for backlog()
        return waits


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
