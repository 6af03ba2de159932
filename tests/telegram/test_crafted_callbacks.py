"""Forged callback data is read strictly: no crash, no error, no message, no kept update."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from test_telegram_bot import ALICE, STAFF_CHAT, Harness, start

from bot.storage.runtime import Database
from tests.support.fake_bot_api import FakeBotAPI

FORGED = [
    "p:²",  # str.isdigit() says yes, int() says no
    "p:١٢",  # Arabic-Indic digits
    "p:9999999999999999999999",  # past a 64-bit integer: a DataError on PostgreSQL
    "p:2147483648",  # past the 32-bit product id column
    "p:-1",
    "p:0",
    "p:",
    "p:" + "1" * 70,  # longer than Telegram's 64 bytes
    "o:\x1b[2J",  # control characters
    "o:   ",
    "lang:xx",
    "faq:../../etc",
    "handoff:now",
    "zz:1",
    "",
    "📦:1",
]


@pytest_asyncio.fixture
async def tg(fake_api: FakeBotAPI, shop: Database) -> AsyncIterator[Harness]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, shop)
    yield harness
    await harness.bot.session.close()


async def test_forged_callback_data_is_answered_silently(tg: Harness) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "爱莲巧", language_code="zh-hans"))
    for data in FORGED:
        mark = tg.fake.mark()
        await tg.feed(tg.fake.callback_query(ALICE, data))  # raises on any error
        assert tg.fake.calls_of("answerCallbackQuery", since=mark), data  # the spinner stops
        assert tg.fake.sent_messages(chat_id=ALICE, since=mark) == [], data
        assert await tg.dispatcher["pending"].size() == 0, data  # not taken for an outage either


async def test_a_real_button_still_works_after_forged_ones(tg: Harness) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "爱莲巧", language_code="zh-hans"))
    keyboard = tg.fake.sent_messages(chat_id=ALICE)[0]["reply_markup"]["inline_keyboard"]
    await tg.feed(tg.fake.callback_query(ALICE, "p:9999999999999999999999"))
    mark = tg.fake.mark()
    await tg.feed(tg.fake.callback_query(ALICE, keyboard[0][0]["callback_data"]))
    assert "价格" in tg.texts_to(ALICE, since=mark)[0]
