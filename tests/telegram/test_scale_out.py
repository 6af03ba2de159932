"""Several bot processes on one database and one Redis: any process answers any update, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from test_telegram_bot import ALICE, STAFF, STAFF_CHAT, Harness, settings_for

from bot.app import build_app
from bot.storage.runtime import Database
from bot.telegram.factory import create_bot, create_dispatcher
from bot.telegram.polling import PollingDispatcher
from tests.conftest import REDIS_DB, REDIS_URL
from tests.support.fake_bot_api import FakeBotAPI


async def process(fake: FakeBotAPI, database: Database, redis: Redis) -> Harness:
    """One 'process': its own bot, dispatcher, engine and relay; shared database and Redis."""
    settings = settings_for(database, fake).model_copy(
        update={"redis_url": REDIS_URL, "user_messages_per_minute": 5}
    )
    app = build_app(settings, database)
    bot = create_bot(fake.token, fake.url)
    return Harness(fake, app, bot, create_dispatcher(app, bot, redis))


@pytest_asyncio.fixture
async def pair(fake_api: FakeBotAPI, shop: Database, redis: Redis) -> AsyncIterator[tuple[Harness, Harness]]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    first, second = await process(fake_api, shop, redis), await process(fake_api, shop, redis)
    yield first, second
    await first.bot.session.close()
    await second.bot.session.close()


async def test_a_repeated_update_on_two_processes_is_answered_once(pair: tuple[Harness, Harness]) -> None:
    first, second = pair
    update = first.fake.push_update(first.fake.private_message(ALICE, "你好"))
    await asyncio.gather(
        first.dispatcher.feed_raw_update(first.bot, update),
        second.dispatcher.feed_raw_update(second.bot, update),
    )
    assert len(first.fake.sent_messages(chat_id=ALICE)) == 1


async def test_a_handoff_started_on_one_process_is_relayed_by_another(pair: tuple[Harness, Harness]) -> None:
    first, second = pair
    await first.feed(first.fake.private_message(ALICE, "转人工", language_code="zh-hans"))
    thread = int(first.fake.topics(STAFF_CHAT)[-1]["message_thread_id"])
    mark = first.fake.mark()
    await second.feed(second.fake.private_message(ALICE, "我的包裹丢了"))
    [to_staff] = second.fake.calls_of("copyMessage", since=mark)
    assert to_staff["message_thread_id"] == thread
    await first.feed(first.fake.group_message(STAFF_CHAT, STAFF, "我们查一下", thread_id=thread))
    assert second.fake.calls_of("copyMessage", since=mark)[-1]["chat_id"] == ALICE
    assert len(first.fake.calls_of("createForumTopic")) == 1


async def test_simultaneous_escalations_on_two_processes_open_one_topic(
    pair: tuple[Harness, Harness],
) -> None:
    # Redis event isolation serialises one chat's updates across processes, so this holds even without
    # the topic lock; the relay's lock across processes is tested in test_relay_edges.py.
    first, second = pair
    one = first.fake.push_update(first.fake.private_message(ALICE, "转人工"))
    two = first.fake.push_update(first.fake.private_message(ALICE, "人工客服在吗"))
    await asyncio.gather(
        first.dispatcher.feed_raw_update(first.bot, one), second.dispatcher.feed_raw_update(second.bot, two)
    )
    assert len(first.fake.calls_of("createForumTopic")) == 1


async def test_a_flooding_user_gets_one_notice_then_quiet_across_processes(
    pair: tuple[Harness, Harness],
) -> None:
    first, second = pair
    for index in range(9):
        harness = first if index % 2 else second
        await harness.feed(harness.fake.private_message(ALICE, f"你好{index}"))
    texts = [m["text"] for m in first.fake.sent_messages(chat_id=ALICE)]
    assert len(texts) == 6  # five answers, one notice, then nothing
    assert "频繁" in texts[-1]


async def test_redis_away_and_back_loses_and_doubles_nothing(
    fake_api: FakeBotAPI, shop: Database, redis: Redis
) -> None:
    """With Redis gone, handling fails before anything is sent (a webhook answers 500, so Telegram sends
    the update again); once Redis is back the re-sent update is answered exactly once."""
    from tcp_proxy import TcpProxy

    proxy = await TcpProxy("127.0.0.1", 6379).start()
    proxied = Redis.from_url(
        f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}", socket_timeout=2, socket_connect_timeout=2
    )
    harness = await process(fake_api, shop, proxied)
    try:
        await harness.feed(fake_api.private_message(ALICE, "你好"))
        proxy.cut()
        update = fake_api.push_update(fake_api.private_message(ALICE, "有格瓦斯吗"))
        with pytest.raises(Exception):  # noqa: B017 - whichever Redis error surfaces; the webhook turns it into 500
            await harness.dispatcher.feed_raw_update(harness.bot, update)
        proxy.restore()
        await harness.dispatcher.feed_raw_update(harness.bot, update)  # Telegram's re-send
        await harness.dispatcher.feed_raw_update(harness.bot, update)  # and a duplicate of it
        answers = [m["text"] for m in fake_api.sent_messages(chat_id=ALICE)]
        assert len(answers) == 2 and "格瓦斯" in answers[1]
    finally:
        await harness.bot.session.close()
        await proxied.aclose()
        await proxy.stop()


async def test_under_long_polling_a_redis_outage_keeps_the_update_and_answers_it_once_back(
    fake_api: FakeBotAPI, shop: Database, redis: Redis
) -> None:
    """getUpdates moves on whatever happens: an update that meets the outage is kept, not lost."""
    from tcp_proxy import TcpProxy

    proxy = await TcpProxy("127.0.0.1", 6379).start()
    proxied = Redis.from_url(
        f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}", socket_timeout=2, socket_connect_timeout=2
    )
    settings = settings_for(shop, fake_api).model_copy(update={"redis_url": REDIS_URL})
    app = build_app(settings, shop)
    bot = create_bot(fake_api.token, fake_api.url)
    dispatcher = create_dispatcher(app, bot, proxied, polling=True)
    assert isinstance(dispatcher, PollingDispatcher)
    try:
        await dispatcher.feed_raw_update(bot, fake_api.push_update(fake_api.private_message(ALICE, "你好")))
        proxy.cut()
        update = fake_api.push_update(fake_api.private_message(ALICE, "有格瓦斯吗"))
        await dispatcher.feed_raw_update(bot, update)  # no exception for the polling loop to swallow
        assert len(dispatcher.kept) == 1
        assert await dispatcher.replay_kept() == 0  # still away: kept
        proxy.restore()
        assert await dispatcher.replay_kept() == 1
        await dispatcher.feed_raw_update(bot, update)  # and a duplicate of it
        answers = [m["text"] for m in fake_api.sent_messages(chat_id=ALICE)]
        assert len(answers) == 2 and "格瓦斯" in answers[1]
        assert not dispatcher.kept
    finally:
        await bot.session.close()
        await proxied.aclose()
        await proxy.stop()


async def test_two_processes_share_the_outbox_pace(redis: Redis) -> None:
    import time

    from bot.telegram.delivery import OutboxLimits, SharedRateLimiter

    limits = OutboxLimits(per_group_per_minute=600, group_burst=2)  # 10 posts a second after 2
    first, second = SharedRateLimiter(limits, redis), SharedRateLimiter(limits, redis)
    began = time.monotonic()
    await asyncio.gather(*((first if i % 2 else second).acquire(STAFF_CHAT) for i in range(7)))
    assert time.monotonic() - began >= 0.45  # the two processes together, not each, kept the pace
