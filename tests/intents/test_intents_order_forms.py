"""Order numbers as people type and say them: Cyrillic prefixes, voice typing, short forms. Never fuzzy."""

from __future__ import annotations

import pytest

from intents.order_followups import OrderAspect, order_aspect
from intents.orders import as_lookup, order_tail, read_orders

ORDERS = {
    "KF-251119-006": "KF-251119-006",
    "BJG-250318-02": "BJG-250318-02",
    "ZB-261104-0051": "ZB-261104-0051",
    "SFH-2509-0107": "SFH-2509-0107",
}
LOOKUP = as_lookup(ORDERS)


@pytest.mark.parametrize(
    "text",
    [
        "КФ-251119-006 где",
        "кф251119006",
        "кф 251119 006 статус?",
        "KФ-251119-006 отправили?",
        "заказ Кф-251119-006",
    ],
)
def test_a_cyrillic_or_mixed_prefix_reads_as_the_latin_one(text: str) -> None:
    assert read_orders(text, LOOKUP).resolved == "KF-251119-006"


def test_the_cyrillic_table_is_general_not_one_shops_prefix() -> None:
    assert read_orders("БЖГ-250318-02 где", LOOKUP).resolved == "BJG-250318-02"  # Ж read as J
    assert read_orders("ВJG-250318-02", LOOKUP).resolved == "BJG-250318-02"  # В typed for B
    assert read_orders("СФХ-2509-0107", LOOKUP).resolved == "SFH-2509-0107"  # С, Х by look and by sound


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("订单开爱夫二五一一一九零零六", "KF-251119-006"),
        ("订单凯艾弗 二五幺幺幺九 零零六到哪了", "KF-251119-006"),
        ("我的订单贼比二六一一零四零零五一到哪了", "ZB-261104-0051"),
        ("贼比261104 0051这个单子过海关了没有", "ZB-261104-0051"),
        ("订单Z B 二六一一零四 零零五一", "ZB-261104-0051"),
        ("订单号二六一一零四零零五一字母是贼比", "ZB-261104-0051"),  # the letters said after the digits
        ("比杰吉二五零三幺八零二", "BJG-250318-02"),
    ],
)
def test_voice_typed_numbers(text: str, number: str) -> None:
    assert read_orders(text, LOOKUP).resolved == number


@pytest.mark.parametrize(
    "text",
    [
        "订单开爱夫二五一一一九零零七",  # one digit off is someone else's order
        "КФ-251119-007",
        "KF-251119-0061",
        "我要两瓶 一共三百块",
        "买了三四个",
        "电话幺三八零零零零零零零一",
        "251119006元",
        "заказал 500 г за 251 руб",
    ],
)
def test_never_fuzzy_and_no_number_from_prices_quantities_phones(text: str) -> None:
    assert read_orders(text, LOOKUP).resolved is None


def test_a_number_without_its_prefix_is_a_short_form_not_an_order_by_itself() -> None:
    refs = read_orders("заказ 251119-006 отправлен", LOOKUP)
    assert refs.resolved is None and refs.short == ("251119006",)
    assert read_orders("№250318-02 где", LOOKUP).short == ("25031802",)  # № is not the letters 'No'
    assert read_orders("251028-005到哪了", LOOKUP).short == ("251028005",)
    # a prefix typed in Latin letters is part of the number: a wrong one is never dropped
    assert read_orders("KF 261104 0051", LOOKUP).short == ()
    assert read_orders("ZB-251119-006", LOOKUP).resolved is None
    # a caller that may see every order resolves a short form itself
    tails = {"251119006": "KF-251119-006"}
    assert read_orders("заказ 251119-006", LOOKUP, tails.get).resolved == "KF-251119-006"


def test_short_forms_need_enough_digits_and_are_no_phones() -> None:
    assert read_orders("заказ 12345", LOOKUP).short == ()
    assert read_orders("мой номер 13812345678", LOOKUP).short == ()


def test_order_tail() -> None:
    assert order_tail("KF251119006") == "251119006"
    assert order_tail("251119006") is None
    assert order_tail("KFX") is None


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("单号再发我一下", OrderAspect.TRACKING),
        ("快递单号呢", OrderAspect.TRACKING),
        ("а трек?", OrderAspect.TRACKING),
        ("什么时候能到", OrderAspect.WHEN),
        ("到哪了", OrderAspect.WHEN),
        ("а когда приедет?", OrderAspect.WHEN),
        ("а что в нём?", OrderAspect.CONTENTS),
        ("我买了啥来着", OrderAspect.CONTENTS),
        ("那另一个订单呢", OrderAspect.OTHER),
        ("椴树蜜多少钱", None),
        ("Сгущёнка есть?", None),
    ],
)
def test_order_follow_up_aspects(text: str, aspect: OrderAspect | None) -> None:
    assert order_aspect(text) is aspect
