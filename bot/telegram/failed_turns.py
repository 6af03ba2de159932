"""A turn that failed never reaches the user as an error. Told apart by `is_outage`:
- the database (or Redis) cannot be reached: the user is told the shop will answer shortly, the raw
  update is kept (`PendingUpdates`) and the replay loop (bot/telegram/replay.py) feeds it through the
  dispatcher again once the database answers; nothing is lost;
- anything else would fail the same way on every retry: the user gets one polite answer, the update and
  its error become a dead letter (`failed_updates`, see bot.storage.failed) and the update is
  acknowledged, so Telegram does not send it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.engine.i18n import I18n, Lang
from bot.engine.language import from_language_code
from bot.storage.failed import record_failure
from bot.telegram.outage import is_outage
from bot.telegram.pending_updates import PendingUpdates
from bot.telegram.updates import COUNTED_REPLAY_FLAG, raw_update, sender_of

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


async def dead_letter(
    sessions: async_sessionmaker[AsyncSession],
    i18n: I18n,
    bot: Bot,
    update: Update,
    raw: dict[str, Any],
    error: BaseException,
) -> None:
    """Store the update and its error; the first time, tell its author politely (in its language).
    Raises when the store fails (the caller keeps the update instead)."""
    user_id, lang_code, private = sender_of(update)
    log.error(
        "update failed: kept as a dead letter",
        exc_info=error,
        extra={"update_id": update.update_id, "chat": user_id, "error_class": type(error).__name__},
    )
    first, lang = await record_failure(sessions, update.update_id, user_id, raw, error)
    if not first or user_id is None or not private:
        return
    chosen: Lang = "ru" if lang == "ru" else "zh" if lang == "zh" else from_language_code(lang_code) or "zh"
    tr = i18n[chosen]
    try:
        await bot.send_message(
            user_id,
            tr._(
                "Sorry, something went wrong on our side with your message. "
                "We have passed it on to our team and will get back to you."
            ),
            parse_mode=None,
        )
    except Exception:  # a courtesy: the dead letter is stored either way
        log.warning("could not send the failure notice", extra={"chat": user_id})


class KeepWhenDatabaseDown(BaseMiddleware):
    """The outermost middleware: a failed turn never reaches the user as an error, an outage loses no
    message, and an update that fails by itself is answered, stored and acknowledged once."""

    def __init__(self, pending: PendingUpdates, i18n: I18n) -> None:
        self.pending = pending
        self.i18n = i18n
        self._told: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Exception as error:
            if not isinstance(event, Update):
                raise
            if is_outage(error):
                if data.get(COUNTED_REPLAY_FLAG):
                    raise  # the replay loop counts it and backs off
                await self._keep(event, error, data)
                return None
            if isinstance(error, TelegramForbiddenError):
                log.info("user blocked the bot: update dropped", extra={"update_id": event.update_id})
                return None
            if isinstance(error, TelegramNetworkError | TelegramServerError | TelegramRetryAfter):
                # Telegram unreachable after the request layer's own retries: as before, the update is
                # not acknowledged and Telegram sends it again (a "bad request" is a dead letter).
                raise
            app: App = data["app"]
            try:
                await dead_letter(
                    app.database.sessions, self.i18n, data["bot"], event, raw_update(event), error
                )
            except Exception as store_error:
                if data.get(COUNTED_REPLAY_FLAG) or not is_outage(store_error):
                    raise
                await self._keep(event, store_error, data)  # the database went away meanwhile
            return None

    async def _keep(self, update: Update, error: BaseException, data: dict[str, Any]) -> None:
        await self.pending.push(raw_update(update))
        user_id, lang_code, private = sender_of(update)
        log.warning(
            "database unavailable: update kept for later",
            extra={"update_id": update.update_id, "chat": user_id, "error": error.__class__.__name__},
        )
        if user_id is not None and private and time.monotonic() - self._told.get(user_id, 0) > 60:
            self._told[user_id] = time.monotonic()
            tr = self.i18n[from_language_code(lang_code) or "zh"]
            bot: Bot = data["bot"]
            try:
                await bot.send_message(
                    user_id, tr._("Thank you for your message! We will answer you shortly.")
                )
            except Exception:  # the notice is a courtesy; the update itself is safe
                log.warning("could not send the busy notice", extra={"chat": user_id})
