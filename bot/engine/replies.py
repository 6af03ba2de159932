"""How products and orders are put into words, in the user's language."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.catalog import ProductFacts
from bot.engine.i18n import N_, Translator
from bot.storage.access import LineView, OrderView, ParcelView
from bot.storage.models import OrderStatus

STATUS_WORDS: dict[str, str] = {
    OrderStatus.CREATED: N_("created, waiting for payment"),
    OrderStatus.PAID: N_("paid, waiting to be packed"),
    OrderStatus.PACKING: N_("being packed at the warehouse"),
    OrderStatus.SHIPPED: N_("shipped"),
    OrderStatus.CUSTOMS: N_("in customs clearance"),
    OrderStatus.DELIVERING: N_("out for delivery"),
    OrderStatus.DELIVERED: N_("delivered"),
    OrderStatus.CANCELLED: N_("cancelled"),
    OrderStatus.REFUNDED: N_("refunded"),
}
#: The same statuses as steps of a timeline ("paid" rather than "paid, waiting to be packed").
EVENT_WORDS: dict[str, str] = {
    OrderStatus.CREATED: N_("order placed"),
    OrderStatus.PAID: N_("payment received"),
    OrderStatus.PACKING: N_("packing started"),
    OrderStatus.SHIPPED: N_("shipped"),
    OrderStatus.CUSTOMS: N_("arrived at customs"),
    OrderStatus.DELIVERING: N_("handed to the courier"),
    OrderStatus.DELIVERED: N_("delivered"),
    OrderStatus.CANCELLED: N_("cancelled"),
    OrderStatus.REFUNDED: N_("refunded"),
}
#: Carriers recognised from a tracking number's format (intents.tracking.carrier_of).
CARRIER_NAMES = {
    "russian_post": N_("Russian Post"),
    "ems": N_("EMS Russian Post"),
    "sf": N_("SF Express"),
    "yunexpress": N_("YunExpress"),
    "cdek": N_("CDEK"),
}
#: Orders a customer most likely asks about first.
ACTIVE_STATUSES = (
    OrderStatus.CREATED,
    OrderStatus.PAID,
    OrderStatus.PACKING,
    OrderStatus.SHIPPED,
    OrderStatus.CUSTOMS,
    OrderStatus.DELIVERING,
)
#: While an order is in these, its lines in no parcel are "still being prepared".
PREPARING = (OrderStatus.PAID, OrderStatus.PACKING)


def status_word(tr: Translator, status: str) -> str:
    return tr._(STATUS_WORDS.get(status, status))


def stock_line(tr: Translator, product: ProductFacts) -> str:
    if product.stock <= 0:
        return tr._("out of stock")
    if product.stock < 10:
        return tr.n_("only {n} left", "only {n} left", product.stock)
    return tr._("in stock")


def product_card(tr: Translator, product: ProductFacts) -> str:
    lines = [
        product.name(tr.lang),
        tr._("Price: {price} · {stock}", price=tr.price(product.price_cny), stock=stock_line(tr, product)),
    ]
    description = product.description(tr.lang)
    if description:
        lines.append(description)
    return "\n".join(lines)


def product_line(tr: Translator, product: ProductFacts) -> str:
    """One product in a list: '· name — price (stock)', in the order and punctuation of the language."""
    return tr._(
        "· {name} — {price} ({stock})",
        name=product.name(tr.lang),
        price=tr.price(product.price_cny),
        stock=stock_line(tr, product),
    )


def choice_heading(tr: Translator, *, category: str | None, brand: bool, variants: bool) -> str:
    """What a list of products to choose from is: a category, a brand, one product's sizes, or matches."""
    if category is not None:
        return tr._("Here is what we have in this category:")
    if brand:
        return tr._("Here is what we have of this brand:")
    if variants:
        return tr._("We have it in several sizes:")
    return tr._("Here is what I found:")


def carrier_name(tr: Translator, carrier: str | None) -> str | None:
    if carrier is None:
        return None
    return tr._(CARRIER_NAMES[carrier]) if carrier in CARRIER_NAMES else carrier


def tracking_line(tr: Translator, parcel: ParcelView) -> str:
    """'Tracking number: RA123456789RU (Russian Post)', or that the number will follow."""
    if parcel.tracking_no is None:
        return tr._("We'll send you the tracking number as soon as we have it.")
    carrier = carrier_name(tr, parcel.carrier)
    if carrier:
        return tr._("Tracking number: {tracking} ({carrier})", tracking=parcel.tracking_no, carrier=carrier)
    return tr._("Tracking number: {tracking}", tracking=parcel.tracking_no)


def _parcel_label(tr: Translator, parcel: ParcelView) -> str:
    if parcel.to_warehouse:
        if parcel.tracking_no:  # the sender (or staff) sees the freight number; a shopper never does
            return tr._("To our warehouse, waybill {tracking}", tracking=parcel.tracking_no)
        return tr._("On its way to our warehouse")
    if parcel.tracking_no is None:
        return tr._("Shipped, tracking number to follow")
    carrier = carrier_name(tr, parcel.carrier)
    if carrier:
        return tr._("On its way: {tracking} ({carrier})", tracking=parcel.tracking_no, carrier=carrier)
    return tr._("On its way: {tracking}", tracking=parcel.tracking_no)


def _name(tr: Translator, line: LineView) -> str:
    return line.name_zh if tr.lang == "zh" else line.name_ru


def _item(tr: Translator, line: LineView) -> str:
    return tr._("{name} × {quantity}", name=_name(tr, line), quantity=line.quantity)


def bullet(tr: Translator, text: str) -> str:
    """One line of a list."""
    return tr._("· {line}", line=text)


def shipping_lines(tr: Translator, order: OrderView) -> list[str]:
    """Where each item is: which parcel carries it (with its number and carrier), or still being prepared.

    Parcels of the same goods by the same carrier read as one line with their numbers together.
    """
    if not order.parcels:
        return []
    items = {line.id: _item(tr, line) for line in order.lines}
    onward = {i for p in order.parcels if not p.to_warehouse for i in p.line_ids}
    groups: dict[tuple[object, ...], tuple[ParcelView, dict[int, None]]] = {}
    covered: set[int] = set()
    for parcel in order.parcels:
        ids = [i for i in parcel.line_ids if i in items]
        covered.update(ids)
        key: tuple[object, ...]
        if parcel.to_warehouse and parcel.tracking_no is None:
            ids = [i for i in ids if i not in onward]  # the shop's own parcel carries them on now
            key = ("warehouse",)
        else:
            key = (parcel.destination, parcel.carrier, parcel.tracking_no is None, tuple(ids))
        if not ids:
            continue
        if key in groups:
            first, carried = groups[key]
            numbers = tr._(", ").join(n for n in (first.tracking_no, parcel.tracking_no) if n) or None
            groups[key] = (replace(first, tracking_no=numbers), carried)
            carried.update(dict.fromkeys(ids))
        else:
            groups[key] = (parcel, dict.fromkeys(ids))
    separator = tr._(", ")
    out = [
        tr._("{where}: {items}", where=_parcel_label(tr, parcel), items=separator.join(items[i] for i in ids))
        for parcel, ids in groups.values()
    ]
    pending = [items[i] for i in items if i not in covered]
    if pending and order.status in PREPARING:
        out.append(
            tr._("{where}: {items}", where=tr._("Still being prepared"), items=separator.join(pending))
        )
    return [tr._("Shipping:"), *(bullet(tr, line) for line in out)] if out else []


def order_card(tr: Translator, order: OrderView, *, for_supplier: bool = False) -> str:
    lines = [
        tr._("Order {order_no}: {status}", order_no=order.order_no, status=status_word(tr, order.status))
    ]
    if order.lines:
        lines.append(tr._("Your items:") if for_supplier else tr._("Items:"))
        for line in order.lines:
            lines.append(
                tr._(
                    "· {name} × {quantity} — {total}",
                    name=_name(tr, line),
                    quantity=line.quantity,
                    total=tr.price(line.total_cny),
                )
            )
        lines.append(tr._("Total: {total}", total=tr.price(order.total_cny)))
    lines += shipping_lines(tr, order)
    if order.history:
        lines.append(tr._("Progress:"))
        for event in order.history:
            # Tracking numbers are shown per parcel above, never from the history (it is the whole order's).
            step = tr._(EVENT_WORDS.get(event.status, event.status))
            lines.append(tr._("· {when} {event}", when=tr.format_datetime(event.changed_at), event=step))
    return "\n".join(lines)


def parcel_notice(tr: Translator, order: OrderView, parcel: ParcelView, *, whole_order: bool) -> str:
    """What a customer is told about one new parcel of its order, in its language."""
    items = {line.id: line for line in order.lines}
    carried = [bullet(tr, _item(tr, items[i])) for i in parcel.line_ids if i in items]
    if parcel.to_warehouse:
        head = tr._(
            "Items of your order {order_no} are on their way to our warehouse:", order_no=order.order_no
        )
        tail = tr._("We'll send you the tracking number once they leave our warehouse.")
        return "\n".join([head, *carried, tail])
    if whole_order:
        head = tr._("Good news: your order {order_no} has been shipped.", order_no=order.order_no)
        return "\n".join([head, tracking_line(tr, parcel)])
    head = tr._("Good news: items of your order {order_no} have been shipped:", order_no=order.order_no)
    return "\n".join([head, *carried, tracking_line(tr, parcel)])


def whole_order_shipped(tr: Translator) -> str:
    return tr._("All items of your order are now on their way.")


def order_summary(tr: Translator, order: OrderView) -> str:
    """One order in a list: its number, state, how many pieces and the day it was placed."""
    return tr.n_(
        "· {order_no} — {status}, {n} piece, {date}",
        "· {order_no} — {status}, {n} pieces, {date}",
        sum(line.quantity for line in order.lines),
        order_no=order.order_no,
        status=status_word(tr, order.status),
        date=tr.format_date(order.created_at),
    )
