"""Long polling that loses no update: Telegram is told an update is done only once its handling has
finished, and an update that fails for want of Redis is kept and fed again.

aiogram moves the getUpdates offset past every update as soon as it hands it to a task, so a process
killed in the middle of a turn never gets that update again. Here the offset stays at the oldest update
still in hand: after a kill, the next process receives it again, and the processed-update mark (written
with the turn and its outbox) drops the ones that had in fact finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from redis.exceptions import RedisError

from bot.telegram.updates import REPLAY_FLAG

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
#: How long to wait before asking again when Telegram only returned updates still in hand.
IN_HAND_PAUSE = 0.5


class HeldOffset(Dispatcher):
    """The getUpdates offset stays at the oldest update still in hand (see the module's docstring)."""

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


class PollingDispatcher(Dispatcher):
    """The dispatcher for long polling, which moves Telegram's offset past every update it is given.

    aiogram's own per-chat lock and state live in Redis and are taken before our middlewares run, so
    with Redis away an update fails there. Behind a webhook that is a 500 and Telegram sends the
    update again; under polling it would be lost. Here it is kept in memory instead, and fed again
    once Redis answers (`replay_kept`, from the replay loop)."""

    def __init__(self, redis: Redis, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = redis
        self.kept: deque[tuple[Bot, Update]] = deque()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        try:
            return await super().feed_update(bot, update, **kwargs)
        except RedisError as error:
            if kwargs.get(REPLAY_FLAG):
                raise
            self.kept.append((bot, update))
            log.warning(
                "redis unavailable: update kept for later",
                extra={"update_id": update.update_id, "error": error.__class__.__name__},
            )
            return None

    async def replay_kept(self) -> int:
        """Feed kept updates again, oldest first, if Redis answers now."""
        if not self.kept:
            return 0
        try:
            await self.redis.ping()
        except RedisError:
            return 0
        done = 0
        while self.kept:
            bot, update = self.kept[0]
            try:
                await super().feed_update(bot, update, **{REPLAY_FLAG: True})
            except RedisError:
                break  # away again: keep it, and what follows it
            except Exception:
                log.exception("replaying a kept update failed", extra={"update_id": update.update_id})
            self.kept.popleft()
            done += 1
        return done


class RedisPolling(HeldOffset, PollingDispatcher):
    """Long polling with Redis: the offset held while updates are in hand, updates kept over an outage."""
