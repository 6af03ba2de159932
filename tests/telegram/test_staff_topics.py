"""The customer of a staff topic is looked up once per update, before the topic handlers run, and a
topic that belongs to no customer is ignored there: no handler answers, copies or fails."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from test_telegram_bot import ALICE, STAFF, STAFF_CHAT, Harness, escalate, start

from bot.storage.runtime import Database
from bot.telegram.relay import StaffRelay
from tests.support.fake_bot_api import FakeBotAPI

#: A topic staff opened by hand: no conversation is bound to it.
LOOSE_TOPIC = 777


@pytest_asyncio.fixture
async def tg(fake_api: FakeBotAPI, shop: Database) -> AsyncIterator[Harness]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    fake_api.add_topic(STAFF_CHAT, LOOSE_TOPIC, "notes")
    harness = await start(fake_api, shop)
    yield harness
    await harness.bot.session.close()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread ids the relay was asked about (the real lookup still runs)."""
    asked: list[int] = []
    original = StaffRelay.customer_of

    async def counted(self: StaffRelay, thread_id: int) -> int | None:
        asked.append(thread_id)
        return await original(self, thread_id)

    monkeypatch.setattr(StaffRelay, "customer_of", counted)
    return asked


@pytest.mark.parametrize("text", ["/close", "/note 电话确认过", "/lang ru", "/reply returns", "我们马上处理"])
async def test_a_topic_of_no_customer_is_ignored(tg: Harness, lookups: list[int], text: str) -> None:
    mark = tg.fake.mark()
    update = tg.fake.group_message(STAFF_CHAT, STAFF, text, thread_id=LOOSE_TOPIC)
    await tg.feed(update)
    edit = tg.fake.edited_message(STAFF_CHAT, update["message"]["message_id"], text + "!", user_id=STAFF)
    await tg.feed(edit)
    assert lookups == [LOOSE_TOPIC, LOOSE_TOPIC]  # once for the message, once for its edit
    # No usage hint, no copy, no dead letter's apology: nothing at all is sent.
    assert tg.fake.find_calls("sendMessage", since=mark) == []
    assert tg.fake.find_calls("copyMessage", since=mark) == []


@pytest.mark.parametrize("text", ["/note 电话确认过", "/lang ru", "我们马上处理"])
async def test_a_customers_topic_is_looked_up_once_per_update(
    tg: Harness, lookups: list[int], text: str
) -> None:
    thread = await escalate(tg)
    lookups.clear()
    mark = tg.fake.mark()
    await tg.feed(tg.fake.group_message(STAFF_CHAT, STAFF, text, thread_id=thread))
    assert lookups == [thread]
    if not text.startswith("/"):
        [copy] = tg.fake.calls_of("copyMessage", since=mark)  # the handler got the customer
        assert copy["chat_id"] == ALICE
