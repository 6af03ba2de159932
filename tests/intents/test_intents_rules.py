"""The general rules of the intent matcher and the product index, each on messages of our own."""

from __future__ import annotations

import pytest
from intents_catalog import shared_index, shared_understander

from intents import IntentClassifier
from intents.intent_classifier import Signals, is_question, zh_question_form
from intents.orders import strip_codes
from intents.query import analyse
from intents.russian import phonetic
from intents.sizes import sizes


@pytest.fixture(scope="module")
def clf() -> IntentClassifier:
    return IntentClassifier()


# ---- normalisation ---------------------------------------------------------------------------
def test_zh_negative_question_forms_become_one_spelling() -> None:
    assert zh_question_form("快递发货没有") == "快递发货了吗"
    assert zh_question_form("到了没") == "到了吗"
    assert zh_question_form("松子有货没") == "松子有货了吗"
    # 'not yet' and the A-not-A form stay as they are
    assert zh_question_form("我的货还没有") == "我的货还没有"
    assert zh_question_form("有没有蜂蜜") == "有没有蜂蜜"


@pytest.mark.parametrize(
    ("text", "lang", "question"),
    [
        ("你们发货了没", "zh", True),
        ("这单什么时候到", "zh", True),
        ("已经发出 单号 YT55501234", "zh", False),
        ("Посылку уже отправили", "ru", False),
        ("когда отгрузите", "ru", True),
        ("Отгрузили сегодня утром", "ru", False),
        ("Отгрузили?", "ru", True),
    ],
)
def test_question_or_statement(text: str, lang: str, question: bool) -> None:
    assert is_question(text, lang) is question


def test_sizes_with_chinese_numerals_and_latin_units_survive_code_stripping() -> None:
    assert sizes("两斤装的蜂蜜") == {"1000g"}
    assert sizes("半升的格瓦斯") == {"500ml"}
    assert sizes("十一公斤") == frozenset()  # only a lone numeral is read
    assert "500ml" in strip_codes("伏特加500ml有吗")
    assert "SF1234567890" not in strip_codes("单号SF1234567890")


def test_phonetic_key_merges_spellings_by_ear() -> None:
    assert phonetic("вотка") == phonetic("водка")
    assert phonetic("сгушонка") == phonetic("сгущонка")
    assert phonetic("малако") == phonetic("молоко")


def test_pinyin_question_words_are_not_product_words() -> None:
    q = analyse("kvas  gewasi you huo ma")
    assert "gewasi" in q.latin and "huo" not in q.latin and "ma" not in q.latin
    # a name typed syllable by syllable keeps every syllable
    assert analyse("song zi").latin == ("song", "zi")


# ---- supplier reports vs customer questions ------------------------------------------------------
def test_shipping_verb_in_a_question_is_order_status(clf: IntentClassifier) -> None:
    named = Signals(order_resolved=True, order_like=True, codes=1)
    assert clf.classify("Заказ KF-251104-007 уже отгрузили?", "ru", named).intent == "order_status"
    assert clf.classify("KF-251104-007 的运单号是什么", "zh", named).intent == "order_status"


def test_order_plus_tracking_number_with_shipping_word_is_a_report(clf: IntentClassifier) -> None:
    both = Signals(order_resolved=True, order_like=True, codes=2)
    assert clf.classify("KF-251104-007 我们已经发出 单号 YT9988776655", "zh", both).intent == "supplier_ship"
    assert clf.classify("KF-251104-007 отправили, трек RA123456789RU", "ru", both).intent == "supplier_ship"


def test_named_order_is_about_that_order_not_rules_or_the_list(clf: IntentClassifier) -> None:
    named = Signals(order_resolved=True, order_like=True, codes=1)
    assert clf.classify("KF-251104-007 всё ещё на таможне?", "ru", named).intent == "order_status"
    assert clf.classify("我的订单 KF-251104-007 怎么样了", "zh", named).intent == "order_status"


# ---- keyword matching ------------------------------------------------------------------------
def test_exact_form_keywords_tell_my_order_from_my_orders(clf: IntentClassifier) -> None:
    assert clf.classify("мой заказ уже в пути?", "ru").intent == "order_status"
    assert clf.classify("покажите мои заказы за месяц", "ru").intent == "order_list"


def test_phrase_keywords_in_free_word_order(clf: IntentClassifier) -> None:
    # return_policy keyword 'не то прислали' written the other way round
    assert clf.classify("прислали мне не то, что заказывал", "ru").intent == "return_policy"


def test_typo_tolerance_only_for_unknown_words(clf: IntentClassifier) -> None:
    # 'доставлен' is a real word (a state), not a typo of 'доставка'
    named = Signals(order_resolved=True, order_like=True, codes=1)
    assert clf.classify("KF-251104-007 уже доставлен?", "ru", named).intent == "order_status"
    # a real typo still meets its keyword
    assert clf.classify("сколко стоит доставка в Далянь", "ru").intent == "shipping_info"


def test_derived_forms_meet_keywords(clf: IntentClassifier) -> None:
    assert clf.classify("Тушёнка пришла просроченная", "ru").intent == "return_policy"


def test_longest_keyword_wins_across_intents(clf: IntentClassifier) -> None:
    assert clf.classify("Посылка до сих пор на таможне?", "ru").intent == "order_status"
    assert clf.classify("我的包裹还在海关吗", "zh").intent == "order_status"


# ---- pinyin messages ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("nin hao", "greeting"),
        ("duoxie laoban", "thanks"),
        ("tuikuan zenme shenqing", "return_policy"),
        ("yunfei duoshao", "shipping_info"),
    ],
)
def test_pinyin_messages_meet_chinese_examples_by_sound(
    clf: IntentClassifier, text: str, intent: str
) -> None:
    assert clf.classify(text, "zh").intent == intent


# ---- service prices, products as context ----------------------------------------------------------
def test_price_of_a_service_is_a_question_about_the_service(clf: IntentClassifier) -> None:
    assert clf.classify("Стоимость пересылки в Харбин какая?", "ru").intent == "shipping_info"
    assert clf.classify("清关费用多少钱", "zh").intent == "customs_info"


def test_product_named_inside_another_topic() -> None:
    u = shared_understander()
    assert u.understand("伏特加能过海关吗").intent == "customs_info"
    assert u.understand("Шпроты пришли со вздутой банкой, что делать").intent == "return_policy"


def test_price_word_makes_a_product_question_a_price_question() -> None:
    u = shared_understander()
    assert u.understand("Пельмени Сибирские почём?").intent == "product_price"
    assert u.understand("Гречка ядрица 900 г сколько?").intent == "product_price"


# ---- products ----------------------------------------------------------------------------------
def test_pinyin_price_question_finds_the_product() -> None:
    u = shared_understander().understand("lianru duoshao qian")
    assert u.intent == "product_price" and u.products[0].sku == "GR-001"


def test_wrong_layout_with_a_typo_finds_the_product() -> None:
    # 'Сгущенка' typed on the Latin layout with о instead of щ (Cuewtyrf -> сгуценка)
    u = shared_understander().understand("Cuewtyrf")
    assert u.intent == "product_search" and u.products[0].sku == "GR-001"


def test_misspelt_by_ear_finds_the_product() -> None:
    assert shared_index().search("вотка")[0].sku in {"AL-001", "AL-002"}
    assert shared_index().search("сгушонка")[0].sku == "GR-001"


def test_homophone_typo_of_a_category() -> None:
    assert shared_index().match_category("巧克丽有吗", "zh") == "巧克力"


def test_named_product_outranks_a_category_word_in_its_name() -> None:
    u = shared_understander().understand("Вафли Коровка есть?")
    assert u.products[0].sku == "SW-006"


def test_chinese_numeral_size_picks_the_variant() -> None:
    assert shared_index().search("七百毫升的白鲸")[0].sku == "AL-002"
    assert shared_index().search("半升的尼古拉格瓦斯")[0].sku == "DR-002"
