"""The demo shop of catalog_data/ loads cleanly, twice, on both databases, with what the README promises."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.config import PROJECT_ROOT
from bot.demo_shop import load_demo_shop, summarize
from bot.storage.models import ORDER_STATUSES, Order, OrderLine, Product
from bot.storage.runtime import Database


async def test_demo_shop_loads_idempotently_and_covers_the_shop(database: Database) -> None:
    for _ in range(2):  # an upsert: loading again changes nothing
        async with database.sessions.begin() as session:
            counts = await load_demo_shop(session, PROJECT_ROOT / "catalog_data")
    async with database.sessions() as session:
        summary = await summarize(session)
        lines = await session.scalar(select(func.count()).select_from(OrderLine))
        mixed = await session.scalar(
            select(func.count()).select_from(
                select(OrderLine.order_id)
                .group_by(OrderLine.order_id)
                .having(func.count(func.distinct(OrderLine.supplier_id)) > 1)
                .subquery()
            )
        )
        phone_only = await session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_telegram_id.is_(None))
        )
        out_of_stock = await session.scalar(
            select(func.count()).select_from(Product).where(Product.stock == 0)
        )
    assert counts["suppliers"] >= 4 and summary.suppliers == counts["suppliers"]
    assert summary.products >= 120
    assert len(summary.categories) >= 9
    statuses = dict(summary.orders_by_status)
    assert set(statuses) == set(ORDER_STATUSES)
    assert sum(statuses.values()) >= 40
    assert lines and lines > sum(statuses.values())
    assert mixed and mixed >= 5  # orders whose lines belong to several suppliers
    assert phone_only and phone_only >= 3
    assert out_of_stock and out_of_stock >= 5
