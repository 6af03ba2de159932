"""Smoke test on the demo shop when it is present (its content may change: only loose checks)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from intents import ProductRecord, Understander

CATALOG = Path(__file__).resolve().parents[2] / "catalog_data" / "catalog.csv"


@pytest.mark.skipif(not CATALOG.exists(), reason="demo catalog not present")
def test_demo_catalog_builds_and_answers() -> None:
    with CATALOG.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    recs = [
        ProductRecord(
            r["sku"],
            r["name_ru"],
            r["name_zh"],
            tuple(a for a in (r.get("aliases_ru") or "").split("|") if a),
            tuple(a for a in (r.get("aliases_zh") or "").split("|") if a),
            r.get("brand") or "",
            r.get("category_ru") or "",
            r.get("category_zh") or "",
        )
        for r in rows
    ]
    u = Understander(recs)
    first = recs[0]
    got = u.understand(f"{first.name_zh}有吗")
    assert got.intent in ("product_search", "product_price") and got.products
    assert got.lang == "zh"
    assert u.understand(f"есть {first.name_ru}?").lang == "ru"
