"""The `kefu` command line: one sub-command per job (see README and docs/interfaces.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings, get_settings
from bot.terminal import plain

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.importing import ImportFailed, import_file
    from bot.storage.runtime import open_database

    path = Path(args.file)
    async with open_database(settings.database_url) as db:
        try:
            async with db.sessions.begin() as session:
                result = await import_file(session, args.kind, path)
        except ImportFailed as failed:
            from rich.text import Text

            # The file name and the cells are the file author's: shown as text, never as markup.
            shown = plain(str(path), one_line=True)
            headline = Text.assemble(
                ("Nothing was imported:", "bold red"), f" {failed.total} problem(s) in {shown}"
            )
            _console(stderr=True).print(headline, soft_wrap=True)
            print(failed.report(), file=sys.stderr)
            return 1
    print(f"Imported {result.rows} {args.kind} row(s) from {plain(str(path), one_line=True)}.")
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.db import current_revision
    from bot.storage.runtime import open_database

    async with open_database(settings.database_url) as db:
        revision = await current_revision(db.engine)
    print(f"Database {plain(_safe_url(settings.database_url), one_line=True)} is at revision {revision}.")
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from bot.app import build_app
    from bot.chat_cli import DEMO_STAFF, run_demo_chat
    from bot.demo_shop import load_demo_shop, summarize
    from bot.storage.models import SupplierAccount
    from bot.storage.runtime import open_database

    console = _console()
    async with open_database(settings.database_url) as db:
        async with db.sessions.begin() as session:
            await load_demo_shop(session, settings.data_dir)
        async with db.sessions() as session:
            summary = await summarize(session)
            supplier_user = await session.scalar(
                select(SupplierAccount.telegram_user_id).order_by(SupplierAccount.id).limit(1)
            )
        _print_summary(console, settings, summary)
        demo_settings = settings.model_copy(update={"staff_user_ids": settings.staff_user_ids | {DEMO_STAFF}})
        await run_demo_chat(build_app(demo_settings, db), console, supplier_user)
    return 0


def _print_summary(console: Any, settings: Settings, summary: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    url = plain(_safe_url(settings.database_url), one_line=True)
    console.print(Text.assemble(("kefu demo shop", "bold"), f" loaded into {url}"))
    console.print(
        f"{summary.suppliers} suppliers, {summary.products} products ({summary.in_stock} in stock), "
        f"{sum(n for _, n in summary.orders_by_status)} orders"
    )
    categories = Table("категория", "品类", "products", title="Catalog")
    for ru, zh, count in summary.categories:  # the shop's own words: text, not markup
        categories.add_row(Text(plain(ru, one_line=True)), Text(plain(zh, one_line=True)), str(count))
    console.print(categories)
    statuses = Table("status", "orders", title="Orders")
    for status, count in summary.orders_by_status:
        statuses.add_row(Text(status), str(count))
    console.print(statuses)


async def cmd_say(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app
    from bot.chat_cli import reply_json, say_fallback
    from bot.engine.messages import Incoming
    from bot.storage.runtime import open_database

    text = " ".join(args.text)
    try:
        async with open_database(settings.database_url) as db:
            app = build_app(settings, db)
            incoming = Incoming(
                args.user,
                text,
                args.lang_code,
                contact_phone=args.contact,
                contact_user_id=args.user if args.contact else None,
            )
            reply = await app.engine.handle(incoming)
    except Exception as exc:  # "exit 0 for any input": the user still gets a polite answer
        print(f"kefu: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        print(say_fallback(args.lang_code, args.json, settings.locales_dir))
        return 0
    print(reply_json(reply) if args.json else reply.text)
    return 0


async def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from bot.understanding_cli import classify_stream

    return await classify_stream(settings, args.json)


async def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.understanding_cli import run_eval

    if args.shop:
        settings = settings.model_copy(update={"data_dir": Path(args.shop)})
    if args.conversations:
        from bot.conversation_eval import run_conversation_eval

        return await run_conversation_eval(settings, Path(args.conversations), floor=args.floor)
    return await run_eval(settings, Path(args.labelled) if args.labelled else None, check=args.check)


async def cmd_supplier_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.invites import create_invite
    from bot.storage.runtime import open_database

    async with open_database(settings.database_url) as db:
        async with db.sessions.begin() as session:
            token = await create_invite(session, args.code)
    if token is None:
        print(f"kefu: no supplier with code {args.code} (import suppliers first)", file=sys.stderr)
        return 1
    username = await _bot_username(settings)
    print(f"https://t.me/{username}?start={token}")
    return 0


async def _bot_username(settings: Settings) -> str:
    """The bot's @username from getMe; KEFU_BOT_USERNAME or a placeholder when there is no token."""
    import os

    if os.environ.get("KEFU_BOT_USERNAME"):
        return os.environ["KEFU_BOT_USERNAME"].lstrip("@")
    if not settings.telegram_token:
        return "your_bot"
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    bot = Bot(settings.telegram_token.get_secret_value(), session=session)
    try:
        me = await bot.get_me()
        return me.username or "your_bot"
    finally:
        await bot.session.close()


def _printable(value: str) -> str:
    """Text from users and errors, made safe for a terminal: control characters shown escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in value)


async def cmd_failed_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.failed import list_failed
    from bot.storage.outbox import refused
    from bot.storage.runtime import open_database

    async with open_database(settings.database_url) as db:
        async with db.sessions() as session:
            rows = await list_failed(session, include_done=args.all)
            sends = await refused(session)
    for send in sends:  # handled, but Telegram refused what the bot had to send (or it was given up)
        print(
            f"send {send.id}  {send.kind:<10}  update {send.update_id or '-'}  chat {send.chat_id}  "
            f"{send.created_at:%Y-%m-%d %H:%M:%S}Z  {_printable(send.last_error or '')[:160]}"
        )
    if not rows:
        print("No failed updates." if not args.all else "No failed updates, none replayed.")
        return 0
    for row in rows:
        first_line = (row.error_message.splitlines() or [""])[0]
        error = f"{row.error_class.rsplit('.', 1)[-1]}: {first_line}"
        print(
            f"#{row.id}  {row.status:<8}  update {row.update_id}  chat {row.chat_id or '-'}  "
            f"{row.failed_at:%Y-%m-%d %H:%M:%S}Z  failed {row.failures}x  {_printable(error)[:160]}"
        )
    print(
        f"{len(rows)} update(s). `kefu failed show ID` prints one in full; `kefu failed retry ID` replays it."
    )
    return 0


async def cmd_failed_show(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.models import FailedUpdate
    from bot.storage.runtime import open_database

    async with open_database(settings.database_url) as db:
        async with db.sessions() as session:
            row = await session.get(FailedUpdate, args.id)
    if row is None:
        print(f"kefu: no failed update #{args.id} (`kefu failed list` shows them)", file=sys.stderr)
        return 1
    print(
        f"#{row.id}  {row.status}  update {row.update_id}  chat {row.chat_id or '-'}  failed {row.failures}x"
    )
    print(f"last failure: {row.failed_at:%Y-%m-%d %H:%M:%S}Z  {_printable(row.error_class)}")
    print(_printable(row.error_message))
    print("\nupdate:")
    print(_printable(row.update_json))
    print("\ntraceback:")
    print("\n".join(_printable(line) for line in row.traceback.splitlines()))
    return 0


async def cmd_failed_retry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.failed import request_retry
    from bot.storage.models import FailedUpdateStatus
    from bot.storage.runtime import open_database

    async with open_database(settings.database_url) as db:
        async with db.sessions.begin() as session:
            row = await request_retry(session, args.id)
            status = row.status if row is not None else None
    if status is None:
        print(f"kefu: no failed update #{args.id} (`kefu failed list` shows them)", file=sys.stderr)
        return 1
    if status == FailedUpdateStatus.DONE:
        print(f"kefu: update #{args.id} was already replayed successfully; nothing to do", file=sys.stderr)
        return 1
    if status == FailedUpdateStatus.RETRYING:
        print(f"Update #{args.id} is being replayed by a running bot now.")
        return 0
    print(
        f"Update #{args.id} is marked for retry: a running `kefu run` or `kefu webhook` replays it within "
        "a few seconds. `kefu failed list` shows the outcome (gone from the list when it went through)."
    )
    return 0


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.logs import configure
    from bot.telegram.run import NO_TOKEN, run_polling

    if not settings.telegram_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    configure()
    return await run_polling(settings)


async def cmd_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram.run import NO_TOKEN, run_webhook

    if not settings.telegram_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if not settings.webhook_secret:
        print(
            "kefu webhook needs KEFU_WEBHOOK_SECRET: the secret Telegram sends with every update.",
            file=sys.stderr,
        )
        return 2
    from bot.logs import configure
    from bot.telegram.run import register_webhook

    if args.register:
        return await register_webhook(settings)
    configure()
    return await run_webhook(settings)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefu", description="客服 kefu: bilingual shop assistant")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="load the demo shop and chat with it in the terminal")
    demo.set_defaults(handler=cmd_demo)

    say = sub.add_parser("say", help="one turn of a conversation, as if a Telegram user sent TEXT")
    say.add_argument("--user", type=int, required=True, help="the Telegram user id of the sender")
    say.add_argument("--contact", metavar="PHONE", help="the user shares its own phone number")
    say.add_argument("--lang-code", help="the Telegram client's language_code (zh-hans, ru, ...)")
    say.add_argument("--json", action="store_true", help="print one JSON object")
    say.add_argument("text", nargs="*", help="the message")
    say.set_defaults(handler=cmd_say)

    classify = sub.add_parser("classify", help="intent, products and order number of each line on stdin")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.set_defaults(handler=cmd_classify)

    evaluate = sub.add_parser("eval", help="accuracy report on the labelled set in tests/")
    evaluate.add_argument("--labelled", help="a JSONL labelled set (default: tests/data/labelled.jsonl)")
    evaluate.add_argument(
        "--shop", help="a folder with suppliers.csv, catalog.csv and orders.csv (default: the demo shop)"
    )
    evaluate.add_argument("--check", action="store_true", help="exit 1 when below the accuracy floors")
    evaluate.add_argument(
        "--conversations",
        metavar="FILE",
        help="replay a multi-turn labelled set (tests/data/conversations_*.jsonl) through the engine instead",
    )
    evaluate.add_argument(
        "--floor", type=float, help="with --conversations: exit 1 when fewer turns than this share are right"
    )
    evaluate.set_defaults(handler=cmd_eval)

    supplier = sub.add_parser("supplier", help="supplier accounts")
    supplier_sub = supplier.add_subparsers(dest="supplier_command", required=True, metavar="ACTION")
    invite = supplier_sub.add_parser(
        "invite", help="print a one-time deep link that links a Telegram account"
    )
    invite.add_argument("code", help="the supplier_code")
    invite.set_defaults(handler=cmd_supplier_invite)

    run = sub.add_parser("run", help="the Telegram bot (long polling)")
    run.set_defaults(handler=cmd_run)
    webhook = sub.add_parser("webhook", help="the Telegram bot behind a webhook (aiohttp)")
    webhook.add_argument(
        "--register",
        action="store_true",
        help="register KEFU_WEBHOOK_URL and the command menus once, then exit",
    )
    webhook.set_defaults(handler=cmd_webhook)

    failed = sub.add_parser("failed", help="updates whose handling failed (dead letters)")
    failed_sub = failed.add_subparsers(dest="failed_command", required=True, metavar="ACTION")
    failed_list = failed_sub.add_parser("list", help="the failed updates waiting for a person")
    failed_list.add_argument("--all", action="store_true", help="also those replayed successfully")
    failed_list.set_defaults(handler=cmd_failed_list)
    failed_show = failed_sub.add_parser(
        "show", help="one failed update: the update, the error, the traceback"
    )
    failed_show.add_argument("id", type=int, help="the number `kefu failed list` shows")
    failed_show.set_defaults(handler=cmd_failed_show)
    failed_retry = failed_sub.add_parser("retry", help="have the running bot replay a failed update")
    failed_retry.add_argument("id", type=int, help="the number `kefu failed list` shows")
    failed_retry.set_defaults(handler=cmd_failed_retry)

    imp = sub.add_parser("import", help="import suppliers, catalog or orders from a CSV or .xlsx file")
    imp.add_argument("kind", choices=["suppliers", "catalog", "orders"])
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_import)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="migrate the database to the latest schema")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args, get_settings()))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a person reads this: one clear line, not a stack trace
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError | OSError):
            print(
                f"kefu: cannot use the database {_safe_url(get_settings().database_url)}: {exc}",
                file=sys.stderr,
            )
        else:
            print(f"kefu: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
