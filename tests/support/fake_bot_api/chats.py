"""The fake's picture of Telegram: users, chats, stored messages, forum topics, files, and the update
builders tests use to make users speak."""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA = 64
#: The six colours Telegram allows for a forum topic icon.
TOPIC_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
#: Media kinds the builders make and editMessageMedia accepts (the ones kefu relays).
MEDIA_KINDS = ("photo", "sticker", "voice", "document", "video", "animation", "audio")
_MIME = {
    "photo": "image/jpeg",
    "sticker": "image/webp",
    "voice": "audio/ogg",
    "document": "application/octet-stream",
    "video": "video/mp4",
    "animation": "video/mp4",
    "audio": "audio/mpeg",
}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


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


def bad(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    deleted: bool = False
    closed: bool = False

    def as_forum_topic(self) -> dict[str, Any]:
        return {"message_thread_id": self.thread_id, "name": self.name, "icon_color": self.icon_color}


class Chats:
    """State shared by the builders (users speaking) and the method handlers (the bot speaking)."""

    bot_id: int
    username: str
    first_name: str

    def _reset_chats(self) -> None:
        self._update_ids = itertools.count(100_001)
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_mid: dict[int, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._topics: dict[int, dict[int, Topic]] = {}
        self._forbidden: dict[int, str] = {}
        self._callbacks: dict[str, dict[str, Any]] = {}
        self._callback_ids = itertools.count(1)
        self._files: dict[str, tuple[str, Any]] = {}  # file_id -> (kind, media object), for editMessageMedia
        self._file_ids = itertools.count(1)

    # -- state a test sets or reads ----------------------------------------------------------------------

    def set_chat(self, chat_id: int, **fields: Any) -> None:
        """Override fields of the Chat object (title, username, is_forum, type...)."""
        self._chats.setdefault(chat_id, {}).update(fields)

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocked the bot: writes to them answer 403. Returns the my_chat_member update (not queued)."""
        self._forbidden[user_id] = "Forbidden: bot was blocked by the user"
        return self._my_chat_member(user_id, "member", "kicked")

    def unblock(self, user_id: int) -> dict[str, Any]:
        self._forbidden.pop(user_id, None)
        return self._my_chat_member(user_id, "kicked", "member")

    def add_topic(self, chat_id: int, thread_id: int, name: str = "") -> None:
        """Declare a forum topic made outside the bot (by staff, by hand)."""
        self._register_topic(chat_id, thread_id, name or f"Topic {thread_id}")

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Someone deleted the topic in the app: sending to it answers "message thread not found"."""
        topic = self._topics.get(chat_id, {}).get(thread_id)
        if topic is None:
            topic = self._register_topic(chat_id, thread_id, f"Topic {thread_id}")
        topic.deleted = True
        chat = self._messages.get(chat_id, {})
        for message_id, message in list(chat.items()):
            if message.get("message_thread_id") == thread_id:
                del chat[message_id]

    def topic(self, chat_id: int, thread_id: int) -> dict[str, Any] | None:
        """{message_thread_id, name, icon_color, closed, deleted} or None."""
        topic = self._topics.get(chat_id, {}).get(thread_id)
        if topic is None:
            return None
        return {**topic.as_forum_topic(), "closed": topic.closed, "deleted": topic.deleted}

    def topics(self, chat_id: int) -> list[dict[str, Any]]:
        return [self.topic(chat_id, t) for t in sorted(self._topics.get(chat_id, {}))]  # type: ignore[misc]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current state of a stored message (None when unknown or deleted)."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(stored) if stored else None

    def history(self, chat_id: int, thread_id: int | None = None) -> list[dict[str, Any]]:
        """Messages of a chat (optionally of one topic) as they stand now, by message_id."""
        result = [m for _, m in sorted(self._messages.get(chat_id, {}).items())]
        if thread_id is not None:
            result = [m for m in result if m.get("message_thread_id") == thread_id]
        return copy.deepcopy(result)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    # -- update builders: register the message in the fake's chats, return the update (not queued) --------

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
    ) -> dict[str, Any]:
        user = self._user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return self._update("message", self._incoming(user_id, user, self._text_content(text, entities)))

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        thread_id: int | None = None,
        reply_to: int | None = None,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """A message in a group. In a forum, ``thread_id`` puts it in that topic (is_topic_message true,
        reply_to_message = the topic's root unless ``reply_to``). A reply in General (``thread_id`` None,
        ``reply_to`` set) carries Telegram's misleading message_thread_id = the replied-to message id and
        no is_topic_message."""
        user = self._user(user_id, first_name=first_name, language_code=language_code)
        content = self._text_content(text, None)
        message = self._incoming(chat_id, user, content, thread_id=thread_id, reply_to=reply_to)
        return self._update("message", message)

    def contact_message(
        self,
        user_id: int,
        phone: str,
        contact_user_id: Any = ...,
        *,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """A shared contact; ``contact_user_id`` defaults to the sender (the request_contact button case).
        The phone is passed through as given: Telegram sends it with or without "+"."""
        user = self._user(user_id, language_code=language_code)
        contact: dict[str, Any] = {"phone_number": phone, "first_name": user["first_name"]}
        contact_user_id = user_id if contact_user_id is ... else contact_user_id
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._update("message", self._incoming(user_id, user, {"contact": contact}))

    def callback_query(self, user_id: int, data: str, message_id: int | None = None) -> dict[str, Any]:
        """A button press in the user's private chat on ``message_id`` (default: the latest bot message
        with an inline keyboard; a missing message is made up). Answerable once with answerCallbackQuery."""
        user = self._user(user_id)
        chat_messages = self._messages.get(user_id, {})
        if message_id is None:
            keyboards = [m for m in chat_messages.values() if m.get("reply_markup") and self._from_bot(m)]
            message_id = max((m["message_id"] for m in keyboards), default=None)
        message = chat_messages.get(message_id) if message_id is not None else None
        if message is None:
            message = self._store({**self._envelope(user_id, self._bot_user(), message_id), "text": "…"})
        query_id = f"{self.bot_id}{next(self._callback_ids):010d}"
        self._callbacks[query_id] = {"answered": False, "user_id": user_id, "data": data}
        query = {
            "id": query_id,
            "from": user,
            "message": copy.deepcopy(message),
            "chat_instance": str(user_id * 7 + 11),
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
            stored = self._incoming(chat_id, user, {}, message_id=message_id)
            stored = self._messages[chat_id][message_id]
        stored.pop("entities", None)
        stored.update(self._text_content(text, None))
        stored["edit_date"] = int(time.time())
        return self._update("edited_message", stored)

    def media_message(
        self,
        kind: str,
        user_id: int,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        thread_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A message with media of ``kind`` (one of MEDIA_KINDS); ``fields`` go into the media object."""
        body = self._media_content(kind, fields)
        if caption is not None:
            body["caption"] = caption
        chat = user_id if chat_id is None else chat_id
        return self._update("message", self._incoming(chat, self._user(user_id), body, thread_id=thread_id))

    def photo_message(self, user_id: int, **kwargs: Any) -> dict[str, Any]:
        return self.media_message("photo", user_id, **kwargs)

    def sticker_message(self, user_id: int, emoji: str = "🙂", **kwargs: Any) -> dict[str, Any]:
        return self.media_message("sticker", user_id, emoji=emoji, **kwargs)

    def voice_message(self, user_id: int, duration: int = 3, **kwargs: Any) -> dict[str, Any]:
        return self.media_message("voice", user_id, duration=duration, **kwargs)

    def document_message(self, user_id: int, file_name: str = "file.pdf", **kwargs: Any) -> dict[str, Any]:
        return self.media_message("document", user_id, file_name=file_name, **kwargs)

    def edited_media(
        self,
        chat_id: int,
        message_id: int,
        *,
        caption: str | None = None,
        kind: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """The user edited a media message: a new ``caption`` (None removes it) and, with ``kind``, new
        media of that kind (a fresh file). The stored message is updated."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        if kind is not None:
            for key in MEDIA_KINDS:
                stored.pop(key, None)
            stored.update(self._media_content(kind, fields))
        stored.pop("caption_entities", None)
        if caption is None:
            stored.pop("caption", None)
        else:
            stored["caption"] = caption
        stored["edit_date"] = int(time.time())
        return self._update("edited_message", stored)

    def pinned_message(
        self, chat_id: int, message_id: int, *, user_id: int | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """Somebody pinned ``message_id``: the service message Telegram sends (in ``thread_id``'s topic)."""
        pinned = self._messages.get(chat_id, {}).get(message_id)
        if pinned is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        fields: dict[str, Any] = {"pinned_message": self._as_reply(pinned)}
        if thread_id is not None:
            fields["message_thread_id"] = thread_id
        return self.service_message(chat_id, user_id, **fields)

    def service_message(self, chat_id: int, user_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """A service message (e.g. new_chat_members=[...], video_chat_started={}); fields form its body."""
        user = self._user(user_id) if user_id is not None else self._bot_user()
        thread_id = fields.pop("message_thread_id", None)
        message = self._incoming(chat_id, user, fields, thread_id=thread_id, root_reply=False)
        return self._update("message", message)

    def forum_topic_created(self, chat_id: int, name: str, *, user_id: int | None = None) -> dict[str, Any]:
        """Somebody created a topic in the app: registers it and returns the service message update."""
        thread_id = self._allocate_mid(chat_id)
        self._register_topic(chat_id, thread_id, name)
        root = self._messages[chat_id][thread_id]
        if user_id is not None:
            root["from"] = self._user(user_id)
        return self._update("message", root)

    def forum_topic_closed(
        self, chat_id: int, thread_id: int, *, user_id: int | None = None
    ) -> dict[str, Any]:
        self._existing_topic(chat_id, thread_id).closed = True
        return self._topic_service(chat_id, thread_id, user_id, "forum_topic_closed", {})

    def forum_topic_edited(
        self, chat_id: int, thread_id: int, name: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        self._existing_topic(chat_id, thread_id).name = name
        return self._topic_service(chat_id, thread_id, user_id, "forum_topic_edited", {"name": name})

    # -- objects -----------------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    def _from_bot(self, message: dict[str, Any]) -> bool:
        return message.get("from", {}).get("id") == self.bot_id

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
        return chat_id < 0 and bool(self._chat_obj(chat_id).get("is_forum"))

    def _allocate_mid(self, chat_id: int, wanted: int | None = None) -> int:
        # in a supergroup, id 1 belongs to the General topic: real topics and messages come after it
        last = self._last_mid.get(chat_id, 1 if self._is_supergroup_id(chat_id) else 0)
        message_id = last + 1 if wanted is None else wanted
        self._last_mid[chat_id] = max(last, message_id)
        return message_id

    def _envelope(
        self, chat_id: int, sender: dict[str, Any], message_id: int | None = None
    ) -> dict[str, Any]:
        return {
            "message_id": self._allocate_mid(chat_id, message_id),
            "from": sender,
            "chat": self._chat_obj(chat_id),
            "date": int(time.time()),
        }

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message
        return message

    def _lookup(self, chat_id: int, message_id: Any) -> dict[str, Any] | None:
        return self._messages.get(chat_id, {}).get(message_id) if isinstance(message_id, int) else None

    @staticmethod
    def _as_reply(message: dict[str, Any]) -> dict[str, Any]:
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    def _update(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": self.next_update_id(), kind: copy.deepcopy(body)}

    @staticmethod
    def _text_content(text: str, entities: list[dict[str, Any]] | None) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if entities is not None:
            content["entities"] = entities
        elif text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return content

    def _my_chat_member(self, user_id: int, old_status: str, new_status: str) -> dict[str, Any]:
        def member(status: str) -> dict[str, Any]:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": self._bot_user(), **extra}

        body = {
            "chat": self._chat_obj(user_id),
            "from": self._user(user_id),
            "date": int(time.time()),
            "old_chat_member": member(old_status),
            "new_chat_member": member(new_status),
        }
        return self._update("my_chat_member", body)

    # -- topics ------------------------------------------------------------------------------------------

    def _register_topic(
        self, chat_id: int, thread_id: int, name: str, icon_color: int = TOPIC_ICON_COLORS[0]
    ) -> Topic:
        topic = Topic(thread_id, name, icon_color)
        self._topics.setdefault(chat_id, {})[thread_id] = topic
        self._allocate_mid(chat_id, max(thread_id, self._last_mid.get(chat_id, 0)))
        if self._lookup(chat_id, thread_id) is None:  # the topic's root: what its messages reply to
            root = self._envelope(chat_id, self._bot_user(), thread_id)
            root.update(
                message_thread_id=thread_id,
                is_topic_message=True,
                forum_topic_created={"name": name, "icon_color": icon_color},
            )
            self._store(root)
        return topic

    def _existing_topic(self, chat_id: int, thread_id: Any) -> Topic:
        topic = self._topics.get(chat_id, {}).get(thread_id) if isinstance(thread_id, int) else None
        if topic is None or topic.deleted:
            raise bad("message thread not found")
        return topic

    def _check_thread(self, chat_id: int, thread_id: Any) -> None:
        if thread_id and self._is_forum(chat_id):
            self._existing_topic(chat_id, thread_id)

    def _topic_root(self, chat_id: int, thread_id: int) -> dict[str, Any] | None:
        root = self._lookup(chat_id, thread_id)
        return self._as_reply(root) if root and root.get("forum_topic_created") else None

    def _topic_service(
        self, chat_id: int, thread_id: int, user_id: int | None, key: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        user = self._user(user_id) if user_id is not None else self._bot_user()
        return self._update("message", self._incoming(chat_id, user, {key: body}, thread_id=thread_id))

    # -- messages ----------------------------------------------------------------------------------------

    def _incoming(
        self,
        chat_id: int,
        user: dict[str, Any],
        content: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        message_id: int | None = None,
        root_reply: bool = True,
    ) -> dict[str, Any]:
        """A message from a user (or a service message), stored; returns a copy for the update."""
        message = self._envelope(chat_id, user, message_id)
        reply: dict[str, Any] | None = None
        if reply_to is not None:
            target = self._lookup(chat_id, reply_to)
            made_up = {**self._envelope(chat_id, self._bot_user(), reply_to), "text": "…"}
            reply = self._as_reply(target) if target else made_up
        forum = self._is_forum(chat_id)
        general_reply = False
        if forum and thread_id is None and reply is not None:
            if reply.get("is_topic_message"):
                thread_id = reply.get("message_thread_id")
            else:  # a reply in General: the thread id is the replied-to message (a Telegram quirk)
                thread_id = reply.get("message_thread_id") or reply["message_id"]
                general_reply = True
        if thread_id is not None:
            message["message_thread_id"] = thread_id
        if forum and thread_id is not None and not general_reply:
            message["is_topic_message"] = True
            if thread_id not in self._topics.get(chat_id, {}):
                self._register_topic(chat_id, thread_id, f"Topic {thread_id}")
            if reply is None and root_reply:
                reply = self._topic_root(chat_id, thread_id)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        self._store(message)
        return copy.deepcopy(message)

    def _media_content(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """The Message fields of a fresh file of ``kind``; its file_id becomes valid for editMessageMedia."""
        content = self._new_media(kind, fields)
        media = content[kind]
        self._files[media[-1]["file_id"] if kind == "photo" else media["file_id"]] = (kind, media)
        return content

    def _new_media(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        if kind not in MEDIA_KINDS:
            raise ValueError(f"the fake makes no {kind!r} media")
        number = next(self._file_ids)
        file_id = f"FAKE{kind.upper()}{number:06d}AgADfakeFileId"
        base = {"file_id": file_id, "file_unique_id": f"AQAD{kind[:3]}{number:06d}", "file_size": 1024}
        extra = {k: v for k, v in fields.items() if v is not None}
        if kind == "photo":
            small = {**base, "file_id": file_id + "-thumb", "file_unique_id": base["file_unique_id"] + "t"}
            return {"photo": [{**small, "width": 90, "height": 67}, {**base, "width": 1280, "height": 960}]}
        if kind == "sticker":
            sticker = {**base, "type": "regular", "width": 512, "height": 512, "is_animated": False}
            return {"sticker": {**sticker, "is_video": False, **extra}}
        body: dict[str, Any] = {**base, "mime_type": _MIME[kind], **extra}
        if kind in ("voice", "video", "animation", "audio"):
            body.setdefault("duration", 3)
        if kind in ("video", "animation"):
            body.update(width=640, height=360)
        if kind == "animation":  # Telegram sends an animation as a document too
            return {
                "animation": body,
                "document": {k: v for k, v in body.items() if k not in ("width", "height", "duration")},
            }
        return {kind: body}
