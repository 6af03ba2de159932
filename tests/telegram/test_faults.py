"""Faults under the real bot: Telegram 429/5xx, blocked users, PostgreSQL connections killed or the server
unreachable. Each shows nothing lost and nothing doubled."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.engine import make_url
from tcp_proxy import TcpProxy
from test_telegram_bot import ALICE, BOB, STAFF_CHAT, Harness, start

from bot.importing import import_file
from bot.storage.db import create_engine, create_sessionmaker
from bot.storage.models import Conversation
from bot.storage.runtime import Database
from bot.telegram.delivery import OutboxLimits, RateLimiter
from bot.telegram.replay import replay_once
from tests.conftest import PostgresScratch, load_shop
from tests.support.fake_bot_api import FakeBotAPI


@pytest_asyncio.fixture
async def tg(fake_api: FakeBotAPI, shop: Database) -> AsyncIterator[Harness]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, shop)
    yield harness
    await harness.bot.session.close()


async def test_429_is_waited_out_and_the_reply_sent_once(tg: Harness) -> None:
    tg.fake.fail_next("sendMessage", status=429, retry_after=1)
    began = time.monotonic()
    await tg.feed(tg.fake.private_message(ALICE, "你好"))
    assert time.monotonic() - began >= 1.0
    assert len(tg.fake.find_calls("sendMessage")) == 2  # refused once, then sent
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1


async def test_server_errors_are_retried_with_backoff(tg: Harness) -> None:
    tg.fake.fail_next("sendMessage", status=500, times=2)
    await tg.feed(tg.fake.private_message(ALICE, "你好"))
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1


async def test_callback_answers_are_never_retried(tg: Harness) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "爱莲巧"))
    data = tg.fake.sent_messages(chat_id=ALICE)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # An hour's retry_after: a bot that waited it out would never finish (the generous bound below is a
    # hang guard, not a timing margin); the count shows it did not try again either.
    tg.fake.fail_next("answerCallbackQuery", status=429, retry_after=3600)
    mark = tg.fake.mark()
    await asyncio.wait_for(tg.feed(tg.fake.callback_query(ALICE, data)), 120)
    assert len(tg.fake.find_calls("answerCallbackQuery", since=mark)) == 1
    assert tg.fake.sent_messages(chat_id=ALICE, since=mark)  # the product card still came


async def test_a_customer_who_blocked_the_bot_is_marked_and_not_retried(
    tg: Harness, shop: Database, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n"
        "KF-250122-006,5100000002,,paid,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1,\n"
        "KF-250122-007,5100000002,,paid,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1,\n",
        encoding="utf-8",
    )
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)
    await tg.feed(tg.fake.private_message(BOB, "你好"))
    tg.fake.block(BOB)
    await tg.feed(
        tg.fake.private_message(7100000001, "KF-250122-006 отгрузили RA111111111RU", language_code="ru")
    )
    assert "отгруж" in tg.fake.sent_messages(chat_id=7100000001)[-1]["text"]  # the supplier's turn went on
    attempts = [c for c in tg.fake.find_calls("sendMessage") if c.params.get("chat_id") == BOB and not c.ok]
    assert len(attempts) == 1  # 403 is final: not retried
    async with shop.sessions() as session:
        assert await session.scalar(
            select(Conversation.blocked_bot).where(Conversation.telegram_user_id == BOB)
        )
    await tg.feed(
        tg.fake.private_message(7100000001, "KF-250122-007 отгрузили RA222222222RU", language_code="ru")
    )
    attempts = [c for c in tg.fake.find_calls("sendMessage") if c.params.get("chat_id") == BOB and not c.ok]
    assert len(attempts) == 1  # no second try at a user who blocked the bot


async def test_outbox_paces_a_group_without_dropping() -> None:
    """Through the limiter's public face only (acquire, backlog), whatever its pacing algorithm."""
    limiter = RateLimiter(OutboxLimits(per_group_per_minute=600, group_burst=2))  # 10 a second after 2
    assert limiter.backlog(STAFF_CHAT) == 0.0  # nothing sent yet: a post would go at once
    granted: list[int] = []

    async def post(number: int) -> None:
        await limiter.acquire(STAFF_CHAT)
        granted.append(number)

    began = time.monotonic()
    posts = asyncio.gather(*(post(n) for n in range(7)))
    await asyncio.sleep(0)  # one turn of the loop: every post has asked for its slot
    # 5 wait their turn (~0.5 s in all) and the group's queue shows it: what the relay's merging reads.
    assert limiter.backlog(STAFF_CHAT) > 0.25
    await posts
    assert sorted(granted) == list(range(7))  # none dropped
    assert time.monotonic() - began >= 0.45  # 5 had to wait ~0.1 s each (a lower bound: load cannot fail it)


@pytest_asyncio.fixture
async def pg_via_proxy(
    fake_api: FakeBotAPI, postgres: PostgresScratch
) -> AsyncIterator[tuple[Harness, TcpProxy, str]]:
    """A shop on a PostgreSQL scratch database that the bot reaches through a proxy the test can cut."""
    name = await postgres.create()
    direct = make_url(postgres.url(name))
    proxy = await TcpProxy(direct.host or "127.0.0.1", direct.port or 5432).start()
    url = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = create_engine(url, pool_timeout=5, connect_args={"timeout": 3})
    database = Database(engine, create_sessionmaker(engine))
    await load_shop(database)
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, database)
    yield harness, proxy, name
    await harness.bot.session.close()
    await engine.dispose()
    await proxy.stop()
    await postgres.drop(name)


@pytest.mark.postgres
async def test_database_down_keeps_the_message_and_answers_when_back(
    pg_via_proxy: tuple[Harness, TcpProxy, str],
) -> None:
    tg, proxy, _ = pg_via_proxy
    await tg.feed(tg.fake.private_message(ALICE, "你好", language_code="zh-hans"))
    proxy.cut()
    mark = tg.fake.mark()
    await tg.feed(tg.fake.private_message(ALICE, "有爱莲巧100克吗", language_code="zh-hans"))
    [notice] = [m["text"] for m in tg.fake.sent_messages(chat_id=ALICE, since=mark)]
    assert "尽快回复" in notice and "Traceback" not in notice
    pending = tg.dispatcher["pending"]
    assert await pending.size() == 1
    assert await replay_once(tg.dispatcher, tg.bot, tg.app.database.engine, pending) == 0  # still down
    proxy.restore()
    assert await replay_once(tg.dispatcher, tg.bot, tg.app.database.engine, pending) == 1
    answers = [m["text"] for m in tg.fake.sent_messages(chat_id=ALICE, since=mark)]
    assert len(answers) == 2 and "爱莲巧牛奶巧克力 100克" in answers[1]  # answered once, late, not lost
    assert await replay_once(tg.dispatcher, tg.bot, tg.app.database.engine, pending) == 0


@pytest.mark.postgres
async def test_killed_connections_are_replaced_transparently(
    pg_via_proxy: tuple[Harness, TcpProxy, str], postgres: PostgresScratch
) -> None:
    tg, _, name = pg_via_proxy
    await tg.feed(tg.fake.private_message(ALICE, "你好"))
    admin = await asyncpg.connect(
        make_url(postgres.url("postgres")).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    assert killed >= 1
    mark = tg.fake.mark()
    await tg.feed(tg.fake.private_message(ALICE, "有格瓦斯吗"))
    answers = [m["text"] for m in tg.fake.sent_messages(chat_id=ALICE, since=mark)]
    assert len(answers) == 1 and "格瓦斯" in answers[0]


async def test_a_send_that_times_out_is_not_sent_twice(tg: Harness) -> None:
    tg.bot.session.timeout = 1  # the fake still carries the call out after the client gave up
    tg.fake.delay_next("sendMessage", 1.5)
    await tg.feed(tg.fake.private_message(ALICE, "你好"))
    await tg.fake.wait_for("sendMessage", timeout=60)  # the late call has landed (event, not a sleep)
    assert len(tg.fake.find_calls("sendMessage")) == 1  # never sent again after the timeout
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1  # delivered once, late, not doubled


async def test_a_busy_staff_group_gets_merged_posts_and_loses_nothing(
    fake_api: FakeBotAPI, shop: Database
) -> None:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, shop)
    harness.app.settings.__dict__["telegram_rate_limits"] = True
    from bot.telegram.factory import create_dispatcher

    harness.dispatcher = create_dispatcher(
        harness.app.__class__(
            harness.app.settings.model_copy(update={"telegram_rate_limits": True}),
            harness.app.database,
            harness.app.engine,
            harness.app.i18n,
        ),
        harness.bot,
    )
    try:
        await harness.feed(fake_api.private_message(ALICE, "转人工", language_code="zh-hans"))
        texts = [f"第{i}条消息" for i in range(8)]
        for text in texts:  # a customer typing fast while the group's ~20 posts a minute are used up
            await harness.feed(fake_api.private_message(ALICE, text))
        relay = harness.dispatcher["relay"]
        while relay._flushing:
            await asyncio.gather(*relay._flushing)
        copied = len(fake_api.calls_of("copyMessage", ok=True))
        merged = [
            m["text"]
            for m in fake_api.sent_messages(chat_id=STAFF_CHAT)
            if m.get("text", "").startswith("💬")
        ]
        assert merged, "nothing was merged"
        relayed = " ".join(merged)
        assert copied + sum(relayed.count(t) for t in texts[copied:]) == len(texts)  # every message, once
        assert copied + len(merged) < len(texts)  # fewer posts than messages
    finally:
        await harness.bot.session.close()


async def test_an_update_that_failed_is_handled_when_telegram_sends_it_again(tg: Harness) -> None:
    tg.fake.fail_next("sendMessage", status=500, times=4)  # Telegram down longer than the retries last
    update = tg.fake.push_update(tg.fake.private_message(ALICE, "你好"))
    with pytest.raises(Exception):  # noqa: B017 - a webhook answers 500 and Telegram sends it again
        await tg.dispatcher.feed_raw_update(tg.bot, update)
    await tg.dispatcher.feed_raw_update(tg.bot, update)
    await tg.dispatcher.feed_raw_update(tg.bot, update)  # a third copy is a repeat again
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1
