"""The adapter's `Keyboard` (bot/telegram/adapter.py) in aiogram's types."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.telegram.adapter import Keyboard

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def reply_markup(keyboard: Keyboard | None) -> Markup | None:
    if keyboard is None:
        return None
    if keyboard.contact_label is not None:
        button = KeyboardButton(text=keyboard.contact_label, request_contact=True)
        return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)
    rows = [[InlineKeyboardButton(text=label, callback_data=data)] for label, data in keyboard.buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)
