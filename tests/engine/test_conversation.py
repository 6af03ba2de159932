"""Conversation scripts of several turns, both languages, all roles (tests/fixtures/shop)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.engine.conversation import Engine
from bot.importing import import_file
from bot.storage.models import Conversation, Message, Order, Parcel, Product
from bot.storage.runtime import Database
from tests.engine.conftest import STAFF, Say

ALICE, BOB, STRANGER = 5100000001, 5100000002, 5100000099
SWEET, DRINK = 7100000001, 7100000002


async def test_greets_in_the_language_of_the_message(say: Say) -> None:
    zh = await say(ALICE, "你好")
    assert (zh.intent, zh.lang, zh.handoff) == ("greeting", "zh", False)
    assert "您好" in zh.text
    ru = await say(BOB, "Здравствуйте!")
    assert (ru.intent, ru.lang) == ("greeting", "ru")
    assert "Здравствуйте" in ru.text


async def test_first_contact_without_words_uses_the_client_language(say: Say) -> None:
    reply = await say(STRANGER, "👍", lang_code="ru-RU")
    assert reply.lang == "ru"
    reply = await say(STRANGER + 1, "/start", lang_code="zh-hans")
    assert reply.lang == "zh"


async def test_language_is_remembered_switched_and_kept_on_one_word(say: Say) -> None:
    assert (await say(ALICE, "Здравствуйте, есть квас?")).lang == "ru"
    assert (await say(ALICE, "👍")).lang == "ru"  # emoji only: keeps the last language
    assert (await say(ALICE, "ok")).lang == "ru"
    switched = await say(ALICE, "说中文")
    assert switched.lang == "zh" and "中文" in switched.text
    assert (await say(ALICE, "👌")).lang == "zh"
    assert (await say(ALICE, "/lang ru")).lang == "ru"
    assert (await say(ALICE, "по-русски")).lang == "ru"


async def test_product_with_price_stock_and_follow_up(say: Say) -> None:
    reply = await say(ALICE, "有爱莲巧100克吗")
    assert reply.intent == "product_search" and reply.lang == "zh"
    assert "爱莲巧牛奶巧克力 100克" in reply.text
    assert "¥12.90" in reply.text and "有现货" in reply.text
    follow = await say(ALICE, "那个多少钱")
    assert follow.intent == "product_price"
    assert "¥12.90" in follow.text


async def test_russian_product_question_and_follow_up(say: Say) -> None:
    reply = await say(BOB, "Есть квас?")
    assert reply.lang == "ru" and "Квас «Очаковский» 1.5 л" in reply.text
    follow = await say(BOB, "а сколько стоит?")
    assert follow.intent == "product_price" and "15\u00a0¥" in follow.text


async def test_out_of_stock_offers_in_stock_alternatives(say: Say) -> None:
    reply = await say(ALICE, "爱莲巧200克有货吗")
    assert "爱莲巧牛奶巧克力 200克" in reply.text
    assert "暂时缺货" in reply.text
    assert "爱莲巧牛奶巧克力 100克" in reply.text  # same category, in stock
    assert any("100克" in b.text for b in reply.buttons)


async def test_customer_order_status_with_timeline_lines_and_tracking(say: Say) -> None:
    reply = await say(ALICE, "我的订单 ＫＦ－２５０１１７－００３ 到哪了")
    assert reply.intent == "order_status"
    for expected in (
        "KF-250117-003",
        "已发货",
        "SF1234567890123",
        "爱莲巧牛奶巧克力 100克 × 2",
        "¥25.80",
        "合计",
    ):
        assert expected in reply.text


def _scrub(text: str, *numbers: str) -> str:
    for number in numbers:
        text = text.replace(number, "#")
    return text


@pytest.mark.parametrize("form", ["KF-250117-003", "kf250117003", "ＫＦ２５０１１７００３"])
async def test_someone_elses_order_reads_exactly_like_a_missing_one(say: Say, form: str) -> None:
    other = await say(BOB, f"我的订单{form}到哪了")
    missing = await say(BOB + 1000, "我的订单KF-250117-999到哪了")
    assert _scrub(other.text, "KF250117003", form) == _scrub(missing.text, "KF250117999", "KF-250117-999")
    for leak in ("已发货", "SF1234567890123", "爱莲巧", "格瓦斯", "¥", "5100000001"):
        assert leak not in other.text
    assert other.buttons == missing.buttons


async def test_order_status_without_number_lists_or_shows_own_orders(say: Say) -> None:
    reply = await say(ALICE, "我的订单到哪了")
    assert "KF-250117-003" in reply.text and "KF-250118-001" in reply.text
    assert {b.data for b in reply.buttons} == {"o:KF-250117-003", "o:KF-250118-001"}
    nothing = await say(STRANGER, "我的订单到哪了")
    assert nothing.request_contact and "KF-" not in nothing.text


async def test_a_forged_order_button_reveals_nothing(say: Say) -> None:
    forged = await say(BOB, callback="o:KF-250117-003")
    assert "已发货" not in forged.text and "SF1234567890123" not in forged.text


async def test_button_data_with_a_nul_byte_is_answered_and_logged_on_both_databases(say: Say) -> None:
    """Button data is not cleaned like text; PostgreSQL refuses NUL in text, so the log drops it."""
    reply = await say(BOB, callback="o:\x00KF")
    assert reply.intent and "\x00" not in reply.text


async def test_sharing_own_phone_opens_phone_orders_and_someone_elses_contact_does_not(say: Say) -> None:
    refused = await say(STRANGER, contact_phone="+8613800000002", contact_user_id=ALICE)
    assert "KF-250120-004" not in refused.text
    assert "KF-250120-004" not in (await say(STRANGER, "我的订单")).text
    accepted = await say(STRANGER, contact_phone="8613800000002", contact_user_id=STRANGER)
    assert "KF-250120-004" in accepted.text
    assert "KF-250120-004" in (await say(STRANGER, "订单KF-250120-004到哪了")).text


async def test_a_us_contact_does_not_open_the_orders_of_the_chinese_number_with_the_same_digits(
    say: Say,
) -> None:
    # Telegram sends +1 380 000 0002 as "13800000002": the same digits as the Chinese mobile of KF-250120-004.
    us = await say(STRANGER, contact_phone="13800000002", contact_user_id=STRANGER)
    assert "KF-250120-004" not in us.text
    assert "清关" not in (await say(STRANGER, "订单KF-250120-004到哪了")).text  # told only "not found"


async def test_a_phone_is_verified_to_the_latest_account_that_shared_it(say: Say) -> None:
    first, second = STRANGER, STRANGER + 1
    assert "KF-250120-004" in (await say(first, contact_phone="+8613800000002", contact_user_id=first)).text
    assert "KF-250120-004" in (await say(second, contact_phone="8613800000002", contact_user_id=second)).text
    assert "清关" not in (await say(first, "订单KF-250120-004到哪了")).text  # customs: told only "not found"
    assert "KF-250120-004" not in (await say(first, "我的订单")).text
    assert "KF-250120-004" in (await say(second, "我的订单")).text


async def test_a_contact_card_without_an_owner_never_verifies_and_asks_for_the_button(say: Say) -> None:
    reply = await say(STRANGER, contact_phone="+8613800000002", lang_code="zh-hans")
    assert reply.request_contact and "KF-250120-004" not in reply.text
    assert "按钮" in reply.text and "别人" not in reply.text  # not told it is someone else's card
    assert "KF-250120-004" not in (await say(STRANGER, "我的订单")).text


async def _extra_order(shop: Database, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n"
        "KF-250122-006,5100000002,,paid,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1|KVAS-OCH-15:2,\n",
        encoding="utf-8",
    )
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)


async def test_supplier_sees_only_its_lines_and_ships_with_tracking(
    say: Say, shop: Database, tmp_path: Path
) -> None:
    await _extra_order(shop, tmp_path)
    await say(BOB, "你好")  # Bob talks Chinese: the notice must be in Chinese
    todo = await say(SWEET, "/orders", lang_code="ru")  # a Russian supplier's Telegram client
    assert todo.lang == "ru" and "заказ" in todo.text  # in Russian, not merely "some language"
    assert "KF-250122-006" in todo.text and "KF-250117-003" not in todo.text  # only orders still to ship
    card = await say(SWEET, "Какой статус заказа KF-250122-006?")
    assert "Алёнка" in card.text and "Квас" not in card.text  # its own line only

    shipped = await say(SWEET, "Заказ KF-250122-006 отгрузили, трек RA123456789RU")
    assert shipped.intent == "supplier_ship" and shipped.lang == "ru"
    assert "отгруж" in shipped.text and "RA123456789RU (Почта России)" in shipped.text
    assert [(n.user_id, n.lang) for n in shipped.notifications] == [(BOB, "zh")]
    notice = shipped.notifications[0].text
    assert "KF-250122-006" in notice and "已经发货" in notice and "RA123456789RU（俄罗斯邮政）" in notice
    assert "爱莲巧" in notice and "格瓦斯" not in notice  # the parcel carries the chocolate only
    async with shop.sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_no == "KF-250122-006"))
        assert order is not None and order.status == "paid"  # the kvass is not shipped yet
        parcel = await session.scalar(select(Parcel).where(Parcel.order_id == order.id))
        assert parcel is not None and (parcel.tracking_no, parcel.reported_by) == ("RA123456789RU", "SWEET")
    assert "KF-250122-006" not in (await say(SWEET, "/orders")).text  # its part is done

    # The kvass supplier: the order is still to do, and nothing of the other supplier's parcel shows.
    assert "KF-250122-006" in (await say(DRINK, "/orders")).text
    other = await say(DRINK, "KF-250122-006")
    assert "RA123456789RU" not in other.text and "отгружен" not in other.text and "已发货" not in other.text
    done = await say(DRINK, "KF-250122-006 已发货 SF1234567890001")
    (notice,) = done.notifications
    assert "格瓦斯 1.5升 × 2" in notice.text and "SF1234567890001（顺丰速运）" in notice.text
    assert "全部商品都已发出" in notice.text
    async with shop.sessions() as session:
        status = await session.scalar(select(Order.status).where(Order.order_no == "KF-250122-006"))
    assert status == "shipped"  # every line is in a parcel now


async def test_the_customer_sees_which_items_are_on_their_way_and_which_are_being_prepared(
    say: Say, shop: Database, tmp_path: Path
) -> None:
    await _extra_order(shop, tmp_path)
    await say(SWEET, "KF-250122-006 已发货 RA111111111RU")
    card = await say(BOB, "我的订单 KF-250122-006 到哪了")
    assert "已付款" in card.text and "已发货" not in card.text.split("\n")[0]
    assert "RA111111111RU" in card.text and "俄罗斯邮政" in card.text
    assert "正在备货：格瓦斯 1.5升 × 2" in card.text
    assert "2025年1月22日 09:00 已下单" in card.text  # not this year's: the year is written out

    # The kvass goes to the shop's warehouse: the shopper learns that, never the freight number.
    to_warehouse = await say(DRINK, "KF-250122-006 отгрузили на склад, накладные 1234567890, 1234567891")
    assert "склад" in to_warehouse.text and "1234567890" in to_warehouse.text
    (notice,) = to_warehouse.notifications  # two boxes the shopper cannot tell apart: one notice
    assert "仓库" in notice.text and "1234567890" not in notice.text and "1234567891" not in notice.text
    card = await say(BOB, "我的订单 KF-250122-006 到哪了")
    assert "正在发往我们的仓库：格瓦斯 1.5升 × 2" in card.text and "1234567890" not in card.text
    assert "1234567890" not in (await say(SWEET, "KF-250122-006")).text  # nor the other supplier

    # The shop's own parcel (an order import) carries the goods on to the shopper.
    path = tmp_path / "forward.csv"
    path.write_text(
        "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n"
        "KF-250122-006,5100000002,,shipped,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1|KVAS-OCH-15:2,"
        "SF7777777777777\n",
        encoding="utf-8",
    )
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)
    card = await say(BOB, "我的订单 KF-250122-006 到哪了")
    assert "SF7777777777777" in card.text and "顺丰速运" in card.text
    assert "仓库" not in card.text and "1234567890" not in card.text


async def test_several_tracking_numbers_are_several_parcels_and_a_repeat_changes_nothing(
    say: Say, shop: Database, tmp_path: Path
) -> None:
    await _extra_order(shop, tmp_path)
    numbers = [f"RA12345678{i}RU" for i in range(9, 4, -1)]
    shipped = await say(SWEET, "Заказ KF-250122-006 отгрузили: " + "/".join(numbers))
    assert shipped.intent == "supplier_ship"
    assert len(shipped.notifications) == 5  # one notice per parcel
    async with shop.sessions() as session:
        stored = (
            (
                await session.execute(
                    select(Parcel.tracking_no)
                    .join(Order, Order.id == Parcel.order_id)
                    .where(Order.order_no == "KF-250122-006")
                    .order_by(Parcel.id)
                )
            )
            .scalars()
            .all()
        )
    assert stored == numbers  # each alone, none glued
    for text in (
        "KF-250122-006 отправили RA123456789RU, RA123456788RU; RA123456787RU",
        "KF-250122-006 отгрузили RA123456789RU",
    ):
        again = await say(SWEET, text)
        assert again.notifications == [] and "уже записан" in again.text
    async with shop.sessions() as session:
        total = await session.scalar(
            select(func.count()).select_from(Parcel).join(Order).where(Order.order_no == "KF-250122-006")
        )
    assert total == len(numbers)
    mixed = await say(SWEET, "KF-250122-006 отправили RA123456780RU\nRA12345")
    assert "RA12345" in mixed.text and "Ничего не записано" in mixed.text and mixed.notifications == []


@pytest.mark.parametrize(
    ("status", "reason"), [("created", "не оплачен"), ("cancelled", "отменён"), ("refunded", "возвращены")]
)
async def test_an_unpaid_cancelled_or_refunded_order_cannot_be_reported_shipped(
    say: Say, shop: Database, tmp_path: Path, status: str, reason: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n"
        f"KF-250123-001,5100000002,,{status},2025-01-23T09:00:00+08:00,CANDY-KOROVKA:1,\n",
        encoding="utf-8",
    )
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)
    assert "KF-250123-001" not in (await say(SWEET, "/orders")).text  # not "waiting for you to ship"
    reply = await say(SWEET, "Заказ KF-250123-001 отгрузили, трек RA123456789RU")
    assert reason in reply.text and reply.notifications == []
    mistyped = await say(SWEET, "Заказ KF-250123-001 отгрузили, трек RA12345")
    assert reason in mistyped.text  # the reason it can't ship comes first, not the typo
    zh = await say(SWEET, "KF-250123-001 已发货 RA123456789RU")
    assert "订单 KF-250123-001" in zh.text and "不" in zh.text and zh.notifications == []
    async with shop.sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_no == "KF-250123-001"))
        assert order is not None and order.status == status
        assert await session.scalar(select(Parcel.id).where(Parcel.order_id == order.id)) is None


async def test_supplier_cannot_ship_or_see_another_suppliers_order(say: Say, shop: Database) -> None:
    reply = await say(DRINK, "Заказ KF-250119-002 отгрузили, трек RA000000001RU")
    assert "KF-250119-002" in reply.text and "отмечен" not in reply.text
    async with shop.sessions() as session:
        status = await session.scalar(select(Order.status).where(Order.order_no == "KF-250119-002"))
    assert status == "delivered"


async def test_a_customer_cannot_mark_an_order_shipped(say: Say, shop: Database) -> None:
    await say(ALICE, "KF-250118-001 已发货 SF0000000000001")
    async with shop.sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_no == "KF-250118-001"))
    assert order is not None and order.status == "paid"
    async with shop.sessions() as session:
        assert await session.scalar(select(Parcel.id).where(Parcel.order_id == order.id)) is None


async def test_faq_answers_per_language_and_role(say: Say) -> None:
    zh = await say(ALICE, "发顺丰吗？几天能到")
    assert zh.intent == "shipping_info" and "顺丰" in zh.text
    supplier = await say(SWEET, "Когда будет оплата за поставку?")
    assert supplier.intent == "payment_info" and "поставк" in supplier.text.lower()
    customer = await say(BOB, "Как оплатить заказ?")
    assert customer.intent == "payment_info" and "Alipay" in customer.text


async def test_two_misses_hand_over_then_staff_close(say: Say, engine: Engine) -> None:
    first = await say(ALICE, "明天哈尔滨天气怎么样")
    assert first.intent == "out_of_scope" and not first.handoff and first.buttons
    second = await say(ALICE, "给我讲个笑话吧")
    assert second.handoff and second.handoff_started and "人工" in second.text
    quiet = await say(ALICE, "在吗？")
    assert quiet.handoff and quiet.text == ""
    closed = await engine.close_handoff(ALICE, STAFF)
    assert closed is not None and not closed.handoff and closed.lang == "zh"
    back = await say(ALICE, "你好")
    assert not back.handoff and back.intent == "greeting"


async def test_start_during_a_handoff_is_a_command_and_other_messages_go_to_staff(
    say: Say, shop: Database
) -> None:
    from bot.storage.invites import create_invite

    assert (await say(STRANGER, "转人工客服", lang_code="zh-hans")).handoff_started
    quiet = await say(STRANGER, "在吗？")
    assert quiet.to_staff and quiet.text == ""
    async with shop.sessions.begin() as session:
        token = await create_invite(session, "SWEET")
    assert token is not None
    linked = await say(STRANGER, f"/start {token}", lang_code="zh-hans")
    assert not linked.to_staff and linked.handoff  # answered by the bot; people still hold the chat
    assert linked.lang == "zh"  # the token's letters are no Russian transliteration
    assert "阿穆尔糖果公司" in linked.text and "人工客服" in linked.text
    assert "人工客服" in (await say(STRANGER, "/start")).text
    assert (await say(STRANGER, "/orders")).to_staff  # words for whoever holds the chat
    shared = await say(STRANGER, contact_phone="+8613800000002", contact_user_id=STRANGER)
    assert shared.to_staff  # a contact shared during a handoff is the staff's, as before


async def test_a_deep_link_token_does_not_decide_the_language(say: Say) -> None:
    reply = await say(STRANGER, "/start sVodkaBliniMatryoshkaPelmeniKvas", lang_code="zh-hans")
    assert reply.lang == "zh" and reply.intent == "greeting"


async def test_asking_for_a_person_hands_over_in_russian(say: Say) -> None:
    reply = await say(BOB, "Позовите оператора, пожалуйста")
    assert reply.intent == "human_handoff" and reply.handoff and reply.lang == "ru"
    assert "сотрудник" in reply.text


HOSTILE = [
    "",
    "   ",
    "😀😀😀",
    "ж" * 5000,
    "有" * 5000,
    "\x00\x01\x07\x1b[31m你好\x7f",
    "\u200b\u200d\ufeff",
    "'; DROP TABLE orders; --",
    "KF-250117-003' OR '1'='1",
    "<b>bold</b><script>alert(1)</script>",
    "[link](javascript:alert(1)) *bold* _x_ `code`",
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_input_gets_a_polite_reply_and_changes_nothing(
    say: Say, shop: Database, text: str
) -> None:
    reply = await say(STRANGER, text)
    assert reply.lang in ("zh", "ru")
    assert reply.text or reply.handoff
    assert "<script>" not in reply.text and "Traceback" not in reply.text
    async with shop.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 5
        assert await session.scalar(select(func.count()).select_from(Product)) == 5
        statuses = dict((await session.execute(select(Order.order_no, Order.status))).all())
    assert statuses["KF-250117-003"] == "shipped"


async def test_every_message_in_and_out_is_stored_with_its_intent(say: Say, shop: Database) -> None:
    await say(ALICE, "你好")
    await say(ALICE, "有格瓦斯吗")
    async with shop.sessions() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.telegram_user_id == ALICE)
        )
        assert conversation is not None and conversation.lang == "zh"
        rows = (
            await session.execute(
                select(Message.direction, Message.intent, Message.lang)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("in", "greeting", "zh"),
        ("out", "greeting", "zh"),
        ("in", "product_search", "zh"),
        ("out", "product_search", "zh"),
    ]
