"""The product index, built once per process from the database, and fresh product facts for replies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import Product
from intents import ProductRecord, Understander


def split_aliases(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split("|") if part)


async def load_records(session: AsyncSession) -> list[ProductRecord]:
    rows = await session.execute(
        select(
            Product.sku,
            Product.name_ru,
            Product.name_zh,
            Product.aliases_ru,
            Product.aliases_zh,
            Product.brand,
            Product.category_ru,
            Product.category_zh,
        ).order_by(Product.id)
    )
    return [
        ProductRecord(
            sku=sku,
            name_ru=name_ru,
            name_zh=name_zh,
            aliases_ru=split_aliases(aliases_ru),
            aliases_zh=split_aliases(aliases_zh),
            brand=brand,
            category_ru=category_ru,
            category_zh=category_zh,
        )
        for sku, name_ru, name_zh, aliases_ru, aliases_zh, brand, category_ru, category_zh in rows
    ]


class CatalogIndex:
    """Holds the Understander; rebuilds it (in a worker thread, the callers waiting) when the catalog changed.

    The per-message path only reads `understander`; the freshness check (one cheap aggregate query)
    runs at most every `check_every` seconds.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], check_every: float = 60.0) -> None:
        self._sessions = sessions
        self._check_every = check_every
        self._understander: Understander | None = None
        self._version: tuple[int, object] | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def _catalog_version(self, session: AsyncSession) -> tuple[int, object]:
        count, latest = (await session.execute(select(func.count(), func.max(Product.updated_at)))).one()
        return int(count), latest

    async def get(self) -> Understander:
        now = time.monotonic()
        if self._understander is not None and now - self._checked_at < self._check_every:
            return self._understander
        async with self._lock:
            if self._understander is not None and time.monotonic() - self._checked_at < self._check_every:
                return self._understander
            async with self._sessions() as session:
                version = await self._catalog_version(session)
                if self._understander is None or version != self._version:
                    records = await load_records(session)
                    self._understander = await asyncio.to_thread(Understander, records)
                    self._version = version
            self._checked_at = time.monotonic()
            return self._understander


@dataclass(frozen=True, slots=True)
class ProductFacts:
    id: int
    sku: str
    name_ru: str
    name_zh: str
    category_ru: str
    price_cny: Decimal
    stock: int
    description_ru: str
    description_zh: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_ru

    def description(self, lang: str) -> str:
        return self.description_zh if lang == "zh" else self.description_ru


#: A turn never writes products: reading them need not flush its pending changes first (the turn's
#: context would otherwise be written once before each product query and again at commit).
_NO_FLUSH = {"autoflush": False}

_FACT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name_ru,
    Product.name_zh,
    Product.category_ru,
    Product.price_cny,
    Product.stock,
    Product.description_ru,
    Product.description_zh,
)


async def product_facts(session: AsyncSession, skus: Sequence[str]) -> list[ProductFacts]:
    """Current price and stock of these products, in the order given (one query)."""
    if not skus:
        return []
    rows = await session.execute(
        select(*_FACT_COLUMNS).where(Product.sku.in_(list(skus))), execution_options=_NO_FLUSH
    )
    by_sku = {row.sku: ProductFacts(*row) for row in rows}
    return [by_sku[sku] for sku in skus if sku in by_sku]


async def product_by_id(session: AsyncSession, product_id: int) -> ProductFacts | None:
    query = select(*_FACT_COLUMNS).where(Product.id == product_id)
    row = (await session.execute(query, execution_options=_NO_FLUSH)).first()
    return ProductFacts(*row) if row else None


async def in_stock_alternatives(
    session: AsyncSession, product: ProductFacts, limit: int = 3
) -> list[ProductFacts]:
    """Products of the same category that are in stock, closest in price first."""
    if not product.category_ru:
        return []
    rows = await session.execute(
        select(*_FACT_COLUMNS)
        .where(Product.category_ru == product.category_ru, Product.stock > 0, Product.id != product.id)
        .order_by(func.abs(Product.price_cny - product.price_cny), Product.id)
        .limit(limit),
        execution_options=_NO_FLUSH,
    )
    return [ProductFacts(*row) for row in rows]
