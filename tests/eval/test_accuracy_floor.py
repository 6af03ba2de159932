"""CI's accuracy floor on the labelled set (tests/data/labelled.jsonl) over the demo shop.

Fails when intent accuracy is below 95% in either language, product top-1 below 90%, or any order
number is missed. `kefu eval` prints the full report (per split, per intent, confusions, misses).
"""

from __future__ import annotations

import pytest

from bot.config import get_settings
from bot.understanding_cli import DEFAULT_LABELLED, demo_understander, floor_failures, read_labelled
from intents.evaluation import evaluate


@pytest.mark.slow
async def test_labelled_set_meets_the_floors() -> None:
    records = read_labelled(DEFAULT_LABELLED)
    assert sum(r["lang"] == "zh" for r in records) >= 250
    assert sum(r["lang"] == "ru" for r in records) >= 250
    understander = await demo_understander(get_settings())
    report = evaluate(records, [understander.understand(r["text"]) for r in records])
    print(report.format(max_misses=60))
    assert floor_failures(report) == []
