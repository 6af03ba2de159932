"""`kefu import suppliers|catalog|orders FILE`: all-or-nothing, with every bad row named."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import get_settings
from bot.importing import catalog, orders, suppliers
from bot.importing.problems import ImportFailed, Problem
from bot.importing.reader import read_table

Kind = Literal["suppliers", "catalog", "orders"]
KINDS: tuple[Kind, ...] = ("suppliers", "catalog", "orders")

__all__ = ["KINDS", "ImportFailed", "ImportResult", "Kind", "Problem", "import_file"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: Kind
    file: str
    rows: int


async def import_file(
    session: AsyncSession, kind: Kind, path: Path, *, phone_region: str | None = None
) -> ImportResult:
    """Check the whole file, then write it in the session's transaction; the caller commits.

    Raises ImportFailed (with every problem found) before anything is written. Phones in national
    form are read with `phone_region` (default: the KEFU_DEFAULT_PHONE_REGION setting).
    """
    problems: list[Problem] = []
    region = phone_region or get_settings().default_phone_region
    if kind == "suppliers":
        table = read_table(path, suppliers.REQUIRED, suppliers.OPTIONAL, phone_region=region)
        supplier_records = suppliers.parse(table, problems)
        _raise_if(problems)
        await suppliers.write(session, supplier_records)
        count = len(supplier_records)
    elif kind == "catalog":
        table = read_table(path, catalog.REQUIRED, catalog.OPTIONAL, phone_region=region)
        supplier_ids = await catalog.supplier_ids(session)
        product_records = catalog.parse(table, problems, set(supplier_ids))
        _raise_if(problems)
        await catalog.write(session, product_records, supplier_ids)
        count = len(product_records)
    elif kind == "orders":
        table = read_table(path, orders.REQUIRED, orders.OPTIONAL, phone_region=region)
        refs = await orders.product_refs(session, orders.referenced_skus(table))
        order_records = orders.parse(table, problems, refs)
        _raise_if(problems)
        await orders.write(session, order_records, refs, path.name)
        count = len(order_records)
    else:  # pragma: no cover - the CLI offers only the three kinds
        raise ValueError(kind)
    return ImportResult(kind, str(path), count)


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ImportFailed(problems)
