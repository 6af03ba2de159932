"""The Bot API methods kefu calls, answered with Telegram's own validation where kefu can trip it."""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any

from .chats import (
    MAX_CALLBACK_DATA,
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    MEDIA_KINDS,
    TOPIC_ICON_COLORS,
    ApiError,
    Chats,
    bad,
    utf16_len,
)

#: Calls whose params ``sent_messages`` returns.
SEND_METHODS = frozenset({"sendMessage", "copyMessage"})
EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageMedia"})
#: What counts against ``limit_rate`` windows and what a blocked user refuses (403), as in Telegram.
WRITE_METHODS = SEND_METHODS | EDIT_METHODS | {"createForumTopic"}
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "contact",
    "location",
    "venue",
    *MEDIA_KINDS,
)
_INT = re.compile(r"-?\d+")


class Methods(Chats):
    """``handlers()`` maps each modelled method to its coroutine ``(params, token) -> result``."""

    def handlers(self) -> dict[str, Any]:
        return {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageMedia": self._edit_message_media,
            "answerCallbackQuery": self._answer_callback_query,
            "createForumTopic": self._create_forum_topic,
            "setMyCommands": self._set_my_commands,
        }

    # -- validation --------------------------------------------------------------------------------------

    def _resolve_chat(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
        raise bad("chat not found")

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = self._resolve_chat(params.get("chat_id"))
        if chat_id in self._forbidden:
            raise ApiError(403, self._forbidden[chat_id])
        self._check_thread(chat_id, params.get("message_thread_id"))
        return chat_id

    @staticmethod
    def _plain_text(value: Any, parse_mode: Any, *, caption: bool = False) -> str:
        # kefu sends plain text only; the fake parses no markup, so asking for any is refused outright.
        if parse_mode:
            raise bad(f"can't parse entities: the fake Bot API parses no markup (parse_mode={parse_mode!r})")
        text = "" if value is None else str(value)
        if caption:
            if utf16_len(text) > MAX_CAPTION_LENGTH:
                raise bad("message caption is too long")
        elif not text.strip():
            raise bad("message text is empty")
        elif utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise bad("message is too long")
        return text

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("caption") in (None, ""):
            return {}
        content: dict[str, Any] = {
            "caption": self._plain_text(params["caption"], params.get("parse_mode"), caption=True)
        }
        if params.get("caption_entities"):
            content["caption_entities"] = params["caption_entities"]
        return content

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup like Telegram; returns what the sent Message carries (inline keyboards)."""
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard", markup.get("keyboard"))
        if rows is None:
            if markup.get("remove_keyboard") or markup.get("force_reply"):
                return None
            raise bad("can't parse reply keyboard markup JSON object")
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad("can't parse keyboard markup: a keyboard must be an Array of Arrays")
        inline = "inline_keyboard" in markup
        for button in (button for row in rows for button in row):
            if inline and isinstance(button, dict) and "text" not in button:
                raise bad("can't parse inline keyboard button: Can't find field \"text\"")
            text = button.get("text") if isinstance(button, dict) else None
            if not isinstance(text, str):
                raise bad('can\'t parse keyboard button: Field "text" must be of type String')
            if not text:
                raise bad("BUTTON_TEXT_INVALID")
            if inline and not any(key != "text" for key in button):
                raise bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                    raise bad("BUTTON_DATA_INVALID")
        return {"inline_keyboard": copy.deepcopy(rows)} if inline else None

    def _resolve_reply(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply_parameters = params.get("reply_parameters")
        if not isinstance(reply_parameters, dict):
            return None
        target = self._lookup(chat_id, reply_parameters.get("message_id"))
        if target is None:
            if reply_parameters.get("allow_sending_without_reply"):
                return None
            raise bad("message to be replied not found")
        return self._as_reply(target)

    def _bot_message(
        self, chat_id: int, params: dict[str, Any], content: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        thread_id = params.get("message_thread_id") or None
        reply = self._resolve_reply(chat_id, params)
        forum = self._is_forum(chat_id)
        if thread_id is None and forum and reply is not None and reply.get("is_topic_message"):
            thread_id = reply.get("message_thread_id")
        message = self._envelope(chat_id, self._bot_user())
        if thread_id is not None and chat_id < 0:
            message["message_thread_id"] = thread_id
            if forum:
                message["is_topic_message"] = True
                reply = reply or self._topic_root(chat_id, thread_id)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup is not None:
            message["reply_markup"] = markup
        self._store(message)
        return copy.deepcopy(message)

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._lookup(self._target_chat(params), params.get("message_id"))
        if message is None:
            raise bad("message to edit not found")
        if not self._from_bot(message):
            raise bad("message can't be edited")
        return message

    @staticmethod
    def _apply_edit(message: dict[str, Any], changes: dict[str, Any], markup: dict[str, Any] | None) -> Any:
        if {key: message.get(key) for key in changes} == changes and message.get("reply_markup") == markup:
            raise bad(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        for key, value in changes.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    # -- methods -----------------------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any], token: str) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _send_message(self, params: dict[str, Any], token: str) -> Any:
        chat_id = self._target_chat(params)
        content: dict[str, Any] = {"text": self._plain_text(params.get("text"), params.get("parse_mode"))}
        if params.get("entities"):
            content["entities"] = params["entities"]
        return self._bot_message(chat_id, params, content, self._check_markup(params.get("reply_markup")))

    async def _copy_message(self, params: dict[str, Any], token: str) -> Any:
        chat_id = self._target_chat(params)
        source = self._lookup(self._resolve_chat(params.get("from_chat_id")), params.get("message_id"))
        if source is None:
            raise bad("message to copy not found")
        content = {key: copy.deepcopy(source[key]) for key in _CONTENT_KEYS if key in source}
        if not content:
            raise bad("message can't be copied")
        if "caption" in params and "text" not in content:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(params))
        message = self._bot_message(chat_id, params, content, self._check_markup(params.get("reply_markup")))
        return {"message_id": message["message_id"]}

    async def _edit_message_text(self, params: dict[str, Any], token: str) -> Any:
        message = self._editable(params)
        text = self._plain_text(params.get("text"), params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        return self._apply_edit(message, {"text": text, "entities": params.get("entities") or None}, markup)

    async def _edit_message_caption(self, params: dict[str, Any], token: str) -> Any:
        message = self._editable(params)
        content = self._caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        if "text" in message:
            raise bad("there is no caption in the message to edit")
        changes = {"caption": content.get("caption"), "caption_entities": content.get("caption_entities")}
        return self._apply_edit(message, changes, markup)

    async def _edit_message_media(self, params: dict[str, Any], token: str) -> Any:
        message = self._editable(params)
        media = params.get("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if not isinstance(media, dict) or kind not in ("photo", "video", "animation", "audio", "document"):
            raise bad("can't parse InputMedia: unsupported media type")
        file_id = media.get("media")
        known = self._files.get(file_id) if isinstance(file_id, str) else None
        if known is None:
            raise bad("wrong file identifier/HTTP URL specified")  # kefu only re-sends files it received
        if "text" in message or not any(k in message for k in MEDIA_KINDS):
            raise bad("there is no media in the message to edit")
        file_kind, media_object = known
        content = {kind: copy.deepcopy(media_object)} if file_kind == kind else self._media_content(kind, {})
        changes: dict[str, Any] = {**dict.fromkeys(MEDIA_KINDS), "caption": None, "caption_entities": None}
        changes.update(content)
        changes.update(self._caption(media))
        return self._apply_edit(message, changes, self._check_markup(params.get("reply_markup")))

    async def _answer_callback_query(self, params: dict[str, Any], token: str) -> Any:
        query = self._callbacks.get(str(params.get("callback_query_id")))
        if query is None or query["answered"]:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        query["answered"] = True
        return True

    async def _create_forum_topic(self, params: dict[str, Any], token: str) -> Any:
        chat_id = self._target_chat(params)
        if not self._is_forum(chat_id):
            raise bad("the chat is not a forum")
        name = str(params.get("name") or "")
        if not name.strip():
            raise bad("TOPIC_TITLE_EMPTY")
        if len(name) > 128:
            raise bad("TOPIC_TITLE_INVALID")  # Telegram's limit: 1-128 characters
        icon_color = params.get("icon_color") or TOPIC_ICON_COLORS[0]
        if icon_color not in TOPIC_ICON_COLORS:
            raise bad("TOPIC_ICON_COLOR_INVALID")
        return self._register_topic(chat_id, self._allocate_mid(chat_id), name, icon_color).as_forum_topic()

    async def _set_my_commands(self, params: dict[str, Any], token: str) -> Any:
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad("invalid language code")
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad(
                "BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list) else "can't parse commands JSON object"
            )
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command"))
            ):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "")) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[(_scope_key(params.get("scope")), language)] = copy.deepcopy(commands)
        return True

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """The commands set for (scope, language_code); None when never set."""
        return copy.deepcopy(self._commands.get((_scope_key(scope), language_code)))


def _scope_key(scope: Any) -> str:
    scope = scope if isinstance(scope, dict) and scope else {"type": "default"}
    return json.dumps({k: scope[k] for k in ("type", "chat_id", "user_id") if k in scope}, sort_keys=True)
