"""`kefu import`: formats, upserts, all-or-nothing, and every class of bad row named with line and column."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.importing import ImportFailed, import_file
from bot.storage.models import (
    Order,
    OrderLine,
    OrderStatusEvent,
    Parcel,
    ParcelLine,
    Product,
    Supplier,
    SupplierAccount,
)
from bot.storage.runtime import Database
from tests.conftest import SHOP

CATALOG_HEADER = (
    "sku,name_ru,name_zh,aliases_ru,aliases_zh,brand,category_ru,category_zh,price_cny,stock,"
    "supplier_code,description_ru,description_zh"
)
ORDERS_HEADER = "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def run(database: Database, kind: str, path: Path) -> None:
    async with database.sessions.begin() as session:
        await import_file(session, kind, path)  # type: ignore[arg-type]


async def failure(database: Database, kind: str, path: Path) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        await run(database, kind, path)
    return info.value


async def test_loads_the_test_shop(shop: Database) -> None:
    assert await count(shop, Supplier) == 3
    assert await count(shop, Product) == 5
    assert await count(shop, Order) == 5
    assert await count(shop, OrderLine) == 7
    async with shop.sessions() as session:
        product = await session.scalar(select(Product).where(Product.sku == "CHOC-ALENKA-100"))
        assert product is not None
        assert product.price_cny == Decimal("12.90")
        assert product.aliases_zh == "大头娃娃|爱莲巧"
        assert product.description_ru == "Молочный шоколад, 100 г."
        order = await session.scalar(select(Order).where(Order.order_no == "KF-250120-004"))
        assert order is not None
        assert order.order_key == "KF250120004"
        assert order.customer_phone == "+8613800000002"  # normalised from "+86 138 0000 0002"
        assert order.created_at.utcoffset() is not None
        accounts = (await session.execute(select(SupplierAccount.telegram_user_id))).scalars().all()
        assert sorted(accounts) == [7100000001, 7100000002]
        # history: created at created_at, then the current status at import time
        events = (
            await session.execute(
                select(OrderStatusEvent.status)
                .where(OrderStatusEvent.order_id == order.id)
                .order_by(OrderStatusEvent.id)
            )
        ).scalars()
        assert list(events) == ["created", "customs"]


async def test_catalog_upsert_updates_by_sku_and_never_duplicates(shop: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "catalog.csv",
        CATALOG_HEADER
        + "\nCHOC-ALENKA-100,Шоколад «Алёнка» 100 г,爱莲巧 100克,,,,Шоколад,巧克力,13.50,7,SWEET,,\n"
        + "NEW-1,Пряник тульский,图拉蜜糖饼,,,,Сладости,甜点,9,3,SWEET,,\n",
    )
    await run(shop, "catalog", path)
    await run(shop, "catalog", path)
    assert await count(shop, Product) == 6
    async with shop.sessions() as session:
        product = await session.scalar(select(Product).where(Product.sku == "CHOC-ALENKA-100"))
        assert product is not None and product.price_cny == Decimal("13.50") and product.stock == 7
        assert product.aliases_zh == ""


async def test_orders_upsert_changes_lines_and_appends_history(shop: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER
        + "\nkf-250118-001,5100000001,,shipped,2025-01-18T09:00:00+08:00,KVAS-OCH-15:2,SF1234567890001\n",
    )
    await run(shop, "orders", path)
    assert await count(shop, Order) == 5
    async with shop.sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_key == "KF250118001"))
        assert order is not None and order.status == "shipped"
        lines = (
            await session.execute(
                select(OrderLine.id, OrderLine.quantity).where(OrderLine.order_id == order.id)
            )
        ).all()
        assert [quantity for _, quantity in lines] == [2]
        statuses = (
            await session.execute(
                select(OrderStatusEvent.status)
                .where(OrderStatusEvent.order_id == order.id)
                .order_by(OrderStatusEvent.id)
            )
        ).scalars()
        assert list(statuses) == ["created", "paid", "shipped"]
        parcel = (await session.execute(select(Parcel).where(Parcel.order_id == order.id))).scalar_one()
        assert (parcel.tracking_no, parcel.carrier, parcel.destination, parcel.supplier_id) == (
            "SF1234567890001",
            "sf",
            "customer",
            None,
        )
        carried = (
            await session.execute(select(ParcelLine.order_line_id).where(ParcelLine.parcel_id == parcel.id))
        ).scalars()
        assert list(carried) == [lines[0][0]]


async def _lines(database: Database, order_no: str) -> dict[str, tuple[int, int, Decimal, str]]:
    """sku -> (line id, quantity, unit price, supplier code)."""
    async with database.sessions() as session:
        rows = await session.execute(
            select(Product.sku, OrderLine.id, OrderLine.quantity, OrderLine.unit_price_cny, Supplier.code)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Supplier, Supplier.id == OrderLine.supplier_id)
            .where(Order.order_no == order_no)
        )
        return {sku: (line_id, qty, price, code) for sku, line_id, qty, price, code in rows}


async def test_reimport_keeps_the_price_and_supplier_each_line_was_ordered_with(
    shop: Database, tmp_path: Path
) -> None:
    before = await _lines(shop, "KF-250117-003")
    # The catalog moves on: new prices, and the chocolate now comes from another supplier.
    catalog = write(
        tmp_path,
        "catalog.csv",
        CATALOG_HEADER
        + "\nCHOC-ALENKA-100,Шоколад «Алёнка» 100 г,爱莲巧 100克,,,,Шоколад,巧克力,99.00,7,HONEY,,\n"
        + "KVAS-OCH-15,Квас «Очаковский» 1.5 л,格瓦斯 1.5升,,,,Напитки,饮料,77.00,60,DRINK,,\n"
        + "CANDY-KOROVKA,Конфеты «Коровка» 250 г,奶牛糖 250克,,,,Конфеты,糖果,20.00,25,SWEET,,\n",
    )
    await run(shop, "catalog", catalog)
    unchanged = write(
        tmp_path,
        "same.csv",
        ORDERS_HEADER
        + "\nKF-250117-003,5100000001,,shipped,2025-01-17T10:30:00+08:00,"
        + "CHOC-ALENKA-100:2|KVAS-OCH-15:1,SF1234567890123\n",
    )
    await run(shop, "orders", unchanged)
    assert await _lines(shop, "KF-250117-003") == before

    changed = write(
        tmp_path,
        "changed.csv",
        ORDERS_HEADER
        + "\nKF-250117-003,5100000001,,shipped,2025-01-17T10:30:00+08:00,"
        + "CHOC-ALENKA-100:3|CANDY-KOROVKA:1,SF1234567890123\n",
    )
    await run(shop, "orders", changed)
    after = await _lines(shop, "KF-250117-003")
    choc_id, _, choc_price, choc_supplier = before["CHOC-ALENKA-100"]
    assert after["CHOC-ALENKA-100"] == (choc_id, 3, choc_price, choc_supplier)  # only the quantity changed
    assert (choc_price, choc_supplier) == (Decimal("12.90"), "SWEET")
    assert "KVAS-OCH-15" not in after  # removed from the file: removed from the order
    assert after["CANDY-KOROVKA"][1:] == (1, Decimal("20.00"), "SWEET")  # new: today's price and supplier


async def test_several_tracking_numbers_are_parcels_and_status_at_dates_the_history(
    shop: Database, tmp_path: Path
) -> None:
    header = ORDERS_HEADER + ",status_at"
    row = "KF-250118-001,5100000001,,shipped,2025-01-18T09:00:00+08:00,HONEY-LIPA-500:1,{tracking},{at}"
    path = write(
        tmp_path,
        "orders.csv",
        header
        + "\n"
        + row.format(tracking="SF1234567890001 | ra123456789ru", at="2025-01-20T08:00:00+08:00"),
    )
    await run(shop, "orders", path)
    await run(shop, "orders", path)  # the same file again: no new parcel, no new history

    async def state() -> tuple[list[tuple[str | None, str | None]], list[tuple[str, datetime]]]:
        async with shop.sessions() as session:
            order_id = await session.scalar(select(Order.id).where(Order.order_no == "KF-250118-001"))
            parcels = (
                await session.execute(
                    select(Parcel.tracking_no, Parcel.carrier)
                    .where(Parcel.order_id == order_id)
                    .order_by(Parcel.id)
                )
            ).all()
            events = (
                await session.execute(
                    select(OrderStatusEvent.status, OrderStatusEvent.changed_at)
                    .where(OrderStatusEvent.order_id == order_id)
                    .order_by(OrderStatusEvent.id)
                )
            ).all()
        return [tuple(p) for p in parcels], [tuple(e) for e in events]  # type: ignore[misc]

    parcels, events = await state()
    assert parcels == [("SF1234567890001", "sf"), ("RA123456789RU", "russian_post")]
    assert [status for status, _ in events] == ["created", "paid", "shipped"]
    assert events[-1][1] == datetime(2025, 1, 20, 0, 0, tzinfo=UTC)

    # The shop corrects a number: the old parcel goes, the new one comes; no status change, no event.
    path = write(
        tmp_path, "orders.csv", header + "\n" + row.format(tracking="RA123456789RU|1234567890", at="")
    )
    await run(shop, "orders", path)
    parcels, events = await state()
    assert parcels == [("RA123456789RU", "russian_post"), ("1234567890", "cdek")]
    assert len(events) == 3


async def test_xlsx_imports_like_csv(database: Database, tmp_path: Path) -> None:
    await run(database, "suppliers", SHOP / "suppliers.csv")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    with (SHOP / "catalog.csv").open(encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f)):
            if i and row:  # numbers as numbers, the way Excel stores them
                row[8] = float(row[8])  # type: ignore[call-overload]
                row[9] = int(row[9])  # type: ignore[call-overload]
            sheet.append(row)
    path = tmp_path / "catalog.xlsx"
    workbook.save(path)
    await run(database, "catalog", path)
    async with database.sessions() as session:
        prices = dict((await session.execute(select(Product.sku, Product.price_cny))).all())
    assert prices["CHOC-ALENKA-100"] == Decimal("12.90")
    assert len(prices) == 5


async def test_xlsx_problems_name_the_column_letter(shop: Database, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(CATALOG_HEADER.split(","))
    sheet.append(["X-1", "Водка", "伏特加", "", "", "", "", "", "abc", 1, "SWEET", "", ""])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    failed = await failure(shop, "catalog", path)
    assert (
        str(failed.problems[0])
        == f'{path}, line 2, column price_cny (I): price_cny "abc" is not a price (write a number like 12.90)'
    )


BAD_CATALOG_ROWS = [
    (",Водка,伏特加,,,,,,10,1,SWEET,,", "sku", "sku is missing"),
    ("V-1,Водка,伏特加,,,,,,abc,1,SWEET,,", "price_cny", 'price_cny "abc" is not a price'),
    ("V-1,Водка,伏特加,,,,,,-5,1,SWEET,,", "price_cny", "must be zero or more"),
    ("V-1,Водка,伏特加,,,,,,1.999,1,SWEET,,", "price_cny", "more than 2 decimal places"),
    ("V-1,Водка,伏特加,,,,,,10,-1,SWEET,,", "stock", 'stock "-1" must be 0 or more'),
    ("V-1,Водка,伏特加,,,,,,10,2.5,SWEET,,", "stock", "is not a whole number"),
    ("V-1,Водка,伏特加,,,,,,10,1,NOBODY,,", "supplier_code", "unknown supplier NOBODY"),
    ("V-1,,伏特加,,,,,,10,1,SWEET,,", "name_ru", "name_ru is missing"),
    ("V-1,Водка,,,,,,,10,1,SWEET,,", "name_zh", "name_zh is missing"),
    ("V 1,Водка,伏特加,,,,,,10,1,SWEET,,", "sku", "contains spaces"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_CATALOG_ROWS)
async def test_bad_catalog_row_changes_nothing(
    shop: Database, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    good = "CHOC-ALENKA-100,Шоколад,巧克力,,,,,,99.00,1,SWEET,,"
    path = write(tmp_path, "catalog.csv", f"{CATALOG_HEADER}\n{good}\n{row}\n")
    failed = await failure(shop, "catalog", path)
    problem = failed.problems[0]
    assert (problem.file, problem.line, problem.column) == (str(path), 3, column)
    assert reason in problem.reason
    async with shop.sessions() as session:  # the good row was not written either
        price = await session.scalar(select(Product.price_cny).where(Product.sku == "CHOC-ALENKA-100"))
    assert price == Decimal("12.90")
    assert await count(shop, Product) == 5


async def test_duplicate_sku_in_file_names_both_lines(shop: Database, tmp_path: Path) -> None:
    row = "V-1,Водка,伏特加,,,,,,10,1,SWEET,,"
    path = write(tmp_path, "catalog.csv", f"{CATALOG_HEADER}\n{row}\n{row}\n")
    failed = await failure(shop, "catalog", path)
    assert [(p.line, p.column) for p in failed.problems] == [(3, "sku")]
    assert "already on line 2" in failed.problems[0].reason


async def test_every_bad_row_is_reported_up_to_twenty(shop: Database, tmp_path: Path) -> None:
    rows = "\n".join(f"V-{i},Водка,伏特加,,,,,,abc,1,SWEET,," for i in range(30))
    path = write(tmp_path, "catalog.csv", f"{CATALOG_HEADER}\n{rows}\n")
    failed = await failure(shop, "catalog", path)
    assert failed.total == 30
    report = failed.report().splitlines()
    assert len(report) == 21 and report[-1] == "... and 10 more problems not shown"


BAD_ORDER_ROWS = [
    ("KF-1,,,lost,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "status", 'unknown status "lost"'),
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,NOPE:1,", "items", "unknown sku NOPE"),
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:x,", "items", "is not a whole number above 0"),
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100,", "items", "is not SKU:QTY"),
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1|CHOC-ALENKA-100:2,", "items", "listed twice"),
    ("KF-1,,,paid,2025-01-17 10:30,CHOC-ALENKA-100:1,", "created_at", "has no time zone offset"),
    ("KF-1,,,paid,yesterday,CHOC-ALENKA-100:1,", "created_at", "is not an ISO 8601 date"),
    (
        "KF-1,abc,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,",
        "customer_telegram_id",
        "is not a Telegram user id",
    ),
    ("KF-1,,12,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "customer_phone", "is not a phone number"),
    (",,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "order_no", "order_no is missing"),
    ("KF-250117-003,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "order_no", "already on line 2"),
    (
        "KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,RA123456789RU/RA123456790RU",
        "tracking_no",
        "is not a tracking number",
    ),
    (
        "KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,SF1",
        "tracking_no",
        "is not a tracking number",
    ),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_ORDER_ROWS)
async def test_bad_order_row_changes_nothing(
    shop: Database, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    good = "kf 250117 003,,,delivered,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:9,"
    path = write(tmp_path, "orders.csv", f"{ORDERS_HEADER}\n{good}\n{row}\n")
    failed = await failure(shop, "orders", path)
    problem = failed.problems[0]
    assert (problem.line, problem.column) == (3, column), str(problem)
    assert reason in problem.reason
    async with shop.sessions() as session:
        status = await session.scalar(select(Order.status).where(Order.order_key == "KF250117003"))
    assert status == "shipped"
    assert await count(shop, Order) == 5


BAD_SUPPLIER_ROWS = [
    (",Имя,名字,,", "supplier_code", "supplier_code is missing"),
    ("S2,,名字,,", "name_ru", "name_ru is missing"),
    ("S2,Имя,名字,-5,", "telegram_user_id", "is not a Telegram user id"),
    ("S2,Имя,名字,,phone", "phone", "is not a phone number"),
    ("SWEET,Имя,名字,,", "supplier_code", "already on line 2"),
    ("S2,Имя,名字,7100000001,", "telegram_user_id", "already given on line 2"),
]


@pytest.mark.parametrize(("row", "column", "reason"), BAD_SUPPLIER_ROWS)
async def test_bad_supplier_row_changes_nothing(
    database: Database, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    path = write(
        tmp_path,
        "suppliers.csv",
        f"supplier_code,name_ru,name_zh,telegram_user_id,phone\nSWEET,А,甲,7100000001,\n{row}\n",
    )
    failed = await failure(database, "suppliers", path)
    problem = failed.problems[0]
    assert (problem.line, problem.column) == (3, column), str(problem)
    assert reason in problem.reason
    assert await count(database, Supplier) == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"sku,name_ru\nA,B\n", "the header has no 'name_zh' column"),
        (
            "sku,name_ru,name_zh,price_cny,stock,supplier_code\nA,Водка,伏特加,1,1,SWEET\n".encode(
                "cp1251", "replace"
            ),
            "is not UTF-8",
        ),
        (
            b"sku,name_ru,name_zh,price_cny,stock,supplier_code\nA,B,C,1,1,SWEET,extra\n",
            "has 7 values but the header has 6",
        ),
    ],
)
async def test_unreadable_files_are_refused_plainly(
    shop: Database, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(content)
    failed = await failure(shop, "catalog", path)
    assert reason in failed.problems[0].reason


async def test_missing_and_unsupported_files(shop: Database, tmp_path: Path) -> None:
    assert "no such file" in (await failure(shop, "catalog", tmp_path / "nope.csv")).problems[0].reason
    odd = write(tmp_path, "catalog.json", "{}")
    assert "unsupported file type" in (await failure(shop, "catalog", odd)).problems[0].reason
    broken = tmp_path / "catalog.xlsx"
    broken.write_bytes(b"not a zip")
    assert "not a readable .xlsx" in (await failure(shop, "catalog", broken)).problems[0].reason


async def test_bom_comma_prices_and_blank_lines_are_accepted(shop: Database, tmp_path: Path) -> None:
    text = "\ufeff" + CATALOG_HEADER + '\n\nV-1,Водка,伏特加,,,,,,"12,50",1,SWEET,,\n\n'
    await run(shop, "catalog", write(tmp_path, "catalog.csv", text))
    async with shop.sessions() as session:
        assert await session.scalar(select(Product.price_cny).where(Product.sku == "V-1")) == Decimal("12.50")


def test_cli_import_reports_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main
    from bot.config import get_settings

    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        shutil.copy(SHOP / "suppliers.csv", tmp_path / "suppliers.csv")
        assert main(["import", "suppliers", str(tmp_path / "suppliers.csv")]) == 0
        bad = write(tmp_path, "catalog.csv", f"{CATALOG_HEADER}\nV-1,Водка,伏特加,,,,,,abc,1,SWEET,,\n")
        assert main(["import", "catalog", str(bad)]) == 1
        err = capsys.readouterr().err
        assert "Nothing was imported" in err
        assert f'{bad}, line 2, column price_cny: price_cny "abc" is not a price' in err
        assert "Traceback" not in err
    finally:
        get_settings.cache_clear()
