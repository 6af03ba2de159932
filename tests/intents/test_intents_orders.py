"""Order numbers: exact, width/case/dash-insensitive, never fuzzy, no assumed format."""

from __future__ import annotations

from intents import normalize_order_no, order_no_candidates
from intents.orders import as_lookup, find_order

LOOKUP = as_lookup(
    {"KF-250117-003": "KF-250117-003", "RU20250117-15": "RU20250117-15", "A-000123": "A-000123"}
)


def test_normalize_forms_agree() -> None:
    forms = ["kf250117003", "ＫＦ－２５０１１７－００３", "KF-250117-003", "kf 250117 003", "KF–250117—003"]
    assert {normalize_order_no(f) for f in forms} == {"KF250117003"}


def test_find_resolves_any_form_to_canonical() -> None:
    for text in [
        "где заказ kf250117003?",
        "订单ＫＦ－２５０１１７－００３到哪了",
        "KF 250117 003",
        "КФ-250117-003",
        "заказ КF-250117-003 где",  # a Cyrillic К inside a Latin code (the layout switched mid-word)
    ]:
        assert find_order(text, LOOKUP)[0] == "KF-250117-003", text
    assert find_order("RU20250117-15 где", LOOKUP)[0] == "RU20250117-15"
    assert find_order("a-000123", LOOKUP)[0] == "A-000123"


def test_never_fuzzy() -> None:
    no, cands = find_order("заказ KF-250117-004", LOOKUP)
    assert no is None
    assert cands == ("KF250117004",)  # reported, so the bot can say "not found"


def test_candidates_skip_quantities_prices_phones() -> None:
    assert order_no_candidates("买2个 500г 2кг 1299元 电话13812345678 12345 руб") == []
    assert order_no_candidates("мой заказ 12345678") == ["12345678"]
    assert order_no_candidates("KF 251104 007") == ["KF251104007"]


def test_mapping_and_callable_lookups() -> None:
    assert as_lookup(None)("X") is None
    assert as_lookup(lambda k: "Z" if k == "AB12345" else None)("AB12345") == "Z"


def test_groups_separated_by_spaces_join_into_one_number() -> None:
    lookup = as_lookup({"HH2025120801": "HH2025120801"})
    for text in (
        "訂單 HH 2025 1208 01 發貨了嗎",
        "hh 2025 1208 01",
        "заказ HH 20251208 01 где",
        "H H 2 0 2 5 1 2 0 8 0 1",
    ):
        assert find_order(text, lookup)[0] == "HH2025120801", text
