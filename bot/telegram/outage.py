"""Is a failure an outage (the database or Redis could not be reached: keep the update and retry later)
or the update's own (a DataError, an IntegrityError, a bug: the same on every retry)?"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
from collections.abc import Iterator

import asyncpg
from aiogram.exceptions import TelegramAPIError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

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
