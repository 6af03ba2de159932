"""The index build's shortcuts give what the plain computations give."""

from __future__ import annotations

import heapq
import random
from operator import itemgetter

from intents import chinese
from intents.product_index import ProductIndex, ProductRecord, _top


def test_word_by_word_pinyin_matches_pypinyin() -> None:
    for run in ("重庆火锅", "快乐星球", "银行长", "巧克力牛奶", "乐蓝爱香草姜饼", "长春行"):
        assert chinese._pinyin_words(run) == chinese._pinyin_phrase(run)


def test_has_phrase_matches_the_exhaustive_search() -> None:
    poly = chinese._polyphones()
    phrases, _ = chinese._phrase_tables()
    for run in ("重庆火锅", "快乐星球", "银行长", "巧克力", "金银红牛奶巧克力", "乐", "长长长长长"):
        assert chinese._has_phrase(run, poly) == chinese._has_phrase_slow(run, poly, phrases)


def test_top_is_nlargest_with_ties_in_order() -> None:
    rng = random.Random(5)
    for _ in range(50):
        acc = {rng.randrange(10_000): float(rng.randrange(6)) for _ in range(rng.randrange(1, 400))}
        assert _top(acc, 64) == heapq.nlargest(64, acc.items(), key=itemgetter(1))


def test_repeated_texts_index_like_unique_ones() -> None:
    recs = [
        ProductRecord(
            f"S{i}",
            f"Шоколад «Бренд» молочный {i}0 г",
            f"品牌牛奶巧克力 {i}0克",
            ("бренд шоколад",),
            ("品牌巧克力",),
            "Бренд",
        )
        for i in range(1, 6)
    ]
    index = ProductIndex(recs)
    assert len(set(index._uni)) == 1 and len(set(index._asc)) == 5
    assert len(index._postings["巧克"]) == 5
    assert index.search("品牌巧克力 30克")[0].sku == "S3"
