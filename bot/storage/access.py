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
    OrderStatusEvent,
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

    @property
    def total_cny(self) -> Decimal:
        return self.unit_price_cny * self.quantity


@dataclass(frozen=True, slots=True)
class EventView:
    status: str
    changed_at: datetime
    tracking_no: str | None


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as one viewer may see it (a supplier's view holds only its own lines)."""

    order_no: str
    status: str
    created_at: datetime
    tracking_no: str | None
    lines: tuple[LineView, ...]
    history: tuple[EventView, ...]

    @property
    def total_cny(self) -> Decimal:
        return sum((line.total_cny for line in self.lines), Decimal("0.00"))


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

    async def _load(self, condition: ColumnElement[bool], limit: int) -> list[OrderView]:
        # Three queries whatever the number of orders: orders, their (visible) lines, their history.
        orders = (
            await self.session.execute(
                select(Order.id, Order.order_no, Order.status, Order.created_at, Order.tracking_no)
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
        for order_id, sku, name_ru, name_zh, quantity, price, supplier_code in await self.session.execute(
            line_query
        ):
            lines[order_id].append(LineView(sku, name_ru, name_zh, quantity, price, supplier_code))
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
        return [
            OrderView(
                o.order_no, o.status, o.created_at, o.tracking_no, tuple(lines[o.id]), tuple(history[o.id])
            )
            for o in orders
        ]


#: A supplier may report shipment of an order in these states (later states are past shipping).
SHIPPABLE = ("created", "paid", "packing", "shipped")


@dataclass(frozen=True, slots=True)
class ShipmentResult:
    order: OrderView
    changed: bool
    #: Telegram users to tell (the order's customer, and whoever verified its phone).
    notify: tuple[int, ...]


async def report_shipment(
    session: AsyncSession, viewer: Viewer, order_no: str, tracking_no: str | None
) -> ShipmentResult | None:
    """A supplier (or staff) reports an order shipped: status -> shipped, tracking saved, history kept.

    None when the viewer may not see the order (or it does not exist): the same answer for both.
    The order is left as it is (changed=False) when it is already past shipping.
    """
    if viewer.role is Role.CUSTOMER:
        return None
    key = order_key(order_no)
    order = await session.scalar(
        select(Order).where(Order.order_key == key, visible_to(viewer)).with_for_update()
    )
    if order is None:
        return None
    changed = False
    if order.status in SHIPPABLE and (
        order.status != "shipped" or (tracking_no and tracking_no != order.tracking_no)
    ):
        order.status = "shipped"
        if tracking_no:
            order.tracking_no = tracking_no
        session.add(
            OrderStatusEvent(
                order_id=order.id,
                status="shipped",
                changed_at=utcnow(),
                actor=viewer.role.value,
                actor_id=viewer.supplier_code
                or (str(viewer.telegram_user_id) if viewer.telegram_user_id else None),
                tracking_no=tracking_no,
            )
        )
        changed = True
    await session.flush()
    notify: set[int] = set()
    if changed:
        if order.customer_telegram_id:
            notify.add(order.customer_telegram_id)
        if order.customer_phone:
            phones = await session.execute(
                select(Customer.telegram_user_id).where(Customer.verified_phone == order.customer_phone)
            )
            notify.update(phones.scalars())
    view = await OrderAccess(session, viewer).find(order.order_no)
    assert view is not None
    return ShipmentResult(view, changed, tuple(sorted(notify)))
