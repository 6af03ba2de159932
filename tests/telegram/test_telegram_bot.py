"""End-to-end: the real aiogram bot (dispatcher, routers, middlewares, HTTP client) against the fake Bot API.

Updates are fed through `Dispatcher.feed_raw_update` (one test long-polls through getUpdates), and every
outgoing call is the real aiogram request to the fake server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from redis.asyncio import Redis
from sqlalchemy import select

from bot.app import App, build_app
from bot.config import Settings
from bot.importing import import_file
from bot.storage.invites import create_invite
from bot.storage.models import Order
from bot.storage.runtime import Database
from bot.telegram.factory import create_bot, create_dispatcher, set_commands
from tests.conftest import REDIS_URL
from tests.support.fake_bot_api import FakeBotAPI

ALICE, BOB, STRANGER = 5100000001, 5100000002, 5100000099
SWEET = 7100000001
STAFF, OUTSIDER = 9000, 9999
STAFF_CHAT = -1001234567890


@dataclass
class Harness:
    fake: FakeBotAPI
    app: App
    bot: Bot
    dispatcher: Dispatcher

    async def feed(self, update: dict[str, Any]) -> None:
        await self.dispatcher.feed_raw_update(self.bot, self.fake.push_update(update))

    def texts_to(self, chat_id: int, since: int = 0) -> list[str]:
        return [c.get("text", "") for c in self.fake.sent_messages(chat_id=chat_id, since=since)]


def settings_for(database: Database, fake: FakeBotAPI) -> Settings:
    return Settings(
        database_url=str(database.engine.url.render_as_string(hide_password=False)),
        telegram_token=fake.token,
        telegram_api_url=fake.url,
        staff_chat_id=STAFF_CHAT,
        staff_user_ids=frozenset({STAFF}),
        telegram_rate_limits=False,  # pacing has its own tests; here it would only slow things down
        pending_spool=Path(tempfile.mkdtemp(prefix="kefu-spool-")) / "pending.jsonl",
    )


async def start(fake: FakeBotAPI, database: Database, **overrides: Any) -> Harness:
    settings = settings_for(database, fake).model_copy(update=overrides)
    app = build_app(settings, database)
    bot = create_bot(fake.token, fake.url)
    return Harness(fake, app, bot, create_dispatcher(app, bot))


@pytest_asyncio.fixture
async def tg(fake_api: FakeBotAPI, shop: Database) -> AsyncIterator[Harness]:
    fake_api.set_chat(STAFF_CHAT, type="supergroup", is_forum=True, title="kefu staff")
    harness = await start(fake_api, shop)
    yield harness
    await harness.bot.session.close()


async def escalate(tg: Harness, user: int = ALICE) -> int:
    await tg.feed(tg.fake.private_message(user, "转人工客服", language_code="zh-hans", first_name="Alice"))
    topics = tg.fake.calls_of("createForumTopic")
    assert topics, "no topic was opened"
    return int(tg.fake.topics(STAFF_CHAT)[-1]["message_thread_id"])


async def test_chinese_shopper_asks_for_a_product_and_an_order(tg: Harness) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "有爱莲巧100克吗", language_code="zh-hans"))
    [answer] = tg.fake.sent_messages(chat_id=ALICE)
    assert "爱莲巧牛奶巧克力 100克" in answer["text"] and "¥12.90" in answer["text"]
    assert "parse_mode" not in answer or answer["parse_mode"] in (None, "")
    mark = tg.fake.mark()
    await tg.feed(tg.fake.private_message(ALICE, "我的订单kf-250117-003到哪了", language_code="zh-hans"))
    [status] = tg.texts_to(ALICE, since=mark)
    assert "已发货" in status and "SF1234567890123" in status


async def test_product_choice_buttons_carry_ids_and_work(tg: Harness) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "爱莲巧", language_code="zh-hans"))
    [answer] = tg.fake.sent_messages(chat_id=ALICE)
    keyboard = answer["reply_markup"]["inline_keyboard"]
    data = [row[0]["callback_data"] for row in keyboard]
    assert all(len(d.encode()) <= 64 and d.startswith("p:") for d in data)
    mark = tg.fake.mark()
    await tg.feed(tg.fake.callback_query(ALICE, data[0]))
    assert tg.fake.calls_of("answerCallbackQuery", since=mark)
    assert "价格" in tg.texts_to(ALICE, since=mark)[0]


async def test_supplier_links_by_deep_link_and_ships_and_customer_hears_in_chinese(
    tg: Harness, shop: Database, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n"
        "KF-250122-006,5100000002,,paid,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1|KVAS-OCH-15:2,\n",
        encoding="utf-8",
    )
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)
        token = await create_invite(session, "SWEET")
    assert token is not None
    await tg.feed(tg.fake.private_message(BOB, "你好", language_code="zh-hans"))
    new_supplier = 7200000001
    await tg.feed(tg.fake.private_message(new_supplier, f"/start {token}", language_code="ru"))
    assert "поставщик" in tg.texts_to(new_supplier)[0]
    # the token is spent: another account gets the plain greeting, not a link
    await tg.feed(tg.fake.private_message(7200000002, f"/start {token}", language_code="ru"))
    assert "поставщик" not in tg.texts_to(7200000002)[0]

    mark = tg.fake.mark()
    await tg.feed(
        tg.fake.private_message(
            new_supplier, "KF-250122-006 отгрузили, трек RA123456789RU", language_code="ru"
        )
    )
    assert "отмечены как отгруженные" in tg.texts_to(new_supplier, since=mark)[0]
    [notice] = tg.texts_to(BOB, since=mark)
    assert "KF-250122-006" in notice and "已经发货" in notice and "RA123456789RU" in notice
    async with shop.sessions() as session:
        # SWEET shipped its chocolate; the kvass (another supplier's) is not shipped yet
        assert await session.scalar(select(Order.status).where(Order.order_no == "KF-250122-006")) == "paid"


async def test_escalation_opens_one_topic_with_a_context_card(tg: Harness) -> None:
    await tg.feed(tg.fake.private_message(ALICE, "有格瓦斯吗", language_code="zh-hans", first_name="Alice"))
    thread = await escalate(tg)
    [topic] = tg.fake.calls_of("createForumTopic")
    assert "Alice" in topic["name"] and "zh" in topic["name"]
    [card] = tg.fake.sent_messages(chat_id=STAFF_CHAT, thread_id=thread)
    for expected in ("5100000001", "有格瓦斯吗", "product_search", "KVAS-OCH-15", "KF-250117-003"):
        assert expected in card["text"]
    assert "人工" in tg.texts_to(ALICE)[-1]


async def test_relay_both_ways_with_replies_and_edits(tg: Harness) -> None:
    thread = await escalate(tg)
    customer = tg.fake.private_message(ALICE, "包裹破了，怎么办")
    await tg.feed(customer)
    [copy] = tg.fake.calls_of("copyMessage")
    assert copy["chat_id"] == STAFF_CHAT and copy["message_thread_id"] == thread
    staff_copy_id = tg.fake.find_calls("copyMessage")[0].result["message_id"]

    mark = tg.fake.mark()
    answer = tg.fake.group_message(
        STAFF_CHAT, STAFF, "请拍照发给我们", thread_id=thread, reply_to=staff_copy_id
    )
    await tg.feed(answer)
    [to_customer] = tg.fake.calls_of("copyMessage", since=mark)
    assert to_customer["chat_id"] == ALICE
    assert (
        to_customer["reply_parameters"]["message_id"] == customer["message"]["message_id"]
    )  # a reply stays a reply
    customer_copy_id = tg.fake.find_calls("copyMessage", since=mark)[0].result["message_id"]

    mark = tg.fake.mark()
    await tg.feed(
        tg.fake.edited_message(
            STAFF_CHAT, answer["message"]["message_id"], "请拍照片发给我们，谢谢", user_id=STAFF
        )
    )
    [edit] = tg.fake.calls_of("editMessageText", since=mark)
    assert (edit["chat_id"], edit["message_id"]) == (ALICE, customer_copy_id)

    mark = tg.fake.mark()
    await tg.feed(
        tg.fake.edited_message(ALICE, customer["message"]["message_id"], "包裹破了，里面的巧克力也碎了")
    )
    [edit] = tg.fake.calls_of("editMessageText", since=mark)
    assert (edit["chat_id"], edit["message_id"]) == (STAFF_CHAT, staff_copy_id)

    mark = tg.fake.mark()
    await tg.feed(tg.fake.sticker_message(ALICE))  # media is relayed too
    assert tg.fake.calls_of("copyMessage", since=mark)


async def test_outsiders_general_topic_and_service_messages_are_ignored(tg: Harness) -> None:
    thread = await escalate(tg)
    mark = tg.fake.mark()
    await tg.feed(tg.fake.group_message(STAFF_CHAT, OUTSIDER, "我也来回复一下", thread_id=thread))
    general = tg.fake.group_message(STAFF_CHAT, STAFF, "General 里的消息")
    await tg.feed(general)
    # a reply in General carries a misleading message_thread_id (the replied-to message's id)
    await tg.feed(
        tg.fake.group_message(
            STAFF_CHAT, STAFF, "reply in General", reply_to=general["message"]["message_id"]
        )
    )
    await tg.feed(tg.fake.forum_topic_edited(STAFF_CHAT, thread, "renamed", user_id=STAFF))
    await tg.feed(tg.fake.forum_topic_closed(STAFF_CHAT, thread, user_id=STAFF))
    assert tg.fake.calls_of("copyMessage", since=mark) == []
    assert tg.texts_to(ALICE, since=mark) == []


async def test_staff_close_gives_the_chat_back(tg: Harness) -> None:
    thread = await escalate(tg)
    mark = tg.fake.mark()
    await tg.feed(tg.fake.group_message(STAFF_CHAT, STAFF, "/note 顾客很着急", thread_id=thread))
    assert tg.texts_to(ALICE, since=mark) == []  # notes are never sent
    await tg.feed(tg.fake.group_message(STAFF_CHAT, STAFF, "/reply shipping", thread_id=thread))
    assert "顺丰" in tg.texts_to(ALICE, since=mark)[0]  # the customer's-language version
    mark = tg.fake.mark()
    await tg.feed(tg.fake.group_message(STAFF_CHAT, STAFF, "/close", thread_id=thread))
    assert "人工客服已结束" in tg.texts_to(ALICE, since=mark)[0]
    mark = tg.fake.mark()
    await tg.feed(tg.fake.private_message(ALICE, "你好"))
    assert "您好" in tg.texts_to(ALICE, since=mark)[0]
    assert tg.fake.calls_of("copyMessage", since=mark) == []


async def test_a_restart_in_the_middle_of_a_handoff_loses_nothing(tg: Harness, shop: Database) -> None:
    thread = await escalate(tg)
    await tg.bot.session.close()
    restarted = await start(tg.fake, shop)  # a new process: new bot, dispatcher, engine, relay
    try:
        mark = tg.fake.mark()
        await restarted.feed(tg.fake.private_message(ALICE, "还在吗"))
        [copy] = tg.fake.calls_of("copyMessage", since=mark)
        assert copy["message_thread_id"] == thread
        await restarted.feed(tg.fake.group_message(STAFF_CHAT, STAFF, "在的", thread_id=thread))
        assert tg.fake.calls_of("copyMessage", since=mark)[-1]["chat_id"] == ALICE
        assert len(tg.fake.calls_of("createForumTopic")) == 1
    finally:
        await restarted.bot.session.close()


async def test_two_simultaneous_first_messages_give_one_topic(tg: Harness) -> None:
    """The whole path. aiogram's event isolation already serialises one chat's updates here, so this
    passes even without the topic lock: the lock itself is tested in tests/telegram_unit/test_locks.py
    and, in the relay, in test_relay_edges.py."""
    first = tg.fake.push_update(tg.fake.private_message(ALICE, "转人工", language_code="zh-hans"))
    second = tg.fake.push_update(tg.fake.private_message(ALICE, "找客服！！", language_code="zh-hans"))
    await asyncio.gather(
        tg.dispatcher.feed_raw_update(tg.bot, first), tg.dispatcher.feed_raw_update(tg.bot, second)
    )
    assert len(tg.fake.calls_of("createForumTopic")) == 1


async def test_a_deleted_topic_is_recreated(tg: Harness) -> None:
    thread = await escalate(tg)
    tg.fake.delete_topic(STAFF_CHAT, thread)
    mark = tg.fake.mark()
    await tg.feed(tg.fake.private_message(ALICE, "有人吗"))
    assert len(tg.fake.calls_of("createForumTopic")) == 2
    new_thread = int(tg.fake.topics(STAFF_CHAT)[-1]["message_thread_id"])
    assert new_thread != thread
    copies = tg.fake.calls_of("copyMessage", since=mark, ok=True)
    assert copies and copies[-1]["message_thread_id"] == new_thread
    assert any(
        "5100000001" in m.get("text", "")
        for m in tg.fake.sent_messages(chat_id=STAFF_CHAT, thread_id=new_thread)
    )


async def test_repeated_updates_are_handled_once(tg: Harness) -> None:
    update = tg.fake.push_update(tg.fake.private_message(ALICE, "你好"))
    await tg.dispatcher.feed_raw_update(tg.bot, update)
    await tg.dispatcher.feed_raw_update(tg.bot, update)
    assert len(tg.texts_to(ALICE)) == 1


async def test_contact_must_be_the_senders_own(tg: Harness) -> None:
    await tg.feed(tg.fake.contact_message(STRANGER, "+8613800000002", contact_user_id=ALICE))
    assert "KF-250120-004" not in tg.texts_to(STRANGER)[-1]
    await tg.feed(tg.fake.contact_message(STRANGER, "+8613800000002", contact_user_id=STRANGER))
    assert "KF-250120-004" in tg.texts_to(STRANGER)[-1]


async def test_a_contact_card_without_an_owner_asks_for_the_button_and_verifies_nothing(tg: Harness) -> None:
    # A card typed in or picked from the address book carries no user_id; the share button always does.
    await tg.feed(
        tg.fake.contact_message(STRANGER, "+8613800000002", contact_user_id=None, language_code="zh-hans")
    )
    [answer] = tg.fake.sent_messages(chat_id=STRANGER)
    assert "按钮" in answer["text"] and "别人" not in answer["text"]
    assert answer["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    await tg.feed(tg.fake.private_message(STRANGER, "我的订单"))
    assert "KF-250120-004" not in tg.texts_to(STRANGER)[-1]


async def test_stickers_get_a_polite_word(tg: Harness) -> None:
    await tg.feed(tg.fake.sticker_message(BOB))
    [reply] = tg.texts_to(BOB)
    assert "文字" in reply or "текст" in reply


async def test_commands_menus_per_language(tg: Harness) -> None:
    await set_commands(tg.bot, tg.app)
    calls = tg.fake.calls_of("setMyCommands")
    assert sorted(c.get("language_code") or "" for c in calls) == ["", "ru", "zh"]


async def test_webhook_checks_the_secret_and_answers_health(fake_api: FakeBotAPI, shop: Database) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.telegram.run import WEBHOOK_PATH, create_webhook_app

    harness = await start(fake_api, shop)
    web_app = create_webhook_app(harness.app, harness.bot, harness.dispatcher, "s3cret")
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
        update = fake_api.push_update(fake_api.private_message(ALICE, "你好"))
        assert (await client.post(WEBHOOK_PATH, json=update)).status == 401
        assert (
            await client.post(WEBHOOK_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
        ).status == 401
        assert fake_api.sent_messages(chat_id=ALICE) == []
        ok = await client.post(
            WEBHOOK_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
        assert ok.status == 200
        assert "您好" in fake_api.sent_messages(chat_id=ALICE)[0]["text"]
        health = await client.get("/healthz")
        assert health.status == 200 and (await health.json())["ok"] is True
    await harness.bot.session.close()


async def test_kefu_run_long_polls_the_configured_api(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path
) -> None:
    """`kefu run` with KEFU_TELEGRAM_API_URL pointed at the fake works with no code change."""
    await _kefu_run_answers(fake_api, shop, tmp_path, {})


async def test_kefu_run_long_polls_with_shared_state_in_redis(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path, redis: Redis
) -> None:
    """The same with KEFU_REDIS_URL: the polling dispatcher (keeps updates over a Redis outage)."""
    await _kefu_run_answers(fake_api, shop, tmp_path, {"KEFU_REDIS_URL": REDIS_URL})


async def _kefu_run_answers(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path, extra: dict[str, str]
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "KEFU_REDIS_URL"},
        "KEFU_DATABASE_URL": shop.engine.url.render_as_string(hide_password=False),
        "KEFU_TELEGRAM_TOKEN": fake_api.token,
        "KEFU_TELEGRAM_API_URL": fake_api.url,
        **extra,
    }
    fake_api.push_update(fake_api.private_message(ALICE, "你好", language_code="zh-hans"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake_api.wait_for("sendMessage", predicate=lambda p: p.get("chat_id") == ALICE, timeout=60)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert "您好" in fake_api.sent_messages(chat_id=ALICE)[0]["text"]
    assert fake_api.calls_of("deleteWebhook") == [] or all(
        not c.get("drop_pending_updates") for c in fake_api.calls_of("deleteWebhook")
    )


async def test_kefu_run_without_token_explains_and_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KEFU_TELEGRAM_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await process.communicate()
    assert process.returncode == 2
    assert b"@BotFather" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [("有爱莲巧吗", "爱莲巧牛奶巧克力 100克"), ("Есть квас?", "Квас «Очаковский» 1.5 л")],
)
async def test_ptb_handlers_answer_through_the_same_engine(
    fake_api: FakeBotAPI, shop: Database, text: str, expected: str
) -> None:
    from telegram import Update
    from telegram.ext import Application

    from bot.telegram.ptb import add_kefu_handlers

    harness = await start(fake_api, shop)
    application = Application.builder().token(fake_api.token).base_url(f"{fake_api.url}/bot").build()
    add_kefu_handlers(application, harness.app.engine, harness.app.i18n)
    async with application:
        update = Update.de_json(fake_api.private_message(ALICE, text), application.bot)
        await application.process_update(update)
    [answer] = fake_api.sent_messages(chat_id=ALICE)
    assert expected in answer["text"]  # this question's product, not merely one of the two
    await harness.bot.session.close()


async def test_ptb_contact_verifies_only_the_senders_own_card(fake_api: FakeBotAPI, shop: Database) -> None:
    from telegram import Update
    from telegram.ext import Application

    from bot.telegram.ptb import add_kefu_handlers

    harness = await start(fake_api, shop)
    application = Application.builder().token(fake_api.token).base_url(f"{fake_api.url}/bot").build()
    add_kefu_handlers(application, harness.app.engine, harness.app.i18n)
    cards = [None, STRANGER]  # a card without an owner, then the share button's own card
    async with application:
        for owner in cards:
            raw = fake_api.contact_message(
                STRANGER, "8613800000002", contact_user_id=owner, language_code="zh-hans"
            )
            await application.process_update(Update.de_json(raw, application.bot))
    refused, verified = fake_api.sent_messages(chat_id=STRANGER)
    assert (
        "按钮" in refused["text"] and "别人" not in refused["text"] and "KF-250120-004" not in refused["text"]
    )
    assert "KF-250120-004" in verified["text"]
    await harness.bot.session.close()


async def test_kefu_webhook_register_sets_the_webhook_once_and_exits(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KEFU_DATABASE_URL": shop.engine.url.render_as_string(hide_password=False),
        "KEFU_TELEGRAM_TOKEN": fake_api.token,
        "KEFU_TELEGRAM_API_URL": fake_api.url,
        "KEFU_WEBHOOK_SECRET": "s3cret",
        "KEFU_WEBHOOK_URL": "https://shop.example",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "webhook", "--register", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    [hook] = fake_api.calls_of("setWebhook")
    assert hook["url"] == "https://shop.example/telegram/webhook" and hook["secret_token"] == "s3cret"
    assert len(fake_api.calls_of("setMyCommands")) == 3
