"""Lookup keys: the forms in which order numbers and phone numbers are compared."""

from __future__ import annotations

import re
import unicodedata

from intents.orders import normalize_order_no

_NON_DIGIT = re.compile(r"\D")


def order_key(order_no: str) -> str:
    """`ＫＦ－２５０１１７－００３`, `kf 250117 003` and `KF-250117-003` all give `KF250117003`.

    The one definition is the matcher's (intents.normalize_order_no): the key stored with each order
    must be exactly what the matcher extracts from a message. Compared exactly, never fuzzily: one
    digit off is someone else's order.
    """
    return normalize_order_no(order_no)


def normalize_phone(raw: str) -> str | None:
    """A comparable phone number, `+<country><number>`; None when it cannot be one.

    Telegram contacts come as `8613812345678` or `+8613812345678`, shop files as `+86 138-1234-5678`
    or a bare Chinese mobile `13812345678`; Russian numbers may start with 8 instead of +7.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1") and not text.startswith("+"):
        digits = "86" + digits  # a Chinese mobile written without the country code
    elif len(digits) == 11 and digits.startswith("8") and not text.startswith("+"):
        digits = "7" + digits[1:]  # Russian trunk prefix 8 -> +7
    if not 8 <= len(digits) <= 15:
        return None
    return "+" + digits
