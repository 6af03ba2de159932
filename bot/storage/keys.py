"""Lookup keys: the forms in which order numbers and phone numbers are compared."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from intents.orders import normalize_order_no
from intents.orders import order_tail as order_tail

#: What a person may put between the digits of a phone number in a file or a terminal.
_SEPARATORS = re.compile(r"[\s\-.()/]")
#: An imported phone: an optional "+", then ASCII digits and separators only (no letters: libphonenumber
#: would read "1-800-FLOWERS" as digits, and no extensions).
_IMPORTED = re.compile(r"\+?[0-9\s\-.()/]+")


def order_key(order_no: str) -> str:
    """`ＫＦ－２５０１１７－００３`, `kf 250117 003` and `KF-250117-003` all give `KF250117003`.

    The one definition is the matcher's (intents.normalize_order_no): the key stored with each order
    must be exactly what the matcher extracts from a message. Compared exactly, never fuzzily: one
    digit off is someone else's order.
    """
    return normalize_order_no(order_no)


def contact_phone(raw: str) -> str | None:
    """The E.164 form (`+8613812345678`) of a phone shared as a Telegram contact; None if it is none.

    Telegram gives international digits with the country code, with or without "+"
    (`13804561234` is a US/Canada number, `84…` Vietnamese). It is never read with a default region:
    that would turn one person's number into another's and unlock their orders. Telegram vouches for
    the number, so a possible length for its country is enough (libphonenumber's list of allocated
    ranges may lag behind a carrier's new ones).
    """
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).removeprefix("+")
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 17:
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str, region: str) -> str | None:
    """The E.164 form of a phone from a shop's file; None when it is not a valid number.

    E.164 with any spacing (`+86 138-1234-5678`, also `0086…` where the region dials 00 abroad), or
    the national form of `region` (`13812345678` with CN, `8 914 555-01-01` with RU).
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > 40 or not _IMPORTED.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_phone_region(region: str) -> bool:
    """A two-letter region libphonenumber knows (`CN`, `RU`, `US`, ...)."""
    return region in phonenumbers.SUPPORTED_REGIONS
