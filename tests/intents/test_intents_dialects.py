"""Regional and live-stream Chinese read as plain Mandarin (intents/data/dialects.toml), one variety at
a time, and whole messages in each variety understood on our own small shop."""

from __future__ import annotations

import pytest
from intents_catalog import shared_understander

from intents.dialect import plain_chinese
from intents.intent_units import plain_zh


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("整点儿格瓦斯", "买点格瓦斯"),
        ("整俩巧克力", "买两个巧克力"),
        ("嘎哈呢", "干什么呢"),
        ("这咋整", "这怎么办"),
        ("老好了", "很好"),
        ("贼便宜", "很便宜"),
        ("俺家孩儿贼稀罕", "我家孩子很喜欢"),
        ("包装埋汰", "包装脏"),
        ("杠杠的", "很好"),
        ("啥玩意儿", "什么东西"),
        ("红鱼籽儿", "红鱼籽"),
        ("女儿爱吃", "女儿爱吃"),  # 儿 of a word of its own stays
        ("儿童牙膏", "儿童牙膏"),
        ("订单贼比二六", "订单贼比二六"),  # a dictated ZB is an order prefix, not "very"
        ("整箱卖不", "整箱卖不"),  # 整 alone is ordinary Mandarin
    ],
)
def test_northeastern(text: str, plain: str) -> None:
    assert plain_chinese(text) == plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("有冇炼奶", "有没有炼乳"),
        ("幾多錢", "多少钱"),
        ("唔該", "谢谢"),
        ("我琴日落咗單", "我昨天下了单"),
        ("睇下", "看看"),
        ("點算", "怎么办"),
        ("系唔系真嘅", "是不是真的"),
        ("佢哋邊度有", "他们哪里有"),
        ("嗰個幾時到", "那个什么时候到"),  # 嗰 becomes a character outside the BMP in t2s
        ("要幾耐", "要多久"),
        ("平啲啦", "便宜点啦"),
        ("朱古力", "巧克力"),
        ("联系客服", "联系客服"),  # Mandarin words with 系 stay
        ("早点付款", "早点付款"),  # 点 + verb is "how to", not after 早点
    ],
)
def test_cantonese(text: str, plain: str) -> None:
    assert plain_chinese(text) == plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("主播好", "老板好"),
        ("家人们 上链接", "亲 上架"),
        ("我拍了两单", "我买了两单"),
        ("扣1", "想要"),
        ("扣10块钱", "扣10块钱"),  # a number in a key is whole: a deduction, not 扣1
        ("没抢到", "没买到"),
        ("直播价多少", "优惠价多少"),
        ("坏了 我拍了照片", "坏了 我拍了照片"),  # a photo is not an order
        ("有实拍吗", "有实拍吗"),
    ],
)
def test_live_stream(text: str, plain: str) -> None:
    assert plain_chinese(text) == plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("我的定单呢", "我的订单呢"),
        ("呃 那个蜂蜜多少钱问号", "那个蜂蜜多少钱？"),
    ],
)
def test_voice(text: str, plain: str) -> None:
    assert plain_chinese(text).strip() == plain


def test_plain_text_passes_unchanged() -> None:
    for text in ("我想买蜂蜜", "сколько стоит", "KF-251104-007", "", "🙂"):
        assert plain_chinese(text) == text


def test_chat_spellings_still_apply_after_dialect() -> None:
    assert plain_zh("俺的快递咋还木到") == "我的快递怎么还没到"
    assert plain_zh("咋整") == "怎么办"  # the longer regional word first


@pytest.mark.parametrize(
    ("text", "intent", "sku"),
    [
        ("整两瓶格瓦斯多钱", "product_price", "DR-001"),
        ("老铁 爱莲巧还有没 俺想整几板", "product_search", "CH-001"),
        ("有冇爱莲巧卖", "product_search", "CH-001"),
        ("爱莲巧几多钱", "product_price", "CH-001"),
        ("主播 爱莲巧上链接", "product_search", "CH-001"),
    ],
)
def test_regional_messages_are_understood(text: str, intent: str, sku: str) -> None:
    u = shared_understander().understand(text)
    assert u.intent == intent
    assert u.products and u.products[0].sku == sku


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我琴日落咗单 几时发货呀", "order_status"),
        ("唔该晒", "thanks"),
        ("俺拍的东西咋还没发货", "order_status"),
    ],
)
def test_regional_messages_of_other_intents(text: str, intent: str) -> None:
    assert shared_understander().understand(text).intent == intent
