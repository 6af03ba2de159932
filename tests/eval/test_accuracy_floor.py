"""CI's accuracy floors, on every labelled set in tests/data.

- demo: tests/data/labelled.jsonl over the demo shop, the set the matcher was tuned on (its holdout
  part excepted). The floors: intent 95% in either language, product top-1 90%, every order
  number.
- shop2: written blind over another shop (tests/data/shop2) by someone who saw neither the matcher
  nor the demo shop; its misses were then used for tuning. Same floors.
- demo2: long, rambling WeChat-style messages over the demo shop, written without sight of the
  matcher; tuned on (85.0% Chinese intent when it arrived). Same floors.
- shop3: written blind over a third shop and NOT tuned on (only its totals were looked at): the
  honest measure of a shop and messages never seen (91.3% Chinese intent when it arrived). Same
  floors.
- shop4: written blind over a fourth shop (tests/data/shop4), measured before anything was changed
  for it (intent zh 94.4%, ru 92.1%, product top-1 86.2%), then tuned on. Same floors.

The floors hold on the whole set and again on its holdout split: records marked `"split": "holdout"`
(only the demo set has them: the messages it was not tuned on; the other sets carry one split named
after the set). Order numbers count only where the label names one, and a number returned where it
names none fails the floor; product false positives (products where the label expects none) are
reported per split.

`kefu eval [--shop DIR] [--labelled FILE]` prints the full report (per split, per intent,
confusions, misses).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import get_settings
from bot.understanding_cli import DEFAULT_LABELLED, FLOORS, demo_understander, floor_failures, read_labelled
from intents.evaluation import evaluate

DATA = Path(__file__).resolve().parent.parent / "data"
SHOP5_BASELINE = {"intent": 0.90, "product_top1": 0.84, "order_no": 1.0}
SHOP6_BASELINE = {"intent": 0.85, "product_top1": 0.75, "order_no": 0.93}
# name -> (labelled set, shop folder or None for the demo shop, least messages per language, floors)
SETS = {
    "demo": (DEFAULT_LABELLED, None, 250, FLOORS),
    "shop2": (DATA / "labelled_shop2.jsonl", DATA / "shop2", 150, FLOORS),
    "demo2": (DATA / "labelled_demo2.jsonl", None, 120, FLOORS),
    "shop3": (DATA / "labelled_shop3.jsonl", DATA / "shop3", 150, FLOORS),
    "shop4": (DATA / "labelled_shop4.jsonl", DATA / "shop4", 140, FLOORS),
    # Live-stream, Northeastern, Cantonese and voice-typed shoppers, written blind, first measured at intent
    # zh 79.4% / ru 77.6%, top-1 72.7%, order numbers 58.6%; then tuned on (no longer blind): held at
    # zh 90.3% / ru 100%, top-1 84.9% until price filtering of the products shown is taught; order
    # numbers at FLOORS' own (voice-typed numbers read: 29/29); then raised to FLOORS like the others.
    "shop5": (DATA / "labelled_shop5.jsonl", DATA / "shop5", 50, SHOP5_BASELINE),
    # The same styles on another live-stream shop, written blind and never tuned on: first measured at
    # intent zh 72.6% / ru 90.8%, top-1 69.3%, order numbers 75.0%; held where the dialect tables brought it.
    "shop6": (DATA / "labelled_shop6.jsonl", DATA / "shop6", 70, SHOP6_BASELINE),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SETS))
async def test_labelled_set_meets_the_floors(name: str) -> None:
    labelled, shop, least, floors = SETS[name]
    records = read_labelled(labelled)
    assert sum(r["lang"] == "zh" for r in records) >= least
    assert sum(r["lang"] == "ru" for r in records) >= least
    settings = get_settings()
    if shop is not None:
        settings = settings.model_copy(update={"data_dir": shop})
    understander = await demo_understander(settings)
    report = evaluate(records, [understander.understand(r["text"]) for r in records])
    print(report.format(max_misses=60))
    assert floor_failures(report, floors) == []
