"""Incoming side: per-user flood limit, updates kept while the database is down, and dead letters.

A turn can fail in two ways, told apart by `is_outage`:
- the database (or Redis) cannot be reached: the user is told the shop will answer shortly, the raw
  update is kept (Redis list, or memory and a spool file without Redis), and a background task feeds
  it through the dispatcher again once the database answers; nothing is lost;
- anything else (a DataError, an IntegrityError, a bug) would fail the same way on every retry: the
  user gets one polite answer, the update and its error become a dead letter (`failed_updates`, see
  bot.storage.failed) and the update is acknowledged, so Telegram does not send it again.
Replays are capped and back off, so an update that never goes through ends as a dead letter too.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import sqlite3
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import asyncpg
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import TelegramObject, Update
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.engine.i18n import I18n, Lang
from bot.engine.language import from_language_code
from bot.storage.failed import claim_retries, finish_retry, record_failure

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.app import App

log = logging.getLogger(__name__)
REPLAY_FLAG = "kefu_replay"
#: Set by a replay that counts outages itself (the kept updates' loop, `kefu failed retry`): an outage
#: then reaches it as an exception instead of the update being kept once more.
COUNTED_REPLAY_FLAG = "kefu_counted_replay"
#: Feeds of a kept update that met an outage although the database answered a ping just before: after
#: this many it is taken for a poison update in disguise (a query that kills its connection) and
#: becomes a dead letter.
MAX_REPLAYS = 8
#: Kept updates fed per round of the replay loop (it yields between them, and rounds are spaced).
REPLAY_BATCH = 50

# PostgreSQL error codes that mean "the server cannot serve us now", not "this request is wrong":
# class 08 (connection exception), admin/crash shutdown, "the database system is shutting down" or
# starting up, too many connections.
_OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# SQLite: the file cannot be opened (a volume away) or another process holds the write lock past the
# busy timeout. Both are about reaching the file, not about this update's data: later, the same update
# goes through. ("disk I/O error", "no such table", constraint failures are not outages.)
_SQLITE_OUTAGES = ("unable to open database file", "database is locked")
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ENOTCONN,
        errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.ETIMEDOUT,
    }
)  # fmt: skip


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (SQLAlchemy's `.orig`, a driver's own exception) and its causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo and len(seen) < 12:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__context__, current.__cause__])
        for attribute in ("orig", "driver_exception"):
            inner = getattr(current, attribute, None)
            if isinstance(inner, BaseException):
                todo.append(inner)


def _is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True  # SQLAlchemy's dialect recognised a disconnect
    if isinstance(error, PoolTimeoutError | asyncio.TimeoutError | TimeoutError | ConnectionError):
        return True  # no pooled connection came free in time; refused, reset, aborted, broken pipe
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return True
    if isinstance(error, asyncpg.PostgresConnectionError):
        return True
    if isinstance(error, asyncpg.InterfaceError) and "connection" in str(error) and "closed" in str(error):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(_SQLITE_OUTAGES)
    if isinstance(error, OSError):
        # asyncio reports a failed connect to several addresses as a bare OSError without errno
        return error.errno in _CONNECTION_ERRNOS or "Connect call failed" in str(error)
    return False


def is_outage(error: BaseException) -> bool:
    """True when `error` means the database (or Redis) could not be reached: keep the update, retry
    later. Everything else is the update's own failure. A Telegram error is never a database outage,
    whatever network error it wraps."""
    if isinstance(error, TelegramAPIError):
        return False
    return any(_is_connection_failure(cause) for cause in _causes(error))


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
    in memory mirrored to a spool file (one JSON update a line) that a restart reads back. An update
    that has been replayed without success carries its count: `{"update": ..., "replays": n}`."""

    KEY = "kefu:pending-updates"

    def __init__(self, redis: Redis | None = None, spool: Path | None = None) -> None:
        self.redis = redis
        self.spool = spool if redis is None else None
        self.memory: deque[str] = deque()
        if self.spool is not None and self.spool.exists():
            lines = self.spool.read_text(encoding="utf-8").splitlines()
            self.memory.extend(line for line in lines if line.strip())
            if self.memory:
                log.warning("updates kept before a restart found", extra={"count": len(self.memory)})

    async def push(self, update: dict[str, Any]) -> None:
        await self._put(json.dumps(update, ensure_ascii=False), front=False)

    async def push_front(self, update: dict[str, Any], replays: int = 0) -> None:
        item = {"update": update, "replays": replays} if replays else update
        await self._put(json.dumps(item, ensure_ascii=False), front=True)

    async def _put(self, data: str, *, front: bool) -> None:
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
        item = await self.pop_counted()
        return item[0] if item is not None else None

    async def pop_counted(self) -> tuple[dict[str, Any], int] | None:
        """The oldest kept update and how many replays of it have failed so far."""
        if self.redis is not None:
            data = cast("bytes | str | None", await self.redis.lpop(self.KEY))  # one item: no count given
        else:
            data = self.memory.popleft() if self.memory else None
            if data is not None:
                self._rewrite()
        if not data:
            return None
        item = json.loads(data)
        if "update_id" not in item and isinstance(item.get("update"), dict):
            return item["update"], int(item.get("replays", 0))
        return item, 0

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


def _raw(update: Update) -> dict[str, Any]:
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)


async def dead_letter(
    sessions: async_sessionmaker[AsyncSession],
    i18n: I18n,
    bot: Bot,
    update: Update,
    raw: dict[str, Any],
    error: BaseException,
) -> None:
    """Store the update and its error; the first time, tell its author politely (in its language).
    Raises when the store fails (the caller keeps the update instead)."""
    user_id, lang_code, private = _sender(update)
    log.error(
        "update failed: kept as a dead letter",
        exc_info=error,
        extra={"update_id": update.update_id, "chat": user_id, "error_class": type(error).__name__},
    )
    first, lang = await record_failure(sessions, update.update_id, user_id, raw, error)
    if not first or user_id is None or not private:
        return
    chosen: Lang = "ru" if lang == "ru" else "zh" if lang == "zh" else from_language_code(lang_code) or "zh"
    tr = i18n[chosen]
    try:
        await bot.send_message(
            user_id,
            tr._(
                "Sorry, something went wrong on our side with your message. "
                "We have passed it on to our team and will get back to you."
            ),
            parse_mode=None,
        )
    except Exception:  # a courtesy: the dead letter is stored either way
        log.warning("could not send the failure notice", extra={"chat": user_id})


class KeepWhenDatabaseDown(BaseMiddleware):
    """The outermost middleware: a failed turn never reaches the user as an error, an outage loses no
    message, and an update that fails by itself is answered, stored and acknowledged once."""

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
        except Exception as error:
            if not isinstance(event, Update):
                raise
            if is_outage(error):
                if data.get(COUNTED_REPLAY_FLAG):
                    raise  # the replay loop counts it and backs off
                await self._keep(event, error, data)
                return None
            if isinstance(error, TelegramForbiddenError):
                log.info("user blocked the bot: update dropped", extra={"update_id": event.update_id})
                return None
            if isinstance(error, TelegramNetworkError | TelegramServerError | TelegramRetryAfter):
                # Telegram unreachable after the request layer's own retries: as before, the update is
                # not acknowledged and Telegram sends it again (a "bad request" is a dead letter).
                raise
            app: App = data["app"]
            try:
                await dead_letter(app.database.sessions, self.i18n, data["bot"], event, _raw(event), error)
            except Exception as store_error:
                if data.get(COUNTED_REPLAY_FLAG) or not is_outage(store_error):
                    raise
                await self._keep(event, store_error, data)  # the database went away meanwhile
            return None

    async def _keep(self, update: Update, error: BaseException, data: dict[str, Any]) -> None:
        await self.pending.push(_raw(update))
        user_id, lang_code, private = _sender(update)
        log.warning(
            "database unavailable: update kept for later",
            extra={"update_id": update.update_id, "chat": user_id, "error": error.__class__.__name__},
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


async def replay_once(
    dispatcher: Dispatcher,
    bot: Bot,
    engine: AsyncEngine,
    pending: PendingUpdates,
    *,
    max_replays: int = MAX_REPLAYS,
    batch: int = REPLAY_BATCH,
) -> int:
    """Feed kept updates through the dispatcher again, oldest first, if the database answers now.
    Returns how many left the queue (handled, or given up as dead letters). Stops at the first that
    meets an outage again: the loop backs off before the next round."""
    try:
        if not await pending.size():
            return 0
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # still down (or Redis hiccup): try again later
        return 0
    done = 0
    for _ in range(batch):
        item = await pending.pop_counted()
        if item is None:
            break
        raw, replays = item
        try:
            update = Update.model_validate(raw, context={"bot": bot})
        except ValidationError:
            log.error("a kept update cannot be read: dropped", extra={"update_id": raw.get("update_id")})
            continue
        try:
            await dispatcher.feed_update(bot, update, **{REPLAY_FLAG: True, COUNTED_REPLAY_FLAG: True})
            done += 1
        except Exception as error:
            replays += 1
            log.warning(
                "replaying a kept update failed",
                extra={"update_id": update.update_id, "error": type(error).__name__, "replays": replays},
            )
            if replays >= max_replays and await _give_up(dispatcher, bot, update, raw, error):
                done += 1
            else:
                await pending.push_front(raw, replays)
            break
        await asyncio.sleep(0)  # other updates and requests get their turn between replays
    return done


async def _give_up(
    dispatcher: Dispatcher, bot: Bot, update: Update, raw: dict[str, Any], error: BaseException
) -> bool:
    app: App = dispatcher["app"]
    try:
        await dead_letter(app.database.sessions, app.i18n, bot, update, raw, error)
    except Exception:
        log.exception("could not store a dead letter", extra={"update_id": update.update_id})
        return False
    return True


async def retry_failed_once(dispatcher: Dispatcher, bot: Bot, *, limit: int = 10) -> int:
    """Replay the dead letters `kefu failed retry` marked; returns how many went through."""
    app: App = dispatcher["app"]
    sessions = app.database.sessions
    try:
        claimed = await claim_retries(sessions, limit)
    except Exception:
        log.warning("could not read the dead letters marked for retry", exc_info=True)
        return 0
    done = 0
    for index, row in enumerate(claimed):
        raw = json.loads(row.update_json)
        try:
            update = Update.model_validate(raw, context={"bot": bot})
        except ValidationError as error:
            await record_failure(sessions, row.update_id, row.chat_id, raw, error)
            continue
        try:
            await dispatcher.feed_update(bot, update, **{REPLAY_FLAG: True, COUNTED_REPLAY_FLAG: True})
        except Exception as error:
            # An outage or Telegram away: this retry failed (the person sees why and may ask again; a
            # row whose state cannot even be written is claimed again once its claim is stale), and
            # the rest of the batch waits for the next round.
            log.warning(
                "retrying a dead letter met an outage",
                extra={"update_id": row.update_id, "error": type(error).__name__},
            )
            try:
                await record_failure(sessions, row.update_id, row.chat_id, raw, error)
                for later in claimed[index + 1 :]:
                    await finish_retry(sessions, later.id, again=True)
            except Exception:
                log.warning("could not record the failed retry", extra={"update_id": row.update_id})
            break
        await finish_retry(sessions, row.id)  # no-op when the replay failed anew (row back to `failed`)
        done += 1
        await asyncio.sleep(0)
    return done


async def replay_pending(
    dispatcher: Dispatcher,
    bot: Bot,
    engine: AsyncEngine,
    pending: PendingUpdates,
    every: float = 2.0,
    *,
    max_every: float = 30.0,
    max_replays: int = MAX_REPLAYS,
    retries_every: float = 5.0,
) -> None:
    """The background loop: kept updates, dead letters marked for retry (looked for every
    `retries_every` seconds: a query), and (under polling) updates kept for want of Redis. While kept
    updates stay stuck, the pause doubles up to `max_every`."""
    pause = every
    loop = asyncio.get_running_loop()
    next_retries = loop.time()
    while True:
        await asyncio.sleep(pause)
        try:
            done = await replay_once(dispatcher, bot, engine, pending, max_replays=max_replays)
            stuck = not done and await pending.size() > 0
            if loop.time() >= next_retries:
                next_retries = loop.time() + retries_every
                await retry_failed_once(dispatcher, bot)
            if isinstance(dispatcher, PollingDispatcher):
                await dispatcher.replay_kept()
        except Exception:  # the loop itself must survive anything (Redis away while popping...)
            log.exception("replay round failed")
            stuck = True
        pause = min(max_every, pause * 2) if stuck else every


class PollingDispatcher(Dispatcher):
    """The dispatcher for long polling, which moves Telegram's offset past every update it is given.

    aiogram's own per-chat lock and state live in Redis and are taken before our middlewares run, so
    with Redis away an update fails there. Behind a webhook that is a 500 and Telegram sends the
    update again; under polling it would be lost. Here it is kept in memory instead, and fed again
    once Redis answers (`replay_kept`, from the replay loop)."""

    def __init__(self, redis: Redis, **kwargs: Any) -> None:
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
