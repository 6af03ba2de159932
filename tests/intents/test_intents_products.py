"""Product search across languages, scripts, typos and variants."""

from __future__ import annotations

import pytest
from intents_catalog import shared_index

from intents import ProductIndex, ProductRecord


@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ("爱莲巧", {"CH-001"}),
        ("大头娃娃", {"CH-001"}),
        ("俄羅斯餅乾有嗎", {"SW-004"}),
        ("巧克丽", {"CH-001", "CH-002", "CH-003", "CH-004", "CH-005", "CA-003"}),
        ("格娃斯", {"DR-001", "DR-002"}),
        ("伏特家", {"AL-001", "AL-002"}),
        ("lianru", {"GR-001"}),
        ("song zi", {"HN-002"}),
        ("futejia", {"AL-001", "AL-002"}),
        ("Ptabh", {"SW-001"}),
        ("Djlrf", {"AL-001", "AL-002"}),
        ("pryaniki", {"SW-002"}),
        ("sguschenka", {"GR-001"}),
        ("сгущёнки", {"GR-001"}),
        ("пельменей", {"GR-004"}),
        ("тушенки", {"TN-001"}),
        ("икры", {"TN-003"}),
        ("есть 炼乳?", {"GR-001"}),
        ("想要Коровка", {"CA-001", "SW-006"}),
        ("Бородинский хлеб", {"GR-007"}),
        ("shokolad alenka", {"CH-001", "CH-002", "CH-004"}),
        ("сгуха", {"GR-001"}),
        ("白鲸", {"AL-002"}),
    ],
)
def test_search_top1(query: str, skus: set[str]) -> None:
    got = shared_index().search(query)
    assert got and got[0].sku in skus, (query, got)


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("Алёнка 200 г", "CH-002"),
        ("爱莲巧 200克", "CH-002"),
        ("алёнка 100г", "CH-001"),
        ("草莓酱", "GR-005"),
        ("樱桃果酱", "GR-006"),
        ("вишнёвое варенье", "GR-006"),
        ("клубничное варенье", "GR-005"),
        ("Балтика 9", "AL-004"),
        ("Балтика №7", "AL-003"),
        ("квас 0,5", "DR-002"),
        ("квас 1.5л", "DR-001"),
    ],
)
def test_variants_by_size_flavour_number(query: str, sku: str) -> None:
    assert shared_index().search(query)[0].sku == sku


def test_scores_are_sorted_and_bounded() -> None:
    got = shared_index().search("шоколад", limit=5)
    assert 1 <= len(got) <= 5
    assert all(0 <= m.score <= 100 for m in got)
    assert [m.score for m in got] == sorted((m.score for m in got), reverse=True)


def test_nothing_for_no_product_words() -> None:
    assert shared_index().search("有吗") == []
    assert shared_index().search("") == []


def test_categories() -> None:
    idx = shared_index()
    assert idx.match_category("有糖果吗", "zh") == "糖果"
    assert idx.match_category("какой шоколад есть", "ru") == "Шоколад"
    assert idx.match_category("Алёнка", "ru") is None
    # a product of another category named with the category's word is not that category
    assert idx.match_category("зефир в шоколаде", "ru") is None
    beer = ProductIndex(
        [ProductRecord("B1", "Балтика 3", "波罗的海3号", category_ru="Пиво", category_zh="啤酒")]
    )
    assert beer.match_category("Какое есть пиво?", "ru") == "Пиво"  # a three-letter stem (пив)
    assert set(idx.category_skus("巧克力")) == set(idx.category_skus("Шоколад"))
    assert "CH-001" in idx.category_skus("巧克力")


def test_a_whole_nickname_outweighs_thousands_of_look_alikes() -> None:
    """'炼乳' is the nickname of one product among thousands whose names contain 炼乳."""
    crowd = [
        ProductRecord(f"G{i}", f"Сгущёнка «Зорька{i}» {i} г", f"品牌{i}炼乳 {i}克", (f"зорька{i} сгущёнка",))
        for i in range(3000)
    ]
    ours = ProductRecord(
        "OURS", "Молоко сгущённое «Алексеевское»", "阿列克谢耶夫炼乳", ("сгущёнка",), ("炼乳",)
    )
    idx = ProductIndex([*crowd, ours])
    for query in ("炼乳有吗", "lianru you ma", "есть сгущёнка?", "сгущенки нет?"):
        assert idx.search(query)[0].sku == "OURS", query


def test_empty_and_duplicate_catalogs() -> None:
    assert len(ProductIndex([])) == 0
    assert ProductIndex([]).search("водка") == []
    recs = [ProductRecord("A", "Водка", "伏特加"), ProductRecord("B", "Водка", "伏特加")]
    assert {m.sku for m in ProductIndex(recs).search("водка")} == {"A", "B"}
