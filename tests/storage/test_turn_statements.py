"""What every turn asks of the database, on SQLite and PostgreSQL: right, and in as few round trips as it needs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bot.storage.access import OrderAccess, Role, resolve_viewer
from bot.storage.conversations import (
    get_conversation,
    log_messages,
    message_row,
    open_conversation,
    recent_messages,
    verify_phone,
)
from bot.storage.db import write_transaction
from bot.storage.models import Supplier, SupplierAccount
from bot.storage.outbox import mark_update
from bot.storage.runtime import Database

USER, SUPPLIER_USER, STAFF = 5300000001, 7300000001, 9000


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements run meanwhile (BEGIN and COMMIT are not statements of the driver's cursor)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_an_update_is_marked_once(database: Database) -> None:
    async with database.sessions.begin() as session:
        assert await mark_update(session, 41) is True
    async with database.sessions.begin() as session:
        assert await mark_update(session, 41) is False
        assert await mark_update(session, 42) is True


async def test_a_returning_user_costs_one_statement_to_find_and_lock(database: Database) -> None:
    async with database.sessions.begin() as session:
        first = await get_conversation(session, USER)
        first.context = {"misses": 1}
        first_id = first.id
    async with database.sessions.begin() as session:
        with statements(database) as seen:
            again = await get_conversation(session, USER)
        assert len(seen) == 1, seen
        assert (again.id, again.context, again.handoff_active) == (first_id, {"misses": 1}, False)
    async with database.sessions.begin() as session:
        unlocked = await get_conversation(session, USER, lock=False)
        new = await get_conversation(session, USER + 1, lock=False)
        assert unlocked.id == first_id and new.id != first_id and new.context == {}


async def test_a_turn_waits_for_the_same_users_turn_in_flight(database: Database) -> None:
    async with database.sessions.begin() as session:
        await get_conversation(session, USER)

    async def second_turn() -> dict[str, Any]:
        async with database.sessions.begin() as session:
            return (await get_conversation(session, USER)).context

    async with database.sessions.begin() as session:
        conversation = await get_conversation(session, USER)
        conversation.context = {"last_skus": ["CHOC-ALENKA-100"]}
        await session.flush()
        waiting = asyncio.create_task(second_turn())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # held until the first turn commits
    # ... and then it reads what the first turn wrote, not what was there before
    assert await asyncio.wait_for(waiting, 30) == {"last_skus": ["CHOC-ALENKA-100"]}


async def test_who_is_writing_is_one_statement(database: Database) -> None:
    async with database.sessions.begin() as session:
        supplier = Supplier(code="AMURCONF", name_ru="Амурконфета", name_zh="阿穆尔糖果")
        session.add(supplier)
        await session.flush()
        session.add(SupplierAccount(supplier_id=supplier.id, telegram_user_id=SUPPLIER_USER))
        await verify_phone(session, USER, "+8613800000001")
    staff = frozenset({STAFF})
    async with database.sessions() as session:
        with statements(database) as seen:
            customer = await resolve_viewer(session, USER, staff)
            stranger = await resolve_viewer(session, USER + 1, staff)
            linked = await resolve_viewer(session, SUPPLIER_USER, staff)
            person = await resolve_viewer(session, STAFF, staff)
        assert len(seen) == 3, seen  # none for staff: the settings say so
    assert (customer.role, customer.verified_phone) == (Role.CUSTOMER, "+8613800000001")
    assert (stranger.role, stranger.verified_phone) == (Role.CUSTOMER, None)
    assert (linked.role, linked.supplier_id, linked.supplier_code) == (Role.SUPPLIER, supplier.id, "AMURCONF")
    assert linked.telegram_user_id == SUPPLIER_USER and person.role is Role.STAFF


async def test_a_suppliers_orders_are_reached_from_its_lines_not_by_scanning_all_orders(
    shop: Database, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL's planner chooses by table statistics; SQLite's plan follows the query")
    reads: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT orders.id"):
            reads.append((statement, parameters))

    async with shop.sessions() as session:
        supplier = await resolve_viewer(session, 7100000001, frozenset())
        event.listen(shop.engine.sync_engine, "before_cursor_execute", record)
        try:
            await OrderAccess(session, supplier).to_ship()
            listed = await OrderAccess(session, supplier).recent()
        finally:
            event.remove(shop.engine.sync_engine, "before_cursor_execute", record)
        assert listed and len(reads) == 2  # its order list and its to-do list (empty or not)
        connection = await session.connection()
        for statement, parameters in reads:
            plan = (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
            steps = [str(row[-1]) for row in plan]
            assert not [step for step in steps if step.startswith("SCAN orders")], steps


async def test_a_turn_opens_its_conversation_and_learns_who_is_writing_in_one_statement(
    database: Database,
) -> None:
    async with database.sessions.begin() as session:
        supplier = Supplier(code="AMURCONF", name_ru="Амурконфета", name_zh="阿穆尔糖果")
        session.add(supplier)
        await session.flush()
        session.add(SupplierAccount(supplier_id=supplier.id, telegram_user_id=SUPPLIER_USER))
        for user in (USER, SUPPLIER_USER, STAFF):
            await get_conversation(session, user)
    staff = frozenset({STAFF})
    for user, role in ((USER, Role.CUSTOMER), (SUPPLIER_USER, Role.SUPPLIER), (STAFF, Role.STAFF)):
        async with database.sessions.begin() as session:
            with statements(database) as seen:
                conversation, viewer = await open_conversation(session, user, staff)
            assert len(seen) == 1, seen
            assert conversation.telegram_user_id == user and viewer.role is role
            assert viewer == await resolve_viewer(session, user, staff)
    # Nothing is remembered between turns: a phone verified a moment ago counts at the next turn.
    async with database.sessions.begin() as session:
        await verify_phone(session, USER, "+8613800000001")
    async with database.sessions.begin() as session:
        _conversation, viewer = await open_conversation(session, USER, staff)
        assert viewer.verified_phone == "+8613800000001"


async def test_a_turns_message_and_reply_are_one_insert_kept_in_order(database: Database) -> None:
    async with database.sessions.begin() as session:
        conversation = await get_conversation(session, USER)
        rows = [
            message_row(
                direction="in",
                author="customer",
                text="多少钱\x00",
                lang="zh",
                intent="product_price",
                confidence=0.5,
                details={"products": [["CHOC-ALENKA-100", 88.0]]},
                telegram_message_id=77,
            ),
            message_row(direction="out", author="bot", text="¥12.90", lang="zh", intent="product_price"),
        ]
        with statements(database) as seen:
            await log_messages(session, conversation, rows)
        assert len(seen) == 1, seen
    async with database.sessions() as session:
        logged = await recent_messages(session, conversation.id)
    assert [(m.direction, m.author, m.text, m.details, m.telegram_message_id) for m in logged] == [
        ("in", "customer", "多少钱", {"products": [["CHOC-ALENKA-100", 88.0]]}, 77),
        ("out", "bot", "¥12.90", None, None),
    ]


async def test_write_transactions_of_one_process_take_turns_on_sqlite_only(
    database: Database, backend: str
) -> None:
    inside: list[str] = []

    async def transaction(name: str) -> None:
        async with write_transaction(database.sessions) as session:
            inside.append(f"{name} in")
            await get_conversation(session, USER)
            await asyncio.sleep(0.1)
            inside.append(f"{name} out")

    await asyncio.gather(transaction("a"), transaction("b"))
    if backend == "sqlite":
        assert inside == ["a in", "a out", "b in", "b out"]  # b waited on the lock, not in SQLite
    else:
        assert inside[:2] == ["a in", "b in"]  # PostgreSQL's row lock alone orders them
