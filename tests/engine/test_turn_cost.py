"""What a turn asks of the database: a few statements, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import event, func, select

from bot.engine.conversation import Engine
from bot.engine.messages import Incoming
from bot.storage.models import Message
from bot.storage.runtime import Database

ALICE, BOB = 5100000001, 5100000002


async def _statements(shop: Database, engine: Engine, incoming: Incoming) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.split(None, 1)[0]
        tables = re.findall(r"(?:^INSERT INTO|^UPDATE|\bFROM)\s+(\w+)", statement)
        # the table written, or the outer query's (its FROM comes after its subqueries')
        seen.append(f"{verb} {(tables[-1] if verb == 'SELECT' else tables[0]) if tables else '?'}")

    event.listen(shop.engine.sync_engine, "before_cursor_execute", record)
    try:
        await engine.handle(incoming)
    finally:
        event.remove(shop.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_a_returning_customers_question_costs_three_statements(
    shop: Database, engine: Engine, backend: str
) -> None:
    await engine.handle(Incoming(ALICE, "你好", update_id=1))
    seen = await _statements(shop, engine, Incoming(ALICE, "怎么付款", update_id=2))
    # the update's mark; the conversation, locked, with who is writing; the message and the reply
    opened = "INSERT conversations" if backend == "sqlite" else "SELECT conversations"  # an upsert on SQLite
    assert seen == ["INSERT processed_updates", opened, "INSERT messages"]


async def test_a_product_question_writes_its_context_once(shop: Database, engine: Engine) -> None:
    await engine.handle(Incoming(ALICE, "你好", update_id=1))
    seen = await _statements(shop, engine, Incoming(ALICE, "爱莲巧多少钱", update_id=2))
    assert sum(s.startswith("UPDATE") for s in seen) == 1 and len(seen) <= 5, seen


async def test_chats_in_flight_are_all_answered_and_logged(shop: Database, engine: Engine) -> None:
    users = [ALICE, BOB, *range(5100000100, 5100000106)]

    async def chat(user: int) -> None:
        for i, text in enumerate(("你好", "爱莲巧多少钱", "怎么付款")):
            reply = await engine.handle(Incoming(user, text, update_id=user * 10 + i))
            assert reply.texts

    await asyncio.wait_for(asyncio.gather(*(chat(u) for u in users)), 60)
    async with shop.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 2 * 3 * len(users)
