"""Imports that cannot hurt the machine or the data: bounded files, and values both databases store."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.importing import ImportFailed, catalog, import_file, reader
from bot.importing.reader import read_table
from bot.storage.models import Order, Product, Supplier
from bot.storage.runtime import Database
from tests.conftest import SHOP

CATALOG_HEADER = (
    "sku,name_ru,name_zh,aliases_ru,aliases_zh,brand,category_ru,category_zh,price_cny,stock,"
    "supplier_code,description_ru,description_zh"
)
ORDERS_HEADER = "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no"
GOOD_PRODUCT = "V-1,Водка,伏特加,,,,,,10,1,SWEET,,"
ROOT = Path(__file__).resolve().parents[2]


def _far_cell_workbook(path: Path, *, header: bool) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    if header:
        sheet.append(CATALOG_HEADER.split(","))
    sheet["XFD1048576"] = "x"
    workbook.save(path)
    return path


def _read_in_a_bounded_child(path: Path) -> dict[str, object]:
    """read_table in a child process held to 1 GiB of address space (a regression fails there with
    MemoryError instead of taking the machine), reporting the problems and Python's peak allocation."""
    script = f"""
import json, resource, sys, tracemalloc
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from bot.importing import catalog
from bot.importing.problems import ImportFailed
from bot.importing.reader import read_table
tracemalloc.start()
try:
    table = read_table(Path({str(path)!r}), catalog.REQUIRED, catalog.OPTIONAL)
    problems, rows = [], len(table.rows)
except ImportFailed as failed:
    problems, rows = [[p.line, p.column, p.reason] for p in failed.problems], None
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({{"problems": problems, "rows": rows, "peak": peak}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("header", [False, True])
def test_a_sheet_whose_only_cell_is_at_xfd1048576_is_refused_with_bounded_memory(
    tmp_path: Path, header: bool
) -> None:
    path = _far_cell_workbook(tmp_path / "far.xlsx", header=header)
    assert path.stat().st_size < 10_000
    result = _read_in_a_bounded_child(path)
    [(line, column, reason)] = result["problems"]  # type: ignore[misc]
    assert (line, column) == (1048576, "XFD")
    assert "at most 64 columns" in reason
    assert isinstance(result["peak"], int) and result["peak"] < 20_000_000


def test_a_sheet_that_declares_a_huge_dimension_is_read_by_its_real_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(CATALOG_HEADER.split(","))
    sheet.append(GOOD_PRODUCT.split(","))
    small = tmp_path / "small.xlsx"
    workbook.save(small)
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
                assert b"XFD1048576" in data
            dst.writestr(item, data)
    result = _read_in_a_bounded_child(lying)
    assert result["problems"] == [] and result["rows"] == 1
    assert isinstance(result["peak"], int) and result["peak"] < 20_000_000


def _workbook_with_padding(path: Path, padding: int) -> Path:
    """A real workbook whose sheet XML carries `padding` bytes of whitespace: it deflates ~1000 times."""
    buffer = io.BytesIO()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(CATALOG_HEADER.split(","))
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * padding)
            dst.writestr(item.filename, data)
    return path


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = _workbook_with_padding(tmp_path / "bomb.xlsx", 8 * 1024 * 1024)
    assert path.stat().st_size < 100_000
    with pytest.raises(ImportFailed) as info:
        read_table(path, catalog.REQUIRED, catalog.OPTIONAL)
    [problem] = info.value.problems
    assert problem.line is None and "xl/worksheets/sheet1.xml unpacks" in problem.reason


def test_a_workbook_that_unpacks_too_large_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workbook_with_padding(tmp_path / "big.xlsx", 1000)
    monkeypatch.setattr(reader, "MAX_XLSX_UNCOMPRESSED", 4096)
    with pytest.raises(ImportFailed) as info:
        read_table(path, catalog.REQUIRED, catalog.OPTIONAL)
    assert "once unpacked (at most 4,096" in info.value.problems[0].reason


def test_csv_rows_columns_cells_and_size_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(text: str) -> tuple[int | None, str | None, str]:
        path = tmp_path / "catalog.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ImportFailed) as info:
            read_table(path, catalog.REQUIRED, catalog.OPTIONAL)
        problem = info.value.problems[0]
        return problem.line, problem.column, problem.reason

    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    line, _, reason = refused(CATALOG_HEADER + "\n" + f"{GOOD_PRODUCT}\n" * 4)
    assert line == 5 and "more than 3 rows" in reason
    monkeypatch.setattr(reader, "MAX_ROWS", 200_000)

    line, column, reason = refused(CATALOG_HEADER + "\n" + GOOD_PRODUCT + ",x" * 60 + "\n")
    assert (line, column) == (2, "BM") and "at most 64 columns" in reason

    long = "ж" * 10_001
    line, column, reason = refused(f"{CATALOG_HEADER}\n{GOOD_PRODUCT}{long}\n")
    assert (line, column) == (2, "description_zh") and "10,001 characters" in reason

    monkeypatch.setattr(reader, "MAX_CSV_BYTES", 100)
    line, column, reason = refused(CATALOG_HEADER + "\n" + GOOD_PRODUCT + "\n")
    assert line is None and "too large to import" in reason


async def _count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _refused(database: Database, kind: str, path: Path) -> ImportFailed:
    with pytest.raises(ImportFailed) as info:
        async with database.sessions.begin() as session:
            await import_file(session, kind, path)  # type: ignore[arg-type]
    return info.value


UNSTORABLE_PRODUCTS = [
    ("V-2,Водка,伏特加,,,,,,10,2147483648,SWEET,,", "stock", "too large"),  # PostgreSQL INTEGER
    ("V-2,Водка,伏特加,,,,,,10,٣,SWEET,,", "stock", "is not a whole number"),  # Arabic-Indic three
    ("V-2,Водка,伏特加,,,,,,10,1_000,SWEET,,", "stock", "is not a whole number"),
    (f"V-2,Водка,伏特加,,,,,,10,{'9' * 5000},SWEET,,", "stock", "too large"),  # past int()'s digit limit
    (f"V-2,Водка,伏特加,,,,,,{'9' * 5000},1,SWEET,,", "price_cny", "too large"),
    ("V-2,Водка,伏特加,,,,,,10,²,SWEET,,", "stock", "is not a whole number"),
    ("V-2,Водка,伏特加,,,,,,1_000,1,SWEET,,", "price_cny", "is not a price"),
    ("V-2,Водка,伏特加,,,,,,٣,1,SWEET,,", "price_cny", "is not a price"),
    ("V-2,Вод\x00ка,伏特加,,,,,,10,1,SWEET,,", "name_ru", "NUL"),
    ("V-2,Водка,伏特加,,,,,,10,1,SWEET,\x00,", "description_ru", "NUL"),
]


def _short(value: object) -> str | None:
    return f"{value[:40]}..." if isinstance(value, str) and len(value) > 40 else None


@pytest.mark.parametrize(("row", "column", "reason"), UNSTORABLE_PRODUCTS, ids=_short)
async def test_values_no_database_can_store_get_the_same_report_on_both(
    shop: Database, tmp_path: Path, row: str, column: str, reason: str
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(f"{CATALOG_HEADER}\n{GOOD_PRODUCT}\n{row}\n", encoding="utf-8")
    failed = await _refused(shop, "catalog", path)
    [problem] = failed.problems
    assert (problem.line, problem.column) == (3, column), str(problem)
    assert reason in problem.reason
    assert await _count(shop, Product) == 5


UNSTORABLE_ORDERS = [
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:2147483648,", "items"),
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:٣,", "items"),
    (f"KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:{'9' * 5000},", "items"),
    (f"KF-1,{'9' * 5000},,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "customer_telegram_id"),
    ("KF-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:²,", "items"),
    ("KF-1,²,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "customer_telegram_id"),
    ("KF-1,٥١٠٠٠٠٠٠٠١,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "customer_telegram_id"),
    ("KF-1,,,paid,0001-01-01T00:00:00+08:00,CHOC-ALENKA-100:1,", "created_at"),
    ("KF-1,,13804561234,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", None),  # CN national: fine
    ("KF-1,,+1 415 555 0132 x7,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "customer_phone"),
    ("KF-1,,89145550101,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "customer_phone"),  # RU, not CN
    ("K\x00F-1,,,paid,2025-01-17T10:30:00+08:00,CHOC-ALENKA-100:1,", "order_no"),
]


@pytest.mark.parametrize(("row", "column"), UNSTORABLE_ORDERS, ids=_short)
async def test_order_values_are_checked_before_any_database_sees_them(
    shop: Database, tmp_path: Path, row: str, column: str | None
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"{ORDERS_HEADER}\n{row}\n", encoding="utf-8")
    if column is None:
        async with shop.sessions.begin() as session:
            await import_file(session, "orders", path)
        async with shop.sessions() as session:
            phone = await session.scalar(select(Order.customer_phone).where(Order.order_key == "KF1"))
        assert phone == "+8613804561234"
        return
    [problem] = (await _refused(shop, "orders", path)).problems
    assert (problem.line, problem.column) == (2, column), str(problem)
    assert await _count(shop, Order) == 5


async def test_the_phone_region_setting_reads_national_forms(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "suppliers.csv"
    path.write_text(
        "supplier_code,name_ru,name_zh,telegram_user_id,phone\nS1,А,甲,,8 914 555-01-01\n", "utf-8"
    )
    async with database.sessions.begin() as session:
        await import_file(session, "suppliers", path, phone_region="RU")
    async with database.sessions() as session:
        assert await session.scalar(select(Supplier.phone)) == "+79145550101"
    failed = await _refused(database, "suppliers", path)  # with the default region, CN
    assert "national form of CN" in failed.problems[0].reason


def test_the_test_shop_still_reads(tmp_path: Path) -> None:
    table = read_table(SHOP / "catalog.csv", catalog.REQUIRED, catalog.OPTIONAL)
    assert len(table.rows) == 5


def test_a_damaged_workbook_is_refused_plainly(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(CATALOG_HEADER.split(","))
    sheet.append(GOOD_PRODUCT.split(","))
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    data = good.read_bytes()
    damaged = tmp_path / "damaged.xlsx"
    for cut in range(0, len(data), 97):  # every kind of damage: flipped bytes and truncation
        for variant in (data[:cut] + bytes([data[cut] ^ 0xFF]) + data[cut + 1 :], data[:cut]):
            damaged.write_bytes(variant)
            try:
                read_table(damaged, catalog.REQUIRED, catalog.OPTIONAL)
            except ImportFailed:
                pass
