"""Whole-message understanding on our own small shop (not the demo data)."""

from __future__ import annotations

import pytest
from intents_catalog import shared_understander

from intents import INTENTS
from intents.resources import load


@pytest.mark.parametrize(
    ("text", "intent", "lang"),
    [
        ("亲，在吗", "greeting", "zh"),
        ("Здравствуйте", "greeting", "ru"),
        ("谢谢老板", "thanks", "zh"),
        ("спасибо большое", "thanks", "ru"),
        ("拜拜", "goodbye", "zh"),
        ("有爱莲巧吗", "product_search", "zh"),
        ("Коровка", "product_search", "ru"),
        ("炼乳", "product_search", "zh"),
        ("Ptabh", "product_search", "ru"),
        ("有现货吗", "product_search", "zh"),
        ("爱莲巧多少钱", "product_price", "zh"),
        ("几块钱", "product_price", "zh"),
        ("сколько стоит сгущенка", "product_price", "ru"),
        ("订单到哪了", "order_status", "zh"),
        ("где мой заказ", "order_status", "ru"),
        ("kf251104007", "order_status", "zh"),
        ("мои заказы", "order_list", "ru"),
        ("我的订单", "order_list", "zh"),
        ("发顺丰吗", "shipping_info", "zh"),
        ("几天到北京", "shipping_info", "zh"),
        ("доставка в Харбин сколько", "shipping_info", "ru"),
        ("支付宝可以吗", "payment_info", "zh"),
        ("можно оплатить картой", "payment_info", "ru"),
        ("我要退款 瓶子碎了", "return_policy", "zh"),
        ("хочу вернуть деньги", "return_policy", "ru"),
        ("清关要身份证吗", "customs_info", "zh"),
        ("какая пошлина", "customs_info", "ru"),
        ("找客服", "human_handoff", "zh"),
        ("позовите человека", "human_handoff", "ru"),
        ("KF-251104-007 已发货 SF1234567890", "supplier_ship", "zh"),
        ("Заказ KF-251104-007 отгрузили, ТТН 1234567", "supplier_ship", "ru"),
        ("今天天气怎么样", "out_of_scope", "zh"),
        ("Расскажи анекдот", "out_of_scope", "ru"),
    ],
)
def test_intent_and_language(text: str, intent: str, lang: str) -> None:
    u = shared_understander().understand(text)
    assert (u.intent, u.lang) == (intent, lang), u
    assert 0.0 <= u.confidence <= 1.0


def test_products_and_order_fields() -> None:
    u = shared_understander().understand("есть 炼乳?")
    assert u.lang == "ru" and u.products[0].sku == "GR-001"
    u = shared_understander().understand("ＫＦ－２５１１０４－００７ 到哪了")
    assert u.order_no == "KF-251104-007" and u.products == ()
    u = shared_understander().understand("где мой заказ KF-999999-001")
    assert u.order_no is None and u.order_candidates == ("KF999999001",)


def test_a_long_message_names_its_product_in_one_clause() -> None:
    for text, sku in (
        ("请问有俄罗斯峰蜜吗？纯天然的那种，想给老妈泡水喝", "HN-001"),
        ("Добрый вечер! Подскажите пожалуйста, шпроты в масле у вас бывают, а то нигде не найду", "TN-002"),
    ):
        u = shared_understander().understand(text)
        assert u.intent == "product_search" and u.products[0].sku == sku, text


def test_category_question() -> None:
    u = shared_understander().understand("糖果有哪些")
    assert u.intent == "product_search" and u.category == "糖果"
    assert u.products and all(p.sku.startswith(("CA-", "CH-005")) for p in u.products)


def test_default_language_when_no_signal() -> None:
    assert shared_understander().understand("👍", default_lang="ru").lang == "ru"


def test_data_files_cover_every_intent() -> None:
    for lang in ("zh", "ru"):
        data = load(f"intents_{lang}.toml")
        assert set(data) == set(INTENTS), lang
        for intent, spec in data.items():
            assert len(spec["examples"]) >= 40, (lang, intent)


def test_a_brand_asked_about_as_such_lists_its_products() -> None:
    from intents import ProductRecord, Understander

    agafya = "Рецепты бабушки Агафьи"
    u = Understander(
        [
            ProductRecord(
                "HB-1",
                "Шампунь «Рецепты бабушки Агафьи» 350 мл",
                "阿加菲娅奶奶洗发水",
                ("агафья",),
                ("阿加菲娅",),
                agafya,
            ),
            ProductRecord(
                "HB-2", "Бальзам «Рецепты бабушки Агафьи» 350 мл", "阿加菲娅奶奶护发素", (), (), agafya
            ),
            ProductRecord(
                "HB-3", "Мыло дёгтярное «Рецепты бабушки Агафьи»", "阿加菲娅奶奶焦油皂", (), (), agafya
            ),
            ProductRecord(
                "VD-1",
                "Водка «Зелёная марка» 0,5 л",
                "绿标伏特加",
                ("зелёная марка",),
                ("绿标",),
                "Зелёная марка",
            ),
        ]
    )
    for text in (
        "У вас есть марка бабушка Агафья? Какие товары от неё есть?",
        "阿加菲娅奶奶这个牌子都有哪些东西",
    ):
        got = u.understand(text)
        assert got.intent == "product_search" and got.brand, text
        assert {m.sku for m in got.products} == {"HB-1", "HB-2", "HB-3"}, text
    plain = u.understand("Есть шампунь Агафья?")
    assert not plain.brand and plain.products[0].sku == "HB-1"
