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
from bot.engine.messages import Incoming, Reply
from bot.telegram.split import split_message


def _markup(reply: Reply, i18n: I18n) -> Any:
    if reply.request_contact:
        button = KeyboardButton(i18n[reply.lang]._("📱 Share my phone number"), request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    rows = [
        [InlineKeyboardButton(b.text[:64], callback_data=b.data)]
        for b in reply.buttons
        if len(b.data.encode()) <= 64
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def _send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, i18n: I18n) -> None:
    if reply.to_staff:
        return  # people hold the chat
    # parse_mode=None explicitly: the host Application's Defaults(parse_mode=...) must not turn a
    # product name or anything a user wrote into markup (an explicit None overrides the default).
    parts = split_message(reply.text, MessageLimit.MAX_TEXT_LENGTH)
    for index, part in enumerate(parts):
        markup = _markup(reply, i18n) if index == len(parts) - 1 else None
        await context.bot.send_message(chat_id, part, reply_markup=markup, parse_mode=None)
    for note in reply.notifications:
        await context.bot.send_message(note.user_id, note.text, parse_mode=None)


def add_kefu_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], engine: Engine, i18n: I18n, group: int = 0
) -> None:
    """Register kefu's handlers for private chats in `group` of an existing Application."""

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if message.contact is not None:
            incoming = Incoming(
                user.id,
                lang_code=user.language_code,
                contact_phone=message.contact.phone_number,
                contact_user_id=message.contact.user_id,  # None: not the button, so not verified
                telegram_message_id=message.message_id,
            )
        else:
            text = message.text or message.caption or ""
            incoming = Incoming(user.id, text, user.language_code, telegram_message_id=message.message_id)
        await _send(context, message.chat_id, await engine.handle(incoming), i18n)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.from_user is None:
            return
        await query.answer()
        if not query.data:
            return
        incoming = Incoming(query.from_user.id, lang_code=query.from_user.language_code, callback=query.data)
        await _send(context, query.from_user.id, await engine.handle(incoming), i18n)

    # Service messages (pins, auto-delete timer changes...) say nothing to answer.
    private = filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL
    application.add_handler(MessageHandler(private & ~filters.UpdateType.EDITED, on_message), group=group)
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, on_message), group=group
    )
    application.add_handler(CallbackQueryHandler(on_button), group=group)
