"""Column types and constraints behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, StatementError

from bot.storage.keys import normalize_phone, order_key
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
    ("raw", "phone"),
    [
        ("+86 138-1234-5678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("13812345678", "+8613812345678"),
        ("+7 (914) 555-01-01", "+79145550101"),
        ("89145550101", "+79145550101"),
        ("0086 138 1234 5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("12", None),
        ("phone", None),
    ],
)
def test_normalize_phone(raw: str, phone: str | None) -> None:
    assert normalize_phone(raw) == phone
