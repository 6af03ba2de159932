"""Alembic owns the schema: upgrade from empty, the stairway down and up, and models == migrations."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from bot.storage.db import (
    alembic_config,
    create_engine,
    current_revision,
    downgrade_database,
    upgrade_database,
)
from bot.storage.models import Base


async def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert await current_revision(engine) is None
        await upgrade_database(engine)
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert await current_revision(engine) == head
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
        await upgrade_database(engine)  # a second upgrade is a no-op
    finally:
        await engine.dispose()


async def test_stairway_every_revision_down_and_up(db_url: str) -> None:
    engine = create_engine(db_url)
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(reversed(list(script.walk_revisions())))
    try:
        for revision in revisions:
            await upgrade_database(engine, revision.revision)
            await downgrade_database(engine, revision.down_revision or "base")  # type: ignore[arg-type]
            await upgrade_database(engine, revision.revision)
    finally:
        await engine.dispose()


async def test_models_match_migrations(db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade_database(engine)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await engine.dispose()
