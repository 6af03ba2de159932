"""Check a multi-turn conversation set against its shop's files and print its counts.

    python tests/data/check_conversations.py tests/data/conversations_demo.jsonl catalog_data
    python tests/data/check_conversations.py tests/data/conversations_shop2.jsonl tests/data/shop2

Reads only the set and the shop's catalog.csv and orders.csv (never the matcher). Exit 1 on any error:
a fact that is neither a catalog name (name_zh or name_ru), a catalog price, an order number nor a tracking
number of that shop; an order fact required of a user who may not see it; a must_not fact that is part of a
required one; a conversation outside 2-6 turns; an unknown kind.
"""

import collections
import csv
import json
import re
import sys

KINDS = [
    "refine",
    "correction",
    "multi",
    "compare",
    "filter",
    "order_context",
    "order_number_form",
    "clarify",
    "single",
    "bad",
]


def lang(text: str) -> str:
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[а-яё]", text, re.IGNORECASE):
        return "ru"
    return "?"


def main(path: str, shopdir: str) -> int:
    with open(f"{shopdir}/catalog.csv", encoding="utf-8") as f:
        cat = list(csv.DictReader(f))
    with open(f"{shopdir}/orders.csv", encoding="utf-8") as f:
        orders = list(csv.DictReader(f))
    names = {r["name_zh"] for r in cat} | {r["name_ru"] for r in cat}
    prices = {r["price_cny"] for r in cat}
    owner = {o["order_no"]: o["customer_telegram_id"] for o in orders}
    phone = {o["order_no"]: o["customer_phone"] for o in orders}
    tracking = {t: o["order_no"] for o in orders for t in o["tracking_no"].split("|") if t}
    owners = {o["customer_telegram_id"] for o in orders if o["customer_telegram_id"]}

    errors: list[str] = []
    convs: collections.Counter[tuple[str, str]] = collections.Counter()
    turns: collections.Counter[tuple[str, str]] = collections.Counter()
    ids: set[str] = set()
    nchecked = 0
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for ln, line in enumerate(lines, 1):
        c = json.loads(line)
        where = f"line {ln} ({c.get('id')})"
        if c["id"] in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(c["id"])
        if c["kind"] not in KINDS:
            errors.append(f"{where}: unknown kind {c['kind']!r}")
        if not 2 <= len(c["turns"]) <= 6:
            errors.append(f"{where}: {len(c['turns'])} turns")
        if c["lang_code"] not in ("zh-hans", "ru", None):
            errors.append(f"{where}: lang_code {c['lang_code']!r}")
        user = str(c["user"])
        phones = {t.get("contact") for t in c["turns"]} - {None}
        langs = {lang(t["text"]) for t in c["turns"] if "text" in t} - {"?"}
        convs[(c["kind"], "mixed" if len(langs) > 1 else next(iter(langs), "?"))] += 1
        if c["kind"] in ("order_context", "order_number_form") and user not in owners and not phones:
            errors.append(f"{where}: an order conversation from a user without orders")
        if c["kind"] not in ("order_context", "order_number_form", "bad") and user in owners:
            errors.append(f"{where}: a shopper conversation uses an order owner's id")
        for i, t in enumerate(c["turns"]):
            if "text" not in t and "contact" not in t:
                errors.append(f"{where}: turn {i} has neither text nor contact")
            check = t.get("check")
            if not check:
                continue
            nchecked += 1
            if check["kind"] not in KINDS:
                errors.append(f"{where}: turn {i} unknown kind {check['kind']!r}")
            turns[(check["kind"], lang(t["text"]) if "text" in t else "contact")] += 1
            must, must_not = check.get("must", []), check.get("must_not", [])
            alts = [a for group in check.get("any", []) for a in group]
            if not (must or must_not or alts):
                errors.append(f"{where}: turn {i} checks nothing")
            for fact in must + must_not + alts:
                order = fact if fact in owner else tracking.get(fact)
                if order:
                    if fact not in must_not and owner[order] != user and phone[order] not in phones:
                        errors.append(f"{where}: turn {i} requires {fact}, which {user} may not see")
                elif fact not in names and fact not in prices:
                    errors.append(f"{where}: turn {i} unknown fact {fact!r}")
            for bad in must_not:
                for good in must + alts:
                    if bad in good:
                        errors.append(f"{where}: turn {i} must_not {bad!r} is inside {good!r}")

    for e in errors:
        print("ERROR", e)
    print(f"{path}: {len(lines)} conversations, {nchecked} checked turns")
    print(
        f"{'kind':18} {'convs':>5} {'zh':>4} {'ru':>4} {'mixed':>5} | checked turns: {'zh':>4} {'ru':>4} contact"
    )
    for k in KINDS:
        total = sum(v for (kk, _), v in convs.items() if kk == k)
        print(
            f"{k:18} {total:5} {convs[(k, 'zh')]:4} {convs[(k, 'ru')]:4} {convs[(k, 'mixed')]:5} |"
            f"                {turns[(k, 'zh')]:4} {turns[(k, 'ru')]:4} {turns[(k, 'contact')]:7}"
        )
    zh = sum(v for (_, lg), v in turns.items() if lg == "zh")
    ru = sum(v for (_, lg), v in turns.items() if lg == "ru")
    print(f"checked turns by the language of the message: zh {zh}, ru {ru}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
