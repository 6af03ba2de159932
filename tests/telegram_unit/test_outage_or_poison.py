"""Only connection-level failures count as "the database is down"; a bad update's own error never does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.storage.db import create_engine
from bot.telegram.outage import is_outage
from bot.telegram.pending_updates import PendingUpdates
from tests.conftest import PostgresScratch


async def _error_of(url: str, sql: str, **engine_args: object) -> BaseException:
    engine = create_engine(url, **engine_args)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    except Exception as error:
        return error
    finally:
        await engine.dispose()
    raise AssertionError("no error")


@pytest.mark.postgres
async def test_postgresql_errors(postgres: PostgresScratch) -> None:
    url = postgres.url("postgres")
    assert not is_outage(await _error_of(url, "SELECT 9999999999999999999999::int"))  # DataError
    assert not is_outage(await _error_of(url, "SELECT E'a\\\\x00'::text || chr(0)"))
    assert not is_outage(await _error_of(url, "SELECT * FROM no_such_table"))
    refused = url.replace("127.0.0.1:5432", "127.0.0.1:1")
    assert is_outage(await _error_of(refused, "SELECT 1", connect_args={"timeout": 2}))


async def test_sqlite_errors(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"
    assert not is_outage(await _error_of(url, "SELECT * FROM no_such_table"))
    missing = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    assert is_outage(await _error_of(missing, "SELECT 1"))  # unable to open database file
    locked = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
    assert is_outage(locked)
    constraint = IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_outage(constraint)


def test_other_errors() -> None:
    assert is_outage(ConnectionRefusedError(111, "Connection refused"))
    assert is_outage(OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 1)"))
    assert is_outage(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    assert not is_outage(ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"))
    assert not is_outage(ValueError("invalid literal for int() with base 10: '²'"))
    assert not is_outage(FileNotFoundError(2, "No such file or directory"))
    wrapped = DBAPIError("SELECT 1", {}, Exception("server closed"), connection_invalidated=True)
    assert is_outage(wrapped)
    # a send to Telegram that timed out wraps a TimeoutError, but the database is fine
    timeout = TelegramNetworkError(SendMessage(chat_id=1, text="x"), "Request timeout error")
    timeout.__cause__ = TimeoutError()
    assert not is_outage(timeout)


async def test_kept_updates_carry_their_replay_count(tmp_path: Path) -> None:
    pending = PendingUpdates(spool=tmp_path / "pending.jsonl")
    await pending.push({"update_id": 1})
    raw, replays = await pending.pop_counted() or ({}, -1)
    assert (raw, replays) == ({"update_id": 1}, 0)
    await pending.push_front(raw, replays + 1)
    again = PendingUpdates(spool=tmp_path / "pending.jsonl")  # across a restart too
    assert await again.pop_counted() == ({"update_id": 1}, 1)
