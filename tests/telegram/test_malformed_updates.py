"""A well-authenticated update of a shape aiogram cannot read: 200 and a log line, never 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from test_telegram_bot import ALICE, start

from bot.storage.runtime import Database
from bot.telegram.run import WEBHOOK_PATH, create_webhook_app
from tests.support.fake_bot_api import FakeBotAPI

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
MALFORMED: list[Any] = [
    {"update_id": "x"},
    {"update_id": 901, "message": {"message_id": 1, "date": 1_700_000_000, "text": "no chat"}},
    {"update_id": 902, "callback_query": {"id": "q", "data": "p:1"}},
    [1, 2, 3],
    "just a string",
]


async def test_malformed_updates_are_acknowledged_and_logged(
    fake_api: FakeBotAPI, shop: Database, caplog: pytest.LogCaptureFixture
) -> None:
    harness = await start(fake_api, shop)
    web_app = create_webhook_app(harness.app, harness.bot, harness.dispatcher, "s3cret")
    try:
        async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
            for body in MALFORMED:
                caplog.clear()
                with caplog.at_level(logging.WARNING, logger="bot.telegram.run"):
                    answer = await client.post(WEBHOOK_PATH, json=body, headers=SECRET)
                assert answer.status == 200, body
                [line] = [r for r in caplog.records if r.name == "bot.telegram.run"]
                assert line.getMessage() == "malformed update ignored"
                expected = body.get("update_id") if isinstance(body, dict) else None
                assert getattr(line, "update_id", None) == expected
            # the process goes on answering well-formed updates
            update = fake_api.push_update(fake_api.private_message(ALICE, "你好"))
            assert (await client.post(WEBHOOK_PATH, json=update, headers=SECRET)).status == 200
            assert "您好" in fake_api.sent_messages(chat_id=ALICE)[0]["text"]
    finally:
        await harness.bot.session.close()
