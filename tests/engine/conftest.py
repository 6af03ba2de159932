"""An engine on the small test shop (tests/fixtures/shop), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest_asyncio

from bot.config import PROJECT_ROOT
from bot.engine.catalog import CatalogIndex
from bot.engine.conversation import Engine
from bot.engine.faq import FaqBook
from bot.engine.i18n import I18n
from bot.engine.messages import Incoming, Reply
from bot.storage.runtime import Database

STAFF = 9000
Say = Callable[..., Awaitable[Reply]]


@pytest_asyncio.fixture
async def engine(shop: Database) -> Engine:
    return Engine(
        shop.sessions,
        CatalogIndex(shop.sessions),
        I18n(PROJECT_ROOT / "locales"),
        FaqBook.load(PROJECT_ROOT / "catalog_data" / "faq.toml"),
        frozenset({STAFF}),
    )


@pytest_asyncio.fixture
async def say(engine: Engine) -> Say:
    async def _say(user: int, text: str = "", **fields: object) -> Reply:
        return await engine.handle(Incoming(user, text, **fields))  # type: ignore[arg-type]

    return _say
