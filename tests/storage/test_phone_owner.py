"""A phone number is verified to one Telegram account at a time: the latest that shared it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.storage.conversations import verify_phone
from bot.storage.models import Customer
from bot.storage.runtime import Database

PHONE = "+8613800000002"
FIRST, SECOND, OTHER = 5200000001, 5200000002, 5200000003


async def _owners(database: Database) -> dict[int, str | None]:
    async with database.sessions() as session:
        rows = await session.execute(select(Customer.telegram_user_id, Customer.verified_phone))
        return {user: phone for user, phone in rows}


async def test_sharing_a_phone_takes_it_from_the_account_that_had_it(database: Database) -> None:
    for user, phone in ((FIRST, PHONE), (OTHER, "+79145550101"), (SECOND, PHONE)):
        async with database.sessions.begin() as session:
            await verify_phone(session, user, phone)
    assert await _owners(database) == {FIRST: None, SECOND: PHONE, OTHER: "+79145550101"}
    async with database.sessions.begin() as session:  # sharing it again is harmless
        await verify_phone(session, SECOND, PHONE)
    assert (await _owners(database))[SECOND] == PHONE


async def test_two_accounts_sharing_one_phone_at_once_leave_one_owner(database: Database) -> None:
    async def share(user: int) -> None:
        async with database.sessions.begin() as session:
            await verify_phone(session, user, PHONE)

    async with database.sessions.begin() as first:
        await verify_phone(first, FIRST, PHONE)
        second = asyncio.create_task(share(SECOND))
        await asyncio.sleep(0.3)
        # The second waits for the first's transaction (an advisory lock on PostgreSQL, the write lock on
        # SQLite); without that it would not see the first's uncommitted row and both would keep the phone.
        assert not second.done()
    await asyncio.wait_for(second, 30)
    assert await _owners(database) == {FIRST: None, SECOND: PHONE}
