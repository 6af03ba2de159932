"""The per-user flood limit counts a sliding minute, in memory and in Redis alike."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.config import get_settings
from bot.engine.i18n import I18n
from bot.telegram import flood_limit
from bot.telegram.flood_limit import UserFloodLimit


async def _burst_across_a_minute_boundary(
    limit: UserFloodLimit, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    counts = []
    for t in (59.0, 59.3, 59.6, 60.1, 60.4, 60.7, 130.0):
        monkeypatch.setattr(flood_limit.time, "time", lambda t=t: 1_700_000_000.0 - 1_700_000_000.0 % 60 + t)
        counts.append(await limit._count(42))
    return counts


async def test_memory_window_slides(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = UserFloodLimit(5, I18n(get_settings().locales_dir))
    # six messages within two seconds count as six, though a calendar minute starts among them
    assert await _burst_across_a_minute_boundary(limit, monkeypatch) == [1, 2, 3, 4, 5, 6, 1]


async def test_redis_window_slides(monkeypatch: pytest.MonkeyPatch, redis: Redis) -> None:
    limit = UserFloodLimit(5, I18n(get_settings().locales_dir), redis=redis)
    assert await _burst_across_a_minute_boundary(limit, monkeypatch) == [1, 2, 3, 4, 5, 6, 1]
