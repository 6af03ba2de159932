"""The `kefu` command line: one sub-command per job (see README and shared/interfaces.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings, get_settings

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
            err = _console(stderr=True)
            err.print(f"[bold red]Nothing was imported:[/] {failed.total} problem(s) in {path}", markup=True)
            print(failed.report(), file=sys.stderr)
            return 1
    _console().print(f"Imported {result.rows} {args.kind} row(s) from {path}.")
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.db import current_revision
    from bot.storage.runtime import open_database

    async with open_database(settings.database_url) as db:
        revision = await current_revision(db.engine)
    _console().print(f"Database {_safe_url(settings.database_url)} is at revision {revision}.")
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from rich.table import Table

    from bot.demo_shop import load_demo_shop, summarize
    from bot.storage.runtime import open_database

    console = _console()
    async with open_database(settings.database_url) as db:
        async with db.sessions.begin() as session:
            await load_demo_shop(session, settings.data_dir)
        async with db.sessions() as session:
            summary = await summarize(session)
    console.print(f"[bold]kefu demo shop[/] loaded into {_safe_url(settings.database_url)}")
    console.print(
        f"{summary.suppliers} suppliers, {summary.products} products ({summary.in_stock} in stock), "
        f"{sum(n for _, n in summary.orders_by_status)} orders"
    )
    categories = Table("категория", "品类", "products", title="Catalog")
    for ru, zh, count in summary.categories:
        categories.add_row(ru, zh, str(count))
    console.print(categories)
    statuses = Table("status", "orders", title="Orders")
    for status, count in summary.orders_by_status:
        statuses.add_row(status, str(count))
    console.print(statuses)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefu", description="客服 kefu: bilingual shop assistant")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="load the demo shop and chat with it in the terminal")
    demo.set_defaults(handler=cmd_demo)

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
