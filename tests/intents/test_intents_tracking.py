"""Tracking numbers in a supplier's message: each number alone, validated, with the carrier its format names."""

from __future__ import annotations

import pytest

from intents.tracking import (
    carrier_of,
    find_tracking_numbers,
    is_tracking_number,
    to_warehouse,
    written_carrier,
)

FIVE = ["RA123456789RU", "RA123456790RU", "RA123456791RU", "RA123456792RU", "RA123456793RU"]


@pytest.mark.parametrize(
    "text",
    [
        "KF-251119-006 已发货 " + "/".join(FIVE),
        "Заказ KF-251119-006 отгрузили: " + ", ".join(FIVE),
        "KF-251119-006 " + "; ".join(FIVE),
        "KF-251119-006 shipped " + " ".join(FIVE),
        "KF-251119-006\n" + "\n".join(FIVE),
        "KF-251119-006 运单号" + "，".join(FIVE),
        "KF-251119-006 трек " + " / ".join(n.lower() for n in FIVE),
    ],
)
def test_several_numbers_are_found_each_alone_never_glued(text: str) -> None:
    scan = find_tracking_numbers(text, exclude={"KF251119006"})
    assert scan.numbers == tuple(FIVE) and scan.rejected == ()


def test_the_order_number_quantities_dates_and_phones_are_not_parcels() -> None:
    scan = find_tracking_numbers(
        "KF251119006 отгрузили 12 шт, 2025-11-19, 20251119, тел. 13800000000, трек SF1234567890123",
        exclude={"KF251119006"},
    )
    assert scan.numbers == ("SF1234567890123",) and scan.rejected == ()


def test_an_order_number_typed_in_groups_is_not_a_bad_tracking_number() -> None:
    scan = find_tracking_numbers("KF 251119 006 отгрузили RA123456789RU", exclude={"KF251119006"})
    assert scan.numbers == ("RA123456789RU",) and scan.rejected == ()


def test_a_number_that_is_too_short_or_too_long_is_rejected_not_stored() -> None:
    scan = find_tracking_numbers("KF-251119-006 已发货 RA12345RU " + "1" * 31)
    assert scan.numbers == () and scan.rejected == ("RA12345RU", "1" * 31)
    assert not is_tracking_number("RA123456789RU" * 5)
    assert not is_tracking_number("ABCDEFGHIJK")  # a word, not a number


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("RA123456789RU", "russian_post"),
        ("RB227808644RU", "russian_post"),
        ("CP123456785RU", "russian_post"),
        ("EE123456785RU", "ems"),
        ("SF1234567890123", "sf"),
        ("YT1234567890123456", "yunexpress"),
        ("1388828802", "cdek"),
        ("LP00123456789012", None),  # no format says whose: kept as written, no carrier
        ("RR123456785CN", None),
    ],
)
def test_carrier_comes_from_the_numbers_format(number: str, carrier: str | None) -> None:
    assert carrier_of(number) == carrier


@pytest.mark.parametrize(
    ("text", "warehouse"),
    [
        ("KF-251119-006 отгрузили на склад, накладная 1234567890", True),
        ("Заказ KF-251119-006 отправили до вашего склада", True),
        ("KF-251119-006 已发到仓库 SF1234567890123", True),
        ("KF-251119-006 送到你们仓库了", True),
        ("KF-251119-006 已发货 RA111111111RU", False),
        ("Заказ KF-251119-006 отгрузили, трек RA123456789RU", False),
        ("KF-251119-006 从仓库发出了 SF1234567890123", False),  # from the supplier's own warehouse
    ],
)
def test_goods_sent_to_the_shops_warehouse_are_recognised(text: str, warehouse: bool) -> None:
    assert to_warehouse(text) is warehouse


@pytest.mark.parametrize(
    ("text", "carrier"),
    [
        ("KF-251119-006 отправили СДЭК, накладная 12345678901", "cdek"),
        ("KF-251119-006 已发中通 78912345678901", "中通快递"),
        ("KF-251119-006 отправили через Boxberry 0012345678901", "Boxberry"),
        ("KF-251119-006 已发货 78912345678901", None),
        ("KF-251119-006 中通或者圆通 78912345678901", None),  # two named: none is sure
    ],
)
def test_otherwise_the_carrier_is_taken_as_the_supplier_wrote_it(text: str, carrier: str | None) -> None:
    assert written_carrier(text) == carrier
