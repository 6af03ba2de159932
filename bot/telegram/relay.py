"""Staff takeover in the staff supergroup: one forum topic per customer, messages copied both ways.

Operators stay anonymous (copyMessage shows no author), replies stay replies and edits reach the copy
(message_pairs), and the mapping lives in the database so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InputMediaAnimation,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    ReplyParameters,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine.conversation import Engine
from bot.engine.i18n import Lang
from bot.storage.conversations import get_conversation
from bot.storage.staff import (
    conversation_of_topic,
    customer_copy_of,
    forget_topic,
    save_pair,
    save_topic,
    staff_copy_of,
    topic_of,
)
from bot.telegram.content import clip_utf16, utf16_len, visible_text
from bot.telegram.delivery import RateLimiter
from bot.telegram.locks import Locks
from bot.telegram.sender import send_text
from bot.telegram.split import split_message

log = logging.getLogger(__name__)
TOPIC_GONE = ("message thread not found", "topic_deleted", "topic not found", "TOPIC_ID_INVALID")


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    # The original may have been deleted meanwhile: still deliver, just without the quote.
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True) if message_id else None


def topic_gone(error: TelegramBadRequest) -> bool:
    return any(marker.lower() in error.message.lower() for marker in TOPIC_GONE)


#: Telegram's limit on a forum topic's name.
TOPIC_NAME_LIMIT = 128


def topic_name(display_name: str, lang: str, user_id: int) -> str:
    """ "Name · lang · id" within Telegram's limit: a long name is shortened, the id always stays."""
    suffix = f" · {lang} · {user_id}"
    name = clip_utf16(visible_text(display_name), TOPIC_NAME_LIMIT - utf16_len(suffix))
    return (name or "?") + suffix


InputMedia = InputMediaAnimation | InputMediaAudio | InputMediaDocument | InputMediaPhoto | InputMediaVideo


def replacement_media(message: Message) -> InputMedia | None:
    """The message's media and caption as editMessageMedia takes them; None for kinds it cannot put in
    place (voice, sticker, video note: only their caption can change)."""
    caption, entities = message.caption, message.caption_entities
    if message.photo:
        return InputMediaPhoto(
            media=message.photo[-1].file_id,
            caption=caption,
            caption_entities=entities,
            parse_mode=None,
            has_spoiler=message.has_media_spoiler,
        )
    if message.animation:
        return InputMediaAnimation(
            media=message.animation.file_id, caption=caption, caption_entities=entities, parse_mode=None
        )
    if message.video:
        return InputMediaVideo(
            media=message.video.file_id,
            caption=caption,
            caption_entities=entities,
            parse_mode=None,
            has_spoiler=message.has_media_spoiler,
        )
    if message.audio:
        return InputMediaAudio(
            media=message.audio.file_id, caption=caption, caption_entities=entities, parse_mode=None
        )
    if message.document:
        return InputMediaDocument(
            media=message.document.file_id, caption=caption, caption_entities=entities, parse_mode=None
        )
    return None


#: When the staff group's queue is longer than this, customers' texts are merged into one post per topic.
MERGE_AFTER_SECONDS = 2.0


@dataclass
class StaffRelay:
    bot: Bot
    engine: Engine
    sessions: async_sessionmaker[AsyncSession]
    staff_chat_id: int | None
    staff_lang: Lang
    locks: Locks
    limiter: RateLimiter | None = None
    _merging: dict[int, list[tuple[str, asyncio.Future[None]]]] = field(default_factory=dict)
    _flushing: set[asyncio.Task[None]] = field(default_factory=set)

    def _congested(self) -> bool:
        if self.limiter is None or self.staff_chat_id is None:
            return False
        return self.limiter.backlog(self.staff_chat_id) > MERGE_AFTER_SECONDS

    def merge_wait(self) -> float:
        """Seconds until the staff group's queue admits a post (how long a merged text may wait)."""
        if self.limiter is None or self.staff_chat_id is None:
            return 0.0
        return self.limiter.backlog(self.staff_chat_id)

    async def _merge(self, thread_id: int, display_name: str, text: str) -> asyncio.Future[None]:
        """Queue a customer's text for one combined post in its topic (~20 posts a minute per group):
        several messages then cost one post, and none is dropped. The handler returns at once, so the
        customer's next messages (handled in order, one at a time) can join the waiting post; the
        future is done when the post is out."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._merging.get(thread_id)
        if waiting is not None:
            waiting.append((text, done))
            return done
        self._merging[thread_id] = [(text, done)]
        task = asyncio.create_task(self._flush_merged(thread_id, display_name))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)
        return done

    async def _flush_merged(self, thread_id: int, display_name: str) -> None:
        assert self.staff_chat_id is not None and self.limiter is not None
        try:
            # Wait until the group's queue would admit a post; texts arriving meanwhile join this one.
            await asyncio.sleep(self.limiter.backlog(self.staff_chat_id))
        finally:
            batch = self._merging.pop(thread_id)
        body = "\n".join(f"💬 {display_name}: {t}" for t, _ in batch)
        try:
            for part in split_message(body):
                await self.bot.send_message(
                    self.staff_chat_id, part, message_thread_id=thread_id, parse_mode=None
                )
        except BaseException as error:
            for _, done in batch:
                if not done.done():
                    done.set_exception(error)
            raise
        for _, done in batch:
            if not done.done():
                done.set_result(None)

    async def ensure_topic(self, user_id: int, display_name: str, *, recreate: bool = False) -> int | None:
        """The customer's topic, created (with its context card) exactly once, even under a race."""
        if self.staff_chat_id is None:
            return None
        display_name = visible_text(display_name) or str(user_id)
        async with self.locks.hold(f"topic:{user_id}"):
            async with self.sessions.begin() as session:
                conversation = await get_conversation(session, user_id, lock=False)
                if recreate:
                    await forget_topic(session, conversation.id)
                thread_id = await topic_of(session, conversation.id, self.staff_chat_id)
                lang = conversation.lang or "zh"
                conversation_id = conversation.id
            if thread_id is not None:
                return thread_id
            topic = await self.bot.create_forum_topic(
                self.staff_chat_id, topic_name(display_name, lang, user_id)
            )
            async with self.sessions.begin() as session:
                await save_topic(session, conversation_id, self.staff_chat_id, topic.message_thread_id)
            card = await self.engine.staff_card(user_id, display_name, self.staff_lang)
            await send_text(self.bot, self.staff_chat_id, card, thread_id=topic.message_thread_id)
            return topic.message_thread_id

    async def to_staff(self, message: Message, display_name: str) -> asyncio.Future[None] | None:
        """Copy a customer's message into its topic (re-creating a topic staff deleted)."""
        reply_to = message.reply_to_message.message_id if message.reply_to_message is not None else None
        return await self.copy_to_staff(
            message.chat.id, message.message_id, display_name, text=message.text, reply_to=reply_to
        )

    async def copy_to_staff(
        self,
        user_id: int,
        message_id: int,
        display_name: str,
        *,
        text: str | None = None,
        reply_to: int | None = None,
    ) -> asyncio.Future[None] | None:
        """Copy message `message_id` of the customer's chat into its topic. While the staff group is
        congested a text joins a merged post instead: the future is done once that post is out."""
        if self.staff_chat_id is None:
            return None
        display_name = visible_text(display_name) or str(user_id)
        for attempt in range(2):
            thread_id = await self.ensure_topic(user_id, display_name, recreate=attempt > 0)
            if thread_id is None:
                return None
            if text and self._congested():
                return await self._merge(thread_id, display_name, text)
            staff_reply_to = None
            if reply_to is not None:
                async with self.sessions() as session:
                    staff_reply_to = await staff_copy_of(session, user_id, reply_to)
            try:
                copy = await self.bot.copy_message(
                    self.staff_chat_id,
                    from_chat_id=user_id,
                    message_id=message_id,
                    message_thread_id=thread_id,
                    reply_parameters=_reply_to(staff_reply_to),
                )
            except TelegramBadRequest as error:
                if topic_gone(error) and attempt == 0:
                    log.info("staff topic gone, re-creating", extra={"chat": user_id})
                    continue
                raise
            async with self.sessions.begin() as session:
                conversation = await get_conversation(session, user_id, lock=False)
                await save_pair(
                    session,
                    conversation.id,
                    (user_id, message_id),
                    (self.staff_chat_id, copy.message_id),
                    "to_staff",
                )
            return None
        return None

    async def open(self, user_id: int, display_name: str) -> None:
        """A handoff started: make sure the topic exists and carries the context card."""
        try:
            await self.ensure_topic(user_id, display_name)
        except TelegramBadRequest as error:
            if not topic_gone(error):
                raise
            await self.ensure_topic(user_id, display_name, recreate=True)

    async def customer_of(self, thread_id: int) -> int | None:
        if self.staff_chat_id is None:
            return None
        async with self.sessions() as session:
            conversation = await conversation_of_topic(session, self.staff_chat_id, thread_id)
            return conversation.telegram_user_id if conversation else None

    async def to_customer(self, message: Message, customer_id: int) -> None:
        """Copy an operator's message to the customer, anonymously, keeping replies as replies."""
        assert self.staff_chat_id is not None
        reply_to = None
        if (
            message.reply_to_message is not None
            and message.reply_to_message.message_id != message.message_thread_id
        ):
            async with self.sessions() as session:
                reply_to = await customer_copy_of(
                    session, self.staff_chat_id, message.reply_to_message.message_id
                )
        copy = await self.bot.copy_message(
            customer_id,
            from_chat_id=self.staff_chat_id,
            message_id=message.message_id,
            reply_parameters=_reply_to(reply_to),
        )
        async with self.sessions.begin() as session:
            conversation = await get_conversation(session, customer_id, lock=False)
            await save_pair(
                session,
                conversation.id,
                (customer_id, copy.message_id),
                (self.staff_chat_id, message.message_id),
                "to_customer",
            )
        await self.engine.record_staff_message(customer_id, message.text or message.caption or "[media]")

    async def edit_from_customer(self, message: Message) -> bool:
        """A customer edited a relayed message: edit its copy in the topic."""
        if self.staff_chat_id is None:
            return False
        return await self._edit_copy(message, staff_copy_of, message.chat.id, self.staff_chat_id)

    async def edit_from_staff(self, message: Message, customer_id: int) -> bool:
        """An operator edited an answer: edit the customer's copy."""
        if self.staff_chat_id is None:
            return False
        return await self._edit_copy(message, customer_copy_of, self.staff_chat_id, customer_id)

    async def _edit_copy(
        self,
        message: Message,
        copy_of: Callable[[AsyncSession, int, int], Awaitable[int | None]],
        source_chat: int,
        copy_chat: int,
    ) -> bool:
        if message.text is None and message.voice is None and replacement_media(message) is None:
            return False  # nothing an edit can change on the copy
        async with self.sessions() as session:
            copy_id = await copy_of(session, source_chat, message.message_id)
        if copy_id is None:
            return False
        try:
            if message.text is not None:
                await self.bot.edit_message_text(
                    text=message.text,
                    entities=message.entities,
                    parse_mode=None,
                    chat_id=copy_chat,
                    message_id=copy_id,
                )
            elif (media := replacement_media(message)) is not None:
                # New media or a new caption: one call puts both in place.
                await self.bot.edit_message_media(media=media, chat_id=copy_chat, message_id=copy_id)
            else:
                await self.bot.edit_message_caption(
                    chat_id=copy_chat,
                    message_id=copy_id,
                    caption=message.caption or "",
                    caption_entities=message.caption_entities,
                    parse_mode=None,
                )
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                raise
        return True
