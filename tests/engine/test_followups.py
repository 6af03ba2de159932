"""Follow-ups about the products in context (intents/followup.py read by bot/engine/followups.py), on
SQLite and PostgreSQL: refinements, corrections, several products, comparisons, picks, filters, 'this
one', and the bad inputs around them. The shop is tests/fixtures/shop plus a few products of families."""

from __future__ import annotations

from pathlib import Path

import pytest_asyncio

from bot.engine.conversation import Engine
from bot.engine.focus import FOCUS_TTL
from bot.importing import import_file
from bot.storage.runtime import Database
from tests.engine.conftest import Say

HEADER = (
    "sku,name_ru,name_zh,aliases_ru,aliases_zh,brand,category_ru,category_zh,price_cny,stock,"
    "supplier_code,description_ru,description_zh\n"
)
FAMILIES = """\
HONEY-LIPA-1000,Мёд липовый 1 кг,椴树蜜 1公斤,,,Бурея,Мёд и орехи,蜂蜜坚果,118.00,5,SWEET,,
HONEY-GRECH-500,Мёд гречишный 500 г,荞麦蜜 500克,гречишный мёд,荞麦蜂蜜,Бурея,Мёд и орехи,蜂蜜坚果,62.00,8,SWEET,,
HONEY-DIKOROS-500,Мёд дикоросный 500 г,野花蜜 500克,,百花蜜,Бурея,Мёд и орехи,蜂蜜坚果,58.00,9,SWEET,,
WATER-ESS-4,"Минеральная вода «Ессентуки №4» 0,5 л",叶先图基4号矿泉水 0.5升,ессентуки 4,,КМВ,Вода,矿泉水,9.90,30,DRINK,,
WATER-ESS-17,"Минеральная вода «Ессентуки №17» 0,5 л",叶先图基17号矿泉水 0.5升,ессентуки 17,,КМВ,Вода,矿泉水,10.90,30,DRINK,,
WATER-NARZAN,"Минеральная вода «Нарзан» 0,5 л",纳尔赞矿泉水 0.5升,нарзан,,Нарзан,Вода,矿泉水,8.90,30,DRINK,,
CHOC-ALENKA-NUT-90,Шоколад «Алёнка» с фундуком 90 г,爱莲巧榛子牛奶巧克力 90克,,,Красный Октябрь,Шоколад,巧克力,15.90,20,SWEET,,
CHOC-BABAEV-NUT-100,Шоколад «Бабаевский» с фундуком 100 г,巴巴耶夫斯基榛子黑巧克力 100克,,,Бабаевский,Шоколад,巧克力,17.90,20,SWEET,,
"""
ZH, RU, NEW = 5200000001, 5200000002, 5200000003


@pytest_asyncio.fixture
async def families(shop: Database, tmp_path: Path) -> Database:
    path = tmp_path / "catalog.csv"
    path.write_text(HEADER + FAMILIES, encoding="utf-8")
    async with shop.sessions.begin() as session:
        await import_file(session, "catalog", path)
    return shop


async def test_a_size_form_or_number_refines_the_product_in_context(families: Database, say: Say) -> None:
    await say(ZH, "椴树蜜多少钱")
    kilo = await say(ZH, "那1公斤的呢")
    assert "椴树蜜 1公斤" in kilo.text and "118" in kilo.text and "500克" not in kilo.text
    back = await say(ZH, "500克的呢")
    assert "椴树蜜 500克" in back.text and "1公斤" not in back.text
    await say(RU, "Ессентуки 17 сколько стоит")
    four = await say(RU, "а №4?")
    assert "Ессентуки №4" in four.text and "№17" not in four.text
    await say(ZH + 10, "大头娃娃巧克力多少钱")
    nut = await say(ZH + 10, "榛子的呢")
    assert "爱莲巧榛子牛奶巧克力 90克" in nut.text and "巴巴耶夫斯基" not in nut.text


async def test_a_correction_replaces_the_product_and_never_shows_it_again(
    families: Database, say: Say
) -> None:
    await say(RU, "мёд липовый 500 сколько")
    other = await say(RU, "нет, я про дикоросный")
    assert "Мёд дикоросный 500 г" in other.text and "липовый" not in other.text
    stock = await say(RU, "есть в наличии?")
    assert "Мёд дикоросный 500 г" in stock.text and "липовый" not in stock.text


async def test_several_products_in_one_message_and_then_all_of_them(families: Database, say: Say) -> None:
    both = await say(ZH, "椴树蜜1公斤和荞麦蜜各多少钱")
    assert "椴树蜜 1公斤" in both.text and "荞麦蜜 500克" in both.text and "62" in both.text
    stock = await say(ZH, "都有货吗")
    assert "椴树蜜 1公斤" in stock.text and "荞麦蜜 500克" in stock.text


async def test_a_comparison_is_side_by_side_and_which_is_cheaper_names_one(
    families: Database, say: Say
) -> None:
    compared = await say(RU, "чем отличается Ессентуки 4 от 17")
    assert "Ессентуки №4" in compared.text and "Ессентуки №17" in compared.text
    assert "9,90" in compared.text and "10,90" in compared.text
    cheaper = await say(RU, "а какая дешевле?")
    assert "Ессентуки №4" in cheaper.text and "№17" not in cheaper.text


async def test_a_list_is_narrowed_by_price_and_the_cheapest_is_picked(families: Database, say: Say) -> None:
    await say(RU, "какой мёд есть")
    narrowed = await say(RU, "а до 65 юаней?")
    assert "дикоросный" in narrowed.text and "гречишный" in narrowed.text
    assert "1 кг" not in narrowed.text and "липовый 500" not in narrowed.text
    cheapest = await say(RU, "какой дешевле всех?")
    assert "Мёд дикоросный 500 г" in cheapest.text and "гречишный" not in cheapest.text


async def test_this_one_offers_the_choice_again_and_never_hands_over(families: Database, say: Say) -> None:
    await say(ZH, "爱莲巧")
    for vague in ("这个", "？？", "嗯嗯"):
        reply = await say(ZH, vague)
        assert not reply.handoff, vague
        assert any("爱莲巧" in b.text for b in reply.buttons) or "爱莲巧" in reply.text, vague


async def test_follow_ups_with_nothing_to_follow_get_a_clear_answer_and_no_product(
    families: Database, say: Say
) -> None:
    nothing = await say(NEW, "那1公斤的呢")
    assert "公斤" not in nothing.text and not nothing.handoff
    assert not [b for b in nothing.buttons if b.data.startswith("p:")]
    await say(NEW + 1, "椴树蜜多少钱")
    unknown = await say(NEW + 1, "不是这个，我说的是枫糖浆")
    assert "椴树蜜" not in unknown.text and "¥" not in unknown.text
    await say(NEW + 2, "Ессентуки 17 сколько стоит")
    odd = await say(NEW + 2, "а чем она отличается от нутеллы?")
    assert "Нарзан" not in odd.text


async def test_twenty_products_in_one_message_are_answered_in_part_with_a_note(
    families: Database, say: Say
) -> None:
    names = "椴树蜜 荞麦蜜 野花蜜 纳尔赞 格瓦斯 奶牛糖 爱莲巧 " * 3
    reply = await say(NEW + 3, names + "都要 多少钱")
    assert "荞麦蜜 500克" in reply.text and "纳尔赞矿泉水 0.5升" in reply.text
    assert "先为您查了前" in reply.text
    assert len(reply.buttons) <= 6


async def test_the_context_expires_after_an_hour(families: Database, engine: Engine, say: Say) -> None:
    now = [1_000_000.0]
    engine.shop = engine.shop.__class__(
        engine.shop.i18n, engine.shop.faq, engine.shop.staff_ids, lambda: now[0]
    )
    await say(ZH + 20, "椴树蜜多少钱")
    fresh = await say(ZH + 20, "那1公斤的呢")
    assert "椴树蜜 1公斤" in fresh.text
    now[0] += FOCUS_TTL + 1
    stale = await say(ZH + 20, "500克的呢")
    assert "椴树蜜" not in stale.text
