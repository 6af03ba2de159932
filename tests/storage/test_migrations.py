"""Alembic owns the schema: upgrade from empty, the stairway down and up, and models == migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

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


async def test_order_tracking_numbers_become_parcels_and_come_back_on_downgrade(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade_database(engine, "0002")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO suppliers (id, code, name_ru, name_zh, created_at, updated_at) VALUES (1, 'S', 'С', '供', :t, :t)"
                ),
                {"t": datetime(2025, 1, 1, tzinfo=UTC)},
            )
            await conn.execute(
                text(
                    "INSERT INTO products (id, sku, name_ru, name_zh, aliases_ru, aliases_zh, brand, category_ru, "
                    "category_zh, price_cny, stock, supplier_id, description_ru, description_zh, updated_at) VALUES "
                    "(:id, :sku, 'н', '名', '', '', '', '', '', 1290, 5, 1, '', '', :t)"
                ),
                [
                    {"id": 1, "sku": "A", "t": datetime(2025, 1, 1, tzinfo=UTC)},
                    {"id": 2, "sku": "B", "t": datetime(2025, 1, 1, tzinfo=UTC)},
                ],
            )
            orders = [(1, "K-1", "SF1234567890123"), (2, "K-2", "RA123456789RU/1234567890"), (3, "K-3", None)]
            for order_id, number, tracking in orders:
                await conn.execute(
                    text(
                        "INSERT INTO orders (id, order_no, order_key, status, created_at, tracking_no, updated_at) "
                        "VALUES (:id, :no, :key, 'shipped', :t, :tracking, :t)"
                    ),
                    {
                        "id": order_id,
                        "no": number,
                        "key": number.replace("-", ""),
                        "tracking": tracking,
                        "t": datetime(2025, 1, 2, tzinfo=UTC),
                    },
                )
                for line, product in enumerate((1, 2)):
                    await conn.execute(
                        text(
                            "INSERT INTO order_lines (id, order_id, product_id, supplier_id, quantity, unit_price_cny) "
                            "VALUES (:id, :order_id, :product, 1, 1, 1290)"
                        ),
                        {"id": order_id * 10 + line, "order_id": order_id, "product": product},
                    )

        await upgrade_database(engine)
        async with engine.connect() as conn:
            parcels = (
                await conn.execute(
                    text(
                        "SELECT order_id, tracking_no, carrier, destination, supplier_id FROM parcels ORDER BY id"
                    )
                )
            ).all()
            carried = (
                await conn.execute(
                    text(
                        "SELECT p.tracking_no, pl.order_line_id FROM parcel_lines pl "
                        "JOIN parcels p ON p.id = pl.parcel_id ORDER BY p.id, pl.order_line_id"
                    )
                )
            ).all()
            columns = await conn.run_sync(lambda c: [col["name"] for col in inspect(c).get_columns("orders")])
        assert [tuple(p) for p in parcels] == [
            (1, "SF1234567890123", "sf", "customer", None),
            (2, "RA123456789RU", "russian_post", "customer", None),
            (2, "1234567890", "cdek", "customer", None),
        ]
        assert [tuple(c) for c in carried] == [
            ("SF1234567890123", 10),
            ("SF1234567890123", 11),
            ("RA123456789RU", 20),
            ("RA123456789RU", 21),
            ("1234567890", 20),
            ("1234567890", 21),
        ]
        assert "tracking_no" not in columns  # parcels are the one place tracking numbers live
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM order_lines")) == 6  # nothing else lost

        await downgrade_database(engine, "0002")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT id, tracking_no FROM orders ORDER BY id"))).all()
        assert [tuple(b) for b in back] == [(1, "SF1234567890123"), (2, "RA123456789RU"), (3, None)]
    finally:
        await engine.dispose()
