"""`kefu import orders FILE`: orders with their lines, upserted by order number, history appended."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.importing.fields import INT32_MAX, RowCheck, positive_quantity
from bot.importing.problems import Problem
from bot.importing.reader import Table
from bot.importing.upsert import chunks
from bot.storage.keys import order_key
from bot.storage.models import ORDER_STATUSES, Order, OrderLine, OrderStatusEvent, Product
from bot.storage.types import utcnow

REQUIRED = ("order_no", "status", "created_at", "items")
OPTIONAL = ("customer_telegram_id", "customer_phone", "tracking_no")


class ProductRef(NamedTuple):
    id: int
    supplier_id: int
    price_cny: Decimal


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_no: str
    key: str
    customer_telegram_id: int | None
    customer_phone: str | None
    status: str
    created_at: datetime
    items: tuple[tuple[str, int], ...]
    tracking_no: str | None


def referenced_skus(table: Table) -> set[str]:
    skus: set[str] = set()
    for row in table.rows:
        for part in row.values.get("items", "").split("|"):
            skus.add(part.split(":", 1)[0].strip())
    skus.discard("")
    return skus


def _items(check: RowCheck, products: dict[str, ProductRef]) -> tuple[tuple[str, int], ...] | None:
    raw = check.get("items")
    if not raw:
        check.fail("items", "items is missing (write SKU:QTY|SKU:QTY)")
        return None
    items: dict[str, int] = {}
    for part in raw.split("|"):
        part = part.strip()
        if not part:
            continue
        sku, sep, qty_text = (x.strip() for x in part.partition(":"))
        if not sep or not sku:
            check.fail("items", f'"{part}" is not SKU:QTY')
            continue
        quantity = positive_quantity(qty_text)
        if quantity is None:
            check.fail(
                "items",
                f'the quantity of {sku} "{qty_text}" is not a whole number above 0 (at most {INT32_MAX:,})',
            )
            continue
        if sku not in products:
            check.fail("items", f"unknown sku {sku} (it is not in the catalog)")
            continue
        if sku in items:
            check.fail("items", f"sku {sku} is listed twice")
            continue
        items[sku] = quantity
    if not items and check.ok:
        check.fail("items", "items lists no product")
    return tuple(items.items()) if check.ok else None


def parse(table: Table, problems: list[Problem], products: dict[str, ProductRef]) -> list[OrderRow]:
    records: list[OrderRow] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        check = RowCheck(table, row, problems)
        order_no = check.text("order_no", required=True, max_length=64)
        key = order_key(order_no) if order_no else ""
        if order_no is not None and not key:
            check.fail("order_no", f'order_no "{order_no}" has no letters or digits')
        customer = check.telegram_id("customer_telegram_id")
        phone = check.phone("customer_phone")
        status = check.get("status").lower()
        if not status:
            check.fail("status", "status is missing (it is required)")
        elif status not in ORDER_STATUSES:
            check.fail(
                "status", f'unknown status "{check.get("status")}" (use one of: {", ".join(ORDER_STATUSES)})'
            )
        created_at = check.timestamp("created_at")
        items = _items(check, products)
        tracking = check.text("tracking_no", max_length=64)
        if key:
            if key in first_line:
                check.fail("order_no", f"order {order_no} is already on line {first_line[key]}")
            first_line.setdefault(key, row.line)
        if check.ok:
            assert order_no and created_at is not None and items is not None
            records.append(OrderRow(order_no, key, customer, phone, status, created_at, items, tracking))
    return records


async def product_refs(session: AsyncSession, skus: Iterable[str]) -> dict[str, ProductRef]:
    refs: dict[str, ProductRef] = {}
    for batch in chunks(sorted(skus)):
        result = await session.execute(
            select(Product.sku, Product.id, Product.supplier_id, Product.price_cny).where(
                Product.sku.in_(batch)
            )
        )
        for sku, product_id, supplier_id, price in result:
            refs[sku] = ProductRef(product_id, supplier_id, price)
    return refs


async def write(
    session: AsyncSession, records: list[OrderRow], products: dict[str, ProductRef], source: str
) -> None:
    now = utcnow()
    existing: dict[str, tuple[int, str, str | None]] = {}
    for batch in chunks([r.key for r in records]):
        found = await session.execute(
            select(Order.order_key, Order.id, Order.status, Order.tracking_no).where(
                Order.order_key.in_(batch)
            )
        )
        for key, order_id, status, tracking_no in found:
            existing[key] = (order_id, status, tracking_no)

    def values(r: OrderRow) -> dict[str, object]:
        return {
            "order_no": r.order_no,
            "order_key": r.key,
            "customer_telegram_id": r.customer_telegram_id,
            "customer_phone": r.customer_phone,
            "status": r.status,
            "created_at": r.created_at,
            "tracking_no": r.tracking_no,
            "updated_at": now,
        }

    new = [r for r in records if r.key not in existing]
    changed = [r for r in records if r.key in existing]
    for new_rows in chunks(new):
        await session.execute(insert(Order), [values(r) for r in new_rows])
    if changed:
        stmt = (
            update(Order.__table__)  # type: ignore[arg-type]
            .where(Order.__table__.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in values(changed[0]) if c != "order_key"})
        )
        for changed_rows in chunks(changed):
            params = []
            for r in changed_rows:
                v = values(r)
                v.pop("order_key")
                v["_id"] = existing[r.key][0]
                params.append(v)
            await session.execute(stmt, params)
        ids = [existing[r.key][0] for r in changed]
        for id_batch in chunks(ids):
            await session.execute(delete(OrderLine).where(OrderLine.order_id.in_(id_batch)))

    order_ids = {k: v[0] for k, v in existing.items()}
    for new_keys in chunks([r.key for r in new]):
        inserted = await session.execute(
            select(Order.order_key, Order.id).where(Order.order_key.in_(new_keys))
        )
        order_ids.update((key, order_id) for key, order_id in inserted)

    lines = [
        {
            "order_id": order_ids[r.key],
            "product_id": products[sku].id,
            "supplier_id": products[sku].supplier_id,
            "quantity": qty,
            "unit_price_cny": products[sku].price_cny,
        }
        for r in records
        for sku, qty in r.items
    ]
    for line_rows in chunks(lines):
        await session.execute(insert(OrderLine), list(line_rows))

    events: list[dict[str, object]] = []
    for r in new:
        events.append(_event(order_ids[r.key], "created", r.created_at, source, None))
        if r.status != "created":
            events.append(_event(order_ids[r.key], r.status, now, source, r.tracking_no))
    for r in changed:
        _, old_status, old_tracking = existing[r.key]
        if r.status != old_status or (r.tracking_no or None) != old_tracking:
            events.append(_event(order_ids[r.key], r.status, now, source, r.tracking_no))
    for event_rows in chunks(events):
        await session.execute(insert(OrderStatusEvent), list(event_rows))


def _event(order_id: int, status: str, at: datetime, source: str, tracking: str | None) -> dict[str, object]:
    return {
        "order_id": order_id,
        "status": status,
        "changed_at": at,
        "actor": "import",
        "actor_id": source[-64:],
        "tracking_no": tracking,
        "note": None,
    }
