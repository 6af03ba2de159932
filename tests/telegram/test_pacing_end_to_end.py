"""Two bot processes' real HTTP clients, paced through one Redis, under a burst: Telegram (the fake Bot
API, counting every sliding second as Telegram does) never has a reason to answer 429."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.telegram.delivery import OutboxLimits, ReliableRequests, SharedRateLimiter
from bot.telegram.factory import create_bot
from tests.support.fake_bot_api import FakeBotAPI


async def test_two_processes_under_a_burst_stay_within_30_a_second(
    fake_api: FakeBotAPI, redis: Redis
) -> None:
    keys = await redis.keys("kefu:rate:*")
    if keys:
        await redis.delete(*keys)
    fake_api.limit_rate(30, 1.0)
    bots = [create_bot(fake_api.token, fake_api.url) for _ in range(2)]
    for bot in bots:
        bot.session.middleware(ReliableRequests(SharedRateLimiter(OutboxLimits(), redis), attempts=1))
    try:
        await asyncio.gather(
            *(bots[i % 2].send_message(5100000000 + i, f"第{i}条") for i in range(70))
        )  # attempts=1: a 429 would raise here
    finally:
        for bot in bots:
            await bot.session.close()
    assert len(fake_api.sent_messages()) == 70
    assert not fake_api.find_calls("sendMessage", ok=False)
