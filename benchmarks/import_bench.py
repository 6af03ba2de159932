"""How long `kefu import catalog` takes for a large file, next to a naive one-ORM-object-per-row import.

    python benchmarks/import_bench.py [--rows 100000] [--baseline-rows 5000] [--postgres URL]

Target: 100,000 catalog rows into SQLite in under 20 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.importing import import_file
from bot.storage.db import create_engine, create_sessionmaker, upgrade_database
from bot.storage.models import Product, Supplier

HEADER = [
    "sku", "name_ru", "name_zh", "aliases_ru", "aliases_zh", "brand", "category_ru", "category_zh",
    "price_cny", "stock", "supplier_code", "description_ru", "description_zh",
]  # fmt: skip
WORDS_RU = ["Шоколад", "Конфеты", "Квас", "Мёд", "Пряник", "Зефир", "Сгущёнка", "Печенье", "Водка", "Чай"]
WORDS_ZH = ["巧克力", "糖果", "格瓦斯", "蜂蜜", "蜜糖饼", "棉花糖", "炼乳", "饼干", "伏特加", "红茶"]


def generate(path: Path, rows: int, suppliers: list[str]) -> None:
    rnd = random.Random(42)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            k = rnd.randrange(len(WORDS_RU))
            grams = rnd.choice([50, 100, 200, 250, 500])
            writer.writerow([
                f"GEN-{i:07d}", f"{WORDS_RU[k]} «Марка {i % 977}» {grams} г", f"{WORDS_ZH[k]} {i % 977}号 {grams}克",
                f"{WORDS_RU[k].lower()}|марка {i % 977}", f"{WORDS_ZH[k]}|俄罗斯{WORDS_ZH[k]}", f"Марка {i % 977}",
                "Категория", "品类", f"{rnd.randrange(100, 99999) / 100:.2f}", rnd.randrange(0, 500),
                rnd.choice(suppliers), "Описание товара, вкусно.", "商品描述，好吃。",
            ])  # fmt: skip


async def fresh(url: str) -> tuple[object, object]:
    engine = create_engine(url)
    await upgrade_database(engine)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        for code in ("S1", "S2", "S3"):
            session.add(Supplier(code=code, name_ru=code, name_zh=code))
    return engine, sessions


async def kefu_import(url: str, path: Path) -> float:
    engine, sessions = await fresh(url)
    start = time.perf_counter()
    async with sessions.begin() as session:  # type: ignore[attr-defined]
        await import_file(session, "catalog", path)
    elapsed = time.perf_counter() - start
    await engine.dispose()  # type: ignore[attr-defined]
    return elapsed


async def naive_import(url: str, path: Path, rows: int) -> float:
    """The obvious way: read with csv, one ORM object and one flush per row."""
    engine, sessions = await fresh(url)
    start = time.perf_counter()
    async with sessions.begin() as session:  # type: ignore[attr-defined]
        ids = {s.code: s.id for s in (await session.execute(Supplier.__table__.select())).all()}
        with path.open(encoding="utf-8") as f:
            for i, row in enumerate(csv.DictReader(f)):
                if i >= rows:
                    break
                session.add(
                    Product(
                        sku=row["sku"],
                        name_ru=row["name_ru"],
                        name_zh=row["name_zh"],
                        aliases_ru=row["aliases_ru"],
                        aliases_zh=row["aliases_zh"],
                        brand=row["brand"],
                        category_ru=row["category_ru"],
                        category_zh=row["category_zh"],
                        price_cny=Decimal(row["price_cny"]),
                        stock=int(row["stock"]),
                        supplier_id=ids[row["supplier_code"]],
                        description_ru=row["description_ru"],
                        description_zh=row["description_zh"],
                    )
                )
                await session.flush()
    elapsed = time.perf_counter() - start
    await engine.dispose()  # type: ignore[attr-defined]
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (a scratch database: it is written)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.csv"
        generate(path, args.rows, ["S1", "S2", "S3"])
        targets = [("SQLite", f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        print(f"{'database':<11} {'method':<28} {'rows':>8} {'seconds':>9} {'rows/s':>9}")
        for label, url in targets:
            seconds = await kefu_import(url, path)
            print(
                f"{label:<11} {'kefu import (bulk upsert)':<28} {args.rows:>8} {seconds:>9.2f} {args.rows / seconds:>9.0f}"
            )
            if label == "SQLite":
                Path(tmp, "bench.db").unlink()
            base_url = f"sqlite+aiosqlite:///{Path(tmp) / 'naive.db'}" if label == "SQLite" else url
            if label == "PostgreSQL":
                await _reset_postgres(url)
            naive = await naive_import(base_url, path, args.baseline_rows)
            rate = args.baseline_rows / naive
            print(
                f"{label:<11} {'naive ORM, flush per row':<28} {args.baseline_rows:>8} {naive:>9.2f} {rate:>9.0f}"
            )
            print(
                f"{label:<11} -> kefu import is {args.rows / seconds / rate:.1f}x faster per row; "
                f"naive would take ~{args.rows / rate:.0f} s for {args.rows} rows"
            )
            if label == "PostgreSQL":
                await _reset_postgres(url)
        print(f"target: {args.rows} rows into SQLite in < 20 s")


async def _reset_postgres(url: str) -> None:
    from bot.storage.db import downgrade_database

    engine = create_engine(url)
    await downgrade_database(engine, "base")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
