"""Product questions beyond availability: properties, price ranges, the live stream's screen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from intents_catalog import shared_understander

from intents.product_questions import asked_properties, price_range, screen_reference, zh_number


@pytest.mark.parametrize(
    ("text", "props"),
    [
        ("这个蜂蜜是哪产的", ("origin",)),
        ("鱼子酱咸不咸", ("taste",)),
        ("护手霜多大一支", ("size",)),
        ("保质期多久", ("shelf_life",)),
        ("Кефир жирный?", ("ingredients",)),
        ("из чего сделано", ("ingredients",)),
        ("Шампунь какой объём?", ("size",)),
        ("Мёд цветочный есть?", ()),  # цвет- is no word of a flower honey
        ("有蜂蜜吗", ()),
    ],
)
def test_properties(text: str, props: tuple[str, ...]) -> None:
    assert asked_properties(text) == props


@pytest.mark.parametrize(
    ("text", "lo", "hi", "order"),
    [
        ("五十块以内的巧克力", None, "50", "asc"),
        ("100以下的蜂蜜有啥", None, "100", "asc"),
        ("五十到一百之间的蜂蜜", "50", "100", "asc"),
        ("两百块以上的伏特加", "200", None, "asc"),
        ("不到二十块的炼乳", None, "20", "asc"),
        ("что есть до 200 юаней?", None, "200", "asc"),
        ("дешевле 30", None, "30", "asc"),
        ("Пиво от 20 до 30 юаней", "20", "30", "asc"),
        ("самый дешёвый мёд", None, None, "asc"),
        ("最贵的伏特加", None, None, "desc"),
        ("最平嘅朱古力", None, None, "asc"),  # Cantonese 最平 = 最便宜
    ],
)
def test_price_ranges(text: str, lo: str | None, hi: str | None, order: str) -> None:
    got, _ = price_range(text)
    assert got is not None
    assert got.min == (Decimal(lo) if lo else None)
    assert got.max == (Decimal(hi) if hi else None)
    assert got.order == order


@pytest.mark.parametrize(
    "text", ["доставка до 5 дней", "不到两天", "1.5-2升", "KF-251104-007", "看一下 一瓶多少钱", "x^2 - 4 = 0"]
)
def test_no_price_range(text: str) -> None:
    assert price_range(text)[0] is None


def test_chinese_numerals() -> None:
    assert [zh_number(s) for s in ("五十", "一百五", "两百", "十五", "百", "一千二百")] == [
        50,
        150,
        200,
        15,
        100,
        1200,
    ]


def test_screen_references() -> None:
    assert screen_reference("3号链接是啥") == (True, " 是啥")
    assert screen_reference("主播手里那个")[0]
    assert not screen_reference("波罗的海9号")[0]


def test_understanding_fields() -> None:
    u = shared_understander()
    got = u.understand("五十块以内的巧克力")
    assert got.intent == "product_search" and got.price is not None and got.price.max == Decimal("50")
    assert got.products
    prop = u.understand("爱莲巧是哪产的")
    assert prop.intent == "product_search" and prop.properties == ("origin",)
    assert prop.products[0].sku == "CH-001"
    screen = u.understand("5号链接多少钱啊")
    assert screen.intent == "product_price" and screen.screen and screen.products == ()
