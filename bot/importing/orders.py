"""`kefu import orders FILE`: orders with their lines, upserted by order number, history appended.

Re-importing an order changes only what the file changes: a line keeps the price and supplier it was
ordered with (a new sku is added at today's price, a removed one deleted, a new quantity set). The
`tracking_no` column lists the shop's own parcels (to the shopper), `|`-separated.
"""

from __future__ import annotations

from collections import defaultdict
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
from bot.storage.models import (
    ORDER_STATUSES,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusEvent,
    Parcel,
    ParcelDestination,
    ParcelLine,
    Product,
)
from bot.storage.types import utcnow
from intents.tracking import MAX_LENGTH, MIN_LENGTH, carrier_of, is_tracking_number, normalize_tracking

REQUIRED = ("order_no", "status", "created_at", "items")
OPTIONAL = ("customer_telegram_id", "customer_phone", "tracking_no", "status_at")


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
    tracking_numbers: tuple[str, ...]
    #: When the order reached its status (None: the import time).
    status_at: datetime | None


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


def _tracking_numbers(check: RowCheck) -> tuple[str, ...]:
    numbers: dict[str, None] = {}
    for part in check.get("tracking_no").split("|"):
        number = normalize_tracking(part)
        if not number:
            continue
        if not is_tracking_number(number):
            check.fail(
                "tracking_no",
                f'tracking_no "{part.strip()}" is not a tracking number '
                f"({MIN_LENGTH} to {MAX_LENGTH} letters and digits; several are separated by |)",
            )
            continue
        numbers[number] = None
    return tuple(numbers)


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
        tracking = _tracking_numbers(check)
        status_at = check.timestamp("status_at") if check.get("status_at") else None
        if key:
            if key in first_line:
                check.fail("order_no", f"order {order_no} is already on line {first_line[key]}")
            first_line.setdefault(key, row.line)
        if check.ok:
            assert order_no and created_at is not None and items is not None
            records.append(
                OrderRow(order_no, key, customer, phone, status, created_at, items, tracking, status_at)
            )
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
    existing: dict[str, tuple[int, str]] = {}
    for batch in chunks([r.key for r in records]):
        found = await session.execute(
            select(Order.order_key, Order.id, Order.status).where(Order.order_key.in_(batch))
        )
        for key, order_id, status in found:
            existing[key] = (order_id, status)

    def values(r: OrderRow) -> dict[str, object]:
        return {
            "order_no": r.order_no,
            "order_key": r.key,
            "customer_telegram_id": r.customer_telegram_id,
            "customer_phone": r.customer_phone,
            "status": r.status,
            "created_at": r.created_at,
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

    order_ids = {k: v[0] for k, v in existing.items()}
    for new_keys in chunks([r.key for r in new]):
        inserted = await session.execute(
            select(Order.order_key, Order.id).where(Order.order_key.in_(new_keys))
        )
        order_ids.update((key, order_id) for key, order_id in inserted)

    await _write_lines(session, records, products, order_ids, {r.key for r in changed})
    await _write_parcels(session, records, order_ids, source, now)

    events: list[dict[str, object]] = []
    for r in new:
        events.append(_event(order_ids[r.key], OrderStatus.CREATED.value, r.created_at, source))
        if r.status != OrderStatus.CREATED:
            events.append(_event(order_ids[r.key], r.status, r.status_at or now, source))
    for r in changed:
        if r.status != existing[r.key][1]:
            events.append(_event(order_ids[r.key], r.status, r.status_at or now, source))
    for event_rows in chunks(events):
        await session.execute(insert(OrderStatusEvent), list(event_rows))


async def _write_lines(
    session: AsyncSession,
    records: list[OrderRow],
    products: dict[str, ProductRef],
    order_ids: dict[str, int],
    changed: set[str],
) -> None:
    """New orders get their lines at today's price; known orders only what the file changes."""
    current: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)  # order -> product -> (line, qty)
    for id_batch in chunks([order_ids[k] for k in changed]):
        found = await session.execute(
            select(OrderLine.order_id, OrderLine.product_id, OrderLine.id, OrderLine.quantity).where(
                OrderLine.order_id.in_(id_batch)
            )
        )
        for order_id, product_id, line_id, quantity in found:
            current[order_id][product_id] = (line_id, quantity)

    added: list[dict[str, object]] = []
    quantities: list[dict[str, object]] = []
    removed: list[int] = []
    for r in records:
        order_id = order_ids[r.key]
        lines = current.get(order_id, {})
        wanted = {products[sku].id: (sku, qty) for sku, qty in r.items}
        for product_id, (sku, qty) in wanted.items():
            if product_id not in lines:
                ref = products[sku]
                added.append(
                    {
                        "order_id": order_id,
                        "product_id": ref.id,
                        "supplier_id": ref.supplier_id,
                        "quantity": qty,
                        "unit_price_cny": ref.price_cny,
                    }
                )
            elif lines[product_id][1] != qty:
                quantities.append({"_id": lines[product_id][0], "quantity": qty})
        removed += [line_id for product_id, (line_id, _) in lines.items() if product_id not in wanted]

    for id_batch in chunks(removed):
        await session.execute(delete(OrderLine).where(OrderLine.id.in_(id_batch)))
    if quantities:
        stmt = (
            update(OrderLine.__table__)  # type: ignore[arg-type]
            .where(OrderLine.__table__.c.id == bindparam("_id"))
            .values(quantity=bindparam("quantity"))
        )
        for rows in chunks(quantities):
            await session.execute(stmt, list(rows))
    for line_rows in chunks(added):
        await session.execute(insert(OrderLine), list(line_rows))


async def _write_parcels(
    session: AsyncSession, records: list[OrderRow], order_ids: dict[str, int], source: str, now: datetime
) -> None:
    """The file's tracking numbers are the shop's own parcels, carrying every line of the order.

    A number the file no longer lists is removed (the shop corrected it); suppliers' parcels are theirs
    and stay; a number a supplier already reported is not recorded twice.
    """
    ids = [order_ids[r.key] for r in records]
    recorded: dict[int, dict[str, tuple[int, int | None]]] = defaultdict(dict)  # order -> number -> parcel
    for id_batch in chunks(ids):
        found = await session.execute(
            select(Parcel.order_id, Parcel.tracking_no, Parcel.id, Parcel.supplier_id).where(
                Parcel.order_id.in_(id_batch), Parcel.tracking_no.is_not(None)
            )
        )
        for order_id, number, parcel_id, supplier_id in found:
            if number is not None:
                recorded[order_id][number] = (parcel_id, supplier_id)

    stale: list[int] = []
    fresh: list[tuple[int, str, datetime]] = []
    for r in records:
        order_id = order_ids[r.key]
        numbers = recorded.get(order_id, {})
        stale += [
            parcel_id
            for number, (parcel_id, supplier_id) in numbers.items()
            if supplier_id is None and number not in r.tracking_numbers
        ]
        fresh += [(order_id, n, r.status_at or now) for n in r.tracking_numbers if n not in numbers]
    for id_batch in chunks(stale):
        await session.execute(delete(Parcel).where(Parcel.id.in_(id_batch)))
    if not fresh:
        return

    lines: dict[int, list[int]] = defaultdict(list)
    for id_batch in chunks(sorted({order_id for order_id, _, _ in fresh})):
        line_rows = await session.execute(
            select(OrderLine.order_id, OrderLine.id).where(OrderLine.order_id.in_(id_batch))
        )
        for order_id, line_id in line_rows:
            lines[order_id].append(line_id)
    for batch in chunks(fresh):
        inserted = await session.execute(
            insert(Parcel).returning(Parcel.id, Parcel.order_id),
            [
                {
                    "order_id": order_id,
                    "supplier_id": None,
                    "tracking_no": number,
                    "carrier": carrier_of(number),
                    "destination": ParcelDestination.CUSTOMER.value,
                    "shipped_at": at,
                    "reported_by": source[-64:],
                }
                for order_id, number, at in batch
            ],
        )
        carried = [
            {"parcel_id": parcel_id, "order_line_id": line_id}
            for parcel_id, order_id in inserted
            for line_id in lines[order_id]
        ]
        for carried_rows in chunks(carried):
            await session.execute(insert(ParcelLine), list(carried_rows))


def _event(order_id: int, status: str, at: datetime, source: str) -> dict[str, object]:
    return {
        "order_id": order_id,
        "status": status,
        "changed_at": at,
        "actor": "import",
        "actor_id": source[-64:],
        "tracking_no": None,
        "note": None,
    }
