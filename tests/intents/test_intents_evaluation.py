"""The accuracy report."""

from __future__ import annotations

from typing import Any

from bot.understanding_cli import floor_failures
from intents import ProductMatch, Understanding
from intents.evaluation import evaluate


def _u(intent: str, lang: str, skus: tuple[str, ...] = (), order: str | None = None) -> Understanding:
    return Understanding("t", lang, intent, 0.9, tuple(ProductMatch(s, 90.0) for s in skus), order, ())


def test_report_numbers_and_format() -> None:
    records = [
        {"text": "a", "lang": "zh", "intent": "greeting", "products": [], "order_no": None, "split": "tune"},
        {
            "text": "b",
            "lang": "ru",
            "intent": "product_search",
            "products": ["X"],
            "order_no": None,
            "split": "tune",
        },
        {
            "text": "c",
            "lang": "ru",
            "intent": "order_status",
            "products": [],
            "order_no": "KF-1",
            "split": "holdout",
        },
        {
            "text": "d",
            "lang": "zh",
            "intent": "product_price",
            "products": ["Y"],
            "order_no": None,
            "split": "holdout",
        },
    ]
    got = [
        _u("greeting", "zh"),
        _u("product_search", "ru", ("Z", "X")),
        _u("order_status", "zh", order="KF-1"),
        _u("product_search", "zh", ("Y",)),
    ]
    rep = evaluate(records, got)
    all_ = rep.splits["all"]
    assert all_.intent.hits == 3 and all_.intent.total == 4
    assert all_.lang.hits == 3
    assert (all_.product_top1.hits, all_.product_top3.hits, all_.product_top1.total) == (1, 2, 2)
    assert (all_.order_no.hits, all_.order_no.total) == (1, 1)  # None == None is no hit
    assert (all_.order_no_false.hits, all_.order_no_false.total) == (0, 3)
    assert (all_.product_false.hits, all_.product_false.total) == (0, 2)
    assert all_.confusion == {("product_price", "product_search"): 1}
    assert rep.splits["tune"].records == 2 and rep.splits["holdout"].records == 2
    assert {m.what for m in rep.misses} == {"intent", "lang", "product"}
    text = rep.format()
    assert "intent accuracy" in text and "product_price -> product_search: 1" in text


def _record(
    intent: str, split: str, products: tuple[str, ...] = (), order: str | None = None
) -> dict[str, Any]:
    return {"text": intent, "lang": "zh", "intent": intent, "products": list(products), "order_no": order,
            "split": split}  # fmt: skip


def test_order_numbers_are_hits_only_where_the_label_names_one() -> None:
    records = [_record("greeting", "tune"), _record("order_status", "tune", order="KF-1")]
    rep = evaluate(records, [_u("greeting", "zh"), _u("order_status", "zh", order="KF-2")])
    assert (rep.splits["all"].order_no.hits, rep.splits["all"].order_no.total) == (0, 1)
    assert floor_failures(rep) == ["order numbers   0.0% (0/1)"]
    # a number where the message names none is a false positive, and below the floor
    rep = evaluate([_record("greeting", "tune")], [_u("greeting", "zh", order="KF-1")])
    assert (rep.splits["all"].order_no_false.hits, rep.splits["all"].order_no_false.total) == (1, 1)
    assert floor_failures(rep) == ["order numbers where none is named 100.0% (1/1)"]
    assert [m.what for m in rep.misses] == ["order_no"]


def test_products_where_none_is_expected_are_false_positives() -> None:
    records = [
        _record("product_search", "tune"),  # a product the shop does not carry
        _record("shipping_info", "tune", ("X",)),  # a non-product intent expects no product
        _record("product_search", "tune", ("X",)),
    ]
    got = [
        _u("product_search", "zh", ("A",)),
        _u("product_search", "zh", ("X",)),
        _u("product_search", "zh", ("X",)),
    ]
    rep = evaluate(records, got)
    assert (rep.splits["all"].product_false.hits, rep.splits["all"].product_false.total) == (2, 2)
    assert (rep.splits["all"].product_top1.hits, rep.splits["all"].product_top1.total) == (1, 1)
    assert [(m.what, m.expected) for m in rep.misses] == [
        ("product", "none"),
        ("intent", "shipping_info"),
        ("product", "none"),
    ]
    assert "product false pos.  100.0% (2/2)" in rep.format()


def test_the_floors_hold_on_the_holdout_split_too() -> None:
    # every tuned message right and 1 of 2 holdout ones: 95.5% over all, 50% on the holdout
    records = [_record("greeting", "tune")] * 20 + [_record("greeting", "holdout")] * 2
    got = [_u("greeting", "zh")] * 20 + [_u("greeting", "zh"), _u("thanks", "zh")]
    rep = evaluate(records, got)
    assert rep.splits["all"].intent_by_lang["zh"].value > 0.95
    assert floor_failures(rep) == ["intent accuracy [zh] [holdout]  50.0% (1/2)"]
