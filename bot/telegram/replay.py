"""The background loop that feeds kept updates through the dispatcher again once the database answers,
and the dead letters `kefu failed retry` marked. Replays are capped and back off, so an update that never
goes through ends as a dead letter too."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.failed import claim_retries, finish_retry, record_failure
from bot.telegram.failed_turns import dead_letter
from bot.telegram.pending_updates import PendingUpdates
from bot.telegram.polling import PollingDispatcher
from bot.telegram.updates import COUNTED_REPLAY_FLAG, REPLAY_FLAG

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
#: Feeds of a kept update that met an outage although the database answered a ping just before: after
#: this many it is taken for a poison update in disguise (a query that kills its connection) and
#: becomes a dead letter.
MAX_REPLAYS = 8
#: Kept updates fed per round of the replay loop (it yields between them, and rounds are spaced).
REPLAY_BATCH = 50


async def replay_once(
    dispatcher: Dispatcher,
    bot: Bot,
    engine: AsyncEngine,
    pending: PendingUpdates,
    *,
    max_replays: int = MAX_REPLAYS,
    batch: int = REPLAY_BATCH,
) -> int:
    """Feed kept updates through the dispatcher again, oldest first, if the database answers now.
    Returns how many left the queue (handled, or given up as dead letters). Stops at the first that
    meets an outage again: the loop backs off before the next round."""
    try:
        if not await pending.size():
            return 0
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # still down (or Redis hiccup): try again later
        return 0
    done = 0
    for _ in range(batch):
        item = await pending.pop_counted()
        if item is None:
            break
        raw, replays = item
        try:
            update = Update.model_validate(raw, context={"bot": bot})
        except ValidationError:
            log.error("a kept update cannot be read: dropped", extra={"update_id": raw.get("update_id")})
            continue
        try:
            await dispatcher.feed_update(bot, update, **{REPLAY_FLAG: True, COUNTED_REPLAY_FLAG: True})
            done += 1
        except Exception as error:
            replays += 1
            log.warning(
                "replaying a kept update failed",
                extra={"update_id": update.update_id, "error": type(error).__name__, "replays": replays},
            )
            if replays >= max_replays and await _give_up(dispatcher, bot, update, raw, error):
                done += 1
            else:
                await pending.push_front(raw, replays)
            break
        await asyncio.sleep(0)  # other updates and requests get their turn between replays
    return done


async def _give_up(
    dispatcher: Dispatcher, bot: Bot, update: Update, raw: dict[str, Any], error: BaseException
) -> bool:
    app: App = dispatcher["app"]
    try:
        await dead_letter(app.database.sessions, app.i18n, bot, update, raw, error)
    except Exception:
        log.exception("could not store a dead letter", extra={"update_id": update.update_id})
        return False
    return True


async def retry_failed_once(dispatcher: Dispatcher, bot: Bot, *, limit: int = 10) -> int:
    """Replay the dead letters `kefu failed retry` marked; returns how many went through."""
    app: App = dispatcher["app"]
    sessions = app.database.sessions
    try:
        claimed = await claim_retries(sessions, limit)
    except Exception:
        log.warning("could not read the dead letters marked for retry", exc_info=True)
        return 0
    done = 0
    for index, row in enumerate(claimed):
        raw = json.loads(row.update_json)
        try:
            update = Update.model_validate(raw, context={"bot": bot})
        except ValidationError as error:
            await record_failure(sessions, row.update_id, row.chat_id, raw, error)
            continue
        try:
            await dispatcher.feed_update(bot, update, **{REPLAY_FLAG: True, COUNTED_REPLAY_FLAG: True})
        except Exception as error:
            # An outage or Telegram away: this retry failed (the person sees why and may ask again; a
            # row whose state cannot even be written is claimed again once its claim is stale), and
            # the rest of the batch waits for the next round.
            log.warning(
                "retrying a dead letter met an outage",
                extra={"update_id": row.update_id, "error": type(error).__name__},
            )
            try:
                await record_failure(sessions, row.update_id, row.chat_id, raw, error)
                for later in claimed[index + 1 :]:
                    await finish_retry(sessions, later.id, again=True)
            except Exception:
                log.warning("could not record the failed retry", extra={"update_id": row.update_id})
            break
        await finish_retry(sessions, row.id)  # no-op when the replay failed anew (row back to `failed`)
        done += 1
        await asyncio.sleep(0)
    return done


async def replay_pending(
    dispatcher: Dispatcher,
    bot: Bot,
    engine: AsyncEngine,
    pending: PendingUpdates,
    every: float = 2.0,
    *,
    max_every: float = 30.0,
    max_replays: int = MAX_REPLAYS,
    retries_every: float = 5.0,
) -> None:
    """The background loop: kept updates, dead letters marked for retry (looked for every
    `retries_every` seconds: a query), and (under polling) updates kept for want of Redis. While kept
    updates stay stuck, the pause doubles up to `max_every`."""
    pause = every
    loop = asyncio.get_running_loop()
    next_retries = loop.time()
    while True:
        await asyncio.sleep(pause)
        try:
            done = await replay_once(dispatcher, bot, engine, pending, max_replays=max_replays)
            stuck = not done and await pending.size() > 0
            if loop.time() >= next_retries:
                next_retries = loop.time() + retries_every
                await retry_failed_once(dispatcher, bot)
            if isinstance(dispatcher, PollingDispatcher):
                await dispatcher.replay_kept()
        except Exception:  # the loop itself must survive anything (Redis away while popping...)
            log.exception("replay round failed")
            stuck = True
        pause = min(max_every, pause * 2) if stuck else every
