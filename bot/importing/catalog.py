"""`kefu import catalog FILE`: an upsert by sku, in bulk (100k rows in seconds, not one ORM object each)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.importing.fields import RowCheck
from bot.importing.problems import Problem
from bot.importing.reader import Table
from bot.importing.upsert import upsert
from bot.storage.models import Product, Supplier
from bot.storage.types import utcnow

REQUIRED = ("sku", "name_ru", "name_zh", "price_cny", "stock", "supplier_code")
OPTIONAL = (
    "aliases_ru",
    "aliases_zh",
    "brand",
    "category_ru",
    "category_zh",
    "description_ru",
    "description_zh",
)


@dataclass(frozen=True, slots=True)
class ProductRow:
    sku: str
    name_ru: str
    name_zh: str
    aliases_ru: str
    aliases_zh: str
    brand: str
    category_ru: str
    category_zh: str
    price_cny: Decimal
    stock: int
    supplier_code: str
    description_ru: str
    description_zh: str


def _aliases(raw: str | None) -> str:
    # Store them tidy: no empty or repeated entries from "a||b|a".
    if not raw:
        return ""
    seen: dict[str, None] = {}
    for part in raw.split("|"):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return "|".join(seen)


def parse(table: Table, problems: list[Problem], supplier_codes: set[str]) -> list[ProductRow]:
    records: list[ProductRow] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        check = RowCheck(table, row, problems)
        sku = check.code("sku")
        name_ru = check.text("name_ru", required=True)
        name_zh = check.text("name_zh", required=True)
        aliases_ru = check.text("aliases_ru", max_length=4000)
        aliases_zh = check.text("aliases_zh", max_length=4000)
        brand = check.text("brand", max_length=128)
        category_ru = check.text("category_ru", max_length=128)
        category_zh = check.text("category_zh", max_length=128)
        price = check.price("price_cny")
        stock = check.whole_number("stock", required=True)
        supplier_code = check.code("supplier_code")
        description_ru = check.text("description_ru", max_length=4000)
        description_zh = check.text("description_zh", max_length=4000)
        if sku is not None:
            if sku in first_line:
                check.fail("sku", f"sku {sku} is already on line {first_line[sku]} (each sku once per file)")
            first_line.setdefault(sku, row.line)
        if supplier_code is not None and supplier_code not in supplier_codes:
            check.fail(
                "supplier_code",
                f"unknown supplier {supplier_code} (import it with 'kefu import suppliers' first)",
            )
        if check.ok:
            assert sku and name_ru and name_zh and price is not None and stock is not None and supplier_code
            records.append(
                ProductRow(
                    sku,
                    name_ru,
                    name_zh,
                    _aliases(aliases_ru),
                    _aliases(aliases_zh),
                    brand or "",
                    category_ru or "",
                    category_zh or "",
                    price,
                    stock,
                    supplier_code,
                    description_ru or "",
                    description_zh or "",
                )
            )
    return records


async def supplier_ids(session: AsyncSession) -> dict[str, int]:
    return dict((await session.execute(select(Supplier.code, Supplier.id))).all())


async def write(session: AsyncSession, records: list[ProductRow], suppliers: dict[str, int]) -> None:
    now = utcnow()
    rows = [
        {
            "sku": r.sku,
            "name_ru": r.name_ru,
            "name_zh": r.name_zh,
            "aliases_ru": r.aliases_ru,
            "aliases_zh": r.aliases_zh,
            "brand": r.brand,
            "category_ru": r.category_ru,
            "category_zh": r.category_zh,
            "price_cny": r.price_cny,
            "stock": r.stock,
            "supplier_id": suppliers[r.supplier_code],
            "description_ru": r.description_ru,
            "description_zh": r.description_zh,
            "updated_at": now,
        }
        for r in records
    ]
    update = [c for c in rows[0] if c != "sku"] if rows else []
    await upsert(session, Product.__table__, rows, "sku", update)  # type: ignore[arg-type]
