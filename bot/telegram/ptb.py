"""kefu for shops whose bot already runs on python-telegram-bot 22 (`pip install kefu[ptb]`).

    from bot.telegram.ptb import add_kefu_handlers
    add_kefu_handlers(application, engine, i18n)   # customers and suppliers, same engine as `kefu run`

Only private chats are handled; staff takeover in forum topics is the aiogram bot's (`kefu run`).
"""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import MessageLimit
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.engine.conversation import Engine
from bot.engine.i18n import I18n
from bot.engine.messages import Reply
from bot.telegram.adapter import Keyboard, from_button, from_message, reply_keyboard
from bot.telegram.split import split_message


def reply_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """The adapter's `Keyboard` (bot/telegram/adapter.py) in python-telegram-bot's types."""
    if keyboard is None:
        return None
    if keyboard.contact_label is not None:
        button = KeyboardButton(keyboard.contact_label, request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in keyboard.buttons]
    )


async def _send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, i18n: I18n) -> None:
    if reply.to_staff:
        return  # people hold the chat
    # parse_mode=None explicitly: the host Application's Defaults(parse_mode=...) must not turn a
    # product name or anything a user wrote into markup (an explicit None overrides the default).
    parts = split_message(reply.text, MessageLimit.MAX_TEXT_LENGTH)
    for index, part in enumerate(parts):
        markup = reply_markup(reply_keyboard(reply, i18n)) if index == len(parts) - 1 else None
        await context.bot.send_message(chat_id, part, reply_markup=markup, parse_mode=None)
    for note in reply.notifications:
        await context.bot.send_message(note.user_id, note.text, parse_mode=None)


def add_kefu_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], engine: Engine, i18n: I18n, group: int = 0
) -> None:
    """Register kefu's handlers for private chats in `group` of an existing Application."""

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        incoming = from_message(message) if message is not None else None
        if message is None or incoming is None:
            return
        await _send(context, message.chat_id, await engine.handle(incoming), i18n)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.from_user is None:
            return
        await query.answer()
        if not query.data:
            return
        incoming = from_button(query.from_user, query.data)
        await _send(context, query.from_user.id, await engine.handle(incoming), i18n)

    # Service messages (pins, auto-delete timer changes...) say nothing to answer.
    private = filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL
    application.add_handler(MessageHandler(private & ~filters.UpdateType.EDITED, on_message), group=group)
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, on_message), group=group
    )
    application.add_handler(CallbackQueryHandler(on_button), group=group)
