"""Checks for one cell each: they record a plain-words problem and return None when a value is bad."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from bot.importing.problems import Problem
from bot.importing.reader import Row, Table
from bot.storage.keys import normalize_phone

_CURRENCY_MARKS = re.compile(r"(?i)^\s*(?:¥|￥|cny|rmb)\s*|\s*(?:元|cny|rmb|¥|￥)\s*$")
# ASCII only: int() and Decimal() also take "٣" (Arabic-Indic three) and "1_000", which no shop means.
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
#: PostgreSQL's INTEGER (stock, quantities); SQLite would store more, so both refuse it here alike.
INT32_MAX = 2**31 - 1
#: Telegram user ids fit in 52 bits (Bot API); the columns are BIGINT.
TELEGRAM_ID_MAX = 2**52
#: Dates an order can have; outside them a time zone shift can overflow the database's range.
_YEARS = range(1970, 3000)


def _whole(text: str) -> int | None:
    """An ASCII whole number, clamped to ±10**20 (int() refuses more than 4,300 digits, and no column
    holds more than 19); None when it is not one."""
    if not _WHOLE.fullmatch(text):
        return None
    digits = text.lstrip("+-").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 20 else 10**20
    return -value if text.startswith("-") else value


def positive_quantity(text: str) -> int | None:
    """A quantity of an order line: ASCII digits, 1 to INT32_MAX; None otherwise."""
    value = _whole(text) if text[:1] not in ("+", "-") else None
    return value if value is not None and 0 < value <= INT32_MAX else None


class RowCheck:
    """Collects the problems of one row."""

    def __init__(self, table: Table, row: Row, problems: list[Problem]) -> None:
        self.table = table
        self.row = row
        self.problems = problems
        self.ok = True

    def fail(self, column: str | None, reason: str) -> None:
        self.ok = False
        where = self.table.where(column) if column else None
        self.problems.append(Problem(self.table.file, self.row.line, where, reason))

    def get(self, column: str) -> str:
        return self.row.values.get(column, "")

    def text(self, column: str, *, required: bool = False, max_length: int = 255) -> str | None:
        value = self.get(column)
        if not value:
            if required:
                self.fail(column, f"{column} is missing (it is required)")
            return None
        if len(value) > max_length:
            self.fail(column, f"{column} is {len(value)} characters long; at most {max_length} fit")
            return None
        return value

    def code(self, column: str, *, required: bool = True) -> str | None:
        value = self.text(column, required=required, max_length=64)
        if value is not None and any(ch.isspace() for ch in value):
            self.fail(column, f"{column} '{value}' contains spaces")
            return None
        return value

    def price(self, column: str) -> Decimal | None:
        raw = self.get(column)
        if not raw:
            self.fail(column, f"{column} is missing (it is required)")
            return None
        cleaned = _CURRENCY_MARKS.sub("", raw).replace(" ", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")  # 12,90 from a Russian-locale spreadsheet
        try:
            if not _DECIMAL.fullmatch(cleaned):
                raise InvalidOperation
            value = Decimal(cleaned)
        except InvalidOperation:
            self.fail(column, f'{column} "{raw}" is not a price (write a number like 12.90)')
            return None
        if not value.is_finite() or value < 0:
            self.fail(column, f'{column} "{raw}" must be zero or more')
            return None
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            self.fail(column, f'{column} "{raw}" has more than 2 decimal places')
            return None
        if value >= Decimal("100000000"):
            self.fail(column, f'{column} "{raw}" is too large for a price')
            return None
        return value.quantize(Decimal("0.01"))

    def whole_number(
        self, column: str, *, required: bool, minimum: int = 0, maximum: int = INT32_MAX
    ) -> int | None:
        raw = self.get(column)
        if not raw:
            if required:
                self.fail(column, f"{column} is missing (it is required)")
            return None
        value = _whole(raw)
        if value is None:
            self.fail(column, f'{column} "{raw}" is not a whole number (write digits 0-9 only)')
            return None
        if value < minimum:
            self.fail(column, f'{column} "{raw}" must be {minimum} or more')
            return None
        if value > maximum:
            self.fail(column, f'{column} "{raw}" is too large (at most {maximum:,})')
            return None
        return value

    def telegram_id(self, column: str) -> int | None:
        raw = self.get(column)
        if not raw:
            return None
        value = _whole(raw) if raw[0] not in "+-" else None
        if value is None or not 0 < value <= TELEGRAM_ID_MAX:
            self.fail(column, f'{column} "{raw}" is not a Telegram user id (a positive whole number)')
            return None
        return value

    def phone(self, column: str) -> str | None:
        raw = self.get(column)
        if not raw:
            return None
        region = self.table.phone_region
        value = normalize_phone(raw, region)
        if value is None:
            self.fail(
                column,
                f'{column} "{raw}" is not a phone number (write it with its country code like '
                f"+8613812345678, or in the national form of {region})",
            )
        return value

    def timestamp(self, column: str) -> datetime | None:
        raw = self.get(column)
        if not raw:
            self.fail(column, f"{column} is missing (it is required)")
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        except ValueError:
            self.fail(
                column, f'{column} "{raw}" is not an ISO 8601 date and time like 2025-01-17T10:30:00+08:00'
            )
            return None
        if value.tzinfo is None:
            self.fail(column, f'{column} "{raw}" has no time zone offset (add one, like +08:00)')
            return None
        if value.year not in _YEARS:
            self.fail(column, f'{column} "{raw}" is not a plausible date (the year must be 1970 to 2999)')
            return None
        return value
