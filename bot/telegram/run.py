"""`kefu run` (long polling) and `kefu webhook` (aiohttp behind a webhook)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text

from bot.app import App, build_app
from bot.config import Settings
from bot.storage.runtime import open_database
from bot.telegram.factory import create_bot, create_dispatcher, create_redis, set_commands
from bot.telegram.outbox import TelegramOutbox
from bot.telegram.replay import replay_pending

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
#: How long a stopping webhook process waits for the updates in hand.
SHUTDOWN_SECONDS = 20.0

NO_TOKEN = """kefu needs a Telegram bot token to run.

  1. In Telegram, open @BotFather and send /newbot; choose a name and a username ending in "bot".
  2. BotFather answers with a token like 123456789:AAE...; put it in the environment or in .env:
       KEFU_TELEGRAM_TOKEN=123456789:AAE...
  3. Run `kefu run` again.

Without Telegram, `kefu demo` chats with the bot in this terminal."""


async def run_polling(settings: Settings) -> int:
    async with open_database(settings.database_url) as db:
        app = build_app(settings, db)
        assert settings.telegram_token
        bot = create_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_url)
        redis = create_redis(settings.redis_url)
        dispatcher = create_dispatcher(app, bot, redis, polling=True)
        outbox: TelegramOutbox = dispatcher["outbox"]
        replayer = asyncio.create_task(replay_pending(dispatcher, bot, db.engine, dispatcher["pending"]))
        sender = asyncio.create_task(outbox.run())
        try:
            await set_commands(bot, app)
            # Long polling and a webhook exclude each other; this does not drop pending updates.
            await bot.delete_webhook(drop_pending_updates=False)
            # SIGTERM/SIGINT stop the polling; the updates in hand are finished below.
            await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=False)
            await finish_in_hand(dispatcher)
            await outbox.flush()
        finally:
            replayer.cancel()
            sender.cancel()
            await bot.session.close()
            if redis is not None:
                await redis.aclose()
    return 0


async def finish_in_hand(dispatcher: Dispatcher, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Let the updates being handled when polling stopped finish (aiogram runs each as a task)."""
    tasks = set(getattr(dispatcher, "_handle_update_tasks", ()))
    if tasks:
        log.info("finishing updates in hand", extra={"count": len(tasks)})
        await asyncio.wait(tasks, timeout=timeout)


# Our own handler rather than aiogram's SimpleRequestHandler and setup_application, because of
# Telegram's delivery contract (an update acknowledged only once its effects are durable):
# - SimpleRequestHandler answers through Dispatcher.feed_webhook_update, which after 55 s answers 200
#   while the turn goes on in the background: the update is acknowledged before its outbox rows are
#   committed, and a kill then loses it. Here the answer always waits for the turn.
# - It answers 500 to a body that is not JSON or an update aiogram cannot read, so Telegram re-sends it
#   forever; here that is a 400, or logged and acknowledged (see below). Failed turns are kept or made
#   dead letters by the dispatcher's middlewares either way.
# - Its shutdown hooks (closing the bot session; setup_application's dispatcher shutdown) run in
#   aiohttp's on_shutdown, which AppRunner.cleanup calls before it waits for the requests in flight.
#   A graceful SIGTERM here stops taking requests, finishes the updates in hand, and only then flushes
#   the outbox and closes the session (run_webhook). The signals are ours too: web.run_app would
#   handle them but owns the event loop, and the database is opened in the caller's.
def create_webhook_app(app: App, bot: Bot, dispatcher: Dispatcher, secret: str) -> web.Application:
    """POST /telegram/webhook (secret checked before anything else), GET /healthz."""

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=401, text="unauthorized")
        try:
            raw: Any = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        try:
            Update.model_validate(raw, context={"bot": bot})
        except ValidationError as error:
            # Telegram sent it and will send it again on anything but 2xx: a shape we cannot read is
            # logged and acknowledged, never a 500 that makes it come back forever.
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            log.warning(
                "malformed update ignored",
                extra={"update_id": update_id, "error": _first_problem(error)},
            )
            return web.Response(text="ok")
        await dispatcher.feed_raw_update(bot, raw)
        return web.Response(text="ok")

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with app.database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to reach the database means unhealthy
            return web.json_response({"ok": False, "database": str(exc.__class__.__name__)}, status=503)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post(WEBHOOK_PATH, webhook)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def _first_problem(error: ValidationError) -> str:
    """Where the update's shape is wrong, in a few words (no input values: they may be personal)."""
    problems = error.errors(include_url=False, include_input=False)
    first = problems[0] if problems else {"loc": (), "msg": str(error)}
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def webhook_endpoint(url: str) -> str:
    return url if url.rstrip("/").endswith(WEBHOOK_PATH) else url.rstrip("/") + WEBHOOK_PATH


async def register_webhook(settings: Settings) -> int:
    """The deploy step: register the webhook and the command menus once, then exit."""
    if not settings.webhook_url:
        print("kefu webhook --register needs KEFU_WEBHOOK_URL (the public https URL).")
        return 2
    async with open_database(settings.database_url) as db:
        app = build_app(settings, db)
        assert settings.telegram_token and settings.webhook_secret
        bot = create_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_url)
        try:
            await set_commands(bot, app)
            await bot.set_webhook(
                webhook_endpoint(settings.webhook_url),
                secret_token=settings.webhook_secret.get_secret_value(),
            )
        finally:
            await bot.session.close()
    print(f"webhook registered: {webhook_endpoint(settings.webhook_url)}")
    return 0


async def run_webhook(settings: Settings) -> int:
    host, _, port = settings.webhook_listen.rpartition(":")
    async with open_database(settings.database_url) as db:
        app = build_app(settings, db)
        assert settings.telegram_token and settings.webhook_secret
        bot = create_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_url)
        redis = create_redis(settings.redis_url)
        dispatcher = create_dispatcher(app, bot, redis)
        outbox: TelegramOutbox = dispatcher["outbox"]
        web_app = create_webhook_app(app, bot, dispatcher, settings.webhook_secret.get_secret_value())
        # Stopping waits this long for the updates in hand (keep the supervisor's grace above it).
        runner = web.AppRunner(web_app, shutdown_timeout=SHUTDOWN_SECONDS)
        await runner.setup()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        site = web.TCPSite(runner, host or "127.0.0.1", int(port))
        await site.start()
        replayer = asyncio.create_task(replay_pending(dispatcher, bot, db.engine, dispatcher["pending"]))
        sender = asyncio.create_task(outbox.run())
        cleaned = False
        try:
            await set_commands(bot, app)
            if settings.webhook_url:
                await bot.set_webhook(
                    webhook_endpoint(settings.webhook_url),
                    secret_token=settings.webhook_secret.get_secret_value(),
                )
            log.info("webhook listening", extra={"listen": settings.webhook_listen})
            await stop.wait()
            # Stop taking updates (new connections are refused: Telegram sends them to another
            # process or later), finish the ones in hand, then send what the outbox still holds.
            log.info("stopping: finishing the updates in hand")
            await runner.cleanup()
            cleaned = True
            sender.cancel()
            flushed = await outbox.flush()
            log.info("stopped", extra={"outbox_sent": flushed})
        finally:
            # Shutting one process down deletes neither the webhook nor the commands: others may still run.
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            replayer.cancel()
            sender.cancel()
            if not cleaned:
                await runner.cleanup()
            await bot.session.close()
            if redis is not None:
                await redis.aclose()
    return 0
