"""Outer middlewares: per-update work that every handler needs, kept out of the handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot import logs
from bot.telegram.relay import StaffRelay

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
        token = logs.context.set(
            {"update_id": event.update_id, "chat": chat.id if chat is not None else _chat_of(event)}
        )
        try:
            return await handler(event, data)
        finally:
            logs.context.reset(token)


class CustomerOfTopic(BaseMiddleware):
    """For the staff group's topic handlers (an inner middleware: it runs once, for the handler whose
    filters passed): the customer whose topic the message is in, looked up from the `thread_id` the
    filter found and handed on as `customer_id`. A topic that belongs to no customer (opened by hand,
    or its conversation gone) is ignored here, so no handler has to check."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        relay: StaffRelay = data["relay"]
        customer = await relay.customer_of(data["thread_id"])
        if customer is None:
            log.info("message in a topic of no customer ignored", extra={"thread_id": data["thread_id"]})
            return None
        data["customer_id"] = customer
        return await handler(event, data)


def _chat_of(update: Update) -> int | None:
    """The chat of an update when aiogram's own context has none (a replay, a direct call)."""
    for event in (update.message, update.edited_message, update.channel_post, update.edited_channel_post):
        if event is not None:
            return event.chat.id
    query = update.callback_query
    if query is not None:
        return query.message.chat.id if query.message is not None else query.from_user.id
    return None
