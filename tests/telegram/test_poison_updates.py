"""An update that fails by itself (not for an outage) is answered once, stored as a dead letter and
acknowledged; `kefu failed list` / `kefu failed retry` show and replay it through the running bot; an
update that keeps meeting an outage is given up after a capped, backed-off number of replays."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiogram.exceptions import TelegramServerError
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from test_telegram_bot import ALICE, BOB, STAFF_CHAT, Harness, start

from bot.config import PROJECT_ROOT
from bot.storage.failed import request_retry
from bot.storage.models import FailedUpdate, OutboxItem
from bot.storage.runtime import Database
from bot.telegram.replay import replay_pending, retry_failed_once
from bot.telegram.run import WEBHOOK_PATH, create_webhook_app
from tests.support.fake_bot_api import FakeBotAPI

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
SORRY_ZH, SORRY_RU = "出了点问题", "что-то пошло не так"
BUSY_ZH = "尽快回复"


async def _poison(database: Database, on: bool) -> None:
    """A real database error for one kind of message: a trigger refuses any logged text with POISON
    (a DataError on PostgreSQL, an IntegrityError on SQLite), the same on every retry."""
    postgres = database.engine.dialect.name == "postgresql"
    async with database.engine.begin() as conn:
        if not on:
            await conn.execute(text("DROP TRIGGER kefu_poison" + (" ON messages" if postgres else "")))
        elif postgres:
            await conn.execute(
                text(
                    "CREATE FUNCTION kefu_poison() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.text LIKE '%POISON%' THEN "
                    "RAISE EXCEPTION 'poisoned message' USING ERRCODE = '22023'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER kefu_poison BEFORE INSERT ON messages "
                    "FOR EACH ROW EXECUTE FUNCTION kefu_poison()"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE TRIGGER kefu_poison BEFORE INSERT ON messages WHEN NEW.text LIKE '%POISON%' "
                    "BEGIN SELECT RAISE(ABORT, 'poisoned message'); END"
                )
            )


async def _failed_rows(database: Database) -> list[FailedUpdate]:
    async with database.sessions() as session:
        return list((await session.scalars(select(FailedUpdate).order_by(FailedUpdate.id))).all())


def _kefu(database: Database, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "KEFU_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest_asyncio.fixture
async def tg(fake_api: FakeBotAPI, shop: Database) -> AsyncIterator[Harness]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, shop)
    yield harness
    await harness.bot.session.close()


async def test_a_failing_update_is_answered_once_stored_and_acknowledged(tg: Harness, shop: Database) -> None:
    await _poison(shop, on=True)
    web_app = create_webhook_app(tg.app, tg.bot, tg.dispatcher, "s3cret")
    update = tg.fake.push_update(tg.fake.private_message(ALICE, "你好 POISON", language_code="zh-hans"))
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        answer = await client.post(WEBHOOK_PATH, json=update, headers=SECRET)
        assert answer.status == 200  # acknowledged: Telegram will not send it again
    [notice] = tg.texts_to(ALICE)
    assert SORRY_ZH in notice and "Traceback" not in notice
    assert await tg.dispatcher["pending"].size() == 0  # not mistaken for an outage
    [row] = await _failed_rows(shop)
    assert row.update_id == update["update_id"] and row.chat_id == ALICE and row.status == "failed"
    assert row.error_class.rsplit(".", 1)[-1] in ("DBAPIError", "DataError", "IntegrityError")
    assert "poisoned message" in row.error_message and "Traceback" in row.traceback
    assert json.loads(row.update_json) == update
    # the replay loop has nothing to spin on: a few rounds later nothing more was sent or stored
    mark = tg.fake.mark()
    loop = asyncio.create_task(
        replay_pending(
            tg.dispatcher, tg.bot, shop.engine, tg.dispatcher["pending"], every=0.02, retries_every=0.02
        )
    )
    await asyncio.sleep(0.5)
    loop.cancel()
    assert tg.fake.find_calls(since=mark) == []
    assert [r.failures for r in await _failed_rows(shop)] == [1]
    # and the next message of the same customer is answered as usual
    await tg.feed(tg.fake.private_message(ALICE, "你好"))
    assert "您好" in tg.texts_to(ALICE, since=mark)[0]


async def test_failed_list_and_retry_replay_through_the_running_bot(
    tg: Harness, shop: Database, tmp_path: Path
) -> None:
    await _poison(shop, on=True)
    await tg.feed(tg.fake.private_message(BOB, "Привет POISON", language_code="ru"))
    [notice] = tg.texts_to(BOB)
    assert SORRY_RU in notice
    [row] = await _failed_rows(shop)

    listed = _kefu(shop, "failed", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert f"#{row.id} " in listed.stdout and f"update {row.update_id}" in listed.stdout
    assert "poisoned message" in listed.stdout
    shown = _kefu(shop, "failed", "show", str(row.id), cwd=tmp_path)
    assert shown.returncode == 0 and "Traceback" in shown.stdout and "POISON" in shown.stdout

    # a retry while the cause is still there fails again: counted, the customer not told twice
    retried = _kefu(shop, "failed", "retry", str(row.id), cwd=tmp_path)
    assert retried.returncode == 0, retried.stderr
    assert [r.status for r in await _failed_rows(shop)] == ["retry"]
    assert await retry_failed_once(tg.dispatcher, tg.bot) == 1  # claimed and fed...
    [again] = await _failed_rows(shop)
    assert again.status == "failed" and again.failures == 2  # ...and failed anew
    assert len(tg.texts_to(BOB)) == 1

    # the cause is fixed; the CLI marks the row, the running bot's loop replays it once
    await _poison(shop, on=False)
    assert _kefu(shop, "failed", "retry", str(row.id), cwd=tmp_path).returncode == 0
    mark = tg.fake.mark()
    loop = asyncio.create_task(
        replay_pending(
            tg.dispatcher, tg.bot, shop.engine, tg.dispatcher["pending"], every=0.05, retries_every=0.05
        )
    )
    try:
        for _ in range(200):
            if (await _failed_rows(shop))[0].status == "done":
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    assert (await _failed_rows(shop))[0].status == "done"
    [answer] = tg.texts_to(BOB, since=mark)
    assert SORRY_RU not in answer and answer  # the real answer, once
    assert "No failed updates." in _kefu(shop, "failed", "list", cwd=tmp_path).stdout
    done = _kefu(shop, "failed", "retry", str(row.id), cwd=tmp_path)
    assert done.returncode == 1 and "already" in done.stderr
    missing = _kefu(shop, "failed", "retry", "999999", cwd=tmp_path)
    assert missing.returncode == 1 and "no failed update" in missing.stderr


def _always_locked(calls: list[float]) -> Callable[..., Awaitable[Any]]:
    """A middleware in place of the handlers that always meets an outage-class error."""

    async def middleware(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        if getattr(getattr(event, "message", None), "text", None) == "卡住":
            calls.append(time.monotonic())
            raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
        return await handler(event, data)

    return middleware


async def test_an_update_that_always_meets_an_outage_is_given_up_and_the_process_idles(
    tg: Harness, shop: Database
) -> None:
    calls: list[float] = []
    tg.dispatcher.update.outer_middleware(_always_locked(calls))
    pending = tg.dispatcher["pending"]
    await tg.feed(tg.fake.private_message(ALICE, "卡住", language_code="zh-hans"))
    # kept behind it during the same outage
    await pending.push(tg.fake.push_update(tg.fake.private_message(BOB, "你好", language_code="zh-hans")))
    assert await pending.size() == 2 and len(calls) == 1
    assert BUSY_ZH in tg.texts_to(ALICE)[0]

    loop = asyncio.create_task(
        replay_pending(tg.dispatcher, tg.bot, shop.engine, pending, every=0.02, max_every=0.5, max_replays=4)
    )
    try:
        for _ in range(300):
            if await pending.size() == 0 and len(tg.texts_to(BOB)) == 1:
                break
            await asyncio.sleep(0.02)
        assert await pending.size() == 0
        settled = len(calls)
        cpu = time.process_time()
        await asyncio.sleep(1.5)  # the loop keeps running: it must find nothing to do
        assert len(calls) == settled == 1 + 4  # the first try and four capped replays, then never again
        assert time.process_time() - cpu < 0.5  # idle, not spinning
    finally:
        loop.cancel()
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls[1:])]
    assert all(b > a for a, b in itertools.pairwise(gaps))  # each replay waited longer
    [row] = await _failed_rows(shop)
    assert row.chat_id == ALICE and row.error_class.endswith("OperationalError")
    assert SORRY_ZH in tg.texts_to(ALICE)[-1]
    assert "您好" in tg.texts_to(BOB)[0]  # the update behind it was not held up for good


async def test_a_reply_telegram_refuses_is_kept_as_failed_and_the_user_told(
    tg: Harness, shop: Database, tmp_path: Path
) -> None:
    """The turn itself went through (its mark and its reply are in the outbox); Telegram refusing the
    reply for good is a failed send: kept with its reason, shown by `kefu failed list`, the user told once."""
    tg.fake.fail_next("sendMessage", status=400, description="Bad Request: message can't be copied")
    await tg.feed(tg.fake.private_message(ALICE, "你好", language_code="zh-hans"))  # raised on main
    [notice] = tg.texts_to(ALICE)
    assert SORRY_ZH in notice
    async with shop.sessions() as session:
        [send] = (await session.scalars(select(OutboxItem).where(OutboxItem.state == "failed"))).all()
    assert send.kind == "reply" and send.chat_id == ALICE and "can't be copied" in (send.last_error or "")
    listed = _kefu(shop, "failed", "list", cwd=tmp_path)
    assert (
        listed.returncode == 0 and f"send {send.id}" in listed.stdout and "can't be copied" in listed.stdout
    )


async def test_telegram_unreachable_still_leaves_the_update_unacknowledged(
    tg: Harness, shop: Database
) -> None:
    tg.fake.fail_next("sendMessage", status=502, times=10)
    with pytest.raises(TelegramServerError):  # the webhook answers 500: Telegram sends it again later
        await tg.feed(tg.fake.private_message(ALICE, "你好", language_code="zh-hans"))
    assert await _failed_rows(shop) == []


async def test_a_retry_that_meets_telegram_away_is_recorded_not_looped(tg: Harness, shop: Database) -> None:
    await _poison(shop, on=True)
    await tg.feed(tg.fake.private_message(ALICE, "你好 POISON", language_code="zh-hans"))
    [row] = await _failed_rows(shop)
    await _poison(shop, on=False)
    async with shop.sessions.begin() as session:
        await request_retry(session, row.id)
    tg.fake.fail_next("sendMessage", status=502, times=10)
    assert await retry_failed_once(tg.dispatcher, tg.bot) == 0
    [again] = await _failed_rows(shop)
    assert again.status == "failed" and again.failures == 2
    assert again.error_class.endswith("TelegramServerError")
    assert await retry_failed_once(tg.dispatcher, tg.bot) == 0  # nothing claimed until asked again
    assert len(tg.texts_to(ALICE)) == 1  # the one notice of the first failure
