"""Incoming side: per-user flood limit, and updates kept when the database is down.

When handling an update fails because the database cannot be reached, the user is told the shop will
answer shortly, the raw update is kept (Redis list, or memory without Redis), and a background task
feeds it through the dispatcher again once the database answers: nothing is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject, Update
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.engine.i18n import I18n
from bot.engine.language import from_language_code

log = logging.getLogger(__name__)
DATABASE_ERRORS = (OperationalError, DBAPIError, ConnectionError, OSError, TimeoutError, RedisError)
REPLAY_FLAG = "kefu_replay"


def _sender(update: Update) -> tuple[int | None, str | None, bool]:
    """(user id, language_code, private chat?) of an update's author."""
    for event in (update.message, update.edited_message):
        if event is not None and event.from_user is not None:
            return event.from_user.id, event.from_user.language_code, event.chat.type == "private"
    if update.callback_query is not None:
        user = update.callback_query.from_user
        return user.id, user.language_code, True
    return None, None, False


class PendingUpdates:
    """Raw updates waiting for the database; in Redis when several processes share the work, else
    in memory mirrored to a spool file (one JSON update a line) that a restart reads back."""

    KEY = "kefu:pending-updates"

    def __init__(self, redis: Any | None = None, spool: Path | None = None) -> None:
        self.redis = redis
        self.spool = spool if redis is None else None
        self.memory: deque[str] = deque()
        if self.spool is not None and self.spool.exists():
            lines = self.spool.read_text(encoding="utf-8").splitlines()
            self.memory.extend(line for line in lines if line.strip())
            if self.memory:
                log.warning("updates kept before a restart found", extra={"count": len(self.memory)})

    async def push(self, update: dict[str, Any]) -> None:
        await self._put(update, front=False)

    async def push_front(self, update: dict[str, Any]) -> None:
        await self._put(update, front=True)

    async def _put(self, update: dict[str, Any], *, front: bool) -> None:
        data = json.dumps(update, ensure_ascii=False)
        if self.redis is not None:
            await (self.redis.lpush if front else self.redis.rpush)(self.KEY, data)
        elif front:
            self.memory.appendleft(data)
            self._rewrite()
        else:
            self.memory.append(data)
            if self.spool is not None:  # appended, not rewritten: the common case stays cheap
                with self.spool.open("a", encoding="utf-8") as f:
                    f.write(data + "\n")
                    f.flush()
                    os.fsync(f.fileno())

    async def pop(self) -> dict[str, Any] | None:
        if self.redis is not None:
            data = await self.redis.lpop(self.KEY)
        else:
            data = self.memory.popleft() if self.memory else None
            if data is not None:
                self._rewrite()
        return json.loads(data) if data else None

    def _rewrite(self) -> None:
        """The spool as the queue now is (written aside, then swapped in: never half-written)."""
        if self.spool is None:
            return
        if not self.memory:
            self.spool.unlink(missing_ok=True)
            return
        aside = self.spool.with_name(self.spool.name + ".tmp")
        with aside.open("w", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in self.memory)
            f.flush()
            os.fsync(f.fileno())
        os.replace(aside, self.spool)

    async def size(self) -> int:
        return int(await self.redis.llen(self.KEY)) if self.redis is not None else len(self.memory)


class KeepWhenDatabaseDown(BaseMiddleware):
    """The outermost middleware: a database failure never reaches the user as an error, nor loses a message."""

    def __init__(self, pending: PendingUpdates, i18n: I18n) -> None:
        self.pending = pending
        self.i18n = i18n
        self._told: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except DATABASE_ERRORS as error:
            if not isinstance(event, Update):
                raise
            if isinstance(error, SQLAlchemyError) and not isinstance(error, OperationalError | DBAPIError):
                raise  # a bug, not an outage: let it surface
            await self.pending.push(event.model_dump(mode="json", exclude_none=True, by_alias=True))
            user_id, lang_code, private = _sender(event)
            log.warning(
                "database unavailable: update kept for later",
                extra={"update_id": event.update_id, "chat": user_id, "error": error.__class__.__name__},
            )
            if user_id is not None and private and time.monotonic() - self._told.get(user_id, 0) > 60:
                self._told[user_id] = time.monotonic()
                tr = self.i18n[from_language_code(lang_code) or "zh"]
                bot: Bot = data["bot"]
                try:
                    await bot.send_message(
                        user_id, tr._("Thank you for your message! We will answer you shortly.")
                    )
                except Exception:  # the notice is a courtesy; the update itself is safe
                    log.warning("could not send the busy notice", extra={"chat": user_id})
            return None


async def replay_once(dispatcher: Dispatcher, bot: Bot, engine: AsyncEngine, pending: PendingUpdates) -> int:
    """Feed kept updates through the dispatcher again, oldest first, if the database answers now."""
    try:
        if not await pending.size():
            return 0
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # still down (or Redis hiccup): try again later
        return 0
    done = 0
    while (raw := await pending.pop()) is not None:
        try:
            update = Update.model_validate(raw, context={"bot": bot})
            await dispatcher.feed_update(bot, update, **{REPLAY_FLAG: True})
            done += 1
        except Exception:
            log.exception("replaying a kept update failed", extra={"update_id": raw.get("update_id")})
            await pending.push_front(raw)
            break
    return done


async def replay_pending(
    dispatcher: Dispatcher, bot: Bot, engine: AsyncEngine, pending: PendingUpdates, every: float = 2.0
) -> None:
    while True:
        await asyncio.sleep(every)
        await replay_once(dispatcher, bot, engine, pending)
        if isinstance(dispatcher, PollingDispatcher):
            await dispatcher.replay_kept()


class PollingDispatcher(Dispatcher):
    """The dispatcher for long polling, which moves Telegram's offset past every update it is given.

    aiogram's own per-chat lock and state live in Redis and are taken before our middlewares run, so
    with Redis away an update fails there. Behind a webhook that is a 500 and Telegram sends the
    update again; under polling it would be lost. Here it is kept in memory instead, and fed again
    once Redis answers (`replay_kept`, from the replay loop)."""

    def __init__(self, redis: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = redis
        self.kept: deque[tuple[Bot, Update]] = deque()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        try:
            return await super().feed_update(bot, update, **kwargs)
        except RedisError as error:
            if kwargs.get(REPLAY_FLAG):
                raise
            self.kept.append((bot, update))
            log.warning(
                "redis unavailable: update kept for later",
                extra={"update_id": update.update_id, "error": error.__class__.__name__},
            )
            return None

    async def replay_kept(self) -> int:
        """Feed kept updates again, oldest first, if Redis answers now."""
        if not self.kept:
            return 0
        try:
            await self.redis.ping()
        except RedisError:
            return 0
        done = 0
        while self.kept:
            bot, update = self.kept[0]
            try:
                await super().feed_update(bot, update, **{REPLAY_FLAG: True})
            except RedisError:
                break  # away again: keep it, and what follows it
            except Exception:
                log.exception("replaying a kept update failed", extra={"update_id": update.update_id})
            self.kept.popleft()
            done += 1
        return done


class UserFloodLimit(BaseMiddleware):
    """At most `per_minute` messages a minute from one user: one polite notice, then quiet for a while."""

    def __init__(
        self, per_minute: int, i18n: I18n, redis: Any | None = None, quiet_seconds: int = 120
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
        user_id, lang_code, private = _sender(event)
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
