"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL (a scratch database per run)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from bot.importing import import_file
from bot.storage.db import create_engine, create_sessionmaker, upgrade_database
from bot.storage.runtime import Database

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = FIXTURES / "shop"
#: Where the scratch databases are made; set it empty to run SQLite only.
PG_ADMIN_URL = os.environ.get(
    "KEFU_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RUN_ID = uuid.uuid4().hex[:8]


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_dsn(PG_ADMIN_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class PostgresScratch:
    """Creates databases from a migrated template: a fresh, migrated database costs one CREATE DATABASE."""

    def __init__(self) -> None:
        self.template = f"kefu_t{RUN_ID}_tpl"
        self.count = 0

    def url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    async def create(self, *, migrated: bool = True) -> str:
        self.count += 1
        name = f"kefu_t{RUN_ID}_{self.count}"
        template = f" TEMPLATE {self.template}" if migrated else ""
        await _admin(f"CREATE DATABASE {name}{template}")
        return name

    async def drop(self, name: str) -> None:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest_asyncio.fixture(scope="session")
async def postgres() -> AsyncIterator[PostgresScratch]:
    if not PG_ADMIN_URL:
        pytest.skip("PostgreSQL tests skipped: KEFU_TEST_POSTGRES_URL is empty")
    try:
        await _admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if os.environ.get("KEFU_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here (KEFU_REQUIRE_POSTGRES) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: no server at {make_url(PG_ADMIN_URL).host} ({exc})")
    scratch = PostgresScratch()
    await _admin(f"CREATE DATABASE {scratch.template}")
    engine = create_engine(scratch.url(scratch.template), poolclass=_null_pool())
    await upgrade_database(engine)
    await engine.dispose()
    yield scratch
    await scratch.drop(scratch.template)


def _null_pool() -> type:
    from sqlalchemy.pool import NullPool

    return NullPool


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def scratch(backend: str, request: pytest.FixtureRequest) -> PostgresScratch | None:
    # Resolved here, in a plain fixture: an async fixture cannot ask for another one by name.
    return request.getfixturevalue("postgres") if backend == "postgresql" else None


@pytest_asyncio.fixture
async def db_url(scratch: PostgresScratch | None, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty, not yet migrated database of `backend`."""
    if scratch is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"
        return
    name = await scratch.create(migrated=False)
    yield scratch.url(name)
    await scratch.drop(name)


@pytest_asyncio.fixture
async def database(scratch: PostgresScratch | None, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    if scratch is None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}")
        await upgrade_database(engine)
        name = None
    else:
        name = await scratch.create()
        engine = create_engine(scratch.url(name))
    yield Database(engine, create_sessionmaker(engine))
    await engine.dispose()
    if scratch is not None and name is not None:
        await scratch.drop(name)


async def load_shop(database: Database, directory: Path = SHOP) -> None:
    for kind in ("suppliers", "catalog", "orders"):
        async with database.sessions.begin() as session:
            await import_file(session, kind, directory / f"{kind}.csv")


@pytest_asyncio.fixture
async def shop(database: Database) -> Database:
    """The small test shop of tests/fixtures/shop, loaded."""
    await load_shop(database)
    return database


#: A Redis database of its own, emptied around each test (set another one to run two suites at once).
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
REDIS_DB = REDIS_URL.rsplit("/", 1)[-1] if REDIS_URL.count("/") > 2 else "0"


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()
