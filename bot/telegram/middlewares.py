"""Outer middlewares: per-update work that every handler needs, kept out of the handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot import logs

log = logging.getLogger(__name__)


class LogContext(BaseMiddleware):
    """Every log line written while an update is handled carries its update id and chat."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        chat = data.get("event_chat")
        token = logs.context.set({"update_id": event.update_id, "chat": chat.id if chat else None})
        try:
            return await handler(event, data)
        finally:
            logs.context.reset(token)
