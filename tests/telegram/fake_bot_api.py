"""A fake Telegram Bot API server for end-to-end tests of the real aiogram / PTB HTTP clients.

It is an aiohttp application listening on 127.0.0.1; point a bot at ``fake.url``:

* aiogram: ``Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))``
  (or ``fake.aiogram_bot()``);
* PTB: ``telegram.Bot(fake.token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")``
  (or ``fake.ptb_bot()``).

It answers like Telegram (same JSON envelope, same HTTP status codes, Telegram's own error descriptions
for the limits that bite: 4096 UTF-16 units of text after entity parsing, 1024 of caption, 64 bytes of
callback_data, unparsable HTML/Markdown, deleted forum topics, blocked users, two-letter command
languages), keeps the chats' state (messages, topics, commands, webhook, files) and records every call.

Updates are *built* by the builder methods (``private_message``, ``callback_query``...), which register
the message in the fake's chat state and return the update dict; ``push_update`` queues one for
``getUpdates``, ``post_webhook`` delivers one to a webhook.
"""

from __future__ import annotations

import asyncio
import copy
import html
import itertools
import json
import math
import re
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = [
    "LONG_POLL_CAP",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "TOPIC_ICON_COLORS",
    "ApiError",
    "Call",
    "EntityParseError",
    "FakeBotAPI",
    "parse_entities",
    "utf16_len",
]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
#: Long polling waits at most this long, whatever ``timeout`` the client asks for (keeps tests fast).
LONG_POLL_CAP = 1.0
#: The six colours Telegram allows for a forum topic icon.
TOPIC_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
DEFAULT_BOT_ID = 7_000_000_001

_KNOWN_METHODS = """
getMe logOut close getUpdates setWebhook deleteWebhook getWebhookInfo sendMessage forwardMessage
forwardMessages copyMessage copyMessages sendPhoto sendAudio sendDocument sendVideo sendAnimation sendVoice
sendVideoNote sendPaidMedia sendMediaGroup sendLocation sendVenue sendContact sendPoll sendChecklist sendDice
sendMessageDraft sendChatAction setMessageReaction getUserProfilePhotos getFile banChatMember unbanChatMember
restrictChatMember promoteChatMember setChatAdministratorCustomTitle banChatSenderChat unbanChatSenderChat
setChatPermissions exportChatInviteLink createChatInviteLink editChatInviteLink revokeChatInviteLink
approveChatJoinRequest declineChatJoinRequest setChatPhoto deleteChatPhoto setChatTitle setChatDescription
pinChatMessage unpinChatMessage unpinAllChatMessages leaveChat getChat getChatAdministrators
getChatMemberCount getChatMember setChatStickerSet deleteChatStickerSet getForumTopicIconStickers
createForumTopic editForumTopic closeForumTopic reopenForumTopic deleteForumTopic unpinAllForumTopicMessages
editGeneralForumTopic closeGeneralForumTopic reopenGeneralForumTopic hideGeneralForumTopic
unhideGeneralForumTopic unpinAllGeneralForumTopicMessages answerCallbackQuery getUserChatBoosts
setMyCommands deleteMyCommands getMyCommands setMyName getMyName setMyDescription getMyDescription
setMyShortDescription getMyShortDescription setChatMenuButton getChatMenuButton
setMyDefaultAdministratorRights getMyDefaultAdministratorRights editMessageText editMessageCaption
editMessageMedia editMessageLiveLocation stopMessageLiveLocation editMessageReplyMarkup stopPoll
deleteMessage deleteMessages sendSticker getStickerSet answerInlineQuery answerWebAppQuery sendInvoice
answerShippingQuery answerPreCheckoutQuery
""".split()
_CANONICAL = {name.lower(): name for name in _KNOWN_METHODS}

#: Calls whose params ``sent_messages`` returns.
SEND_METHODS = frozenset(
    """sendMessage sendPhoto sendAudio sendDocument sendVideo sendAnimation sendVoice sendVideoNote
    sendSticker sendMediaGroup sendLocation sendVenue sendContact sendPoll sendDice copyMessage copyMessages
    forwardMessage forwardMessages""".split()
)
EDIT_METHODS = frozenset(
    "editMessageText editMessageCaption editMessageReplyMarkup editMessageMedia editMessageLiveLocation".split()
)
#: What counts against ``limit_rate`` windows (sends, edits and topic creation, as in Telegram).
RATE_LIMITED_METHODS = SEND_METHODS | EDIT_METHODS | {"createForumTopic", "editForumTopic"}
#: What a blocked user / forbidden chat refuses with 403.
_WRITE_METHODS = SEND_METHODS | EDIT_METHODS | {"sendChatAction"}

_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendSticker": "sticker",
    "sendVoice": "voice",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendAudio": "audio",
    "sendVideoNote": "video_note",
}
_CONTENT_KEYS = (
    "text entities photo sticker voice document video animation audio video_note contact location venue "
    "dice poll caption caption_entities has_media_spoiler show_caption_above_media"
).split()
_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document choose_sticker "
    "find_location record_video_note upload_video_note".split()
)
_BUTTON_ACTIONS = (
    "callback_data url login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat callback_game pay web_app copy_text"
).split()
_UPDATE_TYPES = (
    "message edited_message channel_post edited_channel_post business_connection business_message "
    "edited_business_message deleted_business_messages message_reaction message_reaction_count inline_query "
    "chosen_inline_result callback_query shipping_query pre_checkout_query purchased_paid_media poll "
    "poll_answer my_chat_member chat_member chat_join_request chat_boost removed_chat_boost"
).split()

# ---------------------------------------------------------------------------------------------------------
# request parameter coercion: form fields arrive as strings, nested objects as JSON strings

_TEXT_KEYS = frozenset(
    """text caption name title description short_description query data url secret_token language_code
    action emoji phone_number first_name last_name question explanation address performer vcard payload
    parse_mode caption_parse_mode custom_title sticker photo voice document video animation audio video_note
    thumbnail file_id callback_query_id inline_message_id icon_custom_emoji_id custom_emoji_id
    business_connection_id message_effect_id ip_address format currency provider_token start_parameter
    file_name mime_type""".split()
)
_INT_KEYS = frozenset(
    """offset limit timeout icon_color duration width height length max_connections until_date period
    live_period heading proximity_alert_radius open_period close_date cache_time""".split()
)
_FLOAT_KEYS = frozenset("latitude longitude horizontal_accuracy".split())
_INT_RE = re.compile(r"-?\d+")


def _coerce(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _TEXT_KEYS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if (key.endswith("_id") or key in _INT_KEYS) and _INT_RE.fullmatch(value):
        return int(value)
    if key in _FLOAT_KEYS:
        try:
            return float(value)
        except ValueError:
            return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _coerce_all(params: dict[str, Any]) -> dict[str, Any]:
    return {key: _coerce(key, value) for key, value in params.items()}


# ---------------------------------------------------------------------------------------------------------
# errors


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: scripted failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# ---------------------------------------------------------------------------------------------------------
# text: UTF-16 length and Telegram's entity parsers (HTML, MarkdownV2, Markdown)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


class EntityParseError(ValueError):
    """The text does not parse; str() is the part after "can't parse entities: "."""


class _Out:
    """Accumulates parsed text and tracks its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.len16 = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.len16 += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.len16 - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_HTML_TAGS = frozenset(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote tg-time".split()
)
_HTML_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _html_unescape_at(text: str, i: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, i)
    if not match:
        return None
    name = match.group(1)
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], match.end()
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode, with TDLib's error messages."""
    out = _Out()
    stack: list[tuple[str, dict[str, str], int]] = []  # tag, attributes, start (UTF-16)
    i, n = 0, len(text)
    plain_run = re.compile(r"[^<&]+")
    while i < n:
        run = plain_run.match(text, i)
        if run:
            out.add(run.group())
            i = run.end()
            continue
        if text[i] == "&":
            decoded = _html_unescape_at(text, i)
            if decoded is None:
                out.add("&")
                i += 1
            else:
                out.add(decoded[0])
                i = decoded[1]
            continue
        begin = i  # text[i] == "<"
        if i + 1 < n and text[i + 1] == "/":
            end = text.find(">", i + 2)
            if end == -1:
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            tag, closed_attrs, start = stack.pop()
            if name != tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {_byte_offset(text, begin)}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            _close_html_tag(out, stack, tag, closed_attrs, start)
            i = end + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[i + 1 : j].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs: dict[str, str] = {}
        k = j
        while True:
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[k] == ">":
                k += 1
                break
            name_start = k
            while k < n and not text[k].isspace() and text[k] not in "=>":
                k += 1
            attr = text[name_start:k].lower()
            while k < n and text[k].isspace():
                k += 1
            value = ""
            if k < n and text[k] == "=":
                k += 1
                while k < n and text[k].isspace():
                    k += 1
                if k >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                if text[k] in "'\"":
                    close = text.find(text[k], k + 1)
                    if close == -1:
                        raise EntityParseError(
                            f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                        )
                    value = html.unescape(text[k + 1 : close])
                    k = close + 1
                else:
                    value_start = k
                    while k < n and not text[k].isspace() and text[k] != ">":
                        k += 1
                    value = html.unescape(text[value_start:k])
            attrs[attr] = value
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        stack.append((tag, attrs, out.len16))
        i = k
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


_SIMPLE_HTML_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def _close_html_tag(
    out: _Out, stack: list[tuple[str, dict[str, str], int]], tag: str, attrs: dict[str, str], start: int
) -> None:
    if tag in _SIMPLE_HTML_ENTITIES:
        out.entity(_SIMPLE_HTML_ENTITIES[tag], start)
    elif tag == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            out.entity(
                "text_mention", start, user={"id": int(user.group(1)), "is_bot": False, "first_name": ""}
            )
        elif href:
            out.entity("text_link", start, url=href)
    elif tag == "code":
        language = attrs.get("class", "")
        if stack and stack[-1][0] == "pre" and language.startswith("language-"):
            stack[-1][1]["_language"] = language.removeprefix("language-")
        elif not (stack and stack[-1][0] == "pre"):
            out.entity("code", start)
    elif tag == "pre":
        pre_language = attrs.get("_language")
        if pre_language:
            out.entity("pre", start, language=pre_language)
        else:
            out.entity("pre", start)
    elif tag == "blockquote":
        out.entity("expandable_blockquote" if "expandable" in attrs else "blockquote", start)
    elif tag == "tg-emoji":
        if attrs.get("emoji-id"):
            out.entity("custom_emoji", start, custom_emoji_id=attrs["emoji-id"])


_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """MarkdownV2: reserved characters must be escaped, entities must be closed."""
    out = _Out()
    stack: list[tuple[str, int, int]] = []  # kind, start (UTF-16), begin (char index)
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        top = stack[-1][0] if stack else None
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if top in ("code", "pre"):
            if top == "pre" and text.startswith("```", i):
                _, start, _ = stack.pop()
                out.entity("pre", start)
                i += 3
            elif top == "code" and c == "`":
                _, start, _ = stack.pop()
                out.entity("code", start)
                i += 1
            else:
                out.add(c)
                i += 1
            continue
        at_line_start = i == 0 or text[i - 1] == "\n"
        if c == "\n":
            out.add(c)
            i += 1
            if quote_start is not None and not text.startswith(">", i) and not text.startswith("**>", i):
                out.len16 -= 1
                out.entity("blockquote", quote_start)
                out.len16 += 1
                quote_start = None
            continue
        if at_line_start and (c == ">" or text.startswith("**>", i)):
            if quote_start is None:
                quote_start = out.len16
            i += 3 if c == "*" else 1
            continue
        kind: str | None = None
        width = 1
        if c == "*":
            kind = "bold"
        elif c == "_":
            kind, width = ("underline", 2) if text.startswith("__", i) else ("italic", 1)
        elif c == "~":
            kind = "strikethrough"
        elif c == "|" and text.startswith("||", i):
            kind, width = "spoiler", 2
        elif c == "`":
            if text.startswith("```", i):
                newline = text.find("\n", i + 3)
                closing = text.find("```", i + 3)
                skip = 3
                if newline != -1 and (closing == -1 or newline < closing):
                    skip = newline - i + 1  # the language line
                stack.append(("pre", out.len16, i))
                i += skip
                continue
            stack.append(("code", out.len16, i))
            i += 1
            continue
        elif c == "[" or (c == "!" and text.startswith("![", i)):
            stack.append(("text_link" if c == "[" else "custom_emoji", out.len16, i))
            i += 1 if c == "[" else 2
            continue
        elif c == "]" and top in ("text_link", "custom_emoji"):
            kind_, start, begin = stack.pop()
            if not text.startswith("(", i + 1):
                raise EntityParseError(
                    f"Can't find end of {_MD2_NAMES[kind_]} entity at byte offset {_byte_offset(text, begin)}"
                )
            j, url = i + 2, []
            while j < n and text[j] != ")":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                url.append(text[j])
                j += 1
            if j >= n:
                raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}")
            target = "".join(url)
            if kind_ == "custom_emoji":
                out.entity("custom_emoji", start, custom_emoji_id=target.rpartition("id=")[2])
            else:
                out.entity("text_link", start, url=target)
            i = j + 1
            continue
        if kind is not None:
            position = next((k for k in range(len(stack) - 1, -1, -1) if stack[k][0] == kind), None)
            if position is None:
                stack.append((kind, out.len16, i))
            else:
                _, start, _ = stack.pop(position)
                out.entity(kind, start)
            i += width
            continue
        if c in _MD2_RESERVED:
            raise EntityParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        out.add(c)
        i += 1
    if stack:
        open_kind, _, begin = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MD2_NAMES[open_kind]} entity at byte offset {_byte_offset(text, begin)}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); entities cannot nest."""
    out = _Out()
    i, n = 0, len(text)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        missing = EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
        )
        start = out.len16
        if c == "[":
            end = text.find("]", i + 1)
            if end == -1:
                raise missing
            out.add(text[i + 1 : end])
            if text.startswith("(", end + 1):
                close = text.find(")", end + 2)
                if close == -1:
                    raise missing
                out.entity("text_link", start, url=text[end + 2 : close])
                i = close + 1
            else:
                i = end + 1
        elif text.startswith("```", i):
            end = text.find("```", i + 3)
            if end == -1:
                raise missing
            inner = text[i + 3 : end]
            language, newline, body = inner.partition("\n")
            if newline and language and " " not in language:
                out.add(body)
                out.entity("pre", start, language=language)
            else:
                out.add(inner)
                out.entity("pre", start)
            i = end + 3
        else:
            end = text.find(c, i + 1)
            if end == -1:
                raise missing
            out.add(text[i + 1 : end])
            out.entity(kinds[c], start)
            i = end + 1
    return out.result()


def parse_entities(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The text a user sees and its entities; raises EntityParseError (or ApiError for a bad mode)."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, list(entities or [])
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise _bad("unsupported parse_mode")


# ---------------------------------------------------------------------------------------------------------
# records


class Call(tuple):  # type: ignore[type-arg]
    """One received API call; unpacks as ``(method, params)``.

    Extra attributes: ``token``, ``files`` ({field: (filename, bytes, content_type)}), ``status``
    (HTTP status of the answer, None while in flight), ``response`` (the JSON body), ``seq``,
    ``via`` ("http" or "webhook-reply"), ``ok`` (status == 200).
    """

    token: str
    seq: int
    files: dict[str, Any]
    via: str
    status: int | None
    response: dict[str, Any] | None

    def __new__(
        cls, method: str, params: dict[str, Any], *, token: str, seq: int, files: dict[str, Any], via: str
    ) -> Call:
        self = super().__new__(cls, (method, params))
        self.token = token
        self.seq = seq
        self.files = files
        self.via = via
        self.status = None
        self.response = None
        return self

    @property
    def method(self) -> str:
        return str(self[0])

    @property
    def params(self) -> dict[str, Any]:
        return self[1]  # type: ignore[no-any-return]

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    def __repr__(self) -> str:
        return f"Call({self.method!r}, {self.params!r}, status={self.status})"


@dataclass
class _Script:
    method: str  # lower-case name or "*"
    times: int
    status: int = 0
    description: str = ""
    parameters: dict[str, Any] | None = None
    seconds: float = 0.0

    def matches(self, method: str) -> bool:
        return self.times > 0 and self.method in ("*", method.lower())


@dataclass
class _RateLimit:
    max_calls: int
    per_seconds: float
    chat_id: int | None
    per_chat: bool
    retry_after: int | None
    hits: dict[Any, deque[float]] = field(default_factory=dict)


@dataclass
class _Topic:
    chat_id: int
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def as_forum_topic(self) -> dict[str, Any]:
        topic = {"message_thread_id": self.thread_id, "name": self.name, "icon_color": self.icon_color}
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


_FOLDERS: dict[str, tuple[str, str, str]] = {
    "photo": ("photos", ".jpg", "image/jpeg"),
    "sticker": ("stickers", ".webp", "image/webp"),
    "voice": ("voice", ".oga", "audio/ogg"),
    "document": ("documents", "", "application/octet-stream"),
    "video": ("videos", ".mp4", "video/mp4"),
    "animation": ("animations", ".mp4", "video/mp4"),
    "audio": ("music", ".mp3", "audio/mpeg"),
    "video_note": ("video_notes", ".mp4", "video/mp4"),
}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


_UNSET: Any = _Unset()

# ---------------------------------------------------------------------------------------------------------
# the server


class FakeBotAPI:
    """See the module docstring. ``await start()`` / ``await stop()``, or ``async with FakeBotAPI() as fake``."""

    def __init__(
        self,
        *,
        bot_id: int = DEFAULT_BOT_ID,
        username: str = "kefu_test_bot",
        first_name: str = "Kefu Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        long_poll_cap: float = LONG_POLL_CAP,
    ) -> None:
        self.bot_id = bot_id
        self.username = username
        self.first_name = first_name
        self.host = host
        self.port = port
        self.long_poll_cap = long_poll_cap
        #: Messages in a topic carry reply_to_message = the topic's forum_topic_created message, as in Telegram.
        self.topic_root_replies = True
        #: Reject webhook URLs Telegram would reject (non-HTTPS, ports other than 443/80/88/8443).
        self.strict_webhook_url = False
        #: Only ids of files the fake issued (or ``add_file``) are accepted as file_id.
        self.strict_file_ids = True
        self.clock: Callable[[], float] = time.monotonic
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._handlers: dict[str, Callable[..., Any]] = {
            "getMe": self._m_get_me,
            "logOut": self._m_true,
            "close": self._m_true,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "editMessageMedia": self._m_edit_message_media,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
            "copyMessage": self._m_copy_message,
            "copyMessages": self._m_copy_messages,
            "forwardMessage": self._m_forward_message,
            "forwardMessages": self._m_forward_messages,
            "sendMediaGroup": self._m_send_media_group,
            "sendContact": self._m_send_contact,
            "sendLocation": self._m_send_location,
            "sendDice": self._m_send_dice,
            "sendChatAction": self._m_send_chat_action,
            "answerCallbackQuery": self._m_answer_callback_query,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "setMyName": self._m_set_my_name,
            "getMyName": self._m_get_my_name,
            "setMyDescription": self._m_set_my_description,
            "getMyDescription": self._m_get_my_description,
            "setMyShortDescription": self._m_set_my_short_description,
            "getMyShortDescription": self._m_get_my_short_description,
            "createForumTopic": self._m_create_forum_topic,
            "editForumTopic": self._m_edit_forum_topic,
            "closeForumTopic": self._m_close_forum_topic,
            "reopenForumTopic": self._m_reopen_forum_topic,
            "deleteForumTopic": self._m_delete_forum_topic,
            "getForumTopicIconStickers": self._m_empty_list,
            "getChat": self._m_get_chat,
            "getChatMember": self._m_get_chat_member,
            "getChatAdministrators": self._m_get_chat_administrators,
            "getChatMemberCount": self._m_get_chat_member_count,
            "getFile": self._m_get_file,
            "setChatMenuButton": self._m_set_chat_menu_button,
            "getChatMenuButton": self._m_get_chat_menu_button,
        }
        for method in _MEDIA_METHODS:
            self._handlers[method] = self._m_send_media
        self._reset_state()

    # -- lifecycle -----------------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.calls: list[Call] = []
        self.webhook_responses: list[tuple[int, Any]] = []
        self._scripts_fail: list[_Script] = []
        self._scripts_delay: list[_Script] = []
        self._rate_limits: list[_RateLimit] = []
        self._queue: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_001)
        self._allowed_updates: list[str] | None = None
        self._pollers: dict[str, asyncio.Future[None]] = {}
        self._update_signal = asyncio.Event()
        self._call_signal = asyncio.Event()
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._deleted: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_mid: dict[int, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._topics: dict[int, dict[int, _Topic]] = {}
        self._forbidden: dict[int, str] = {}
        self._members: dict[tuple[int, int], dict[str, Any]] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._files: dict[str, _File] = {}
        self._file_paths: dict[str, _File] = {}
        self._file_ids = itertools.count(1)
        self._media_groups = itertools.count(13_000_000_000_000_001)
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}

    def reset(self) -> None:
        """Forget everything: calls, scripts, queued updates, chats, topics, commands, webhook, files."""
        self._wake_all()
        self._reset_state()

    def clear_calls(self) -> None:
        """Forget the recorded calls only."""
        self.calls.clear()

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", r"/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", r"/file/bot{token}/{path:.+}", self._handle_file)
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing.set()
        self._wake_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL: the API is at ``{url}/bot{token}/{method}``, files at ``{url}/file/bot{token}/{path}``."""
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        """A well-formed token whose numeric part is ``bot_id`` (aiogram derives ``bot.id`` from it)."""
        return f"{self.bot_id}:AAFakeKefuTestTokenForTheFakeBotApi00"

    def aiogram_bot(self, token: str | None = None, **kwargs: Any) -> Any:
        """A real ``aiogram.Bot`` whose AiohttpSession talks to this fake. Close it: ``await bot.session.close()``."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.url))
        return Bot(token or self.token, session=session, **kwargs)

    def ptb_bot(self, token: str | None = None, **kwargs: Any) -> Any:
        """A real ``telegram.Bot`` (python-telegram-bot) pointed at this fake."""
        import telegram

        return telegram.Bot(
            token or self.token, base_url=f"{self.url}/bot", base_file_url=f"{self.url}/file/bot", **kwargs
        )

    # -- scripting -------------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` ("*" = any) answer this error instead of being handled.

        429 answers carry ``parameters.retry_after`` (default 1) and "Too Many Requests: retry after N".
        """
        params = dict(parameters or {})
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            params["retry_after"] = retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif retry_after is not None:
            params["retry_after"] = retry_after
        description = description or _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._scripts_fail.append(_Script(method.lower(), times, status, description, params or None))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` wait ``seconds`` before being handled.

        The call is still carried out after the wait, even when the client gave up meanwhile (as with
        Telegram: a request that timed out on the client may well have been delivered).
        """
        self._scripts_delay.append(_Script(method.lower(), times, seconds=seconds))

    def limit_rate(
        self,
        max_calls: int,
        per_seconds: float,
        *,
        chat_id: int | None = None,
        per_chat: bool = False,
        retry_after: int | None = None,
    ) -> None:
        """Answer 429 once more than ``max_calls`` sends/edits/topic creations happen within ``per_seconds``.

        ``chat_id``: count only that chat; ``per_chat``: a separate window for every chat; otherwise all
        chats share one window. ``retry_after`` defaults to the seconds until the window frees a slot.
        """
        self._rate_limits.append(_RateLimit(max_calls, per_seconds, chat_id, per_chat, retry_after))

    def clear_rate_limits(self) -> None:
        self._rate_limits.clear()

    # -- state helpers ---------------------------------------------------------------------------------------

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocked the bot: writes to them answer 403. Returns the my_chat_member update (not queued)."""
        self._forbidden[user_id] = "Forbidden: bot was blocked by the user"
        return self.my_chat_member(user_id, old_status="member", new_status="kicked")

    def unblock(self, user_id: int) -> dict[str, Any]:
        self._forbidden.pop(user_id, None)
        return self.my_chat_member(user_id, old_status="kicked", new_status="member")

    def forbid(
        self, chat_id: int, description: str = "Forbidden: bot was kicked from the supergroup chat"
    ) -> None:
        """Writes to ``chat_id`` answer 403 with ``description`` (e.g. "Forbidden: user is deactivated")."""
        self._forbidden[chat_id] = description

    def set_chat(self, chat_id: int, **fields: Any) -> None:
        """Override fields of the Chat object (title, username, is_forum, type...)."""
        self._chats.setdefault(chat_id, {}).update(fields)

    def set_user(self, user_id: int, **fields: Any) -> dict[str, Any]:
        """Set User fields (first_name, username, language_code, is_premium...) used by builders and chats."""
        return self._user(user_id, **fields)

    def set_member(self, chat_id: int, user_id: int, status: str = "member", **fields: Any) -> None:
        """What getChatMember answers for (chat_id, user_id); fields are merged into the ChatMember."""
        self._members[(chat_id, user_id)] = {"status": status, **fields}

    def add_topic(
        self, chat_id: int, thread_id: int, name: str = "", icon_color: int = TOPIC_ICON_COLORS[0]
    ) -> None:
        """Declare an existing forum topic (made outside the bot)."""
        self._register_topic(chat_id, thread_id, name or f"Topic {thread_id}", icon_color)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Someone deleted the topic in the Telegram app: sending to it answers "message thread not found"."""
        topic = self._topics.get(chat_id, {}).get(thread_id)
        if topic is None:
            topic = self._register_topic(chat_id, thread_id, f"Topic {thread_id}", TOPIC_ICON_COLORS[0])
        topic.deleted = True
        for message_id, message in list(self._messages.get(chat_id, {}).items()):
            if message.get("message_thread_id") == thread_id:
                self._deleted.setdefault(chat_id, {})[message_id] = self._messages[chat_id].pop(message_id)

    def topic(self, chat_id: int, thread_id: int) -> dict[str, Any] | None:
        """{message_thread_id, name, icon_color, closed, deleted} or None."""
        topic = self._topics.get(chat_id, {}).get(thread_id)
        if topic is None:
            return None
        return {**topic.as_forum_topic(), "closed": topic.closed, "deleted": topic.deleted}

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        return [self.topic(chat_id, t) for t in sorted(self._topics.get(chat_id, {}))]  # type: ignore[misc]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """The commands set for (scope, language_code); None when never set."""
        stored = self._commands.get((self._scope_key(scope), language_code or ""))
        return copy.deepcopy(stored)

    def add_file(
        self,
        content: bytes = b"fake file",
        *,
        kind: str = "document",
        file_id: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> str:
        """Register a file (getFile + download work); returns its file_id."""
        return self._new_file(
            kind, content, file_id=file_id, file_name=file_name, mime_type=mime_type
        ).file_id

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].content

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current state of a stored message (None when unknown or deleted)."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(stored) if stored else None

    def history(
        self, chat_id: int, thread_id: int | None = None, *, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Messages of a chat (optionally of one topic) as they stand now, by message_id."""
        messages = dict(self._messages.get(chat_id, {}))
        if include_deleted:
            messages.update(self._deleted.get(chat_id, {}))
        result = [m for _, m in sorted(messages.items())]
        if thread_id is not None:
            result = [m for m in result if m.get("message_thread_id") == thread_id]
        return copy.deepcopy(result)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._queue)

    # -- update queue ----------------------------------------------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (update_id assigned when absent); returns it."""
        if "update_id" not in update:
            update["update_id"] = self.next_update_id()
        else:
            ahead = update["update_id"] + 1
            current = next(self._update_ids)
            self._update_ids = itertools.count(max(ahead, current))
        self._queue.append(update)
        self._queue.sort(key=lambda u: u["update_id"])
        self._fire_updates()
        return update

    def push_updates(self, updates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.push_update(update) for update in updates]

    # -- builders (register the message in the fake's chats; return the update, not queued) -------------

    def private_message(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to: int | dict[str, Any] | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        user = self._user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        content = self._text_content(text, entities)
        message = self._incoming(user_id, user, content, reply_to=reply_to, message_id=message_id)
        return self._update("message", message)

    def contact_message(
        self,
        user_id: int,
        phone: str,
        contact_user_id: Any = ...,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """A shared contact; ``contact_user_id`` defaults to the sender (the request_contact button case).

        The phone is passed through as given: Telegram sends it with or without "+".
        """
        user = self._user(user_id, first_name=first_name, last_name=last_name, language_code=language_code)
        contact: dict[str, Any] = {"phone_number": phone, "first_name": user["first_name"]}
        if user.get("last_name"):
            contact["last_name"] = user["last_name"]
        contact_user_id = user_id if contact_user_id is ... else contact_user_id
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        message = self._incoming(user_id, user, {"contact": contact})
        return self._update("message", message)

    def callback_query(
        self,
        user_id: int,
        data: str,
        message_id: int | None = None,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        callback_id: str | None = None,
    ) -> dict[str, Any]:
        """A button press on ``message_id`` in ``chat_id`` (default: the user's private chat).

        Without ``message_id``, the latest bot message with an inline keyboard in that chat; a missing
        message is created as a bot message. The query must be answered (once) with answerCallbackQuery.
        """
        user = self._user(user_id, first_name=first_name, username=username, language_code=language_code)
        chat_id = user_id if chat_id is None else chat_id
        chat_messages = self._messages.get(chat_id, {})
        if message_id is None:
            keyboards = [m for m in chat_messages.values() if m.get("reply_markup") and self._from_bot(m)]
            message_id = max((m["message_id"] for m in keyboards), default=None)
        message = chat_messages.get(message_id) if message_id is not None else None
        if message is None:
            message = self._store(
                {
                    "message_id": self._allocate_mid(chat_id, message_id),
                    "from": self._bot_user(),
                    "chat": self._chat_obj(chat_id),
                    "date": self._now(),
                    "text": "…",
                }
            )
        query_id = callback_id or f"{self.bot_id}{next(self._callback_ids):010d}"
        self._callbacks[query_id] = {"answered": False, "user_id": user_id, "data": data}
        query = {
            "id": query_id,
            "from": user,
            "message": self._copy_for_update(message),
            "chat_instance": str(abs(chat_id) * 7 + 11),
            "data": data,
        }
        return self._update("callback_query", query)

    def edited_message(
        self, chat_id: int, message_id: int, text: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        """The user edited their message (created when unknown); the stored message is updated."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            user = self._user(user_id if user_id is not None else chat_id)
            stored = self._incoming(chat_id, user, {"text": text}, message_id=message_id)
        stored["text"] = text
        stored.pop("entities", None)
        stored.update(self._text_content(text, None))
        stored["edit_date"] = self._now()
        return self._update("edited_message", self._copy_for_update(stored))

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        thread_id: int | None = None,
        reply_to: int | dict[str, Any] | None = None,
        is_topic_message: bool | None = None,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """A message in a group. In a forum, ``thread_id`` puts it in that topic (is_topic_message true,
        reply_to_message = the topic's root unless ``reply_to``). A reply in General (``thread_id`` None,
        ``reply_to`` set) carries Telegram's misleading message_thread_id = the replied-to message id and
        no is_topic_message."""
        user = self._user(user_id, first_name=first_name, username=username, language_code=language_code)
        content = self._text_content(text, entities)
        message = self._incoming(
            chat_id,
            user,
            content,
            thread_id=thread_id,
            reply_to=reply_to,
            is_topic_message=is_topic_message,
            message_id=message_id,
        )
        return self._update("message", message)

    def media_message(
        self,
        kind: str,
        user_id: int,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | dict[str, Any] | None = None,
        content: bytes | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A message with media of ``kind`` (photo, sticker, voice, document, video, animation, audio,
        video_note); the file is registered (getFile/download work). ``fields`` go into the media object."""
        user = self._user(user_id)
        file = self._new_file(
            kind,
            content or f"fake {kind} bytes".encode(),
            file_name=fields.get("file_name"),
            mime_type=fields.get("mime_type"),
        )
        body = self._media_content(kind, file, fields)
        if caption is not None:
            body["caption"] = caption
        message = self._incoming(
            user_id if chat_id is None else chat_id, user, body, thread_id=thread_id, reply_to=reply_to
        )
        return self._update("message", message)

    def photo_message(self, user_id: int, *, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return self.media_message("photo", user_id, caption=caption, **kwargs)

    def sticker_message(self, user_id: int, emoji: str = "🙂", **kwargs: Any) -> dict[str, Any]:
        return self.media_message("sticker", user_id, emoji=emoji, **kwargs)

    def voice_message(self, user_id: int, duration: int = 3, **kwargs: Any) -> dict[str, Any]:
        return self.media_message("voice", user_id, duration=duration, **kwargs)

    def document_message(
        self, user_id: int, file_name: str = "file.pdf", *, content: bytes | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return self.media_message("document", user_id, file_name=file_name, content=content, **kwargs)

    def edited_media(
        self,
        chat_id: int,
        message_id: int,
        *,
        caption: str | None = None,
        kind: str | None = None,
        user_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """The user edited a media message: a new ``caption`` (None removes it) and, with ``kind``, new
        media of that kind (a fresh file). The stored message is updated."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        if kind is not None:
            for key in _MEDIA_METHODS.values():
                stored.pop(key, None)
            file = self._new_file(
                kind, f"fake edited {kind} bytes".encode(), file_name=fields.get("file_name")
            )
            stored.update(self._media_content(kind, file, fields))
        stored.pop("caption_entities", None)
        if caption is None:
            stored.pop("caption", None)
        else:
            stored["caption"] = caption
        stored["edit_date"] = self._now()
        return self._update("edited_message", self._copy_for_update(stored))

    def pinned_message(
        self, chat_id: int, message_id: int, *, user_id: int | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """Somebody pinned ``message_id``: the service message Telegram sends (in the pinned message's
        topic when ``thread_id`` is given)."""
        pinned = self._lookup(chat_id, message_id)
        if pinned is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        fields: dict[str, Any] = {"pinned_message": self._as_reply(pinned)}
        if thread_id is not None:
            fields["message_thread_id"] = thread_id
        return self.service_message(chat_id, user_id, **fields)

    def service_message(self, chat_id: int, user_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """A service message (e.g. new_chat_members=[...], left_chat_member={...}); fields form its body."""
        user = self._user(user_id) if user_id is not None else self._bot_user()
        thread_id = fields.pop("message_thread_id", None)
        message = self._incoming(chat_id, user, fields, thread_id=thread_id, root_reply=False)
        return self._update("message", message)

    def forum_topic_created(
        self,
        chat_id: int,
        name: str,
        *,
        thread_id: int | None = None,
        icon_color: int = TOPIC_ICON_COLORS[0],
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Somebody created a topic in the app: registers it and returns the service message update."""
        thread_id = self._allocate_mid(chat_id, thread_id)
        self._register_topic(chat_id, thread_id, name, icon_color, create_root=False)
        user = self._user(user_id) if user_id is not None else self._bot_user()
        message = self._store(
            {
                "message_id": thread_id,
                "from": user,
                "chat": self._chat_obj(chat_id),
                "date": self._now(),
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": icon_color},
            }
        )
        return self._update("message", self._copy_for_update(message))

    def forum_topic_closed(
        self, chat_id: int, thread_id: int, *, user_id: int | None = None
    ) -> dict[str, Any]:
        self._existing_topic(chat_id, thread_id).closed = True
        return self._topic_service(chat_id, thread_id, user_id, "forum_topic_closed", {})

    def forum_topic_reopened(
        self, chat_id: int, thread_id: int, *, user_id: int | None = None
    ) -> dict[str, Any]:
        self._existing_topic(chat_id, thread_id).closed = False
        return self._topic_service(chat_id, thread_id, user_id, "forum_topic_reopened", {})

    def forum_topic_edited(
        self, chat_id: int, thread_id: int, name: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        self._existing_topic(chat_id, thread_id).name = name
        return self._topic_service(chat_id, thread_id, user_id, "forum_topic_edited", {"name": name})

    def my_chat_member(
        self,
        user_id: int,
        *,
        old_status: str = "member",
        new_status: str = "kicked",
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The bot's membership changed (a user blocking the bot: member -> kicked in their private chat)."""
        chat_id = user_id if chat_id is None else chat_id
        bot = self._bot_user()

        def member(status: str) -> dict[str, Any]:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": bot, **extra}

        body = {
            "chat": self._chat_obj(chat_id),
            "from": self._user(user_id),
            "date": self._now(),
            "old_chat_member": member(old_status),
            "new_chat_member": member(new_status),
        }
        return self._update("my_chat_member", body)

    # -- recording -------------------------------------------------------------------------------------------

    def mark(self) -> int:
        """The current number of calls; pass it as ``since`` to look only at later calls."""
        return len(self.calls)

    def _select(
        self,
        method: str | Iterable[str] | None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        ok: bool | None = None,
        since: int = 0,
        completed: bool = False,
    ) -> list[Call]:
        if method is None or method == "*":
            names = None
        elif isinstance(method, str):
            names = {method.lower()}
        else:
            names = {m.lower() for m in method}
        selected = []
        for call in self.calls[since:]:
            if names is not None and call.method.lower() not in names:
                continue
            if completed and call.status is None:
                continue
            if ok is not None and call.ok != ok:
                continue
            if predicate is not None and not predicate(call.params):
                continue
            selected.append(call)
        return selected

    def calls_of(self, method: str, *, ok: bool | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Params of the calls of ``method`` (case-insensitive), in order; ``ok`` filters by outcome."""
        return [call.params for call in self._select(method, ok=ok, since=since)]

    def find_calls(self, method: str | None = None, *, ok: bool | None = None, since: int = 0) -> list[Call]:
        """Like calls_of but the Call records (status, response, files...)."""
        return self._select(method, ok=ok, since=since)

    def sent_messages(
        self, chat_id: int | str | None = None, thread_id: int | None = None, *, since: int = 0
    ) -> list[dict[str, Any]]:
        """Params of the successful send-type calls (sendMessage, send<Media>, copyMessage, forwardMessage...)."""
        result = []
        for call in self._select(SEND_METHODS, ok=True, since=since):
            params = call.params
            if chat_id is not None and str(params.get("chat_id")) != str(chat_id):
                continue
            if thread_id is not None and params.get("message_thread_id") != thread_id:
                continue
            result.append(params)
        return result

    async def wait_for(
        self,
        method: str | Iterable[str] = "*",
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the brief's API; asyncio.timeout inside
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        ok: bool | None = None,
        since: int = 0,
    ) -> list[dict[str, Any]]:
        """Wait until ``count`` answered calls of ``method`` (matching ``predicate`` on params, ``ok``
        on outcome, at index >= ``since``) have been recorded; returns their params.

        Raises AssertionError after ``timeout`` seconds, listing what did arrive.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            signal = self._call_signal
            matches = self._select(method, predicate=predicate, ok=ok, since=since, completed=True)
            if len(matches) >= count:
                return [call.params for call in matches]
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n  ".join(repr(c) for c in self.calls[since:][-15:])
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {count} {method} call(s), got {len(matches)}; "
                    f"last calls:\n  {recent}"
                )
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_in_flight(self, method: str, count: int = 1, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` calls of ``method`` have arrived and are not answered yet (a long poll the
        fake holds, a delayed call). Raises TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                signal = self._call_signal
                if len([c for c in self._select(method) if c.status is None]) >= count:
                    return
                await signal.wait()

    # -- webhook delivery ------------------------------------------------------------------------------------

    async def post_webhook(
        self,
        url: str | None,
        update: dict[str, Any],
        secret: str | None = _UNSET,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - an HTTP client timeout
        execute_reply: bool = True,
    ) -> int:
        """POST ``update`` to a bot's webhook as Telegram does; returns the HTTP status.

        ``url`` None = the one set with setWebhook; ``secret`` defaults to its secret_token (None sends no
        X-Telegram-Bot-Api-Secret-Token header). A method call in the response body (aiogram's webhook
        reply) is executed like Telegram does and recorded with ``via="webhook-reply"``.
        """
        if "update_id" not in update:
            update["update_id"] = self.next_update_id()
        target = url or self.webhook.get("url")
        if not target:
            raise ValueError("no webhook URL given and none set with setWebhook")
        if secret is _UNSET:
            secret = self.webhook.get("secret_token")
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.post(target, data=json.dumps(update), headers=headers) as response,
        ):
            status = response.status
            reply_params, reply_files = await self._read_webhook_reply(response)
        self.webhook_responses.append((status, reply_params))
        if execute_reply and status == 200 and isinstance(reply_params, dict) and reply_params.get("method"):
            method = str(reply_params.pop("method"))
            await self._process(
                method, self.token, _coerce_all(reply_params), reply_files, via="webhook-reply"
            )
        return status

    async def deliver_pending(self, *, timeout: float = 10.0) -> list[int]:  # noqa: ASYNC109
        """POST every queued update to the registered webhook; those answered 200 leave the queue."""
        statuses = []
        for update in list(self._queue):
            status = await self.post_webhook(None, update, timeout=timeout)
            statuses.append(status)
            if status == 200:
                self._queue.remove(update)
        return statuses

    @staticmethod
    async def _read_webhook_reply(response: aiohttp.ClientResponse) -> tuple[Any, dict[str, Any]]:
        files: dict[str, Any] = {}
        ctype = response.content_type
        if ctype.startswith("multipart/"):
            params: dict[str, Any] = {}
            reader = aiohttp.MultipartReader(response.headers, response.content)
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename:
                    files[part.name] = (part.filename, bytes(await part.read(decode=False)), None)
                else:
                    params[part.name] = await part.text()
            return params, files
        text = await response.text()
        if ctype == "application/json":
            try:
                return json.loads(text), files
            except ValueError:
                return text, files
        if ctype == "application/x-www-form-urlencoded":
            return dict(urllib.parse.parse_qsl(text)), files
        return text, files

    # -- HTTP layer ------------------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        params, files = await self._read_request(request)
        status, body = await self._process(
            request.match_info["method"], request.match_info["token"], params, files, via="http"
        )
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _read_request(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                raw = await request.text()
                body = json.loads(raw) if raw.strip() else {}
                if isinstance(body, dict):
                    params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read(), value.content_type)
                    else:
                        params[key] = value
            else:
                raw = await request.text()
                if raw.strip().startswith("{"):
                    params.update(json.loads(raw))
        return _coerce_all(params), files

    async def _handle_file(self, request: web.Request) -> web.Response:
        file = self._file_paths.get(request.match_info["path"])
        if file is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=file.content, content_type=file.mime_type or "application/octet-stream")

    async def _process(
        self, raw_method: str, token: str, params: dict[str, Any], files: dict[str, Any], *, via: str
    ) -> tuple[int, dict[str, Any]]:
        method = _canonical(raw_method)
        call = Call(method, params, token=token, seq=len(self.calls), files=files, via=via)
        self.calls.append(call)
        self._fire_calls()  # arrived (wait_in_flight); answered is signalled again below
        try:
            delay = self._take(self._scripts_delay, method)
            if delay is not None:
                await self._sleep(delay.seconds)
            failure = self._take(self._scripts_fail, method)
            if failure is not None:
                raise ApiError(failure.status, failure.description, failure.parameters)
            if not re.fullmatch(r"\d+:[\w-]+", token):
                raise ApiError(401, "Unauthorized")
            self.bot_id = int(token.split(":", 1)[0])
            self._check_rate(method, params)
            handler = self._handlers.get(method)
            result = True if handler is None else await handler(params, files, call)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.body()
        call.status, call.response = status, body
        self._fire_calls()
        return status, body

    @staticmethod
    def _take(scripts: list[_Script], method: str) -> _Script | None:
        for script in scripts:
            if script.matches(method):
                script.times -= 1
                if script.times <= 0:
                    scripts.remove(script)
                return script
        return None

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    def _check_rate(self, method: str, params: dict[str, Any]) -> None:
        if method not in RATE_LIMITED_METHODS or not self._rate_limits:
            return
        chat_id = params.get("chat_id")
        try:
            chat_id = int(chat_id) if chat_id is not None else None
        except (TypeError, ValueError):
            pass
        now = self.clock()
        applicable = [
            limit for limit in self._rate_limits if limit.chat_id is None or limit.chat_id == chat_id
        ]
        for limit in applicable:
            window = limit.hits.setdefault(chat_id if limit.per_chat else "*", deque())
            while window and window[0] <= now - limit.per_seconds:
                window.popleft()
            if len(window) >= limit.max_calls:
                retry = limit.retry_after or max(1, math.ceil(window[0] + limit.per_seconds - now))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        for limit in applicable:
            limit.hits[chat_id if limit.per_chat else "*"].append(now)

    def _fire_calls(self) -> None:
        self._call_signal.set()
        self._call_signal = asyncio.Event()

    def _fire_updates(self) -> None:
        self._update_signal.set()
        self._update_signal = asyncio.Event()

    def _wake_all(self) -> None:
        for poller in self._pollers.values():
            if not poller.done():
                poller.set_result(None)
        self._fire_updates()
        self._fire_calls()

    # -- objects ---------------------------------------------------------------------------------------------

    @staticmethod
    def _now() -> int:
        return int(time.time())

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def _from_bot(self, message: dict[str, Any]) -> bool:
        return bool(message.get("from", {}).get("is_bot")) and message["from"]["id"] == self.bot_id

    def _user(self, user_id: int, **fields: Any) -> dict[str, Any]:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        user.update({k: v for k, v in fields.items() if v is not None})
        return dict(user)

    @staticmethod
    def _is_supergroup_id(chat_id: int) -> bool:
        return str(chat_id).startswith("-100")

    def _chat_obj(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            user = self._users.get(chat_id) or {"first_name": f"User {chat_id}"}
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if user.get(key):
                    chat[key] = user[key]
        elif self._is_supergroup_id(chat_id):
            chat = {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}", "is_forum": True}
        else:
            chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
        chat.update(self._chats.get(chat_id, {}))
        return chat

    def _is_forum(self, chat_id: int) -> bool:
        return bool(self._chat_obj(chat_id).get("is_forum"))

    def _resolve_chat(self, value: Any, *, key: str = "chat_id") -> int:
        if value is None or value == "":
            raise _bad(f"{key} is empty")
        if isinstance(value, bool):
            raise _bad("chat not found")
        if isinstance(value, int):
            return value
        text = str(value)
        if _INT_RE.fullmatch(text):
            return int(text)
        if text.startswith("@"):
            for chat_id, fields in self._chats.items():
                if str(fields.get("username", "")).lower() == text[1:].lower():
                    return chat_id
        raise _bad("chat not found")

    def _target_chat(self, params: dict[str, Any], method: str) -> int:
        chat_id = self._resolve_chat(params.get("chat_id"))
        if method in _WRITE_METHODS and chat_id in self._forbidden:
            raise ApiError(403, self._forbidden[chat_id])
        if method in _WRITE_METHODS:
            self._check_thread(chat_id, params.get("message_thread_id"))
        return chat_id

    def _allocate_mid(self, chat_id: int, wanted: int | None = None) -> int:
        # in a supergroup, id 1 belongs to the General topic: real topics and messages come after it
        last = self._last_mid.get(chat_id, 1 if self._is_supergroup_id(chat_id) else 0)
        message_id = last + 1 if wanted is None else wanted
        self._last_mid[chat_id] = max(last, message_id)
        return message_id

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        chat_id = message["chat"]["id"]
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _lookup(self, chat_id: int, message_id: Any) -> dict[str, Any] | None:
        if not isinstance(message_id, int):
            return None
        return self._messages.get(chat_id, {}).get(message_id)

    @staticmethod
    def _copy_for_update(message: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(message)

    @staticmethod
    def _as_reply(message: dict[str, Any]) -> dict[str, Any]:
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    def _update(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": self.next_update_id(), kind: self._copy_for_update(body)}

    @staticmethod
    def _text_content(text: str, entities: list[dict[str, Any]] | None) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if entities is not None:
            content["entities"] = entities
        elif text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return content

    # -- topics ----------------------------------------------------------------------------------------------

    def _register_topic(
        self, chat_id: int, thread_id: int, name: str, icon_color: int, *, create_root: bool = True
    ) -> _Topic:
        topic = _Topic(chat_id, thread_id, name, icon_color)
        self._topics.setdefault(chat_id, {})[thread_id] = topic
        self._allocate_mid(chat_id, max(thread_id, self._last_mid.get(chat_id, 0)))
        if create_root and self._lookup(chat_id, thread_id) is None:
            self._store(
                {
                    "message_id": thread_id,
                    "from": self._bot_user(),
                    "chat": self._chat_obj(chat_id),
                    "date": self._now(),
                    "message_thread_id": thread_id,
                    "is_topic_message": True,
                    "forum_topic_created": {"name": name, "icon_color": icon_color},
                }
            )
        return topic

    def _existing_topic(self, chat_id: int, thread_id: Any) -> _Topic:
        topic = self._topics.get(chat_id, {}).get(thread_id) if isinstance(thread_id, int) else None
        if topic is None or topic.deleted:
            raise _bad("message thread not found")
        return topic

    def _check_thread(self, chat_id: int, thread_id: Any) -> None:
        if not thread_id or chat_id > 0 or not self._is_forum(chat_id):
            return
        self._existing_topic(chat_id, thread_id)

    def _topic_root(self, chat_id: int, thread_id: int) -> dict[str, Any] | None:
        if not self.topic_root_replies:
            return None
        root = self._lookup(chat_id, thread_id)
        return self._as_reply(root) if root and root.get("forum_topic_created") else None

    def _topic_service(
        self, chat_id: int, thread_id: int, user_id: int | None, key: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        user = self._user(user_id) if user_id is not None else self._bot_user()
        message = self._incoming(chat_id, user, {key: body}, thread_id=thread_id)
        return self._update("message", message)

    # -- messages --------------------------------------------------------------------------------------------

    def _incoming(
        self,
        chat_id: int,
        user: dict[str, Any],
        content: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: int | dict[str, Any] | None = None,
        is_topic_message: bool | None = None,
        message_id: int | None = None,
        root_reply: bool = True,
    ) -> dict[str, Any]:
        """A message from a user (or service message), stored, returned as an update body copy."""
        message: dict[str, Any] = {
            "message_id": self._allocate_mid(chat_id, message_id),
            "from": user,
            "chat": self._chat_obj(chat_id),
            "date": self._now(),
        }
        reply: dict[str, Any] | None = None
        if isinstance(reply_to, dict):
            reply = self._as_reply(reply_to)
        elif reply_to is not None:
            target = self._lookup(chat_id, reply_to)
            reply = (
                self._as_reply(target)
                if target
                else {
                    "message_id": reply_to,
                    "from": self._bot_user(),
                    "chat": self._chat_obj(chat_id),
                    "date": self._now(),
                    "text": "…",
                }
            )
        forum = chat_id < 0 and self._is_forum(chat_id)
        general_reply = False
        if forum and thread_id is None and reply is not None:
            if reply.get("is_topic_message"):
                thread_id = reply.get("message_thread_id")
            else:  # a reply in General: the thread id is the replied-to message (a Telegram quirk)
                thread_id = reply.get("message_thread_id") or reply["message_id"]
                general_reply = True
        if thread_id is not None:
            message["message_thread_id"] = thread_id
        if is_topic_message is None:
            is_topic_message = forum and thread_id is not None and not general_reply
        if is_topic_message and thread_id is not None:
            message["is_topic_message"] = True
            if forum and thread_id not in self._topics.get(chat_id, {}):
                self._register_topic(chat_id, thread_id, f"Topic {thread_id}", TOPIC_ICON_COLORS[0])
            if reply is None and root_reply:
                reply = self._topic_root(chat_id, thread_id)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        self._store(message)
        return self._copy_for_update(message)

    def _resolve_reply(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            message_id = reply_parameters.get("message_id")
            allow = bool(reply_parameters.get("allow_sending_without_reply"))
            target_chat = reply_parameters.get("chat_id", chat_id)
            try:
                target_chat = self._resolve_chat(target_chat)
            except ApiError:
                target_chat = chat_id
        elif params.get("reply_to_message_id"):
            message_id = params["reply_to_message_id"]
            allow = bool(params.get("allow_sending_without_reply"))
            target_chat = chat_id
        else:
            return None
        target = self._lookup(target_chat, message_id)
        if target is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return self._as_reply(target)

    def _bot_message(
        self, chat_id: int, params: dict[str, Any], content: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        thread_id = params.get("message_thread_id") or None
        self._check_thread(chat_id, thread_id)
        reply = self._resolve_reply(chat_id, params)
        forum = chat_id < 0 and self._is_forum(chat_id)
        if thread_id is None and forum and reply is not None and reply.get("is_topic_message"):
            thread_id = reply.get("message_thread_id")
        message: dict[str, Any] = {
            "message_id": self._allocate_mid(chat_id),
            "from": self._bot_user(),
            "chat": self._chat_obj(chat_id),
            "date": self._now(),
        }
        if thread_id is not None and chat_id < 0:
            message["message_thread_id"] = thread_id
            if forum:
                message["is_topic_message"] = True
                if reply is None:
                    reply = self._topic_root(chat_id, thread_id)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        if params.get("has_spoiler") and "photo" in content:
            message["has_media_spoiler"] = True
        self._store(message)
        return self._copy_for_update(message)

    def _parse_text(
        self, text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
    ) -> tuple[str, list[dict[str, Any]]]:
        text = "" if text is None else str(text)
        try:
            plain, parsed = parse_entities(text, parse_mode, entities if isinstance(entities, list) else None)
        except EntityParseError as error:
            raise _bad(f"can't parse entities: {error}") from None
        if caption:
            if utf16_len(plain) > MAX_CAPTION_LENGTH:
                raise _bad("message caption is too long")
        else:
            if not plain.strip():
                raise _bad("message text is empty")
            if utf16_len(plain) > MAX_MESSAGE_LENGTH:
                raise _bad("message is too long")
        return plain, parsed

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup like Telegram; returns what the sent Message carries (inline keyboards)."""
        if markup is None or markup == "":
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                raise _bad("can't parse reply keyboard markup JSON object") from None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad(
                    'can\'t parse inline keyboard markup: Field "inline_keyboard" must be of type Array'
                )
            if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
                raise _bad("reply markup is too long")
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return {"inline_keyboard": copy.deepcopy(rows)}
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('can\'t parse keyboard markup: Field "keyboard" must be of type Array')
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str):
                        raise _bad('can\'t parse keyboard button: Field "text" must be of type String')
                    if not text:
                        raise _bad("BUTTON_TEXT_INVALID")
            return None
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return None
        raise _bad("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        if "text" not in button:
            raise _bad("can't parse inline keyboard button: Can't find field \"text\"")
        if not isinstance(button["text"], str):
            raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not button["text"]:
            raise _bad("BUTTON_TEXT_INVALID")
        if not any(button.get(action) not in (None, False) for action in _BUTTON_ACTIONS):
            raise _bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise _bad("BUTTON_DATA_INVALID")
        if "url" in button:
            url = button["url"]
            if not isinstance(url, str) or not url or any(ch.isspace() for ch in url):
                raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    # -- files -----------------------------------------------------------------------------------------------

    def _new_file(
        self,
        kind: str,
        content: bytes,
        *,
        file_id: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> _File:
        number = next(self._file_ids)
        folder, extension, default_mime = _FOLDERS.get(kind, ("documents", "", "application/octet-stream"))
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        file = _File(
            file_id=file_id or f"FAKE{kind.upper()}{number:06d}AgADfakeFileId",
            file_unique_id=f"AQAD{kind[:3]}{number:06d}",
            kind=kind,
            content=content,
            file_path=f"{folder}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type or default_mime,
        )
        self._files[file.file_id] = file
        self._file_paths[file.file_path] = file
        return file

    def _input_file(
        self, kind: str, value: Any, files: dict[str, Any], field_name: str, params: dict[str, Any]
    ) -> _File:
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad(f'can\'t find attached file "{value.removeprefix("attach://")}"')
        elif value is None and field_name in files:
            upload = files[field_name]
        if upload is not None:
            filename, content, content_type = upload
            mime = content_type if content_type and content_type != "application/octet-stream" else None
            return self._new_file(kind, content, file_name=filename, mime_type=mime)
        if value is None or value == "":
            raise _bad(f"there is no {kind.replace('_', ' ')} in the request")
        if not isinstance(value, str):
            raise _bad("wrong file identifier/HTTP URL specified")
        if value in self._files:
            return self._files[value]
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self._new_file(kind, f"downloaded from {value}".encode(), file_name=name)
        if self.strict_file_ids:
            raise _bad("wrong file identifier/HTTP URL specified")
        return self._new_file(kind, b"unknown file", file_id=value)

    def _media_content(self, kind: str, file: _File, fields: dict[str, Any]) -> dict[str, Any]:
        base = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": len(file.content),
        }
        pick = {k: v for k, v in fields.items() if v is not None and k not in ("content",)}
        if kind == "photo":
            thumb_id = file.file_id + "-thumb"
            if thumb_id not in self._files:
                thumb = _File(
                    thumb_id, file.file_unique_id + "t", "photo", file.content, file.file_path + ".thumb"
                )
                self._files[thumb_id] = self._file_paths[thumb.file_path] = thumb
            width, height = int(pick.get("width", 1280)), int(pick.get("height", 960))
            small = {
                "file_id": thumb_id,
                "file_unique_id": file.file_unique_id + "t",
                "file_size": len(file.content),
                "width": 90,
                "height": max(1, 90 * height // max(width, 1)),
            }
            return {"photo": [small, {**base, "width": width, "height": height}]}
        if kind == "sticker":
            body = {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
            for key in ("emoji", "set_name"):
                if key in pick:
                    body[key] = pick[key]
            return {"sticker": body}
        if kind == "voice":
            return {"voice": {**base, "duration": int(pick.get("duration", 3)), "mime_type": "audio/ogg"}}
        if kind == "document":
            body = {**base, "mime_type": pick.get("mime_type") or file.mime_type}
            body["file_name"] = pick.get("file_name") or file.file_name or "file"
            return {"document": body}
        if kind in ("video", "animation"):
            body = {
                **base,
                "width": int(pick.get("width", 640)),
                "height": int(pick.get("height", 360)),
                "duration": int(pick.get("duration", 5)),
                "mime_type": "video/mp4",
            }
            if file.file_name:
                body["file_name"] = file.file_name
            if kind == "animation":
                return {
                    "animation": body,
                    "document": {k: v for k, v in body.items() if k not in ("width", "height", "duration")},
                }
            return {"video": body}
        if kind == "audio":
            body = {**base, "duration": int(pick.get("duration", 180)), "mime_type": "audio/mpeg"}
            for key in ("title", "performer"):
                if key in pick:
                    body[key] = pick[key]
            if file.file_name:
                body["file_name"] = file.file_name
            return {"audio": body}
        if kind == "video_note":
            return {
                "video_note": {
                    **base,
                    "length": int(pick.get("length", 240)),
                    "duration": int(pick.get("duration", 5)),
                }
            }
        return {kind: base}

    # -- method handlers -------------------------------------------------------------------------------------

    async def _m_true(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        return True

    async def _m_empty_list(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        return []

    async def _m_get_me(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        prefix = call.token.split(":", 1)[0]
        return {
            **self._bot_user(),
            "id": int(prefix) if prefix.isdigit() else self.bot_id,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        loop = asyncio.get_running_loop()
        previous = self._pollers.get(call.token)
        if previous is not None and not previous.done():
            previous.set_result(None)
            self._fire_updates()
        mine: asyncio.Future[None] = loop.create_future()
        self._pollers[call.token] = mine
        try:
            offset = params.get("offset")
            limit = params.get("limit") or 100
            limit = min(max(int(limit), 1), 100)
            timeout = max(0.0, float(params.get("timeout") or 0))
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed_updates = allowed or None
            self._confirm(offset)
            deadline = loop.time() + min(timeout, self.long_poll_cap)
            while True:
                if mine.done() and self._pollers.get(call.token) is not mine:
                    raise ApiError(409, _DEFAULT_DESCRIPTIONS[409])
                signal = self._update_signal
                batch = self._available(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0 or self._closing.is_set() or mine.done():
                    return copy.deepcopy(batch)
                try:
                    await asyncio.wait_for(signal.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            if self._pollers.get(call.token) is mine:
                del self._pollers[call.token]

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        else:
            self._queue = self._queue[offset:]

    def _available(self, limit: int) -> list[dict[str, Any]]:
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            self._queue = [u for u in self._queue if self._update_type(u) in allowed]
        return self._queue[:limit]

    @staticmethod
    def _update_type(update: dict[str, Any]) -> str | None:
        return next((key for key in update if key in _UPDATE_TYPES), None)

    async def _m_set_webhook(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        if url and self.strict_webhook_url:
            parsed = urllib.parse.urlsplit(url)
            if parsed.scheme != "https":
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if parsed.port not in (None, 80, 88, 443, 8443):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        if url and self._pollers:
            self._wake_all()
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret if url else None,
            "allowed_updates": params.get("allowed_updates"),
            "max_connections": params.get("max_connections", 40),
            "ip_address": params.get("ip_address"),
        }
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        return True

    async def _m_delete_webhook(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {"url": "", "secret_token": None}
        return True

    async def _m_get_webhook_info(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if info["url"]:
            info["max_connections"] = self.webhook.get("max_connections") or 40
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if self.webhook.get("ip_address"):
                info["ip_address"] = self.webhook["ip_address"]
        return info

    async def _m_send_message(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        text, entities = self._parse_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        markup = self._check_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return self._bot_message(chat_id, params, content, markup)

    async def _m_send_media(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        kind = _MEDIA_METHODS[call.method]
        chat_id = self._target_chat(params, call.method)
        file = self._input_file(kind, params.get(kind), files, kind, params)
        content = self._media_content(kind, file, params)
        if kind != "sticker":
            content.update(self._caption(params))
        markup = self._check_markup(params.get("reply_markup"))
        return self._bot_message(chat_id, params, content, markup)

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("caption") in (None, ""):
            return {}
        caption, entities = self._parse_text(
            params["caption"], params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        content: dict[str, Any] = {"caption": caption}
        if entities:
            content["caption_entities"] = entities
        return content

    async def _m_send_media_group(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of messages in media group")
        group_id = str(next(self._media_groups))
        prepared = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "video", "document", "audio"):
                raise _bad("can't parse InputMedia: unsupported media type")
            file = self._input_file(kind, item.get("media"), files, "media", params)
            content = self._media_content(kind, file, item)
            content.update(self._caption(item))
            prepared.append(content)
        messages = []
        for content in prepared:
            messages.append(self._bot_message(chat_id, params, {**content, "media_group_id": group_id}, None))
            params = {k: v for k, v in params.items() if k not in ("reply_parameters", "reply_to_message_id")}
        return messages

    async def _m_send_contact(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        contact = {
            k: params[k] for k in ("phone_number", "first_name", "last_name", "vcard") if params.get(k)
        }
        if "phone_number" not in contact or "first_name" not in contact:
            raise _bad("phone number and first name must be non-empty")
        return self._bot_message(
            chat_id, params, {"contact": contact}, self._check_markup(params.get("reply_markup"))
        )

    async def _m_send_location(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        try:
            location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        except (KeyError, TypeError, ValueError):
            raise _bad("wrong latitude or longitude specified") from None
        return self._bot_message(
            chat_id, params, {"location": location}, self._check_markup(params.get("reply_markup"))
        )

    async def _m_send_dice(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        dice = {"emoji": params.get("emoji") or "🎲", "value": 4}
        return self._bot_message(
            chat_id, params, {"dice": dice}, self._check_markup(params.get("reply_markup"))
        )

    def _editable(self, params: dict[str, Any], method: str) -> dict[str, Any] | None:
        if params.get("inline_message_id"):
            return None
        chat_id = self._target_chat(params, method)
        message = self._lookup(chat_id, params.get("message_id"))
        if message is None:
            raise _bad("message to edit not found")
        if not self._from_bot(message):
            raise _bad("message can't be edited")
        return message

    @staticmethod
    def _not_modified() -> ApiError:
        return _bad(
            "message is not modified: specified new message content and reply markup are exactly the same as "
            "a current content and reply markup of the message"
        )

    def _apply_edit(
        self, message: dict[str, Any], changes: dict[str, Any], markup: dict[str, Any] | None
    ) -> Any:
        current = {key: message.get(key) for key in changes}
        if current == changes and message.get("reply_markup") == markup:
            raise self._not_modified()
        for key, value in changes.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = self._now()
        return self._copy_for_update(message)

    async def _m_edit_message_text(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        message = self._editable(params, call.method)
        text, entities = self._parse_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        markup = self._check_markup(params.get("reply_markup"))
        if message is None:
            return True
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        return self._apply_edit(message, {"text": text, "entities": entities or None}, markup)

    async def _m_edit_message_caption(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        message = self._editable(params, call.method)
        content = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        if message is None:
            return True
        if "text" in message or not any(k in message for k in _CONTENT_KEYS):
            raise _bad("there is no caption in the message to edit")
        changes = {"caption": content.get("caption"), "caption_entities": content.get("caption_entities")}
        return self._apply_edit(message, changes, markup)

    async def _m_edit_message_media(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        message = self._editable(params, call.method)
        media = params.get("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if not isinstance(media, dict) or kind not in ("photo", "video", "animation", "audio", "document"):
            raise _bad("can't parse InputMedia: unsupported media type")
        file = self._input_file(kind, media.get("media"), files, "media", params)
        content = self._media_content(kind, file, media)
        caption = self._caption(media)
        markup = self._check_markup(params.get("reply_markup"))
        if message is None:
            return True
        if "text" in message or not any(k in message for k in _MEDIA_METHODS.values()):
            raise _bad("there is no media in the message to edit")
        if kind in ("audio", "document") and "media_group_id" in message:
            raise _bad("can't edit message media in an album to this type")
        changes = {**{k: None for k in _MEDIA_METHODS.values()}, "caption": None, "caption_entities": None}
        changes.update(content)
        changes.update(caption)
        return self._apply_edit(message, changes, markup)

    async def _m_edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, Any], call: Call
    ) -> Any:
        message = self._editable(params, call.method)
        markup = self._check_markup(params.get("reply_markup"))
        if message is None:
            return True
        return self._apply_edit(message, {}, markup)

    async def _m_delete_message(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._resolve_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if not isinstance(message_id, int) or self._lookup(chat_id, message_id) is None:
            raise _bad("message to delete not found")
        self._deleted.setdefault(chat_id, {})[message_id] = self._messages[chat_id].pop(message_id)
        return True

    async def _m_delete_messages(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._resolve_chat(params.get("chat_id"))
        for message_id in params.get("message_ids") or []:
            if self._lookup(chat_id, message_id) is not None:
                self._deleted.setdefault(chat_id, {})[message_id] = self._messages[chat_id].pop(message_id)
        return True

    def _source(self, params: dict[str, Any], message_id: Any, what: str) -> dict[str, Any]:
        from_chat = self._resolve_chat(params.get("from_chat_id"), key="from_chat_id")
        source = self._lookup(from_chat, message_id)
        if source is None:
            raise _bad(f"message to {what} not found")
        if not any(key in source for key in _CONTENT_KEYS):
            raise _bad(f"message can't be {what}ed" if what == "forward" else "message can't be copied")
        return source

    def _copied_content(self, source: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        content = {key: copy.deepcopy(source[key]) for key in _CONTENT_KEYS if key in source}
        if "caption" in params and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(params))
        return content

    async def _m_copy_message(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        source = self._source(params, params.get("message_id"), "copy")
        markup = self._check_markup(params.get("reply_markup"))
        message = self._bot_message(chat_id, params, self._copied_content(source, params), markup)
        return {"message_id": message["message_id"]}

    async def _m_copy_messages(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        sources = [self._source(params, mid, "copy") for mid in params.get("message_ids") or []]
        return [
            {
                "message_id": self._bot_message(chat_id, params, self._copied_content(s, {}), None)[
                    "message_id"
                ]
            }
            for s in sources
        ]

    def _forward_one(self, chat_id: int, params: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
        content = self._copied_content(source, {})
        sender = source.get("from")
        if sender and source["chat"]["type"] != "channel":
            origin: dict[str, Any] = {"type": "user", "sender_user": sender, "date": source["date"]}
        else:
            origin = {"type": "chat", "sender_chat": source["chat"], "date": source["date"]}
        content["forward_origin"] = origin
        return self._bot_message(chat_id, params, content, None)

    async def _m_forward_message(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        return self._forward_one(chat_id, params, self._source(params, params.get("message_id"), "forward"))

    async def _m_forward_messages(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        sources = [self._source(params, mid, "forward") for mid in params.get("message_ids") or []]
        return [{"message_id": self._forward_one(chat_id, params, s)["message_id"]} for s in sources]

    async def _m_send_chat_action(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._target_chat(params, call.method)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._check_thread(chat_id, params.get("message_thread_id"))
        return True

    async def _m_answer_callback_query(
        self, params: dict[str, Any], files: dict[str, Any], call: Call
    ) -> Any:
        query = self._callbacks.get(str(params.get("callback_query_id")))
        if query is None or query["answered"]:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER:
            raise _bad("MESSAGE_TOO_LONG")
        query["answered"] = True
        query["answer"] = params
        return True

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, dict) or not scope:
            scope = {"type": "default"}
        keys = {k: scope[k] for k in ("type", "chat_id", "user_id") if k in scope}
        return json.dumps(keys, sort_keys=True)

    @staticmethod
    def _language(params: dict[str, Any]) -> str:
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise _bad("invalid language code")
        return str(language)

    async def _m_set_my_commands(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        language = self._language(params)
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(params.get("scope")), language)
        if commands:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self._commands.pop(key, None)
        return True

    async def _m_get_my_commands(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        key = (self._scope_key(params.get("scope")), self._language(params))
        return copy.deepcopy(self._commands.get(key, []))

    async def _m_delete_my_commands(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        self._commands.pop((self._scope_key(params.get("scope")), self._language(params)), None)
        return True

    def _set_bot_text(self, params: dict[str, Any], field_name: str, limit: int) -> Any:
        value = str(params.get(field_name) or "")
        if len(value) > limit:
            raise _bad(f"{field_name.upper()}_INVALID")
        self._bot_texts[(field_name, self._language(params))] = value
        return True

    def _get_bot_text(self, params: dict[str, Any], field_name: str) -> Any:
        language = self._language(params)
        value = self._bot_texts.get((field_name, language), self._bot_texts.get((field_name, ""), ""))
        if field_name == "name" and not value:
            value = self.first_name
        return {field_name: value}

    async def _m_set_my_name(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        return self._set_bot_text(params, "name", 64)

    async def _m_get_my_name(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        return self._get_bot_text(params, "name")

    async def _m_set_my_description(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        return self._set_bot_text(params, "description", 512)

    async def _m_get_my_description(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        return self._get_bot_text(params, "description")

    async def _m_set_my_short_description(
        self, params: dict[str, Any], files: dict[str, Any], call: Call
    ) -> Any:
        return self._set_bot_text(params, "short_description", 120)

    async def _m_get_my_short_description(
        self, params: dict[str, Any], files: dict[str, Any], call: Call
    ) -> Any:
        return self._get_bot_text(params, "short_description")

    def _forum_chat(self, params: dict[str, Any], method: str) -> int:
        chat_id = self._target_chat(params, method)
        if chat_id > 0 or not self._is_forum(chat_id):
            raise _bad("the chat is not a forum")
        return chat_id

    async def _m_create_forum_topic(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._forum_chat(params, call.method)
        name = str(params.get("name") or "")
        if not name.strip():
            raise _bad("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise _bad("TOPIC_TITLE_INVALID")  # Telegram's limit: 1-128 characters
        icon_color = params.get("icon_color") or TOPIC_ICON_COLORS[0]
        if icon_color not in TOPIC_ICON_COLORS:
            raise _bad("TOPIC_ICON_COLOR_INVALID")
        thread_id = self._allocate_mid(chat_id)
        topic = self._register_topic(chat_id, thread_id, name, icon_color)
        if params.get("icon_custom_emoji_id"):
            topic.icon_custom_emoji_id = str(params["icon_custom_emoji_id"])
        return topic.as_forum_topic()

    async def _m_edit_forum_topic(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._forum_chat(params, call.method)
        topic = self._existing_topic(chat_id, params.get("message_thread_id"))
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        if name is not None and len(str(name)) > 128:
            raise _bad("TOPIC_TITLE_INVALID")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == (topic.icon_custom_emoji_id or "")
        ):
            raise _bad("TOPIC_NOT_MODIFIED")
        if name:
            topic.name = str(name)
        if emoji is not None:
            topic.icon_custom_emoji_id = str(emoji) or None
        return True

    async def _m_close_forum_topic(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        topic = self._existing_topic(self._forum_chat(params, call.method), params.get("message_thread_id"))
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = True
        return True

    async def _m_reopen_forum_topic(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        topic = self._existing_topic(self._forum_chat(params, call.method), params.get("message_thread_id"))
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        return True

    async def _m_delete_forum_topic(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._forum_chat(params, call.method)
        topic = self._existing_topic(chat_id, params.get("message_thread_id"))
        self.delete_topic(chat_id, topic.thread_id)
        return True

    async def _m_get_chat(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._resolve_chat(params.get("chat_id"))
        return {
            **self._chat_obj(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        user = self._bot_user() if user_id == self.bot_id else self._user(user_id)
        override = self._members.get((chat_id, user_id))
        if override is None:
            status = "administrator" if user_id == self.bot_id and chat_id < 0 else "member"
            override = {"status": status}
        member = {"user": user, **override}
        status = member["status"]
        if status == "administrator":
            rights = dict.fromkeys(
                "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members can_change_info "
                "can_invite_users can_post_stories can_edit_stories can_delete_stories can_pin_messages "
                "can_manage_topics".split(),
                True,
            )
            defaults = {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_promote_members": False,
                "can_send_welcome_messages": False,
                **rights,
            }
            member = {**defaults, **member}
        elif status == "creator":
            member.setdefault("is_anonymous", False)
        elif status == "kicked":
            member.setdefault("until_date", 0)
        elif status == "restricted":
            restricted = dict.fromkeys(
                "is_member can_send_messages can_send_audios can_send_documents can_send_photos can_send_videos "
                "can_send_video_notes can_send_voice_notes can_send_polls can_send_other_messages "
                "can_add_web_page_previews can_change_info can_invite_users can_pin_messages "
                "can_manage_topics".split(),
                False,
            )
            member = {**restricted, "until_date": 0, **member}
        return member

    async def _m_get_chat_member(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = self._resolve_chat(params.get("chat_id"))
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad("invalid user_id specified")
        return self._member(chat_id, user_id)

    async def _m_get_chat_administrators(
        self, params: dict[str, Any], files: dict[str, Any], call: Call
    ) -> Any:
        chat_id = self._resolve_chat(params.get("chat_id"))
        if chat_id > 0:
            raise _bad("there are no administrators in the private chat")
        users = {self.bot_id} | {
            u
            for (c, u), m in self._members.items()
            if c == chat_id and m["status"] in ("administrator", "creator")
        }
        return [self._member(chat_id, u) for u in sorted(users)]

    async def _m_get_chat_member_count(
        self, params: dict[str, Any], files: dict[str, Any], call: Call
    ) -> Any:
        chat_id = self._resolve_chat(params.get("chat_id"))
        return 2 if chat_id > 0 else 1 + len({u for (c, u) in self._members if c == chat_id})

    async def _m_get_file(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        file = self._files.get(str(params.get("file_id") or ""))
        if file is None:
            raise _bad("invalid file_id")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": len(file.content),
            "file_path": file.file_path,
        }

    async def _m_set_chat_menu_button(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = params.get("chat_id")
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise _bad("can't parse menu button: unsupported type")
        self._menu_buttons[chat_id if isinstance(chat_id, int) else None] = button
        return True

    async def _m_get_chat_menu_button(self, params: dict[str, Any], files: dict[str, Any], call: Call) -> Any:
        chat_id = params.get("chat_id")
        key = chat_id if isinstance(chat_id, int) else None
        return copy.deepcopy(
            self._menu_buttons.get(key) or self._menu_buttons.get(None) or {"type": "default"}
        )


def _canonical(method: str) -> str:
    return _CANONICAL.get(method.lower(), method)
