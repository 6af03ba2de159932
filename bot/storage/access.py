"""Who may see which order: the one place where order access rules live.

- a customer sees an order linked to its Telegram id or to the phone it verified (shared as a contact);
- a supplier sees the orders that contain its products, and in them only its own lines;
- staff see everything.

Everything else in kefu reads orders through `OrderAccess`, which answers "no such order" alike for
an order that does not exist and one the viewer may not see, so nothing leaks that it exists.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.keys import order_key, order_tail
from bot.storage.models import (
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusEvent,
    Parcel,
    ParcelDestination,
    ParcelLine,
    Product,
    Supplier,
    SupplierAccount,
)

if TYPE_CHECKING:
    from bot.storage.shipments import SHIPPABLE, NewParcel, ShipmentOutcome, ShipmentResult, report_shipment

__all__ = [
    "ROLE_COLUMNS",
    "SHIPPABLE",
    "TO_SHIP",
    "EventView",
    "LineView",
    "NewParcel",
    "OrderAccess",
    "OrderView",
    "ParcelView",
    "Role",
    "ShipmentOutcome",
    "ShipmentResult",
    "Viewer",
    "report_shipment",
    "resolve_viewer",
    "viewer_of",
    "visible_to",
]


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Viewer:
    role: Role
    telegram_user_id: int | None = None
    supplier_id: int | None = None
    supplier_code: str | None = None
    verified_phone: str | None = None

    @classmethod
    def customer(cls, telegram_user_id: int | None, verified_phone: str | None = None) -> Viewer:
        return cls(Role.CUSTOMER, telegram_user_id, verified_phone=verified_phone)

    @classmethod
    def supplier(
        cls, supplier_id: int, code: str | None = None, telegram_user_id: int | None = None
    ) -> Viewer:
        return cls(Role.SUPPLIER, telegram_user_id, supplier_id=supplier_id, supplier_code=code)

    @classmethod
    def staff(cls, telegram_user_id: int | None = None) -> Viewer:
        return cls(Role.STAFF, telegram_user_id)


@dataclass(frozen=True, slots=True)
class LineView:
    sku: str
    name_ru: str
    name_zh: str
    quantity: int
    unit_price_cny: Decimal
    supplier_code: str
    id: int = 0

    @property
    def total_cny(self) -> Decimal:
        return self.unit_price_cny * self.quantity


@dataclass(frozen=True, slots=True)
class EventView:
    status: str
    changed_at: datetime
    tracking_no: str | None


@dataclass(frozen=True, slots=True)
class ParcelView:
    """A parcel as one viewer may see it: a customer never sees a warehouse-bound parcel's number."""

    id: int
    tracking_no: str | None
    carrier: str | None
    destination: str
    shipped_at: datetime
    #: The supplier that sent it (None: the shop's own, or not for this viewer to know).
    supplier_code: str | None
    line_ids: tuple[int, ...]

    @property
    def to_warehouse(self) -> bool:
        return self.destination == ParcelDestination.WAREHOUSE


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as one viewer may see it (a supplier's view holds only its own lines and parcels)."""

    order_no: str
    status: str
    created_at: datetime
    lines: tuple[LineView, ...]
    history: tuple[EventView, ...]
    parcels: tuple[ParcelView, ...] = ()

    @property
    def total_cny(self) -> Decimal:
        return sum((line.total_cny for line in self.lines), Decimal("0.00"))

    @property
    def tracking_numbers(self) -> tuple[str, ...]:
        """The numbers this viewer may follow, oldest parcel first."""
        return tuple(p.tracking_no for p in self.parcels if p.tracking_no)


async def resolve_viewer(session: AsyncSession, telegram_user_id: int, staff_ids: frozenset[int]) -> Viewer:
    """The role of a Telegram user comes from the database (and the staff list in the settings)."""
    if telegram_user_id in staff_ids:
        return Viewer.staff(telegram_user_id)
    supplier_id, supplier_code, phone = (await session.execute(_ROLE, {"user": telegram_user_id})).one()
    return viewer_of(telegram_user_id, staff_ids, supplier_id, supplier_code, phone)


def viewer_of(
    telegram_user_id: int,
    staff_ids: frozenset[int],
    supplier_id: int | None,
    supplier_code: str | None,
    phone: str | None,
) -> Viewer:
    """The viewer from the values of `ROLE_COLUMNS` (read with the turn's conversation row)."""
    if telegram_user_id in staff_ids:
        return Viewer.staff(telegram_user_id)
    if supplier_id is not None:
        return Viewer.supplier(supplier_id, supplier_code, telegram_user_id)
    return Viewer.customer(telegram_user_id, phone)


def _linked_supplier(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    return (
        select(column)
        .join(SupplierAccount, SupplierAccount.supplier_id == Supplier.id)
        .where(SupplierAccount.telegram_user_id == bindparam("user"))
        .scalar_subquery()
    )


#: What makes a user's role, for the user of the bound parameter `user`: its linked supplier (id,
#: code) and its verified phone. Read in the same statement as the turn's conversation row (see
#: bot.storage.conversations.open_conversation), so a link or phone written a moment ago counts at once.
ROLE_COLUMNS = (
    _linked_supplier(Supplier.id).label("role_supplier_id"),
    _linked_supplier(Supplier.code).label("role_supplier_code"),
    select(Customer.verified_phone)
    .where(Customer.telegram_user_id == bindparam("user"))
    .scalar_subquery()
    .label("role_phone"),
)
#: The role alone, in one round trip (built once: it runs every turn).
_ROLE = select(*ROLE_COLUMNS)


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for the orders `viewer` may see."""
    if viewer.role is Role.STAFF:
        return true()
    if viewer.role is Role.SUPPLIER:
        if viewer.supplier_id is None:
            return false()
        # The orders of its own lines: reached from its lines by key, not by scanning every order.
        return Order.id.in_(select(OrderLine.order_id).where(OrderLine.supplier_id == viewer.supplier_id))
    conditions: list[ColumnElement[bool]] = []
    if viewer.telegram_user_id is not None:
        conditions.append(Order.customer_telegram_id == viewer.telegram_user_id)
    if viewer.verified_phone:
        conditions.append(Order.customer_phone == viewer.verified_phone)
    return or_(*conditions) if conditions else false()


#: Numbers one message may name that are looked up (bounded work on any input).
MAX_NAMED = 8
#: Orders ending in the same digits read for one short form; the exact tail is then checked in Python.
_TAIL_SCAN = 50

#: Orders whose unshipped lines are waiting for their supplier.
TO_SHIP = (OrderStatus.PAID.value, OrderStatus.PACKING.value)


class OrderAccess:
    """Reads orders for one viewer; never returns what the viewer may not see."""

    def __init__(self, session: AsyncSession, viewer: Viewer) -> None:
        self.session = session
        self.viewer = viewer

    async def find(self, order_no: str) -> OrderView | None:
        """The order with this number (in any case/width/dash form), or None if absent or not visible."""
        key = order_key(order_no)
        if not key:
            return None
        orders = await self._load(and_(Order.order_key == key, visible_to(self.viewer)), limit=1)
        return orders[0] if orders else None

    async def find_named(
        self, keys: Sequence[str], short: Sequence[str] = ()
    ) -> tuple[OrderView, str] | None:
        """The order a message names, with the key that named it: the first of `keys` (normalised
        numbers, compared exactly) that is a visible order, else the first of `short` (numbers typed
        without their letter prefix, 251119-006 for KF-251119-006) that is the tail of exactly one
        visible order. A short form of an order the viewer may not see, or of several of its own,
        reads exactly like an unknown number: nothing says such an order exists."""
        wanted = [k for k in dict.fromkeys(order_key(k) for k in keys) if k][:MAX_NAMED]
        if wanted:
            rows = await self.session.execute(
                select(Order.order_key).where(Order.order_key.in_(wanted), visible_to(self.viewer))
            )
            hits = {key for (key,) in rows}
            for key in wanted:
                if key in hits:
                    order = await self.find(key)
                    if order is not None:
                        return order, key
        for key in list(dict.fromkeys(short))[:MAX_NAMED]:
            if not key.isdigit():
                continue  # a short form is digits only, so it holds no LIKE wildcard either
            matches = await self._by_tail(key)
            if len(matches) == 1:
                order = await self.find(matches[0])
                if order is not None:
                    return order, key
        return None

    async def _by_tail(self, tail: str) -> list[str]:
        """The keys of the visible orders whose number is a letter prefix and then `tail` (at most a
        few: more than one is as good as none)."""
        rows = await self.session.execute(
            select(Order.order_key)
            .where(Order.order_key.like(f"%{tail}"), visible_to(self.viewer))
            .limit(_TAIL_SCAN)
        )
        keys = [key for (key,) in rows]
        if len(keys) >= _TAIL_SCAN:
            return []  # so many end in these digits that the one meant cannot be told
        return [key for key in keys if order_tail(key) == tail]

    async def recent(self, limit: int = 20, statuses: Sequence[str] | None = None) -> list[OrderView]:
        """The viewer's orders, newest first."""
        condition = visible_to(self.viewer)
        if statuses:
            condition = and_(condition, Order.status.in_(statuses))
        return await self._load(condition, limit=limit)

    async def to_ship(self, limit: int = 20) -> list[OrderView]:
        """A supplier's to-do list: paid orders in which some of its own lines are in no parcel yet."""
        if self.viewer.role is not Role.SUPPLIER or self.viewer.supplier_id is None:
            return []
        unshipped_own_line = Order.id.in_(
            select(OrderLine.order_id).where(
                OrderLine.supplier_id == self.viewer.supplier_id,
                ~exists().where(ParcelLine.order_line_id == OrderLine.id),
            )
        )
        condition = and_(visible_to(self.viewer), Order.status.in_(TO_SHIP), unshipped_own_line)
        return await self._load(condition, limit=limit)

    async def _load(self, condition: ColumnElement[bool], limit: int) -> list[OrderView]:
        # Four queries whatever the number of orders: orders, their (visible) lines, history, parcels.
        orders = (
            await self.session.execute(
                select(Order.id, Order.order_no, Order.status, Order.created_at)
                .where(condition)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(limit)
            )
        ).all()
        if not orders:
            return []
        ids = [o.id for o in orders]
        line_query = (
            select(
                OrderLine.order_id,
                OrderLine.id,
                Product.sku,
                Product.name_ru,
                Product.name_zh,
                OrderLine.quantity,
                OrderLine.unit_price_cny,
                Supplier.code,
            )
            .join(Product, Product.id == OrderLine.product_id)
            .join(Supplier, Supplier.id == OrderLine.supplier_id)
            .where(OrderLine.order_id.in_(ids))
            .order_by(OrderLine.id)
        )
        if self.viewer.role is Role.SUPPLIER:
            line_query = line_query.where(OrderLine.supplier_id == self.viewer.supplier_id)
        lines: dict[int, list[LineView]] = defaultdict(list)
        for (
            order_id,
            line_id,
            sku,
            name_ru,
            name_zh,
            quantity,
            price,
            supplier_code,
        ) in await self.session.execute(line_query):
            lines[order_id].append(LineView(sku, name_ru, name_zh, quantity, price, supplier_code, line_id))
        history: dict[int, list[EventView]] = defaultdict(list)
        events = await self.session.execute(
            select(
                OrderStatusEvent.order_id,
                OrderStatusEvent.status,
                OrderStatusEvent.changed_at,
                OrderStatusEvent.tracking_no,
            )
            .where(OrderStatusEvent.order_id.in_(ids))
            .order_by(OrderStatusEvent.changed_at, OrderStatusEvent.id)
        )
        for order_id, status, changed_at, tracking_no in events:
            history[order_id].append(EventView(status, changed_at, tracking_no))
        parcels = await self._parcels(ids)
        return [
            OrderView(
                o.order_no, o.status, o.created_at, tuple(lines[o.id]), tuple(history[o.id]), parcels[o.id]
            )
            for o in orders
        ]

    async def _parcels(self, order_ids: list[int]) -> dict[int, tuple[ParcelView, ...]]:
        query = (
            select(
                Parcel.id,
                Parcel.order_id,
                Parcel.tracking_no,
                Parcel.carrier,
                Parcel.destination,
                Parcel.shipped_at,
                Supplier.code,
            )
            .outerjoin(Supplier, Supplier.id == Parcel.supplier_id)
            .where(Parcel.order_id.in_(order_ids))
            .order_by(Parcel.shipped_at, Parcel.id)
        )
        if self.viewer.role is Role.SUPPLIER:
            # Its own parcels only: not the other suppliers', not the shop's.
            query = query.where(Parcel.supplier_id == self.viewer.supplier_id)
        rows = (await self.session.execute(query)).all()
        carried: dict[int, list[int]] = defaultdict(list)
        if rows:
            for parcel_id, line_id in await self.session.execute(
                select(ParcelLine.parcel_id, ParcelLine.order_line_id)
                .where(ParcelLine.parcel_id.in_([r.id for r in rows]))
                .order_by(ParcelLine.order_line_id)
            ):
                carried[parcel_id].append(line_id)
        out: dict[int, list[ParcelView]] = defaultdict(list)
        customer = self.viewer.role is Role.CUSTOMER
        for parcel_id, order_id, tracking, carrier, destination, shipped_at, supplier_code in rows:
            hidden = customer and destination == ParcelDestination.WAREHOUSE
            out[order_id].append(
                ParcelView(
                    parcel_id,
                    None if hidden else tracking,
                    None if hidden else carrier,
                    destination,
                    shipped_at,
                    None if customer else supplier_code,
                    tuple(carried[parcel_id]),
                )
            )
        return defaultdict(tuple, {order_id: tuple(views) for order_id, views in out.items()})


#: Shipment reporting lives in bot.storage.shipments (it uses the rules above); these names are still
#: importable from here for callers not yet moved. Resolved on first use: shipments imports this module.
_MOVED_TO_SHIPMENTS = frozenset(
    {"SHIPPABLE", "NewParcel", "ShipmentOutcome", "ShipmentResult", "report_shipment"}
)


def __getattr__(name: str) -> object:
    if name in _MOVED_TO_SHIPMENTS:
        from bot.storage import shipments

        return getattr(shipments, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
