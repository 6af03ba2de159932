"""Sending plain text (nothing a user wrote becomes markup), split under the limit. A turn's replies go
through the outbox (bot/telegram/outbox.py), which splits the same way."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

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
