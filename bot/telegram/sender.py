"""Sending the engine's replies: plain text (nothing a user wrote becomes markup), split under the limit."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.engine.i18n import I18n
from bot.engine.messages import Reply
from bot.telegram.keyboards import contact_keyboard, inline_keyboard
from bot.telegram.split import split_message

log = logging.getLogger(__name__)


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
    thread_id: int | None = None,
) -> list[int]:
    """Send `text` in as many messages as needed; the markup goes with the last part."""
    parts = split_message(text)
    ids: list[int] = []
    for index, part in enumerate(parts):
        try:
            message = await bot.send_message(
                chat_id,
                part,
                parse_mode=None,
                message_thread_id=thread_id,
                reply_markup=markup if index == len(parts) - 1 else None,
            )
        except TelegramNetworkError as error:
            if not isinstance(error.__cause__, TimeoutError):
                raise
            # Timed out: Telegram most likely has it; sending again could double it.
            log.warning("send not confirmed (timeout)", extra={"chat": chat_id})
            continue
        ids.append(message.message_id)
    return ids


async def send_reply(bot: Bot, chat_id: int, reply: Reply, i18n: I18n) -> list[int]:
    if not reply.text:
        return []
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None
    if reply.request_contact:
        markup = contact_keyboard(i18n[reply.lang])
    else:
        markup = inline_keyboard(reply.buttons)
    ids = await send_text(bot, chat_id, reply.text, markup)
    for note in reply.notifications:
        try:
            await send_text(bot, note.user_id, note.text)
        except TelegramAPIError as exc:  # a customer who blocked the bot must not fail the supplier's turn
            log.warning("notification not delivered", extra={"chat": note.user_id, "error": str(exc)})
    return ids
