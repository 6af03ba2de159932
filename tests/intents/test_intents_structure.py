"""The shape of intents/: small modules with one job each, one spelling of the intent ids, nothing of bot/."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from intents_catalog import shared_understander

import intents
from intents import INTENTS, IntentClassifier, IntentId
from intents.intent_classifier import Signals

PACKAGE = Path(intents.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
#: The fixed ids of the outside interface, in its order.
FIXED_IDS = [
    "greeting",
    "thanks",
    "goodbye",
    "product_search",
    "product_price",
    "order_status",
    "order_list",
    "shipping_info",
    "payment_info",
    "return_policy",
    "customs_info",
    "human_handoff",
    "supplier_ship",
    "out_of_scope",
]


def test_no_module_is_over_450_lines() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES}
    assert {name: n for name, n in sizes.items() if n > 450} == {}


def test_every_module_says_why_in_a_docstring() -> None:
    assert [p.name for p in MODULES if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))] == []


def test_intents_imports_nothing_of_bot() -> None:
    for p in MODULES:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("bot"), p.name
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("bot") for a in node.names), p.name


def test_no_issue_numbers_in_the_code() -> None:
    cited = re.compile(r"\bissues? #?\d+|\(#\d+\)", re.IGNORECASE)
    assert [
        f"{p.name}:{i}"
        for p in MODULES
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if cited.search(line)
    ] == []


def test_intent_ids_are_the_fixed_strings() -> None:
    assert [i.value for i in IntentId] == FIXED_IDS
    assert INTENTS == tuple(IntentId) and all(i == s for i, s in zip(INTENTS, FIXED_IDS, strict=True))
    # a member is its string wherever it goes: JSON, formatting, dictionary keys
    assert json.dumps([IntentId.ORDER_STATUS]) == '["order_status"]'
    assert f"{IntentId.OUT_OF_SCOPE}" == str(IntentId.OUT_OF_SCOPE) == "out_of_scope"
    assert {"thanks": 1}[IntentId.THANKS] == 1


def test_intent_ids_are_spelt_only_in_intent_ids() -> None:
    """Anywhere else in intents/, an intent id is an IntentId member, never a string literal."""
    spelt = {
        f"{p.name}:{node.lineno}"
        for p in MODULES
        if p.name != "intent_ids.py"
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in FIXED_IDS
    }
    assert spelt == set()


def test_the_matchers_return_intent_id_members() -> None:
    u = shared_understander().understand("你好")
    assert type(u.intent) is IntentId and u.intent == "greeting"
    result = IntentClassifier().classify("今天天气怎么样", "zh", Signals())
    assert type(result.intent) is IntentId and result.intent == "out_of_scope"
    assert all(type(i) is IntentId for i in result.scores)
