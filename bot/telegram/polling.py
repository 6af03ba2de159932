"""Long polling that tells Telegram an update is done only once its handling has finished.

aiogram moves the getUpdates offset past every update as soon as it hands it to a task, so a process
killed in the middle of a turn never gets that update again. Here the offset stays at the oldest update
still in hand: after a kill, the next process receives it again, and the processed-update mark (written
with the turn and its outbox) drops the ones that had in fact finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
#: How long to wait before asking again when Telegram only returned updates still in hand.
IN_HAND_PAUSE = 0.5


class HeldOffset(Dispatcher):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_hand: set[int] = set()
        self._finished = asyncio.Event()

    def polling_offset(self, highest: int | None) -> int | None:
        """Confirm everything below the oldest update in hand (or all that was received)."""
        if self._in_hand:
            return min(self._in_hand)
        return None if highest is None else highest + 1

    async def _process_update(
        self, bot: Bot, update: Update, call_answer: bool = True, **kwargs: Any
    ) -> bool:
        try:
            return await super()._process_update(bot, update, call_answer, **kwargs)
        finally:
            self._in_hand.discard(update.update_id)
            self._finished.set()

    async def _listen_updates(  # type: ignore[override]
        self,
        bot: Bot,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig = BACKOFF,
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        backoff = Backoff(config=backoff_config)
        request_timeout = int(bot.session.timeout + polling_timeout) if bot.session.timeout else None
        highest: int | None = None
        handed: set[int] = set()  # handed to a task and not yet confirmed to Telegram
        while True:
            offset = self.polling_offset(highest)
            handed = {i for i in handed if offset is None or i >= offset}
            # With updates in hand Telegram answers at once (they are not confirmed): no long poll then.
            method = GetUpdates(
                offset=offset,
                timeout=0 if self._in_hand else polling_timeout,
                allowed_updates=allowed_updates,
            )
            try:
                updates = await bot(method, request_timeout=request_timeout)
            except Exception as error:  # Telegram unreachable: keep polling, with a backoff
                log.warning("getUpdates failed", extra={"error": f"{type(error).__name__}: {error}"})
                await backoff.asleep()
                continue
            backoff.reset()
            new = [u for u in updates if u.update_id not in handed]
            for update in new:
                handed.add(update.update_id)
                self._in_hand.add(update.update_id)
                highest = update.update_id if highest is None else max(highest, update.update_id)
                yield update
            if not new and self._in_hand:
                self._finished.clear()
                try:
                    await asyncio.wait_for(self._finished.wait(), IN_HAND_PAUSE)
                except TimeoutError:
                    pass
