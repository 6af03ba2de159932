"""Shipment reports: a supplier (or staff) says which parcels of an order left, with their numbers.

Which order a reporter may touch, and what of it the reporter and the customer may see afterwards, is
decided by the rules of bot.storage.access (`visible_to`, `OrderAccess`); this module only records.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.access import OrderAccess, OrderView, ParcelView, Role, Viewer, visible_to
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
)
from bot.storage.types import utcnow

#: Orders a supplier may ship: paid and not yet past shipping (an order is "shipped" once every line is).
SHIPPABLE = (OrderStatus.PAID.value, OrderStatus.PACKING.value, OrderStatus.SHIPPED.value)


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
