"""The accuracy report."""

from __future__ import annotations

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
    assert all_.order_no.hits == 4
    assert all_.confusion == {("product_price", "product_search"): 1}
    assert rep.splits["tune"].records == 2 and rep.splits["holdout"].records == 2
    assert {m.what for m in rep.misses} == {"intent", "lang", "product"}
    text = rep.format()
    assert "intent accuracy" in text and "product_price -> product_search: 1" in text
