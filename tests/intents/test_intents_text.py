"""Normalisation, language detection, Chinese and Russian helpers."""

from __future__ import annotations

import pytest

from intents import detect_language
from intents.chinese import fold_syllable, pinyin_of, split_pinyin
from intents.language import LatinKind, latin_kind
from intents.normalize import fold
from intents.russian import detranslit, layout_to_ru, skeleton, translit
from intents.sizes import sizes


def test_fold_traditional_fullwidth_case_yo() -> None:
    assert fold("俄羅斯餅乾") == "俄罗斯饼干"
    assert fold("ＡＢＣ１２３") == "abc123"
    assert fold("Сгущёнка!") == "сгущенка"
    assert fold("liàn rǔ") == "lian ru"
    assert fold("Шоколад «Алёнка»") == "шоколад аленка"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("俄羅斯餅乾", "zh"),
        ("想要Коровка", "zh"),
        ("Коровка有吗", "zh"),
        ("есть 炼乳?", "ru"),
        ("lianru", "zh"),
        ("song zi", "zh"),
        ("lian4ru3", "zh"),
        ("Ptabh", "ru"),
        ("ghbdtn", "ru"),
        ("pryaniki", "ru"),
        ("sguschenka", "ru"),
        ("Сгущёнка", "ru"),
        ("炼乳", "zh"),
        ("你好", "zh"),
        ("спасибо", "ru"),
        ("где мой заказ KF-251104-007", "ru"),
        ("订单 KF-251104-007 到哪了", "zh"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detect_language_without_signal() -> None:
    assert detect_language("👍") is None
    assert detect_language("👍", default="ru") == "ru"
    assert detect_language("KF-251104-007") is None
    assert detect_language("ok", "zh") == "zh"


def test_latin_kinds() -> None:
    assert latin_kind("nihao") is LatinKind.PINYIN
    assert latin_kind("djlrf") is LatinKind.LAYOUT
    assert latin_kind("vodka") is LatinKind.TRANSLIT
    assert latin_kind("hello") is LatinKind.NEUTRAL


def test_pinyin_keys() -> None:
    assert split_pinyin("lianru") == ("lian", "ru")
    assert split_pinyin("xian") == ("xian",)
    assert split_pinyin("pryaniki") is None
    assert pinyin_of("重庆") == ("chong", "qing")
    # homophone typos share the folded key
    assert [fold_syllable(s) for s in pinyin_of("巧克丽")] == [fold_syllable(s) for s in pinyin_of("巧克力")]
    assert [fold_syllable(s) for s in pinyin_of("伏特家")] == [fold_syllable(s) for s in pinyin_of("伏特加")]


def test_russian_keys() -> None:
    assert layout_to_ru("Ptabh") == "зефир"
    assert skeleton("sgushchionka") == skeleton("sguschionka")
    assert skeleton(translit("квас")) == skeleton("kwas")
    assert detranslit("pryaniki") == "пряники"


def test_sizes() -> None:
    assert sizes(fold("Алёнка 200 г")) == {"200g"}
    assert sizes(fold("爱莲巧 200克")) == {"200g"}
    assert sizes(fold("квас 1,5 л")) == {"1500ml"}
    assert sizes(fold("2 глазированных сырка")) == frozenset()


def test_russian_sizes_said_in_words() -> None:
    cases = {
        "почём мёд пол-кило": {"500g"},
        "полторашку кваса": {"1500ml"},
        "квас полтора литра": {"1500ml"},
        "пол литра водки": {"500ml"},
        "килограммовую банку мёда": {"1000g"},
        "мёд 2 кило": {"2000g"},
        "квас 2 литра": {"2000ml"},  # a number before the unit stays that number
        "политика": set(),
        "поле": set(),
    }
    for text, expected in cases.items():
        assert set(sizes(fold(text))) == expected, text
