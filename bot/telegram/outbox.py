"""Sending what a turn owes, durably: Telegram may be told "done" (200, or the polling offset) only once
every effect of an update is either sent or written down.

A turn (`Engine.handle_once`) writes its processed-update mark and its sends (the reply, notifications
to other users, the staff relay's steps) as `outbox` rows in its own transaction. Right after the commit
the process that handled it sends them and marks them sent, so the webhook's 200 still follows the
reply. Rows left unsent (a crash, Telegram unreachable) are sent by Telegram's re-send of the update or,
after a short grace, by the delivery loop that every bot process runs; a claim with an expiry keeps two
processes from sending one row. A kill can thus double at most the sends in flight, never lose one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
)
from aiogram.types import Message, TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine.conversation import Engine
from bot.engine.i18n import I18n, zh_or_ru
from bot.engine.messages import Button, Incoming, Reply
from bot.storage import outbox as store
from bot.storage.models import OutboxItem
from bot.telegram.adapter import keyboard
from bot.telegram.keyboards import Markup, reply_markup
from bot.telegram.relay import StaffRelay
from bot.telegram.split import split_message

log = logging.getLogger(__name__)

#: Sends a row gets before it is given up (logged, kept as "failed"); the delay doubles each time.
MAX_ATTEMPTS = 8
MAX_DELAY = 300.0


@dataclass(frozen=True, slots=True)
class Origin:
    """The customer's own message, which the relay copies into its staff topic during a handoff."""

    message_id: int
    text: str | None
    reply_to: int | None

    @classmethod
    def of(cls, message: Message) -> Origin:
        reply_to = message.reply_to_message.message_id if message.reply_to_message is not None else None
        return cls(message.message_id, message.text, reply_to)


@dataclass
class TurnPlan:
    """The `effects` of one turn: what it must send, as outbox rows in the turn's transaction."""

    update_id: int | None
    chat_id: int
    display_name: str
    origin: Origin | None = None
    #: The rows are written already claimed this long by the process that sends them after the commit.
    claim_for: float | None = None
    items: list[OutboxItem] = field(default_factory=list)

    async def __call__(self, session: AsyncSession, reply: Reply) -> None:
        def add(chat_id: int, kind: str, payload: dict[str, Any]) -> None:
            item = store.add_item(
                session,
                update_id=self.update_id,
                chat_id=chat_id,
                kind=kind,
                payload=payload,
                claim_for=self.claim_for,
            )
            self.items.append(item)

        if reply.to_staff:
            # People hold the chat: the customer's message goes to its topic, the bot stays quiet.
            if self.origin is not None:
                add(
                    self.chat_id,
                    "to_staff",
                    {
                        "message_id": self.origin.message_id,
                        "text": self.origin.text,
                        "reply_to": self.origin.reply_to,
                        "name": self.display_name,
                    },
                )
        else:
            if reply.text:
                add(
                    self.chat_id,
                    "reply",
                    {
                        "text": reply.text,
                        "lang": reply.lang,
                        "buttons": [[b.text, b.data] for b in reply.buttons],
                        "request_contact": reply.request_contact,
                    },
                )
            for note in reply.notifications:
                add(note.user_id, "text", {"text": note.text})
            if reply.handoff_started:
                add(self.chat_id, "open_topic", {"name": self.display_name})
        await session.flush()  # ids, for sending right after the commit


class Permanent(Exception):
    """Telegram refused for good (blocked, chat gone, not copyable): retrying cannot help."""


class TelegramOutbox:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        i18n: I18n,
        relay: StaffRelay,
        *,
        grace: float = 5.0,
        lease: float = 30.0,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.i18n = i18n
        self.relay = relay
        #: The delivery loop leaves rows younger than this to the process that wrote them.
        self.grace = grace
        #: How long a claim holds a row: a process that died frees its rows after this.
        self.lease = lease
        #: Updates this process marked in a turn (the middleware need not mark them again).
        self.marked: set[int] = set()
        self._waiting: set[asyncio.Task[None]] = set()

    # -- turns --------------------------------------------------------------------------------

    async def turn(
        self,
        engine: Engine,
        incoming: Incoming,
        *,
        chat_id: int,
        display_name: str,
        origin: Origin | None = None,
    ) -> Reply | None:
        """Run a turn with its sends in the outbox, then send them; None if the update was a repeat."""
        plan = TurnPlan(incoming.update_id, chat_id, display_name, origin, claim_for=self.lease)
        reply = await engine.handle_once(incoming, plan)
        if reply is None:
            assert incoming.update_id is not None
            await self.deliver_update(incoming.update_id)
            return None
        self._remember(incoming.update_id)
        await self.deliver(plan.items)
        return reply

    async def close_handoff(
        self, engine: Engine, customer: int, staff_id: int | None, update_id: int | None
    ) -> Reply | None:
        """Staff's /close, with the customer's notice in the same transaction as the handoff's end."""
        plan = TurnPlan(update_id, customer, "", claim_for=self.lease)
        reply = await engine.close_handoff(customer, staff_id, update_id=update_id, effects=plan)
        self._remember(update_id)
        await self.deliver(plan.items)
        return reply

    def _remember(self, update_id: int | None) -> None:
        if update_id is None:
            return
        if len(self.marked) > 10_000:
            self.marked.clear()
        self.marked.add(update_id)

    # -- delivery -----------------------------------------------------------------------------

    async def deliver(self, items: Sequence[OutboxItem]) -> None:
        """Send the rows a turn just committed (written already claimed by this process)."""
        await self._send_all(items)

    async def deliver_update(self, update_id: int) -> None:
        """A repeat of an update: send whatever its first handling left unsent."""
        await self._claim_and_send(update_id=update_id)

    async def deliver_due(self, *, older_than: float | None = None, limit: int = 50) -> int:
        """Rows left behind (crash, restart, failed sends), oldest first; returns how many were tried."""
        return await self._claim_and_send(
            older_than=self.grace if older_than is None else older_than, limit=limit, raise_first=False
        )

    async def _claim_and_send(
        self,
        *,
        update_id: int | None = None,
        older_than: float | None = None,
        limit: int = 50,
        raise_first: bool = True,
    ) -> int:
        async with self.sessions.begin() as session:
            items = await store.claim(
                session, lease=self.lease, update_id=update_id, older_than=older_than, limit=limit
            )
        await self._send_all(items, raise_first=raise_first)
        return len(items)

    async def _send_all(self, items: Sequence[OutboxItem], *, raise_first: bool = True) -> None:
        first_error: BaseException | None = None
        for item in items:
            error = await self._send_one(item)
            if error is not None and first_error is None:
                first_error = error
            await asyncio.sleep(0)  # a long batch never holds the event loop
        if first_error is not None and raise_first:
            # Behind a webhook the update is answered 500 and Telegram sends it again (the rows are
            # safe either way: the re-send or the delivery loop sends them).
            raise first_error

    async def _keep_claimed(self, item_id: int) -> None:
        """While a send takes long (a 429 waited out, a paced queue), renew its claim, so no other
        process takes the row as abandoned and sends it a second time."""
        while True:
            await asyncio.sleep(self.lease / 2)
            try:
                async with self.sessions.begin() as session:
                    await store.extend(session, item_id, self.lease)
            except Exception:  # the database away: the claim may lapse; at worst the send is doubled
                log.warning("could not renew an outbox claim", extra={"item": item_id})

    async def _send_one(self, item: OutboxItem) -> BaseException | None:
        renewing = asyncio.create_task(self._keep_claimed(item.id))
        waiting: asyncio.Future[None] | None = None
        failure: Exception | None = None
        try:
            waiting = await self._perform(item)
        except Exception as error:  # Telegram refused, unreachable after its retries, a bug
            failure = error
        finally:
            renewing.cancel()
        if failure is None:
            if waiting is not None:
                self._finish_later(item, waiting)
            else:
                await self._finish(item.id)
            return None
        where = {"chat": item.chat_id, "kind": item.kind, "update_id": item.update_id}
        reason = f"{failure.__class__.__name__}: {failure}"[:500]
        if isinstance(failure, Permanent):
            log.warning("outbox item refused for good", extra={**where, "error": str(failure)})
            await self._finish(item.id, failed=str(failure) or "refused")
            if item.kind == "reply" and isinstance(failure.__cause__, TelegramBadRequest):
                await self._apologise(item)  # a blocked user (403) is not written to again
            return None
        if item.attempts >= MAX_ATTEMPTS:
            log.error("outbox item given up", extra=where, exc_info=failure)
            await self._finish(item.id, failed=reason)
            return failure
        delay = min(MAX_DELAY, 2.0**item.attempts)
        log.warning(
            "outbox item not sent, retrying later",
            extra={**where, "error": failure.__class__.__name__, "delay": delay},
        )
        try:
            async with self.sessions.begin() as session:
                await store.postpone(session, item.id, delay=delay, error=reason)
        except Exception:  # the claim runs out by itself
            log.warning("could not postpone an outbox item", extra={"chat": item.chat_id})
        return failure

    async def _apologise(self, item: OutboxItem) -> None:
        """Telegram refused a reply for good (a bad request): the shopper is told once, plainly, and
        the row stays failed with its reason for people (`kefu failed list`)."""
        lang = zh_or_ru(item.payload.get("lang"))
        text = self.i18n[lang]._(
            "Sorry, something went wrong on our side with your message. "
            "We have passed it on to our team and will get back to you."
        )
        try:
            await self.bot.send_message(item.chat_id, text, parse_mode=None)
        except Exception:  # a courtesy: the failed row is kept either way
            log.warning("could not send the failure notice", extra={"chat": item.chat_id})

    async def _finish(self, item_id: int, *, failed: str | None = None) -> None:
        async with self.sessions.begin() as session:
            await store.finish(session, item_id, failed=failed)

    def _finish_later(self, item: OutboxItem, waiting: asyncio.Future[None]) -> None:
        """A customer's text queued for a merged post in a busy staff group: the row stays claimed
        (and pending) until the merged post is out."""

        async def wait() -> None:
            try:
                await waiting
            except Exception as error:
                log.warning("merged staff post failed", extra={"chat": item.chat_id, "error": str(error)})
                async with self.sessions.begin() as session:
                    await store.postpone(session, item.id, delay=1.0, error=str(error))
                return
            await self._finish(item.id)

        task = asyncio.create_task(wait())
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _perform(self, item: OutboxItem) -> asyncio.Future[None] | None:
        payload = item.payload
        try:
            if item.kind == "reply":
                lang = zh_or_ru(payload.get("lang"))
                buttons = [Button(text, data) for text, data in payload.get("buttons", [])]
                shown = keyboard(buttons, bool(payload.get("request_contact")), self.i18n[lang])
                await self._send_parts(item, str(payload["text"]), reply_markup(shown))
            elif item.kind == "text":
                await self._send_parts(item, str(payload["text"]), None)
            elif item.kind == "to_staff":
                waiting = await self.relay.copy_to_staff(
                    item.chat_id,
                    int(payload["message_id"]),
                    str(payload.get("name") or item.chat_id),
                    text=payload.get("text"),
                    reply_to=payload.get("reply_to"),
                )
                if waiting is not None:
                    async with self.sessions.begin() as session:
                        await store.extend(session, item.id, self.relay.merge_wait() + self.lease)
                return waiting
            elif item.kind == "open_topic":
                await self.relay.open(item.chat_id, str(payload.get("name") or item.chat_id))
            else:
                raise Permanent(f"unknown outbox kind {item.kind!r}")
        except TelegramForbiddenError as error:
            raise Permanent(error.message) from error
        except TelegramBadRequest as error:
            raise Permanent(error.message) from error
        return None

    async def _send_parts(self, item: OutboxItem, text: str, markup: Markup | None) -> None:
        """Plain text (nothing a user wrote becomes markup), split under the limit, the markup on the
        last part; parts already sent by an earlier attempt are not sent again."""
        parts = split_message(text)
        for index in range(item.progress, len(parts)):
            try:
                await self.bot.send_message(
                    item.chat_id,
                    parts[index],
                    parse_mode=None,
                    reply_markup=markup if index == len(parts) - 1 else None,
                )
            except TelegramNetworkError as error:
                if not isinstance(error.__cause__, TimeoutError):
                    raise
                # Timed out: Telegram most likely has it; sending it again could double it.
                log.warning("send not confirmed (timeout)", extra={"chat": item.chat_id})
            if index < len(parts) - 1:
                async with self.sessions.begin() as session:
                    await store.set_progress(session, item.id, index + 1)

    # -- the loop -----------------------------------------------------------------------------

    async def run(self, every: float = 1.0) -> None:
        """Every bot process: send rows left behind, with a backoff while the database is away."""
        pause = every
        sweeps = 0
        while True:
            try:
                tried = await self.deliver_due()
                sweeps += 1
                if sweeps % 3600 == 1:
                    async with self.sessions.begin() as session:
                        await store.prune(session)
                pause = 0.0 if tried else every
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database away: try again later, not in a tight loop
                pause = min(30.0, max(every, pause * 2))
                log.warning("outbox sweep failed", extra={"error": error.__class__.__name__, "delay": pause})
            await asyncio.sleep(pause)

    async def flush(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """On shutdown: send every row nobody holds now (none is left waiting for a grace period)."""
        deadline = time.monotonic() + timeout
        sent = 0
        while time.monotonic() < deadline:
            if self._waiting:
                await asyncio.wait(set(self._waiting), timeout=max(0.0, deadline - time.monotonic()))
            try:
                tried = await asyncio.wait_for(
                    self.deliver_due(older_than=0.0), max(0.1, deadline - time.monotonic())
                )
            except Exception as error:
                log.warning("outbox flush stopped", extra={"error": error.__class__.__name__})
                break
            sent += tried
            if not tried and not self._waiting:
                break
        return sent


class DeliverOnce(BaseMiddleware):
    """Each update handled once, and nothing it owes lost.

    A turn marks its update in its own transaction (see TelegramOutbox.turn). A repeat of a marked
    update (a webhook retry, a re-send after a crash) changes nothing: it only sends what the first
    handling left unsent. Updates that do not go through a turn (the staff relay, edits of relayed
    messages) are marked after their work succeeded, so a kill in between can double a send, never lose
    one."""

    def __init__(self, outbox: TelegramOutbox, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.outbox = outbox
        self.sessions = sessions

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        async with self.sessions() as session:
            seen = await store.update_marked(session, event.update_id)
        if seen:
            log.info("repeated update: sending only what is left", extra={"update_id": event.update_id})
            await self.outbox.deliver_update(event.update_id)
            return None
        result = await handler(event, data)
        if event.update_id in self.outbox.marked:
            self.outbox.marked.discard(event.update_id)
        else:
            async with self.sessions.begin() as session:
                await store.mark_update(session, event.update_id)
        return result
