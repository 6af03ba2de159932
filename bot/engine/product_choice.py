"""Choosing among products by what the catalog says of them: price, and the pack size in the name."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.catalog import ProductFacts
from intents.normalize import fold
from intents.sizes import sizes

_UNITS = ("g", "ml", "pc")


def sizes_of(product: ProductFacts) -> frozenset[str]:
    """Size tokens of a product's names ('1000g'), as a message's sizes are read."""
    return sizes(fold(product.name_ru)) | sizes(fold(product.name_zh))


def pack_size(product: ProductFacts) -> float | None:
    """The weight or volume of one pack, from the name ('… 500 г' -> 500.0), or None."""
    for token in sorted(sizes_of(product)):
        for unit in _UNITS:
            if token.endswith(unit):
                try:
                    return float(token[: -len(unit)])
                except ValueError:
                    continue
    return None


def pick(products: Sequence[ProductFacts], how: str | None) -> ProductFacts:
    """The cheapest, dearest, biggest or smallest of `products` (the first when `how` is None)."""
    if how == "cheapest":
        return min(products, key=lambda p: p.price_cny)
    if how == "dearest":
        return max(products, key=lambda p: p.price_cny)
    if how in ("biggest", "smallest"):
        sized = [(size, p) for p in products if (size := pack_size(p)) is not None]
        if sized:
            chosen = (
                max(sized, key=lambda sp: sp[0]) if how == "biggest" else min(sized, key=lambda sp: sp[0])
            )
            return chosen[1]
    return products[0]
