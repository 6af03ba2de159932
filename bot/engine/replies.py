"""How products and orders are put into words, in the user's language."""

from __future__ import annotations

from bot.engine.catalog import ProductFacts
from bot.engine.i18n import N_, Translator
from bot.storage.access import OrderView

STATUS_WORDS = {
    "created": N_("created, waiting for payment"),
    "paid": N_("paid, waiting to be packed"),
    "packing": N_("being packed at the warehouse"),
    "shipped": N_("shipped"),
    "customs": N_("in customs clearance"),
    "delivering": N_("out for delivery"),
    "delivered": N_("delivered"),
    "cancelled": N_("cancelled"),
    "refunded": N_("refunded"),
}
#: The same statuses as steps of a timeline ("paid" rather than "paid, waiting to be packed").
EVENT_WORDS = {
    "created": N_("order placed"),
    "paid": N_("payment received"),
    "packing": N_("packing started"),
    "shipped": N_("shipped"),
    "customs": N_("arrived at customs"),
    "delivering": N_("handed to the courier"),
    "delivered": N_("delivered"),
    "cancelled": N_("cancelled"),
    "refunded": N_("refunded"),
}
#: Orders a customer most likely asks about first, and a supplier still has to act on.
ACTIVE_STATUSES = ("created", "paid", "packing", "shipped", "customs", "delivering")
SUPPLIER_TODO = ("created", "paid", "packing")


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
    return f"· {product.name(tr.lang)} — {tr.price(product.price_cny)} ({stock_line(tr, product)})"


def order_card(tr: Translator, order: OrderView, *, for_supplier: bool = False) -> str:
    lines = [
        tr._("Order {order_no}: {status}", order_no=order.order_no, status=status_word(tr, order.status))
    ]
    if order.tracking_no:
        lines.append(tr._("Tracking number: {tracking}", tracking=order.tracking_no))
    if order.lines:
        lines.append(tr._("Your items:") if for_supplier else tr._("Items:"))
        for line in order.lines:
            name = line.name_zh if tr.lang == "zh" else line.name_ru
            lines.append(f"· {name} × {line.quantity} — {tr.price(line.total_cny)}")
        lines.append(tr._("Total: {total}", total=tr.price(order.total_cny)))
    if order.history:
        lines.append(tr._("Progress:"))
        for event in order.history:
            step = tr._(EVENT_WORDS.get(event.status, event.status))
            tracking = f" ({event.tracking_no})" if event.tracking_no and event.status == "shipped" else ""
            lines.append(f"· {tr.format_datetime(event.changed_at)} {step}{tracking}")
    return "\n".join(lines)


def order_summary(tr: Translator, order: OrderView) -> str:
    count = sum(line.quantity for line in order.lines)
    items = tr.n_("{n} item", "{n} items", count)
    return (
        f"· {order.order_no} — {status_word(tr, order.status)}, {items}, {tr.format_date(order.created_at)}"
    )
