"""The aiogram Bot and Dispatcher, built once from the settings and the application (no globals)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeDefault

from bot.app import App
from bot.engine.i18n import LANGS, N_, zh_or_ru
from bot.storage.conversations import mark_blocked
from bot.telegram.delivery import OutboxLimits, RateLimiter, ReliableRequests, SharedRateLimiter
from bot.telegram.failed_turns import KeepWhenDatabaseDown
from bot.telegram.flood_limit import UserFloodLimit
from bot.telegram.locks import Locks
from bot.telegram.middlewares import LogContext
from bot.telegram.outbox import DeliverOnce, TelegramOutbox
from bot.telegram.pending_updates import PendingUpdates
from bot.telegram.polling import HeldOffset, RedisPolling
from bot.telegram.relay import StaffRelay
from bot.telegram.routers.private import create_private_router
from bot.telegram.routers.staff import create_staff_router

if TYPE_CHECKING:
    from redis.asyncio import Redis

#: How long a chat's update lock in Redis lives at most (see create_dispatcher).
CHAT_LOCK_SECONDS = 20

COMMANDS = (
    ("start", N_("Start the conversation")),
    ("help", N_("What I can do")),
    ("orders", N_("My orders")),
    ("lang", N_("Change the language")),
)


def create_bot(token: str, api_url: str) -> Bot:
    """KEFU_TELEGRAM_API_URL is the single seam between production and the tests' fake Bot API."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session)


def create_redis(url: str | None) -> Redis | None:
    if not url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(url)


def create_dispatcher(app: App, bot: Bot, redis: Redis | None = None, *, polling: bool = False) -> Dispatcher:
    """The dispatcher with its middlewares and routers. `polling`: updates come from getUpdates,
    whose offset moves on whatever happens, so one that fails for want of Redis is kept and replayed
    (behind a webhook, the 500 makes Telegram send it again)."""
    settings = app.settings
    storage: BaseStorage
    isolation: BaseEventIsolation
    if redis is not None:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage(redis)
        # A process killed while it held a chat's lock delays that chat's next update until the lock
        # expires (aiogram's default: 60 s); a turn's own transaction (its update's mark, the
        # conversation row) keeps it once and whole even if a lock ran out under it.
        isolation = RedisEventIsolation(redis, lock_kwargs={"timeout": CHAT_LOCK_SECONDS})
    else:
        storage, isolation = MemoryStorage(), SimpleEventIsolation()
    limiter: RateLimiter | None = None
    if settings.telegram_rate_limits:
        limiter = (
            SharedRateLimiter(OutboxLimits(), redis) if redis is not None else RateLimiter(OutboxLimits())
        )

    async def on_blocked(user_id: int) -> None:
        async with app.database.sessions.begin() as session:
            await mark_blocked(session, user_id)

    bot.session.middleware(ReliableRequests(limiter, on_blocked=on_blocked))
    staff_lang = zh_or_ru(settings.staff_lang)
    relay = StaffRelay(
        bot, app.engine, app.database.sessions, settings.staff_chat_id, staff_lang, Locks(redis), limiter
    )
    # What a turn must send is written in its transaction and sent from here (the mark of the
    # update id too: in the database, with or without Redis).
    outbox = TelegramOutbox(
        bot,
        app.database.sessions,
        app.i18n,
        relay,
        grace=settings.outbox_grace_seconds,
        lease=settings.outbox_lease_seconds,
    )
    context: dict[str, Any] = {
        "storage": storage,
        "events_isolation": isolation,
        "engine": app.engine,
        "i18n": app.i18n,
        "relay": relay,
        "outbox": outbox,
        "app": app,
    }
    dispatcher: Dispatcher
    if polling and redis is not None:
        dispatcher = RedisPolling(redis, **context)
    elif polling:
        dispatcher = HeldOffset(**context)
    else:
        dispatcher = Dispatcher(**context)
    pending = PendingUpdates(redis, settings.pending_spool)
    dispatcher["pending"] = pending
    # Outermost first: a database failure anywhere below (dedup included) keeps the update for later.
    dispatcher.update.outer_middleware(LogContext())
    dispatcher.update.outer_middleware(KeepWhenDatabaseDown(pending, app.i18n))
    dispatcher.update.outer_middleware(DeliverOnce(outbox, app.database.sessions))
    dispatcher.update.outer_middleware(UserFloodLimit(settings.user_messages_per_minute, app.i18n, redis))
    if settings.staff_chat_id is not None:
        dispatcher.include_router(create_staff_router(settings.staff_chat_id, settings.staff_user_ids))
    dispatcher.include_router(create_private_router())
    return dispatcher


async def set_commands(bot: Bot, app: App) -> None:
    """Command menus per language (two-letter codes) and a default."""
    for lang in LANGS:
        tr = app.i18n[lang]
        commands = [BotCommand(command=name, description=tr._(text)) for name, text in COMMANDS]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
    tr = app.i18n["zh"]
    await bot.set_my_commands(
        [BotCommand(command=name, description=tr._(text)) for name, text in COMMANDS],
        scope=BotCommandScopeDefault(),
    )
