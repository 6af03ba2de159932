"""Which fact of the order under discussion a follow-up asks for (its tracking numbers, when it comes,
what is in it, or the user's other order). Pure: the engine keeps the order; the phrases are data
(intents/data/order_followups.toml)."""

from __future__ import annotations

import enum
from functools import cache

from intents.normalize import fold
from intents.resources import load


class OrderAspect(enum.StrEnum):
    TRACKING = "tracking"
    WHEN = "when"
    CONTENTS = "contents"
    OTHER = "other"


#: When a message asks for several, the more specific wins ("单号呢，什么时候到" wants the number).
_PRECEDENCE = (OrderAspect.OTHER, OrderAspect.CONTENTS, OrderAspect.TRACKING, OrderAspect.WHEN)


@cache
def _phrases() -> dict[OrderAspect, tuple[str, ...]]:
    data = load("order_followups.toml")
    return {
        aspect: tuple(
            dict.fromkeys(fold(p) for lang in ("zh", "ru") for p in data[aspect.value].get(lang, ()))
        )
        for aspect in OrderAspect
    }


def order_aspect(text: str) -> OrderAspect | None:
    """The fact of an order a message asks for, or None when it asks for none of them."""
    folded = fold(text)
    if not folded:
        return None
    phrases = _phrases()
    for aspect in _PRECEDENCE:
        if any(p in folded for p in phrases[aspect]):
            return aspect
    return None
