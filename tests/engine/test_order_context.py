"""Orders as people talk about them: numbers without their prefix, in Cyrillic, and follow-ups about
the order under discussion (tests/fixtures/shop, SQLite and PostgreSQL). Nothing of another's order shows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.importing import import_file
from bot.storage.models import Order, Parcel
from bot.storage.runtime import Database
from tests.engine.conftest import Say

ALICE, BOB, STRANGER = 5100000001, 5100000002, 5100000099
SWEET, DRINK = 7100000001, 7100000002
HEADER = "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n"


async def _orders(shop: Database, tmp_path: Path, rows: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)


async def test_a_short_form_and_a_cyrillic_prefix_name_the_users_own_order(say: Say) -> None:
    zh = await say(ALICE, "250117-003到哪了")
    assert "KF-250117-003" in zh.text and "SF1234567890123" in zh.text
    ru = await say(ALICE, "КФ-250118-001 где?")
    assert "KF-250118-001" in ru.text and ru.lang == "ru"
    voice = await say(ALICE, "订单开爱夫二五零幺幺七零零三到哪了")
    assert "KF-250117-003" in voice.text


async def test_another_customers_short_number_reads_exactly_like_an_unknown_one(say: Say) -> None:
    others = await say(BOB, "250117-003到哪了")
    unknown = await say(BOB + 1000, "250117-009到哪了")
    assert "KF-250117-003" not in others.text and "SF1234567890123" not in others.text
    assert others.text.replace("250117-003", "N") == unknown.text.replace("250117-009", "N")
    follow = await say(BOB, "单号呢")  # nothing of Alice's order, even as a follow-up
    assert "SF1234567890123" not in follow.text and "KF-250117-003" not in follow.text
    full = await say(BOB, "КФ-250117-003 где?")
    assert "SF1234567890123" not in full.text and "отправлен" not in full.text


async def test_a_short_form_of_two_own_orders_is_no_order(say: Say, shop: Database, tmp_path: Path) -> None:
    await _orders(
        shop, tmp_path, "AB-250117-003,5100000001,,paid,2025-01-23T09:00:00+08:00,CANDY-KOROVKA:1,\n"
    )
    both = await say(ALICE, "заказ 250117-003 где?")
    assert "KF-250117-003" not in both.text and "AB-250117-003" not in both.text
    assert "250117-003" in both.text  # told it was not found, as typed
    assert "SF1234567890123" in (await say(ALICE, "KF-250117-003 где?")).text  # the full number still works


async def test_a_supplier_reports_a_shipment_by_short_form_of_its_own_orders_only(
    say: Say, shop: Database, tmp_path: Path
) -> None:
    await _orders(
        shop, tmp_path, "KF-250122-006,5100000002,,paid,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1,\n"
    )
    foreign = await say(DRINK, "Заказ 250122-006 отгрузили, трек RA000000001RU")  # no lines of DRINK in it
    assert "KF-250122-006" not in foreign.text and not foreign.notifications
    shipped = await say(SWEET, "Заказ 250122-006 отгрузили, трек RA123456789RU")
    assert shipped.intent == "supplier_ship" and "KF-250122-006" in shipped.text
    assert [n.user_id for n in shipped.notifications] == [BOB]
    async with shop.sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_no == "KF-250122-006"))
        assert order is not None and order.status == "shipped"
        numbers = (await session.scalars(select(Parcel.tracking_no).where(Parcel.order_id == order.id))).all()
    assert list(numbers) == ["RA123456789RU"]  # the short order number is no parcel


async def test_follow_ups_are_about_the_order_in_context(say: Say) -> None:
    await say(ALICE, "订单KF-250117-003到哪了")
    tracking = await say(ALICE, "单号再发我一下")
    assert "SF1234567890123" in tracking.text and "KF-250118-001" not in tracking.text
    when = await say(ALICE, "什么时候能到")
    assert "KF-250117-003" in when.text and "KF-250118-001" not in when.text
    contents = await say(ALICE, "а что в нём?")
    assert "Алёнка" in contents.text and "KF-250118-001" not in contents.text
    other = await say(ALICE, "那另一个订单呢")
    assert "KF-250118-001" in other.text and "SF1234567890123" not in other.text
    paid = await say(ALICE, "а трек?")  # now about the other order, which has no parcel yet
    assert "KF-250118-001" in paid.text and "SF1234567890123" not in paid.text


async def test_a_number_not_found_ends_the_order_context(say: Say) -> None:
    await say(ALICE, "KF-250117-003")
    await say(ALICE, "заказ KF-259999-001 где?")
    follow = await say(ALICE, "трек дайте")
    assert "SF1234567890123" not in follow.text  # not silently about the earlier order


async def test_a_follow_up_with_no_order_in_context_gets_a_clear_answer(say: Say) -> None:
    reply = await say(STRANGER, "单号呢")
    assert reply.text and "KF-" not in reply.text and reply.request_contact
    # the only order on its way is the one a follow-up is about
    assert "RA123456789RU" in (await say(BOB, "а трек?")).text
