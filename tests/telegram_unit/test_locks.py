"""bot/telegram/locks.py on its own, without aiogram (whose event isolation would serialise the callers and
hide a lock that does nothing): two holders of one key never overlap, in memory and through Redis."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.telegram.locks import Locks
from tests.conftest import REDIS_URL


async def overlap(first: Locks, second: Locks, key: str = "topic:5100000001") -> list[str]:
    """What happens when `second` asks for `key` while `first` holds it: the order of entries and exits.

    The first holder stays inside until the second has been given every chance to enter (it is
    scheduled several times over; a lock that does nothing lets it straight in, since entering then
    never waits), so a working lock gives +first -first +second -second and a no-op +first +second ...
    """
    events: list[str] = []
    inside, leave = asyncio.Event(), asyncio.Event()

    async def hold(locks: Locks, name: str, until: asyncio.Event | None) -> None:
        async with locks.hold(key):
            events.append(f"+{name}")
            inside.set()
            if until is not None:
                await until.wait()
            events.append(f"-{name}")

    holder = asyncio.create_task(hold(first, "first", leave))
    await inside.wait()
    waiter = asyncio.create_task(hold(second, "second", None))
    for _ in range(20):
        await asyncio.sleep(0)  # count-based, not time-based: the waiter runs as far as it can
    leave.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter), 30)
    return events


async def test_two_holders_in_one_process_take_turns() -> None:
    locks = Locks()
    assert await overlap(locks, locks) == ["+first", "-first", "+second", "-second"]
    assert locks._local == {}  # nobody waits any more: no lock kept for the key


async def test_two_processes_take_turns_through_redis(redis: Redis) -> None:
    # Two Locks on two connections are two bot processes: only Redis can keep them apart.
    other = Redis.from_url(REDIS_URL)
    try:
        assert await overlap(Locks(redis), Locks(other)) == ["+first", "-first", "+second", "-second"]
        assert await redis.exists("kefu:lock:topic:5100000001") == 0  # released, not left to expire
    finally:
        await other.aclose()


async def test_other_keys_do_not_wait(redis: Redis) -> None:
    locks = Locks(redis)
    async with locks.hold("topic:1"):
        async with asyncio.timeout(10):
            async with locks.hold("topic:2"):
                pass
