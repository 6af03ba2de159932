"""Column types and constraints behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, StatementError

from bot.storage.keys import contact_phone, normalize_phone, order_key
from bot.storage.models import Order, Product
from bot.storage.runtime import Database


async def test_money_is_exact_and_times_keep_their_instant(shop: Database) -> None:
    async with shop.sessions.begin() as session:
        await session.execute(
            update(Product).where(Product.sku == "KVAS-OCH-15").values(price_cny=Decimal("0.10"))
        )
    async with shop.sessions() as session:
        price = await session.scalar(select(Product.price_cny).where(Product.sku == "KVAS-OCH-15"))
        created = await session.scalar(select(Order.created_at).where(Order.order_no == "KF-250121-005"))
    assert price == Decimal("0.10") and str(price) == "0.10"
    assert created == datetime(2025, 1, 21, 8, 0, tzinfo=timezone(timedelta(hours=3)))
    assert created is not None and created.tzinfo is not None


async def test_constraints_refuse_impossible_rows(shop: Database) -> None:
    with pytest.raises(IntegrityError):
        async with shop.sessions.begin() as session:
            await session.execute(update(Product).values(stock=-1))
    with pytest.raises(IntegrityError):
        async with shop.sessions.begin() as session:
            await session.execute(update(Order).values(status="lost"))
    with pytest.raises(StatementError):
        async with shop.sessions.begin() as session:
            await session.execute(update(Order).values(created_at=datetime(2025, 1, 1)))  # naive


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("KF-250117-003", "KF250117003"),
        ("ＫＦ－２５０１１７－００３", "KF250117003"),
        ("kf 250117 003", "KF250117003"),
        ("", ""),
    ],
)
def test_order_key(raw: str, key: str) -> None:
    assert order_key(raw) == key


@pytest.mark.parametrize(
    ("raw", "region", "phone"),
    [
        ("+86 138-1234-5678", "CN", "+8613812345678"),
        ("8613812345678", "CN", "+8613812345678"),
        ("13812345678", "CN", "+8613812345678"),
        ("+7 (914) 555-01-01", "CN", "+79145550101"),
        ("89145550101", "RU", "+79145550101"),
        ("8 914 555-01-01", "RU", "+79145550101"),
        ("0086 138 1234 5678", "CN", "+8613812345678"),
        ("１３８１２３４５６７８", "CN", "+8613812345678"),
        ("13804561234", "CN", "+8613804561234"),
        ("13804561234", "US", "+13804561234"),  # the region decides, nothing else
        ("89145550101", "CN", None),  # a Russian national form is not Chinese
        ("12", "CN", None),
        ("phone", "CN", None),
        ("1-800-FLOWERS", "US", None),
        ("+86 138 1234 5678 ext. 9", "CN", None),
    ],
)
def test_imported_phones_are_e164_or_national_in_the_given_region(
    raw: str, region: str, phone: str | None
) -> None:
    assert normalize_phone(raw, region) == phone


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13804561234", "+13804561234"),  # US/Canada as Telegram sends it, not China's +86 138 0456 1234
        ("+13804561234", "+13804561234"),
        ("8613804561234", "+8613804561234"),
        ("+8613804561234", "+8613804561234"),
        ("84951234567", "+84951234567"),  # Vietnam, not a Russian trunk 8
        ("79145550101", "+79145550101"),
        ("99966123456", None),  # no such country code
        ("12", None),
        ("+86 abc", None),
        ("٨٦١٣٨٠٤٥٦١٢٣٤", None),
    ],
)
def test_a_telegram_contact_is_international_digits_never_read_with_a_region(
    raw: str, phone: str | None
) -> None:
    assert contact_phone(raw) == phone
