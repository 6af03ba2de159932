"""`kefu import suppliers FILE`: supplier_code,name_ru,name_zh,telegram_user_id,phone."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.importing.fields import RowCheck
from bot.importing.problems import Problem
from bot.importing.reader import Table
from bot.importing.upsert import upsert
from bot.storage.models import Supplier, SupplierAccount
from bot.storage.types import utcnow

REQUIRED = ("supplier_code", "name_ru", "name_zh")
OPTIONAL = ("telegram_user_id", "phone")


@dataclass(frozen=True, slots=True)
class SupplierRow:
    code: str
    name_ru: str
    name_zh: str
    telegram_user_id: int | None
    phone: str | None


def parse(table: Table, problems: list[Problem]) -> list[SupplierRow]:
    records: list[SupplierRow] = []
    first_line: dict[str, int] = {}
    account_line: dict[int, int] = {}
    for row in table.rows:
        check = RowCheck(table, row, problems)
        code = check.code("supplier_code")
        name_ru = check.text("name_ru", required=True)
        name_zh = check.text("name_zh", required=True)
        telegram_user_id = check.telegram_id("telegram_user_id")
        phone = check.phone("phone")
        if code is not None:
            if code in first_line:
                check.fail("supplier_code", f"supplier {code} is already on line {first_line[code]}")
            first_line.setdefault(code, row.line)
        if telegram_user_id is not None:
            if telegram_user_id in account_line:
                line = account_line[telegram_user_id]
                check.fail(
                    "telegram_user_id", f"Telegram user {telegram_user_id} is already given on line {line}"
                )
            account_line.setdefault(telegram_user_id, row.line)
        if check.ok and code and name_ru and name_zh:
            records.append(SupplierRow(code, name_ru, name_zh, telegram_user_id, phone))
    return records


async def write(session: AsyncSession, records: list[SupplierRow]) -> None:
    now = utcnow()
    rows = [
        {
            "code": r.code,
            "name_ru": r.name_ru,
            "name_zh": r.name_zh,
            "telegram_user_id": r.telegram_user_id,
            "phone": r.phone,
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]
    update = ("name_ru", "name_zh", "telegram_user_id", "phone", "updated_at")
    await upsert(session, Supplier.__table__, rows, "code", update)  # type: ignore[arg-type]

    # The account named in the file may act for its supplier; a previous file's account no longer.
    ids = dict((await session.execute(select(Supplier.code, Supplier.id))).all())
    supplier_ids = [ids[r.code] for r in records]
    await session.execute(
        delete(SupplierAccount).where(
            SupplierAccount.supplier_id.in_(supplier_ids), SupplierAccount.linked_via == "import"
        )
    )
    accounts = [
        {
            "supplier_id": ids[r.code],
            "telegram_user_id": r.telegram_user_id,
            "linked_at": now,
            "linked_via": "import",
        }
        for r in records
        if r.telegram_user_id is not None
    ]
    await upsert(
        session,
        SupplierAccount.__table__,  # type: ignore[arg-type]
        accounts,
        "telegram_user_id",
        ("supplier_id", "linked_at", "linked_via"),
    )
