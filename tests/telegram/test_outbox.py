"""The outbox under the real bot: rows a turn left unsent are sent once, by whoever claims them first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select, update
from test_telegram_bot import ALICE, BOB, STAFF_CHAT, Harness, start

from bot.engine.messages import Incoming, Reply
from bot.storage import outbox as store
from bot.storage.models import OutboxItem, ProcessedUpdate
from bot.storage.runtime import Database
from bot.telegram.outbox import MAX_ATTEMPTS, TelegramOutbox, TurnPlan
from tests.support.fake_bot_api import FakeBotAPI


@pytest_asyncio.fixture
async def tg(fake_api: FakeBotAPI, shop: Database) -> AsyncIterator[Harness]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, shop)
    yield harness
    await harness.bot.session.close()


def outbox_of(tg: Harness) -> TelegramOutbox:
    outbox = tg.dispatcher["outbox"]
    assert isinstance(outbox, TelegramOutbox)
    return outbox


async def crashed_turn(tg: Harness, user: int, text: str, update_id: int) -> TurnPlan:
    """A turn that committed and whose process died before sending anything."""
    plan = TurnPlan(update_id, user, "Alice")
    reply = await tg.app.engine.handle_once(Incoming(user, text, "zh-hans", update_id=update_id), plan)
    assert reply is not None and plan.items
    return plan


async def rows(database: Database) -> list[OutboxItem]:
    async with database.sessions() as session:
        return list((await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all())


async def test_a_turn_commits_its_mark_and_its_reply_together(tg: Harness, shop: Database) -> None:
    update_id = 700001
    await crashed_turn(tg, ALICE, "你好", update_id)
    async with shop.sessions() as session:
        assert await session.get(ProcessedUpdate, update_id) is not None
    [row] = await rows(shop)
    assert (row.kind, row.state, row.update_id, row.chat_id) == ("reply", "pending", update_id, ALICE)
    assert tg.fake.sent_messages(chat_id=ALICE) == []
    # the repeat changes nothing in the conversation and sends what the first handling owed, once
    assert await tg.app.engine.handle_once(Incoming(ALICE, "你好", update_id=update_id)) is None
    await outbox_of(tg).deliver_update(update_id)
    await outbox_of(tg).deliver_update(update_id)
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1
    assert [r.state for r in await rows(shop)] == ["sent"]


async def test_the_delivery_loop_sends_what_a_dead_process_left_once(tg: Harness, shop: Database) -> None:
    await crashed_turn(tg, ALICE, "你好", 700002)
    await crashed_turn(tg, BOB, "有格瓦斯吗", 700003)
    outbox = outbox_of(tg)
    assert await outbox.deliver_due() == 0  # younger than the grace: left to the process that wrote it
    assert await outbox.deliver_due(older_than=0) == 2
    assert await outbox.deliver_due(older_than=0) == 0
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1
    assert "格瓦斯" in tg.fake.sent_messages(chat_id=BOB)[0]["text"]


async def test_a_row_held_by_a_live_claim_is_not_taken_until_the_claim_lapses(
    tg: Harness, shop: Database
) -> None:
    await crashed_turn(tg, ALICE, "你好", 700004)
    async with shop.sessions.begin() as session:
        [held] = await store.claim(session, lease=60, older_than=0)  # a process that then died
    outbox = outbox_of(tg)
    assert await outbox.deliver_due(older_than=0) == 0
    async with shop.sessions.begin() as session:
        await session.execute(update(OutboxItem).values(claimed_until=held.created_at))  # lapsed
    assert await outbox.deliver_due(older_than=0) == 1
    assert len(tg.fake.sent_messages(chat_id=ALICE)) == 1


async def test_two_processes_sweeping_at_once_send_each_row_once(
    fake_api: FakeBotAPI, shop: Database
) -> None:
    first, second = await start(fake_api, shop), await start(fake_api, shop)
    try:
        users = [5400000000 + i for i in range(12)]
        for index, user in enumerate(users):
            await crashed_turn(first, user, "你好", 710000 + index)
        await asyncio.gather(
            outbox_of(first).deliver_due(older_than=0, limit=5),
            outbox_of(second).deliver_due(older_than=0, limit=5),
            outbox_of(first).deliver_due(older_than=0, limit=5),
            outbox_of(second).deliver_due(older_than=0, limit=5),
        )
        assert sorted(len(fake_api.sent_messages(chat_id=user)) for user in users) == [1] * len(users)
    finally:
        await first.bot.session.close()
        await second.bot.session.close()


async def test_a_long_reply_resumes_after_the_parts_already_sent(tg: Harness, shop: Database) -> None:
    plan = TurnPlan(700005, ALICE, "Alice")
    long_text = "\n".join(f"第{i}行：" + "很长的回答。" * 40 for i in range(60))
    async with shop.sessions.begin() as session:
        await plan(session, Reply([long_text], "greeting", "zh", handoff=False))
        [item] = plan.items
        item.progress = 1  # the first part went out before the process died
    await outbox_of(tg).deliver_due(older_than=0)
    sent = tg.fake.sent_messages(chat_id=ALICE)
    assert len(sent) >= 1 and all(len(m["text"]) <= 4096 for m in sent)
    assert not sent[0]["text"].startswith("第0行")  # the first part was not sent again
    assert sent[-1]["text"].endswith("很长的回答。")


async def test_a_send_that_keeps_failing_backs_off_and_is_given_up_at_the_cap(
    tg: Harness, shop: Database
) -> None:
    await crashed_turn(tg, ALICE, "你好", 700006)
    outbox = outbox_of(tg)
    tg.fake.fail_next("sendMessage", status=500, times=1000)
    assert await outbox.deliver_due(older_than=0) == 1
    [row] = await rows(shop)
    assert row.state == "pending" and row.due_at > row.created_at  # later, not at once
    assert await outbox.deliver_due(older_than=0) == 0  # not due yet: no tight loop
    async with shop.sessions.begin() as session:
        await session.execute(update(OutboxItem).values(attempts=MAX_ATTEMPTS - 1, due_at=row.created_at))
    assert await outbox.deliver_due(older_than=0) == 1
    [row] = await rows(shop)
    assert row.state == "failed" and row.last_error


async def test_a_blocked_customer_fails_its_row_for_good_without_retries(tg: Harness, shop: Database) -> None:
    await crashed_turn(tg, ALICE, "你好", 700007)
    tg.fake.block(ALICE)
    await outbox_of(tg).deliver_due(older_than=0)
    [row] = await rows(shop)
    assert row.state == "failed"
    assert len([c for c in tg.fake.find_calls("sendMessage") if not c.ok]) == 1


async def test_a_handoff_started_and_relayed_through_the_outbox(tg: Harness, shop: Database) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "转人工", language_code="zh-hans", first_name="Alice"))
    await tg.feed(tg.fake.private_message(ALICE, "我的包裹丢了"))
    kinds = [(r.kind, r.state) for r in await rows(shop)]
    assert kinds == [("reply", "sent"), ("open_topic", "sent"), ("to_staff", "sent")]
    [copy] = tg.fake.calls_of("copyMessage")
    assert copy["chat_id"] == STAFF_CHAT


async def test_a_slow_send_keeps_its_claim_so_no_other_process_doubles_it(
    fake_api: FakeBotAPI, shop: Database
) -> None:
    first = await start(fake_api, shop, outbox_lease_seconds=0.6)
    second = await start(fake_api, shop, outbox_lease_seconds=0.6)
    try:
        await crashed_turn(first, ALICE, "你好", 720001)
        fake_api.delay_next("sendMessage", 2.0)  # a send far longer than the lease (a 429 waited out)
        slow = asyncio.create_task(outbox_of(first).deliver_due(older_than=0))
        await asyncio.sleep(1.2)
        assert await outbox_of(second).deliver_due(older_than=0) == 0  # still claimed: renewed
        await slow
        assert len(fake_api.sent_messages(chat_id=ALICE)) == 1
        assert [r.state for r in await rows(shop)] == ["sent"]
    finally:
        await first.bot.session.close()
        await second.bot.session.close()
