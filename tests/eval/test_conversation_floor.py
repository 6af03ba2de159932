"""CI's floors on the multi-turn sets (tests/data/conversations_*.jsonl, written blind; format and kinds
in tests/data/CONVERSATIONS.md), replayed through the real engine as `kefu eval --conversations` does.

First measured at demo 50.2%, shop2 49.0% and (blind, never tuned on) shop3 51.9% of checked turns
right; since follow-ups are read against the chat's products and orders, held just under what they give
now (demo 95.7%, shop2 89.7%, shop3 84.6%). The aim is 95% on a set never seen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import get_settings
from bot.conversation_eval import check_turn, holds, read_conversations, replay
from bot.engine.messages import Button, Reply

DATA = Path(__file__).resolve().parent.parent / "data"
# name -> (conversations, shop folder or None for the demo shop, least checked turns, floor)
SETS = {
    "demo": (DATA / "conversations_demo.jsonl", None, 200, 0.94),
    "shop2": (DATA / "conversations_shop2.jsonl", DATA / "shop2", 200, 0.88),
    "shop3": (DATA / "conversations_shop3.jsonl", DATA / "shop3", 200, 0.83),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SETS))
async def test_conversation_set_meets_its_floor(name: str) -> None:
    path, shop, least, floor = SETS[name]
    assert len(read_conversations(path)) >= 60
    settings = get_settings()
    if shop is not None:
        settings = settings.model_copy(update={"data_dir": shop})
    report = await replay(settings, path)
    print(report.format())
    right, total = report.share()
    assert total >= least
    assert right / total >= floor, f"{right}/{total} checked turns right, floor {floor:.0%}"


def test_a_price_fact_matches_however_the_reply_prints_the_amount() -> None:
    assert holds("价格：¥118.00 · 有现货", "118.00")
    assert holds("Цена: 118,00 CN¥", "118.00") and holds("Цена: 118 ¥", "118.00")
    assert not holds("Цена: 1 118,00 ¥", "118.00") and not holds("¥11.80", "118.00")
    assert holds("椴树蜜 1公斤", "椴树蜜 1公斤") and not holds("椴树蜜 500克", "椴树蜜 1公斤")


def test_a_turn_is_right_only_with_every_fact_none_forbidden_and_no_early_handoff() -> None:
    reply = Reply(["您是说哪一款？"], "product_search", "zh", False, buttons=[Button("椴树蜜 1公斤", "p:1")])
    check = {"kind": "clarify", "must": [], "any": [["椴树蜜 1公斤", "荞麦蜜 500克"]]}
    assert check_turn(reply, check)[0]  # the candidate is only on a button: it counts
    assert not check_turn(reply, {**check, "must_not": ["椴树蜜 1公斤"]})[0]
    handed = Reply(["我这就为您转接"], "human_handoff", "zh", handoff=True)
    assert not check_turn(handed, {"kind": "clarify", "must": []})[0]
