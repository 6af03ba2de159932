"""Private chats: customers and suppliers. Every turn goes through the engine; nothing is decided here."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, User

from bot.engine.conversation import Engine
from bot.engine.i18n import I18n
from bot.engine.messages import Incoming, Reply
from bot.telegram.content import is_service, visible_text
from bot.telegram.relay import StaffRelay
from bot.telegram.sender import send_reply

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

    async def deliver(message: Message, reply: Reply, bot: Bot, i18n: I18n, relay: StaffRelay) -> None:
        if reply.to_staff:
            # People hold the chat: the customer's message goes to its topic, the bot stays quiet.
            await relay.to_staff(message, display_name(message.from_user))
            return
        await send_reply(bot, message.chat.id, reply, i18n)
        if reply.handoff_started:
            await relay.open(message.chat.id, display_name(message.from_user))

    @router.message(F.contact)
    async def on_contact(message: Message, bot: Bot, engine: Engine, i18n: I18n, relay: StaffRelay) -> None:
        assert message.from_user is not None and message.contact is not None
        incoming = Incoming(
            message.from_user.id,
            lang_code=message.from_user.language_code,
            contact_phone=message.contact.phone_number,
            # Telegram's contact button shares the sender's own card; a forwarded card has another id or
            # none (the engine then asks for the button).
            contact_user_id=message.contact.user_id,
            telegram_message_id=message.message_id,
        )
        await deliver(message, await engine.handle(incoming), bot, i18n, relay)

    @router.message(is_service)
    async def on_service(message: Message) -> None:
        """Pins, auto-delete timer changes and the like: nothing to answer, nothing to relay."""

    @router.message()
    async def on_message(message: Message, bot: Bot, engine: Engine, i18n: I18n, relay: StaffRelay) -> None:
        """Text, and media (stickers, photos, voice): relayed during a handoff, otherwise answered; a
        caption is read as text, media without one gets a polite word from the engine."""
        if message.from_user is None:
            return
        incoming = Incoming(
            message.from_user.id,
            message.text or message.caption or "",
            message.from_user.language_code,
            telegram_message_id=message.message_id,
        )
        await deliver(message, await engine.handle(incoming), bot, i18n, relay)

    @router.edited_message()
    async def on_edit(message: Message, bot: Bot, engine: Engine, i18n: I18n, relay: StaffRelay) -> None:
        if message.from_user is None:
            return
        if await relay.edit_from_customer(message):
            return
        # Outside a handoff an edit is a corrected question: answer it again.
        incoming = Incoming(
            message.from_user.id, message.text or message.caption or "", message.from_user.language_code
        )
        reply = await engine.handle(incoming)
        if not reply.to_staff:
            await send_reply(bot, message.chat.id, reply, i18n)

    @router.callback_query()
    async def on_button(
        query: CallbackQuery, bot: Bot, engine: Engine, i18n: I18n, relay: StaffRelay
    ) -> None:
        try:
            await query.answer()  # stops the button's spinner; never retried (it expires), never fatal
        except TelegramAPIError as error:
            log.info("callback answer failed", extra={"chat": query.from_user.id, "error": str(error)})
        if query.message is None or not query.data:
            return
        incoming = Incoming(query.from_user.id, lang_code=query.from_user.language_code, callback=query.data)
        reply = await engine.handle(incoming)
        if reply.to_staff:
            return
        await send_reply(bot, query.from_user.id, reply, i18n)
        if reply.handoff_started:
            await relay.open(query.from_user.id, display_name(query.from_user))

    return router
