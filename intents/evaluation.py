"""Accuracy report of Understandings against labelled records (pure: the caller reads the file).

A record is a dict: text, lang, intent, products (acceptable skus; top-1 is correct when the first
returned sku is among them; empty = no product expected), order_no (canonical or None), split
('tune' or 'holdout' in the set the matcher was tuned on; other sets name their one split after
themselves), and optionally style (the kind of writing: 'cantonese', 'voice', ...), reported apart.

What counts:
- products are "returned" only for a product intent (product_search, product_price), as `kefu classify`
  reports them; top-1/top-3 are measured where the label expects products, and a product false positive
  is products returned where the label expects none (no skus, or a non-product intent);
- an order number is a hit only where the label names one and the same one comes back (None == None
  is no hit); a number returned where the label has none is an order-number false positive.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from intents.intent_ids import PRODUCT_INTENTS
from intents.understand import Understanding


@dataclass(frozen=True, slots=True)
class Miss:
    text: str
    split: str
    what: str  # 'intent' | 'lang' | 'product' | 'order_no'
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{100 * self.value:5.1f}% ({self.hits}/{self.total})" if self.total else "    - (0/0)"


@dataclass(frozen=True, slots=True)
class SplitReport:
    name: str
    records: int
    intent: Ratio
    intent_by_lang: dict[str, Ratio]
    intent_by_intent: dict[str, Ratio]
    lang: Ratio
    product_top1: Ratio
    product_top3: Ratio
    #: Products returned where none is expected, over the messages that expect none.
    product_false: Ratio
    #: Exact order numbers, over the messages labelled with one.
    order_no: Ratio
    #: An order number returned where the label has none, over the messages without one.
    order_no_false: Ratio
    confusion: dict[tuple[str, str], int]  # (expected, got) -> count, errors only
    #: Per `style` of the records that have one (shop5: voice, cantonese...): intent, top-1, order numbers.
    by_style: dict[str, tuple[Ratio, Ratio, Ratio]] = field(default_factory=dict)

    def format(self) -> str:
        lines = [f"== {self.name}: {self.records} messages"]
        lines.append(f"intent accuracy     {self.intent}")
        for lang, r in sorted(self.intent_by_lang.items()):
            lines.append(f"  intent [{lang}]        {r}")
        lines.append(f"language accuracy   {self.lang}")
        lines.append(f"product top-1       {self.product_top1}")
        lines.append(f"product top-3       {self.product_top3}")
        lines.append(f"product false pos.  {self.product_false}")
        lines.append(f"order number exact  {self.order_no}")
        lines.append(f"order number false  {self.order_no_false}")
        lines.append("per intent:")
        for intent, r in sorted(self.intent_by_intent.items()):
            lines.append(f"  {intent:16s} {r}")
        if self.by_style:
            lines.append("per style:            intent           top-1            order number")
            for style, (intent_r, top1, order_no) in sorted(self.by_style.items()):
                lines.append(f"  {style:16s} {intent_r}  {top1}  {order_no}")
        if self.confusion:
            lines.append("confusions (expected -> got: count):")
            for (exp, got), n in sorted(self.confusion.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {exp} -> {got}: {n}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Report:
    splits: dict[str, SplitReport]  # 'tune', 'holdout', ... and 'all'
    misses: list[Miss] = field(default_factory=list)

    def format(self, max_misses: int = 200) -> str:
        parts = [self.splits[k].format() for k in sorted(self.splits, key=lambda k: (k == "all", k))]
        if self.misses:
            parts.append(f"== misses ({len(self.misses)})")
            for m in self.misses[:max_misses]:
                parts.append(f"  [{m.split}] {m.what}: {m.text!r} expected {m.expected}, got {m.got}")
            if len(self.misses) > max_misses:
                parts.append(f"  ... {len(self.misses) - max_misses} more")
        return "\n".join(parts)


def _split_report(name: str, pairs: Sequence[tuple[Mapping[str, Any], Understanding]]) -> SplitReport:
    c: Counter[str] = Counter()
    by_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusion: Counter[tuple[str, str]] = Counter()
    for rec, u in pairs:
        ok = u.intent == rec["intent"]
        c["intent"] += ok
        by_lang[rec["lang"]][0] += ok
        by_lang[rec["lang"]][1] += 1
        by_intent[rec["intent"]][0] += ok
        by_intent[rec["intent"]][1] += 1
        if not ok:
            confusion[(rec["intent"], u.intent)] += 1
        c["lang"] += u.lang == rec["lang"]
        wanted = _wanted(rec)
        got = _returned(u)
        if wanted:
            c["p_total"] += 1
            c["p1"] += bool(got) and got[0] in wanted
            c["p3"] += bool(wanted.intersection(got[:3]))
        else:
            c["p_none"] += 1
            c["p_false"] += bool(got)
        if rec.get("order_no"):
            c["o_total"] += 1
            c["o"] += u.order_no == rec["order_no"]
        else:
            c["o_none"] += 1
            c["o_false"] += u.order_no is not None
    n = len(pairs)
    styles: dict[str, list[tuple[Mapping[str, Any], Understanding]]] = defaultdict(list)
    for rec, u in pairs:
        if rec.get("style"):
            styles[str(rec["style"])].append((rec, u))
    return SplitReport(
        name=name,
        records=n,
        intent=Ratio(c["intent"], n),
        intent_by_lang={k: Ratio(*v) for k, v in by_lang.items()},
        intent_by_intent={k: Ratio(*v) for k, v in by_intent.items()},
        lang=Ratio(c["lang"], n),
        product_top1=Ratio(c["p1"], c["p_total"]),
        product_top3=Ratio(c["p3"], c["p_total"]),
        product_false=Ratio(c["p_false"], c["p_none"]),
        order_no=Ratio(c["o"], c["o_total"]),
        order_no_false=Ratio(c["o_false"], c["o_none"]),
        confusion=dict(confusion),
        by_style={style: _style_figures(ps) for style, ps in styles.items()},
    )


def _style_figures(pairs: Sequence[tuple[Mapping[str, Any], Understanding]]) -> tuple[Ratio, Ratio, Ratio]:
    intent = sum(u.intent == rec["intent"] for rec, u in pairs)
    wanted = [(_wanted(rec), _returned(u)) for rec, u in pairs]
    top1 = [bool(got) and got[0] in want for want, got in wanted if want]
    orders = [u.order_no == rec["order_no"] for rec, u in pairs if rec.get("order_no")]
    return Ratio(intent, len(pairs)), Ratio(sum(top1), len(top1)), Ratio(sum(orders), len(orders))


def _wanted(rec: Mapping[str, Any]) -> set[str]:
    """The acceptable skus; none for a message whose intent is not about products."""
    return set(rec.get("products") or ()) if rec["intent"] in PRODUCT_INTENTS else set()


def _returned(u: Understanding) -> list[str]:
    return [p.sku for p in u.products] if u.intent in PRODUCT_INTENTS else []


def _misses(rec: Mapping[str, Any], u: Understanding) -> list[Miss]:
    split = str(rec.get("split", ""))
    out: list[Miss] = []
    if u.intent != rec["intent"]:
        out.append(Miss(rec["text"], split, "intent", rec["intent"], f"{u.intent} ({u.confidence:.2f})"))
    if u.lang != rec["lang"]:
        out.append(Miss(rec["text"], split, "lang", rec["lang"], u.lang))
    wanted, got = _wanted(rec), _returned(u)
    if wanted and (not got or got[0] not in wanted):
        out.append(Miss(rec["text"], split, "product", "|".join(sorted(wanted)), ",".join(got[:3]) or "none"))
    if not wanted and got:
        out.append(Miss(rec["text"], split, "product", "none", ",".join(got[:3])))
    if u.order_no != rec.get("order_no"):
        out.append(Miss(rec["text"], split, "order_no", str(rec.get("order_no")), str(u.order_no)))
    return out


def evaluate(records: Sequence[Mapping[str, Any]], understandings: Sequence[Understanding]) -> Report:
    """Per-split and overall figures for records and the Understandings computed for them (same order)."""
    if len(records) != len(understandings):
        raise ValueError(f"{len(records)} records but {len(understandings)} understandings")
    pairs = list(zip(records, understandings, strict=True))
    by_split: dict[str, list[tuple[Mapping[str, Any], Understanding]]] = defaultdict(list)
    for rec, u in pairs:
        by_split[str(rec.get("split") or "unsplit")].append((rec, u))
    splits = {name: _split_report(name, ps) for name, ps in by_split.items()}
    splits["all"] = _split_report("all", pairs)
    misses = [m for rec, u in pairs for m in _misses(rec, u)]
    return Report(splits, misses)
