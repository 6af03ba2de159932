"""Reply markup from the engine's buttons: ids in callback data, never text (64-byte limit)."""

from __future__ import annotations

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.engine.i18n import Translator
from bot.engine.messages import Button

MAX_CALLBACK_BYTES = 64


def inline_keyboard(buttons: list[Button]) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(text=b.text[:64], callback_data=b.data)]
        for b in buttons
        if b.data and len(b.data.encode()) <= MAX_CALLBACK_BYTES
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def contact_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    # request_contact shares the sender's own number; the handler still checks contact.user_id.
    button = KeyboardButton(text=tr._("📱 Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


REMOVE_KEYBOARD = ReplyKeyboardRemove()
