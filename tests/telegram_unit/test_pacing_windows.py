"""Pacing: no window of Telegram's limits ever holds too many sends, in one process or across two that
share Redis. Each test records when every send was let through and counts the sends in every sliding
window (no timing margins: a loaded machine only makes sends later, never more per window)."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Sequence

import pytest
from redis.asyncio import Redis

from bot.telegram.delivery import OutboxLimits, RateLimiter, SharedRateLimiter

GROUP = -1001234567890


def busiest(stamps: Sequence[float], window: float) -> int:
    """The most sends in any window of `window` seconds (each window starts at a send: the worst)."""
    ordered = sorted(stamps)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


async def burst(limiters: Sequence[RateLimiter], chats: Sequence[int | str | None]) -> list[float]:
    """Everything at once: send i goes through limiter i % len(limiters) to chats[i]."""
    stamps: list[float] = []

    async def send(index: int) -> None:
        await limiters[index % len(limiters)].acquire(chats[index])
        stamps.append(time.monotonic())

    await asyncio.gather(*(send(i) for i in range(len(chats))))
    return stamps


@pytest.fixture
async def clean_redis(redis: Redis) -> Redis:
    keys = await redis.keys("kefu:rate:*")
    if keys:
        await redis.delete(*keys)
    return redis


def test_the_window_helper_counts_sliding_windows() -> None:
    assert busiest([0.0, 0.5, 0.99, 1.0, 1.2], 1.0) == 4  # [0, 1) holds 3, [0.5, 1.5) holds 4
    assert busiest([0.0, 0.5, 0.99, 1.0, 1.2], 0.6) == 3


async def test_one_process_never_sends_more_than_30_in_any_second() -> None:
    stamps = await burst([RateLimiter(OutboxLimits())], [5100000000 + i for i in range(75)])
    assert len(stamps) == 75  # queued, none dropped
    assert busiest(stamps, 1.0) <= 30


async def test_two_processes_sharing_redis_never_send_more_than_30_in_any_second(clean_redis: Redis) -> None:
    limits = OutboxLimits()
    pair = [SharedRateLimiter(limits, clean_redis), SharedRateLimiter(limits, clean_redis)]
    stamps = await burst(pair, [5100000000 + i for i in range(80)])
    assert len(stamps) == 80
    assert busiest(stamps, 1.0) <= 30


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "two-processes"])
async def test_a_private_chat_gets_its_burst_then_its_rate(shared: bool, clean_redis: Redis) -> None:
    limits = OutboxLimits(per_chat_per_second=10, chat_burst=3)  # the real 1/s, ten times faster
    if shared:
        limiters: list[RateLimiter] = [
            SharedRateLimiter(limits, clean_redis),
            SharedRateLimiter(limits, clean_redis),
        ]
    else:
        limiters = [RateLimiter(limits)]
    stamps = await burst(limiters, [5100000001] * 25)
    assert busiest(stamps, 0.05) <= 3  # within half an interval, the burst at most
    assert busiest(stamps, 1.0) <= 10 + 3 - 1  # the rate, plus the burst once


@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "two-processes"])
async def test_a_group_never_gets_more_than_its_count_in_any_window(shared: bool, clean_redis: Redis) -> None:
    # 20 a minute, with the minute shortened to one second
    limits = OutboxLimits(per_group_per_minute=20, group_burst=3, group_period=1.0)
    if shared:
        limiters: list[RateLimiter] = [
            SharedRateLimiter(limits, clean_redis),
            SharedRateLimiter(limits, clean_redis),
        ]
    else:
        limiters = [RateLimiter(limits)]
    stamps = await burst(limiters, [GROUP] * 45)
    assert busiest(stamps, 1.0) <= 20
    assert busiest(stamps, 0.001) <= 3  # the burst


async def test_a_busy_group_does_not_hold_up_private_chats() -> None:
    limiter = RateLimiter(OutboxLimits(per_group_per_minute=20, group_burst=1, group_period=60.0))
    await limiter.acquire(GROUP)
    waiting = asyncio.create_task(limiter.acquire(GROUP))  # ~3 s away
    await asyncio.gather(*(limiter.acquire(5100000000 + i) for i in range(10)))
    assert not waiting.done()  # ten private sends went while the group's post waits its turn
    waiting.cancel()
    assert limiter.backlog(GROUP) > 1.0
