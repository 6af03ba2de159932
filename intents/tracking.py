"""Tracking numbers: what one looks like, which carrier its format names, and finding them in a message.

A supplier may send several numbers at once (`RA123456789RU/RA123456790RU`, one per line, with commas
or spaces): each is its own parcel, so numbers are cut at every separator and never joined together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from intents.normalize import nfkc

MIN_LENGTH, MAX_LENGTH = 9, 30
#: More numbers than this in one message is not a shipment report but a paste gone wrong.
MAX_PER_MESSAGE = 20

_NUMBER_RE = re.compile(r"^[A-Z0-9]+$")
# Letters and digits, possibly joined by dashes (order numbers are: KF-251119-006).
_TOKEN_RE = re.compile(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*")
# UPU S10: two letters, eight digits and a check digit, the country of origin (RA123456789RU).
_S10_RE = re.compile(r"^([A-Z]{2})\d{9}([A-Z]{2})$")
_CARRIER_FORMATS = (
    ("sf", re.compile(r"^SF\d{12,13}$")),
    ("yunexpress", re.compile(r"^YT\d{16}$")),
    ("cdek", re.compile(r"^\d{10}$")),
)
# Chinese mobile numbers and dates are not parcels (a supplier may add its phone or the date).
_PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|(?:7|8)9\d{9})$")
_DATE_RE = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
# "to the shop's warehouse" rather than to the shopper.
_WAREHOUSE_RE = re.compile(
    r"(?<![А-Яа-яЁё])(?:на|до)\s+(?:ваш\w*\s+|наш\w*\s+|магазин\w*\s+)?склад"
    r"|(?:发|送|运|寄|转)?(?:到|往|至|进|入)(?:你们|贵司|贵公司|您|店铺|店里|商城|我们)?的?仓"
    r"|(?<![A-Za-z])warehouse",
    re.IGNORECASE,
)


def normalize_tracking(text: str) -> str:
    """'ｒａ１２３４５６７８９ｒｕ ' -> 'RA123456789RU'."""
    return nfkc(text).strip().upper()


def is_tracking_number(number: str) -> bool:
    """Letters and digits only, 9 to 30 characters, at least six digits (a word is not a number)."""
    return (
        MIN_LENGTH <= len(number) <= MAX_LENGTH
        and _NUMBER_RE.match(number) is not None
        and sum(c.isdigit() for c in number) >= 6
    )


def carrier_of(number: str) -> str | None:
    """The carrier a number's format names (russian_post, ems, sf, yunexpress, cdek), else None."""
    s10 = _S10_RE.match(number)
    if s10 is not None:
        if s10.group(2) != "RU":
            return None
        return "ems" if s10.group(1).startswith("E") else "russian_post"
    for carrier, pattern in _CARRIER_FORMATS:
        if pattern.match(number):
            return carrier
    return None


# Carriers a supplier may name next to a number whose format does not say whose it is: a known code
# (shown in the reader's language) or the name as the shop's customers know it.
_WRITTEN_CARRIERS = (
    (re.compile(r"сд[эе]к|cdek", re.IGNORECASE), "cdek"),
    (re.compile(r"почт\w*\s+росс|russian\s+post|俄罗斯邮政|俄邮", re.IGNORECASE), "russian_post"),
    (re.compile(r"(?<![A-Za-z])ems(?![A-Za-z])|емс", re.IGNORECASE), "ems"),
    (re.compile(r"顺丰|sf\s*express", re.IGNORECASE), "sf"),
    (re.compile(r"云途|yunexpress", re.IGNORECASE), "yunexpress"),
    (re.compile(r"boxberry|боксберри", re.IGNORECASE), "Boxberry"),
    (re.compile(r"(?<![A-Za-z])dhl(?![A-Za-z])", re.IGNORECASE), "DHL"),
    (re.compile(r"(?<![А-Яа-яЁё])пэк(?![А-Яа-яЁё])", re.IGNORECASE), "ПЭК"),
    (re.compile(r"делов\w*\s+лини", re.IGNORECASE), "Деловые Линии"),
    (re.compile(r"中通"), "中通快递"),
    (re.compile(r"圆通"), "圆通速递"),
    (re.compile(r"韵达"), "韵达快递"),
    (re.compile(r"申通"), "申通快递"),
    (re.compile(r"京东"), "京东物流"),
    (re.compile(r"极兔"), "极兔速递"),
    (re.compile(r"中国邮政"), "中国邮政"),
)


def written_carrier(text: str) -> str | None:
    """The one carrier a message names (СДЭК, 中通, Boxberry...), or None when it names none or several."""
    folded = nfkc(text)
    found = {carrier for pattern, carrier in _WRITTEN_CARRIERS if pattern.search(folded)}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class TrackingScan:
    numbers: tuple[str, ...]
    #: Number-like pieces that are not valid tracking numbers (too short, too long...).
    rejected: tuple[str, ...]


def find_tracking_numbers(text: str, exclude: Iterable[str] = ()) -> TrackingScan:
    """The tracking numbers in a message, in order, each once.

    `exclude` holds normalised order numbers (the order the message names is not a parcel). Pieces
    with dashes are order numbers or dates, never tracking numbers; pieces with fewer than five
    digits are quantities and prices.
    """
    skip = set(exclude)
    numbers: dict[str, None] = {}
    rejected: dict[str, None] = {}
    for match in _TOKEN_RE.finditer(nfkc(text)):
        token = match.group()
        if "-" in token:
            continue
        number = token.upper()
        if number in numbers or any(number in key for key in skip):
            continue  # the order number, or a piece of it typed with spaces (KF 251119 006)
        if _PHONE_RE.match(number) or _DATE_RE.match(number):
            continue
        if is_tracking_number(number):
            numbers[number] = None
        elif sum(c.isdigit() for c in number) >= 5:
            rejected[token] = None
    found = tuple(numbers)
    if len(found) > MAX_PER_MESSAGE:
        return TrackingScan(found[:MAX_PER_MESSAGE], (*rejected, *found[MAX_PER_MESSAGE:]))
    return TrackingScan(found, tuple(rejected))


def to_warehouse(text: str) -> bool:
    """Whether the message says the goods went to the shop's warehouse ("отгрузили на склад", 发到仓库)."""
    return _WAREHOUSE_RE.search(nfkc(text)) is not None
