"""Private chats: customers and suppliers. Every turn goes through the engine; nothing is decided here."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, Update, User

from bot.engine.conversation import Engine
from bot.telegram.adapter import from_button, from_message
from bot.telegram.content import is_service, visible_text
from bot.telegram.outbox import Origin, TelegramOutbox
from bot.telegram.relay import StaffRelay

log = logging.getLogger(__name__)


def display_name(user: User | None) -> str:
    """The name staff see in topic titles and cards, without control, bidi or zero-width characters."""
    if user is None:
        return "?"
    name = visible_text(" ".join(part for part in (user.first_name, user.last_name) if part))
    username = visible_text(user.username or "")
    return f"{name} @{username}" if username else name or str(user.id)


def create_private_router() -> Router:
    router = Router(name="private")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)

    @router.message(is_service)
    async def on_service(message: Message) -> None:
        """Pins, auto-delete timer changes and the like: nothing to answer, nothing to relay."""

    @router.message()
    async def on_message(
        message: Message, event_update: Update, engine: Engine, outbox: TelegramOutbox
    ) -> None:
        """Text, shared contacts and media (stickers, photos, voice): relayed during a handoff,
        otherwise answered."""
        incoming = from_message(message, update_id=event_update.update_id)
        if incoming is None:
            return
        await outbox.turn(
            engine,
            incoming,
            chat_id=message.chat.id,
            display_name=display_name(message.from_user),
            origin=Origin.of(message),
        )

    @router.edited_message()
    async def on_edit(
        message: Message, event_update: Update, engine: Engine, relay: StaffRelay, outbox: TelegramOutbox
    ) -> None:
        if message.from_user is None:
            return
        if await relay.edit_from_customer(message):
            return
        # Outside a handoff an edit is a corrected question: answer it again (during one, it is not
        # copied again: the copy of the original was edited above, or there is none).
        incoming = from_message(message, update_id=event_update.update_id, logged_id=False)
        if incoming is None:
            return
        await outbox.turn(
            engine, incoming, chat_id=message.chat.id, display_name=display_name(message.from_user)
        )

    @router.callback_query()
    async def on_button(
        query: CallbackQuery, event_update: Update, engine: Engine, outbox: TelegramOutbox
    ) -> None:
        try:
            await query.answer()  # stops the button's spinner; never retried (it expires), never fatal
        except TelegramAPIError as error:
            log.info("callback answer failed", extra={"chat": query.from_user.id, "error": str(error)})
        if query.message is None or not query.data:
            return
        incoming = from_button(query.from_user, query.data, update_id=event_update.update_id)
        await outbox.turn(
            engine, incoming, chat_id=query.from_user.id, display_name=display_name(query.from_user)
        )

    return router
