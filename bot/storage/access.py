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

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.keys import order_key
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
from bot.storage.types import utcnow


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
    row = (
        await session.execute(
            select(Supplier.id, Supplier.code)
            .join(SupplierAccount, SupplierAccount.supplier_id == Supplier.id)
            .where(SupplierAccount.telegram_user_id == telegram_user_id)
        )
    ).first()
    if row is not None:
        return Viewer.supplier(row.id, row.code, telegram_user_id)
    phone = await session.scalar(
        select(Customer.verified_phone).where(Customer.telegram_user_id == telegram_user_id)
    )
    return Viewer.customer(telegram_user_id, phone)


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for the orders `viewer` may see."""
    if viewer.role is Role.STAFF:
        return true()
    if viewer.role is Role.SUPPLIER:
        if viewer.supplier_id is None:
            return false()
        return exists().where(OrderLine.order_id == Order.id, OrderLine.supplier_id == viewer.supplier_id)
    conditions: list[ColumnElement[bool]] = []
    if viewer.telegram_user_id is not None:
        conditions.append(Order.customer_telegram_id == viewer.telegram_user_id)
    if viewer.verified_phone:
        conditions.append(Order.customer_phone == viewer.verified_phone)
    return or_(*conditions) if conditions else false()


#: Orders a supplier may ship: paid and not yet past shipping (an order is "shipped" once every line is).
SHIPPABLE = (OrderStatus.PAID.value, OrderStatus.PACKING.value, OrderStatus.SHIPPED.value)
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
        unshipped_own_line = exists().where(
            OrderLine.order_id == Order.id,
            OrderLine.supplier_id == self.viewer.supplier_id,
            ~exists().where(ParcelLine.order_line_id == OrderLine.id),
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


class ShipmentOutcome(enum.StrEnum):
    RECORDED = "recorded"
    #: Every number given is already recorded (or, without a number, the lines are already shipped).
    ALREADY_RECORDED = "already_recorded"
    NOT_PAID = "not_paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    #: Already in customs, with the courier or delivered.
    PAST_SHIPPING = "past_shipping"


@dataclass(frozen=True, slots=True)
class ShipmentResult:
    outcome: ShipmentOutcome
    #: The order as the reporter sees it, after the report.
    order: OrderView
    #: The parcels this report added (or gave their number to), as the reporter sees them.
    new_parcels: tuple[ParcelView, ...] = ()
    #: The same order as its customer sees it (warehouse numbers hidden), for the notices.
    customer_order: OrderView | None = None
    #: True when this report shipped the order's last lines (the order is now `shipped`).
    order_shipped: bool = False
    #: Telegram users to tell (the order's customer, and whoever verified its phone).
    notify: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        return self.outcome is ShipmentOutcome.RECORDED


_REFUSED = {
    OrderStatus.CREATED.value: ShipmentOutcome.NOT_PAID,
    OrderStatus.CANCELLED.value: ShipmentOutcome.CANCELLED,
    OrderStatus.REFUNDED.value: ShipmentOutcome.REFUNDED,
}


@dataclass(frozen=True, slots=True)
class NewParcel:
    tracking_no: str
    carrier: str | None


async def report_shipment(
    session: AsyncSession,
    viewer: Viewer,
    order_no: str,
    parcels: Sequence[NewParcel],
    *,
    destination: ParcelDestination = ParcelDestination.CUSTOMER,
) -> ShipmentResult | None:
    """A supplier (or staff) reports parcels of an order: each new tracking number is a parcel carrying
    the reporter's own lines that are in no parcel yet; the order is `shipped` once every line is.

    None when the viewer may not see the order (or it does not exist): the same answer for both.
    A number already recorded for the order changes nothing; an order not paid, cancelled, refunded or
    past shipping is left as it is, with the reason in the outcome.
    """
    if viewer.role is Role.CUSTOMER:
        return None
    order = await session.scalar(
        select(Order).where(Order.order_key == order_key(order_no), visible_to(viewer)).with_for_update()
    )
    if order is None:
        return None
    access = OrderAccess(session, viewer)
    refused = _REFUSED.get(order.status) or (
        ShipmentOutcome.PAST_SHIPPING if order.status not in SHIPPABLE else None
    )
    if refused is not None:
        return await _result(access, order, refused)

    supplier_id = viewer.supplier_id if viewer.role is Role.SUPPLIER else None
    all_lines = (
        await session.execute(
            select(OrderLine.id, OrderLine.supplier_id).where(OrderLine.order_id == order.id)
        )
    ).all()
    own = [
        line_id for line_id, line_supplier in all_lines if supplier_id is None or line_supplier == supplier_id
    ]
    shipped = set(
        (
            await session.execute(
                select(ParcelLine.order_line_id)
                .join(Parcel, Parcel.id == ParcelLine.parcel_id)
                .where(Parcel.order_id == order.id)
            )
        ).scalars()
    )
    existing = (await session.execute(select(Parcel).where(Parcel.order_id == order.id))).scalars().all()
    known = {p.tracking_no for p in existing if p.tracking_no}
    # A parcel reported earlier without its number gets the first new number.
    awaiting_number = [p for p in existing if p.tracking_no is None and p.supplier_id == supplier_id]
    unshipped = [line_id for line_id in own if line_id not in shipped]
    fresh = [p for p in dict((p.tracking_no, p) for p in parcels).values() if p.tracking_no not in known]
    actor = viewer.supplier_code or (str(viewer.telegram_user_id) if viewer.telegram_user_id else None)
    now = utcnow()

    touched: list[Parcel] = []
    if not parcels:
        if unshipped:
            touched.append(_parcel(order.id, supplier_id, None, None, destination, unshipped, actor, now))
    for new in fresh:
        if awaiting_number:
            parcel = awaiting_number.pop(0)
            parcel.tracking_no, parcel.carrier, parcel.destination = new.tracking_no, new.carrier, destination
            touched.append(parcel)
        else:
            carried = unshipped or own  # all its lines already travel: another box of the same goods
            touched.append(
                _parcel(order.id, supplier_id, new.tracking_no, new.carrier, destination, carried, actor, now)
            )
    if not touched:
        return await _result(access, order, ShipmentOutcome.ALREADY_RECORDED)
    session.add_all(touched)
    await session.flush()

    order_shipped = False
    if order.status != OrderStatus.SHIPPED and shipped.union(unshipped) >= {
        line_id for line_id, _ in all_lines
    }:
        order.status = OrderStatus.SHIPPED.value
        session.add(
            OrderStatusEvent(
                order_id=order.id,
                status=OrderStatus.SHIPPED.value,
                changed_at=now,
                actor=viewer.role.value,
                actor_id=actor,
            )
        )
        order_shipped = True
        await session.flush()

    notify: set[int] = set()
    if order.customer_telegram_id:
        notify.add(order.customer_telegram_id)
    if order.customer_phone:
        phones = await session.execute(
            select(Customer.telegram_user_id).where(Customer.verified_phone == order.customer_phone)
        )
        notify.update(phones.scalars())
    customer = Viewer.customer(order.customer_telegram_id, order.customer_phone)
    customer_order = await OrderAccess(session, customer).find(order.order_no)
    touched_ids = {p.id for p in touched}
    result = await _result(access, order, ShipmentOutcome.RECORDED)
    return ShipmentResult(
        ShipmentOutcome.RECORDED,
        result.order,
        tuple(p for p in result.order.parcels if p.id in touched_ids),
        customer_order,
        order_shipped,
        tuple(sorted(notify)) if customer_order is not None else (),
    )


def _parcel(
    order_id: int,
    supplier_id: int | None,
    tracking_no: str | None,
    carrier: str | None,
    destination: ParcelDestination,
    line_ids: Sequence[int],
    actor: str | None,
    at: datetime,
) -> Parcel:
    parcel = Parcel(
        order_id=order_id,
        supplier_id=supplier_id,
        tracking_no=tracking_no,
        carrier=carrier,
        destination=destination.value,
        shipped_at=at,
        reported_by=actor,
    )
    parcel.lines = [ParcelLine(order_line_id=line_id) for line_id in line_ids]
    return parcel


async def _result(access: OrderAccess, order: Order, outcome: ShipmentOutcome) -> ShipmentResult:
    view = await access.find(order.order_no)
    assert view is not None  # the reporter was just allowed to see it
    return ShipmentResult(outcome, view)
