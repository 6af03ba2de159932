"""A fake Telegram Bot API server on 127.0.0.1, for tests of kefu's real aiogram / PTB HTTP clients.

What it fakes: the methods kefu calls (getMe, getUpdates, setWebhook, deleteWebhook, setMyCommands,
sendMessage, copyMessage, editMessageText, editMessageCaption, editMessageMedia, answerCallbackQuery,
createForumTopic) with Telegram's envelope, status codes and error descriptions for the limits kefu can
hit: 4,096 UTF-16 units of text and 1,024 of caption, 64 bytes of callback_data, empty text, deleted
forum topics ("message thread not found"), blocked users (403), a second poller (409), "message is not
modified". It keeps the chats' messages and topics, records every call (``calls``, ``calls_of``,
``sent_messages``, ``wait_for``), and builds the updates users send (``private_message``,
``group_message``, ``callback_query``, ``photo_message``...), which ``push_update`` queues for
getUpdates and ``post_webhook`` POSTs to a webhook.

What it does not: parse markup (any parse_mode is refused: kefu sends plain text), upload or download
files (only file_ids it issued are valid), or model any other method (404, so a new call shows up).

Faults: ``fail_next(method, status, retry_after=, description=, times=)`` (429 carries retry_after;
5xx, 400, 403...), ``delay_next(method, seconds, times=)`` (a slow Telegram; the client may time out
while the call still happens), ``limit_rate(max_calls, per_seconds, per_chat=)`` (429 past a rate of
sends, edits and topic creations), ``block(user_id)``, ``delete_topic(chat_id, thread_id)``.

Point a bot at ``fake.url``: ``fake.aiogram_bot()`` / ``fake.ptb_bot()``, or kefu's
``create_bot(fake.token, fake.url)``.
"""

from .chats import (
    MAX_CALLBACK_DATA,
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    TOPIC_ICON_COLORS,
    ApiError,
    utf16_len,
)
from .server import LONG_POLL_CAP, Call, FakeBotAPI

__all__ = [
    "LONG_POLL_CAP",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "TOPIC_ICON_COLORS",
    "ApiError",
    "Call",
    "FakeBotAPI",
    "utf16_len",
]
