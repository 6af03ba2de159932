"""The demo shop of catalog_data/: loading it and summing up what the database holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.importing import KINDS, import_file
from bot.storage.models import Order, Product, Supplier


async def load_demo_shop(session: AsyncSession, data_dir: Path) -> dict[str, int]:
    """Import suppliers, catalog and orders (an upsert: loading twice changes nothing)."""
    counts: dict[str, int] = {}
    for kind in KINDS:
        result = await import_file(session, kind, data_dir / f"{kind}.csv")
        counts[kind] = result.rows
    return counts


@dataclass(frozen=True, slots=True)
class ShopSummary:
    suppliers: int
    products: int
    in_stock: int
    categories: list[tuple[str, str, int]]
    orders_by_status: list[tuple[str, int]]


async def summarize(session: AsyncSession) -> ShopSummary:
    suppliers = await session.scalar(select(func.count()).select_from(Supplier)) or 0
    products = await session.scalar(select(func.count()).select_from(Product)) or 0
    in_stock = await session.scalar(select(func.count()).select_from(Product).where(Product.stock > 0)) or 0
    categories = await session.execute(
        select(Product.category_ru, Product.category_zh, func.count())
        .group_by(Product.category_ru, Product.category_zh)
        .order_by(func.count().desc(), Product.category_ru)
    )
    statuses = await session.execute(
        select(Order.status, func.count()).group_by(Order.status).order_by(Order.status)
    )
    return ShopSummary(suppliers, products, in_stock, list(categories), list(statuses))
