"""Building the application's long-lived parts once per process (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.engine.catalog import CatalogIndex
from bot.engine.conversation import Engine
from bot.engine.faq import FaqBook
from bot.engine.i18n import I18n
from bot.storage.runtime import Database


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    database: Database
    engine: Engine
    i18n: I18n


def build_app(settings: Settings, database: Database) -> App:
    i18n = I18n(settings.locales_dir, settings.shop_timezone)
    engine = Engine(
        database.sessions,
        CatalogIndex(database.sessions),
        i18n,
        FaqBook.load(settings.data_dir / "faq.toml"),
        settings.staff_user_ids,
    )
    return App(settings, database, engine, i18n)
