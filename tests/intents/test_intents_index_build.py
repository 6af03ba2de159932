"""The index build's shortcuts give what the plain computations give."""

from __future__ import annotations

import math

from intents import chinese
from intents.product_grams import SOUND, SPELT, gram_kind, query_grams
from intents.product_index import ProductIndex, ProductRecord
from intents.query import analyse


def test_word_by_word_pinyin_matches_pypinyin() -> None:
    for run in ("重庆火锅", "快乐星球", "银行长", "巧克力牛奶", "乐蓝爱香草姜饼", "长春行"):
        assert chinese._pinyin_words(run) == chinese._pinyin_phrase(run)


def test_has_phrase_matches_the_exhaustive_search() -> None:
    poly = chinese._polyphones()
    phrases, _ = chinese._phrase_tables()
    for run in ("重庆火锅", "快乐星球", "银行长", "巧克力", "金银红牛奶巧克力", "乐", "长长长长长"):
        assert chinese._has_phrase(run, poly) == chinese._has_phrase_slow(run, poly, phrases)


def test_candidate_sums_match_a_plain_sum_and_leave_the_buffers_zeroed() -> None:
    recs = [
        ProductRecord(f"S{i}", f"Шоколад «Бренд{i % 7}» молочный {i}0 г", f"品牌{i % 5}牛奶巧克力 {i}0克")
        for i in range(60)
    ]
    postings = ProductIndex(recs)._postings
    postings.budget = postings.check = 10**9  # read every gram: the sums must be exact
    for text in ("шоколад бренд3", "牛奶巧克力 30克", "шаколад", "品牌2"):
        qgrams = query_grams(analyse(text))
        cand, spelt, sounded = postings.candidates(postings.present(qgrams), sound=True)
        plain: dict[int, list[float]] = {}
        for g in qgrams:
            for pid in postings.get(g):
                sums = plain.setdefault(int(pid), [0.0, 0.0])
                kind = gram_kind(g)
                if kind != SOUND:
                    sums[0] += postings.idf(g)
                if kind != SPELT:
                    sums[1] += postings.idf(g)
        assert cand.tolist() == sorted(plain)
        assert sounded is not None
        for pid, s, p in zip(cand.tolist(), spelt.tolist(), sounded.tolist(), strict=True):
            assert math.isclose(s, plain[pid][0], abs_tol=1e-8) and math.isclose(
                p, plain[pid][1], abs_tol=1e-8
            )
        assert not any(buf.any() for buf in postings.buffers())


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
    assert len(index._postings.get("巧克")) == 5
    assert index.search("品牌巧克力 30克")[0].sku == "S3"
