"""Log lines written while an update is handled carry its update id and chat (JSON formatter)."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from aiogram.types import Chat, TelegramObject, Update

from bot.logs import JsonFormatter
from bot.telegram.middlewares import LogContext

UPDATE = {
    "update_id": 4242,
    "message": {
        "message_id": 7,
        "date": 1_700_000_000,
        "chat": {"id": 5100000001, "type": "private"},
        "from": {"id": 5100000001, "is_bot": False, "first_name": "A"},
        "text": "你好",
    },
}


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kefu.test.log_context")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


async def _handled(data: dict[str, Any]) -> dict[str, Any]:
    logger, stream = _capture()

    async def handler(event: TelegramObject, data: dict[str, Any]) -> None:
        logger.info("inside the turn", extra={"intent": "greeting"})

    await LogContext()(handler, Update.model_validate(UPDATE), data)
    logger.info("after the turn")
    inside, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "update_id" not in after and "chat" not in after  # the context ends with the update
    return inside


async def test_a_line_written_in_a_turn_carries_the_update_id_and_chat() -> None:
    line = await _handled({"event_chat": Chat(id=5100000001, type="private")})
    assert line["update_id"] == 4242 and line["chat"] == 5100000001
    assert line["intent"] == "greeting" and line["message"] == "inside the turn"


async def test_the_chat_comes_from_the_update_when_aiogram_gave_none() -> None:
    line = await _handled({})
    assert line["update_id"] == 4242 and line["chat"] == 5100000001
