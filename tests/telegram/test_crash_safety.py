"""A `kefu webhook` process killed or stopped in the middle of a burst loses no shopper's answer.

Real subprocesses against the fake Bot API: Telegram re-sends every update that got no 2xx, to a fresh
process, and every shopper must get its answer; a SIGKILL may double at most the sends that were in
flight, a SIGTERM none.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from webhook_process import WebhookProcess, post, resend_until_acknowledged

from bot.storage.models import OutboxItem
from bot.storage.runtime import Database
from tests.conftest import REDIS_URL
from tests.support.fake_bot_api import FakeBotAPI

SHOPPERS = 60
FIRST_SHOPPER = 5300000000
#: Short claims and grace, so rows a killed process held are taken over within the test's time.
FAST_OUTBOX = {"KEFU_OUTBOX_LEASE_SECONDS": "3", "KEFU_OUTBOX_GRACE_SECONDS": "1"}


def shoppers_updates(fake: FakeBotAPI) -> list[dict[str, Any]]:
    return [fake.private_message(FIRST_SHOPPER + i, "你好", language_code="zh-hans") for i in range(SHOPPERS)]


def answers(fake: FakeBotAPI) -> dict[int, int]:
    """Replies each shopper got (sends that Telegram carried out)."""
    counts = {FIRST_SHOPPER + i: 0 for i in range(SHOPPERS)}
    for call in fake.find_calls("sendMessage", ok=True):
        chat = int(call.params["chat_id"])
        if chat in counts:
            counts[chat] += 1
    return counts


async def wait_all_answered(fake: FakeBotAPI, timeout: float = 40.0) -> dict[int, int]:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        counts = answers(fake)
        if all(counts.values()) or loop.time() > deadline:
            return counts
        await asyncio.sleep(0.2)


async def sends_in_flight(database: Database) -> int:
    """Sends the killed process had begun and not recorded as done: claimed, still pending."""
    async with database.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.state == "pending", OutboxItem.claimed_until.is_not(None))
            )
            or 0
        )


async def burst(url: str, updates: list[dict[str, Any]]) -> list[asyncio.Task[int | str]]:
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    tasks = [asyncio.create_task(post(session, url, update)) for update in updates]

    async def close_when_done() -> None:
        await asyncio.gather(*tasks, return_exceptions=True)
        await session.close()

    asyncio.get_running_loop().create_task(close_when_done())
    return tasks


@pytest.fixture(params=["no_redis", "redis"])
def shared_state(request: pytest.FixtureRequest) -> dict[str, str]:
    """The bot's environment without Redis, and with it (an empty scratch Redis database)."""
    if request.param == "no_redis":
        return {}
    request.getfixturevalue("redis")  # resolved here: an async test cannot ask for it by name
    return {"KEFU_REDIS_URL": REDIS_URL}


async def test_sigkill_in_the_middle_of_a_burst_loses_no_answer(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path, shared_state: dict[str, str]
) -> None:
    """60 shoppers at once on one process (paced sends, as deployed); SIGKILL once 15 answers are out; the unacknowledged updates re-sent to a fresh process. With Redis the same holds
    (it shares locks and limits; the mark is in the database)."""
    env = {**FAST_OUTBOX, **shared_state}
    updates = shoppers_updates(fake_api)
    first = await WebhookProcess.start(shop, fake_api.url, fake_api.token, tmp_path, **env)
    try:
        tasks = await burst(first.url, updates)
        await fake_api.wait_for(
            "sendMessage",
            count=15,
            timeout=60,
            predicate=lambda p: int(p["chat_id"]) >= FIRST_SHOPPER,
        )
        await first.kill()
        statuses = await asyncio.gather(*tasks)
    finally:
        if first.process.returncode is None:
            await first.kill()
    in_flight = await sends_in_flight(shop)
    unacknowledged = [u for u, status in zip(updates, statuses, strict=True) if status != 200]
    before = answers(fake_api)  # all the dead process sent
    answered_before = sum(1 for n in before.values() if n)
    # A 200 only once the reply was out: acknowledged updates were all answered before the kill.
    acknowledged = [u for u, status in zip(updates, statuses, strict=True) if status == 200]
    assert all(before[u["message"]["chat"]["id"]] for u in acknowledged)
    assert unacknowledged, "the kill came after the burst: nothing was tested"
    assert answered_before < SHOPPERS

    second = await WebhookProcess.start(shop, fake_api.url, fake_api.token, tmp_path, **env)
    try:
        assert await resend_until_acknowledged(second.url, unacknowledged) == []
        counts = await wait_all_answered(fake_api)
        # A repeat changes nothing: the same updates once more (a late retry) add no answer.
        assert await resend_until_acknowledged(second.url, updates) == []
        await asyncio.sleep(1.5)
    finally:
        await second.stop()
    never = [chat for chat, n in counts.items() if n == 0]
    assert never == [], f"{len(never)} of {SHOPPERS} shoppers never answered"
    doubled = sum(n - 1 for n in answers(fake_api).values() if n > 1)
    assert doubled <= in_flight, f"{doubled} answers doubled, {in_flight} sends were in flight"


async def test_sigterm_finishes_the_updates_in_hand_and_exits_0(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path
) -> None:
    """SIGTERM in the middle of a burst: updates in hand are answered and acknowledged, new ones are
    refused (Telegram sends them again later), the process exits 0; nothing lost, nothing doubled."""
    updates = shoppers_updates(fake_api)
    fake_api.delay_next("sendMessage", 0.3, times=SHOPPERS)  # Telegram slow: many updates in hand
    first = await WebhookProcess.start(shop, fake_api.url, fake_api.token, tmp_path, **FAST_OUTBOX)
    try:
        tasks = await burst(first.url, updates[:40])
        await fake_api.wait_for(
            "sendMessage", count=5, timeout=60, predicate=lambda p: int(p["chat_id"]) >= FIRST_SHOPPER
        )
        first.process.send_signal(signal.SIGTERM)
        await first.wait_refusing()
        late = await burst(first.url, updates[40:])  # arrive while it stops
        assert await first.stop(timeout=40) == 0, first.tail()
        statuses = await asyncio.gather(*tasks, *late)
    finally:
        if first.process.returncode is None:
            await first.kill()
    acknowledged = {u["update_id"] for u, s in zip(updates, statuses, strict=True) if s == 200}
    counts = answers(fake_api)
    for update in updates:
        if update["update_id"] in acknowledged:  # a 200 means: answered before the process went
            assert counts[update["message"]["chat"]["id"]] == 1
    assert all(s != 200 for s in statuses[40:]), "a stopping process took new updates"

    second = await WebhookProcess.start(shop, fake_api.url, fake_api.token, tmp_path, **FAST_OUTBOX)
    try:
        left = [u for u in updates if u["update_id"] not in acknowledged]
        assert await resend_until_acknowledged(second.url, left) == []
        counts = await wait_all_answered(fake_api)
    finally:
        assert await second.stop(signal.SIGINT) == 0, second.tail()
    assert sorted(counts.values()) == [1] * SHOPPERS  # every shopper answered exactly once


async def test_long_polling_killed_in_the_middle_of_a_burst_loses_no_answer(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path
) -> None:
    """`kefu run` confirms an update (the getUpdates offset) only once it is handled: killed in the
    middle of a burst, the next process gets again what was in hand, and answers what was not."""
    fake_api.push_updates(shoppers_updates(fake_api))
    fake_api.delay_next("sendMessage", 0.2, times=SHOPPERS)  # many turns in hand at the kill
    first = await WebhookProcess.start_polling(shop, fake_api.url, fake_api.token, tmp_path, **FAST_OUTBOX)
    try:
        await fake_api.wait_for(
            "sendMessage", count=10, timeout=60, predicate=lambda p: int(p["chat_id"]) >= FIRST_SHOPPER
        )
    finally:
        await first.kill()
    in_flight = await sends_in_flight(shop)
    assert sum(1 for n in answers(fake_api).values() if n) < SHOPPERS
    second = await WebhookProcess.start_polling(shop, fake_api.url, fake_api.token, tmp_path, **FAST_OUTBOX)
    try:
        counts = await wait_all_answered(fake_api)
        await asyncio.sleep(1.5)
    finally:
        assert await second.stop() == 0, second.tail()
    never = [chat for chat, n in counts.items() if n == 0]
    assert never == [], f"{len(never)} of {SHOPPERS} shoppers never answered"
    doubled = sum(n - 1 for n in answers(fake_api).values() if n > 1)
    assert doubled <= in_flight, f"{doubled} answers doubled, {in_flight} sends were in flight"


async def test_long_polling_sigterm_finishes_the_updates_in_hand_and_exits_0(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path
) -> None:
    """SIGTERM under long polling: no more getUpdates, the updates in hand answered, exit 0; what came
    later is answered by the next process, and nothing twice."""
    updates = shoppers_updates(fake_api)
    fake_api.push_updates(updates[:40])
    fake_api.delay_next("sendMessage", 0.3, times=SHOPPERS)
    first = await WebhookProcess.start_polling(shop, fake_api.url, fake_api.token, tmp_path, **FAST_OUTBOX)
    try:
        await fake_api.wait_for(
            "sendMessage", count=5, timeout=60, predicate=lambda p: int(p["chat_id"]) >= FIRST_SHOPPER
        )
        first.process.send_signal(signal.SIGTERM)
        await first.wait_logged("Polling stopped")
        fake_api.push_updates(updates[40:])
    finally:
        assert await first.stop(signal.SIGTERM) == 0, first.tail()
    assert await sends_in_flight(shop) == 0  # everything in hand finished and was recorded
    later = {u["message"]["chat"]["id"] for u in updates[40:]}
    assert not any(n for chat, n in answers(fake_api).items() if chat in later)
    second = await WebhookProcess.start_polling(shop, fake_api.url, fake_api.token, tmp_path, **FAST_OUTBOX)
    try:
        counts = await wait_all_answered(fake_api)
        await asyncio.sleep(1.5)
    finally:
        assert await second.stop(signal.SIGINT) == 0, second.tail()
    assert sorted(counts.values()) == [1] * SHOPPERS  # every shopper answered exactly once
