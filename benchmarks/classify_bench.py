"""Product matching at catalog scale: our index vs a naive rapidfuzz scan, measured in one run.

    .venv/bin/python benchmarks/classify_bench.py                       # 100k products (~1 min)
    .venv/bin/python benchmarks/classify_bench.py --sizes 100000,1000000  # and 1M (~8 min, 1.9 GB)
    .venv/bin/python benchmarks/classify_bench.py --sizes 100000 --queries 500
    .venv/bin/python benchmarks/classify_bench.py --sizes 20000 --labelled tests/labelled.jsonl \\
        --catalog catalog_data/catalog.csv                              # product top-1 with distractors

Each catalog size runs in its own subprocess, so peak memory (ru_maxrss) is that size's alone.
Catalogs are generated deterministically (seeded): bilingual names made of brand, product type,
flavour and size words, with Russian and Chinese aliases. Queries are made from random products in
the ways people type them (Chinese name fragments, inflected Russian, pinyin, wrong layout,
transliteration, typos) and we check that the product they were made from comes first.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process

from intents import ProductRecord, Understander
from intents.chinese import pinyin_of
from intents.russian import layout_to_en, translit

# (ru nominative, ru genitive plural, zh, category ru, category zh)
TYPES = [
    ("шоколад", "шоколада", "巧克力", "Шоколад", "巧克力"),
    ("конфеты", "конфет", "糖果", "Конфеты", "糖果"),
    ("печенье", "печенья", "饼干", "Сладости", "甜点"),
    ("зефир", "зефира", "棉花糖", "Сладости", "甜点"),
    ("пряники", "пряников", "姜饼", "Сладости", "甜点"),
    ("квас", "кваса", "格瓦斯", "Напитки", "饮料"),
    ("сок", "сока", "果汁", "Напитки", "饮料"),
    ("водка", "водки", "伏特加", "Алкоголь", "酒类"),
    ("пиво", "пива", "啤酒", "Алкоголь", "酒类"),
    ("мёд", "мёда", "蜂蜜", "Мёд и орехи", "蜂蜜坚果"),
    ("орехи", "орехов", "坚果", "Мёд и орехи", "蜂蜜坚果"),
    ("сгущёнка", "сгущёнки", "炼乳", "Бакалея", "粮油食品"),
    ("варенье", "варенья", "果酱", "Бакалея", "粮油食品"),
    ("тушёнка", "тушёнки", "肉罐头", "Консервы", "罐头"),
    ("крем", "крема", "面霜", "Косметика", "化妆品"),
    ("шампунь", "шампуня", "洗发水", "Косметика", "化妆品"),
]
FLAVOURS = [
    ("молочный", "牛奶"), ("горький", "黑"), ("клубничный", "草莓"), ("вишнёвый", "樱桃"),
    ("ванильный", "香草"), ("ореховый", "榛子"), ("лимонный", "柠檬"), ("малиновый", "覆盆子"),
    ("медовый", "蜂蜜"), ("классический", "经典"), ("карамельный", "焦糖"), ("яблочный", "苹果"),
]  # fmt: skip
SIZES = [(50, "г", "克"), (100, "г", "克"), (200, "г", "克"), (250, "г", "克"), (500, "г", "克"),
         (330, "мл", "毫升"), (500, "мл", "毫升"), (1000, "мл", "毫升")]  # fmt: skip
RU_SYL = [
    "ка",
    "ло",
    "ми",
    "ра",
    "на",
    "бо",
    "се",
    "ту",
    "ве",
    "ро",
    "да",
    "ля",
    "ни",
    "го",
    "жа",
    "пе",
    "зо",
]
ZH_CHARS = "爱莲巧奶牛熊星月金银红蓝雪松河山林美乐福喜宝华丽安康泰明光春秋冬夏天地龙凤鹤虎竹梅兰菊玉珠云海"


def _brands(rng: random.Random, n: int) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        ru = "".join(rng.choice(RU_SYL) for _ in range(rng.randint(2, 4))).capitalize()
        zh = "".join(rng.choice(ZH_CHARS) for _ in range(3))
        if ru in seen:
            continue
        seen.add(ru)
        out.append((ru, zh))
    return out


def generate_catalog(n: int, seed: int = 7) -> list[ProductRecord]:
    """n plausible bilingual products: each brand makes one product of each type (brand + type
    names a product), flavours and sizes vary."""
    rng = random.Random(seed)
    brands = _brands(rng, max(10, -(-n // len(TYPES))))
    out: list[ProductRecord] = []
    for i in range(n):
        ru_b, zh_b = brands[i // len(TYPES)]
        t = TYPES[i % len(TYPES)]
        fl = FLAVOURS[(i * 7 + i // 3) % len(FLAVOURS)]
        sz = SIZES[(i * 5 + i // 11) % len(SIZES)]
        out.append(
            ProductRecord(
                sku=f"G{i:07d}",
                name_ru=f"{t[0].capitalize()} «{ru_b}» {fl[0]} {sz[0]} {sz[1]}",
                name_zh=f"{zh_b}{fl[1]}{t[2]} {sz[0]}{sz[2]}",
                aliases_ru=(f"{ru_b.lower()} {t[0]}",),
                aliases_zh=(f"{zh_b}{t[2]}",),
                brand=ru_b,
                category_ru=t[3],
                category_zh=t[4],
            )
        )
    return out


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 5:
        return s
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :] if rng.random() < 0.5 else s[:i] + s[i + 1 :]


def generate_queries(catalog: list[ProductRecord], n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(query, sku it was made from) in both languages and the ways people really type."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    while len(out) < n:
        p = rng.choice(catalog)
        ru_b = p.brand.lower()
        zh_b = p.aliases_zh[0]
        t = next(t for t in TYPES if p.name_ru.lower().startswith(t[0]))
        size = p.name_ru.split()[-2]
        style = len(out) % 8
        q = [
            f"{p.name_zh.split()[0]}有吗",  # full Chinese name
            f"{zh_b} {size}克多少钱",  # nickname + size
            f"есть {t[1]} {ru_b} {size}?",  # inflected Russian
            f"{ru_b} {p.name_ru.split()[2]} {size}",  # brand + flavour
            "".join(pinyin_of(zh_b.replace(t[2], ""))) + " " + "".join(pinyin_of(t[2])),  # pinyin
            layout_to_en(f"{ru_b} {t[0]}"),  # wrong keyboard layout
            translit(f"{t[0]} {ru_b}".replace("ё", "е")),  # transliteration
            _typo(rng, f"{ru_b} {t[0]}"),  # a typo
        ][style]
        out.append((q, p.sku))
    return out


@dataclass
class Figures:
    size: int
    build_s: float
    maxrss_mb: float
    median_ms: float
    p99_ms: float
    qps: float
    top1: float
    base_median_ms: float
    base_top1: float
    base_queries: int
    whole_median_ms: float
    whole_p99_ms: float


def _p99(lat: list[float]) -> float:
    return sorted(lat)[max(0, int(len(lat) * 0.99) - 1)]


def _latencies(fn, queries: list[tuple[str, frozenset[str]]]) -> tuple[list[float], int]:  # type: ignore[no-untyped-def]
    lat: list[float] = []
    correct = 0
    for q, right in queries:
        t = time.perf_counter()
        got = fn(q)
        lat.append((time.perf_counter() - t) * 1000)
        correct += bool(got) and got[0] in right
    return lat, correct


def run_size(size: int, n_queries: int, n_baseline: int) -> Figures:
    catalog = generate_catalog(size)
    queries = [(q, frozenset({sku})) for q, sku in generate_queries(catalog, n_queries)]
    return measure(catalog, queries, n_baseline)


def run_shop(catalog_path: Path, labelled: Path) -> Figures:
    """The demo shop itself, asked the labelled set's product questions (top-1: the first product
    is one the label accepts)."""
    catalog = read_catalog(catalog_path)
    queries = [
        (str(r["text"]), frozenset(r["products"]))  # type: ignore[arg-type]
        for r in _jsonl(labelled)
        if r.get("products")
    ]
    return measure(catalog, queries, len(queries))


def measure(
    catalog: list[ProductRecord], queries: list[tuple[str, frozenset[str]]], n_baseline: int
) -> Figures:
    size = len(catalog)
    Understander([])  # load dictionaries first: they are per process, not per index
    t = time.perf_counter()
    understander = Understander(catalog)  # its product index is the build measured
    build = time.perf_counter() - t
    index = understander.index
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for q, _ in queries[:20]:
        index.search(q)  # warm caches
    lat, ok = _latencies(lambda q: [m.sku for m in index.search(q, 5)], queries)
    # the whole message: language, intent, products, order number (what `kefu classify` does)
    whole, _ = _latencies(lambda q: [m.sku for m in understander.understand(q).products], queries)
    strings: list[str] = []
    owners: list[str] = []
    for p in catalog:
        for s in (p.name_ru, p.name_zh):
            strings.append(s)
            owners.append(p.sku)

    def naive(q: str) -> list[str]:
        return [owners[i] for _, _, i in process.extract(q, strings, scorer=fuzz.WRatio, limit=5)]

    base_q = queries[:n_baseline]
    base_lat, base_ok = _latencies(naive, base_q)
    return Figures(
        size=size,
        build_s=build,
        maxrss_mb=maxrss,
        median_ms=statistics.median(lat),
        p99_ms=_p99(lat),
        whole_median_ms=statistics.median(whole),
        whole_p99_ms=_p99(whole),
        qps=1000.0 / statistics.mean(lat),
        top1=ok / len(queries),
        base_median_ms=statistics.median(base_lat),
        base_top1=base_ok / max(1, len(base_q)),
        base_queries=len(base_q),
    )


def _child(args: argparse.Namespace) -> None:
    if args.child == "shop":
        print(json.dumps(run_shop(args.catalog, args.labelled).__dict__))
        return
    size = int(args.child)
    n_base = args.baseline_queries or (40 if size <= 200_000 else 8)
    print(json.dumps(run_size(size, args.queries, n_base).__dict__))


def _table(rows: list[Figures]) -> str:
    head = (
        f"{'products':>9} {'build s':>8} {'peak MB':>8} {'median ms':>9} {'p99 ms':>7} {'q/s':>7} "
        f"{'top-1':>6} | {'msg med':>7} {'msg p99':>7} | {'naive med ms':>12} {'naive top-1':>11} {'(n)':>4} "
        f"{'speedup':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.size:>9} {r.build_s:>8.1f} {r.maxrss_mb:>8.0f} {r.median_ms:>9.2f} {r.p99_ms:>7.2f} "
            f"{r.qps:>7.0f} {100 * r.top1:>5.1f}% | {r.whole_median_ms:>7.2f} {r.whole_p99_ms:>7.2f} | "
            f"{r.base_median_ms:>12.1f} {100 * r.base_top1:>10.1f}% "
            f"{r.base_queries:>4} {r.base_median_ms / r.median_ms:>7.0f}x"
        )
    return "\n".join(lines)


def read_catalog(path: Path) -> list[ProductRecord]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            ProductRecord(
                sku=row["sku"],
                name_ru=row["name_ru"],
                name_zh=row["name_zh"],
                aliases_ru=tuple(a.strip() for a in (row.get("aliases_ru") or "").split("|") if a.strip()),
                aliases_zh=tuple(a.strip() for a in (row.get("aliases_zh") or "").split("|") if a.strip()),
                brand=row.get("brand") or "",
                category_ru=row.get("category_ru") or "",
                category_zh=row.get("category_zh") or "",
            )
            for row in csv.DictReader(fh)
        ]


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def labelled_top1(labelled: Path, catalog_path: Path, distractors: int) -> str:
    """Product top-1/top-3 on a labelled set, with generated distractor products mixed into the shop."""
    from intents.evaluation import evaluate

    if not labelled.exists() or not catalog_path.exists():
        return f"labelled check skipped: {labelled if not labelled.exists() else catalog_path} not found"
    records = list(_jsonl(labelled))
    shop = read_catalog(catalog_path)
    generated = generate_catalog(distractors, seed=3)
    # shuffled in: where the shop's products sit in the index must not decide ties for them
    mixed = [*shop, *generated]
    random.Random(5).shuffle(mixed)
    u = Understander(mixed)
    for r in records[:20]:
        u.understand(str(r["text"]))  # warm caches
    understandings = []
    lat: list[float] = []
    for r in records:
        t = time.perf_counter()
        understandings.append(u.understand(str(r["text"])))
        lat.append((time.perf_counter() - t) * 1000)
    rep = evaluate(records, understandings).splits["all"]
    # A category question ("巧克力多少钱", labelled with every shop product of the category) is answered
    # correctly by a generated product of that category too: count those as the shop would.
    by_category: dict[str, set[str]] = {}
    for p in shop:
        by_category.setdefault(p.category_ru, set()).add(p.sku)
    generated_by_category: dict[str, list[str]] = {}
    for p in generated:
        generated_by_category.setdefault(p.category_ru, []).append(p.sku)
    widened = []
    for r in records:
        expected = set(r.get("products") or [])  # type: ignore[arg-type]
        category = next((c for c, skus in by_category.items() if expected and expected == skus), None)
        if category is not None:
            r = {**r, "products": [*expected, *generated_by_category.get(category, [])]}
        widened.append(r)
    fair = evaluate(widened, understandings).splits["all"]
    return (
        f"labelled set {labelled} ({rep.records} messages) with {len(shop)} shop + {distractors} generated "
        f"products: product top-1 {rep.product_top1}, top-3 {rep.product_top3}, intent {rep.intent}; "
        f"counting a generated product of the asked category as right for category questions: "
        f"top-1 {fair.product_top1}; whole message on these messages: median "
        f"{statistics.median(lat):.2f} ms, p99 {_p99(lat):.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000", help="comma-separated catalog sizes, e.g. 100000,1000000")
    ap.add_argument("--queries", type=int, default=400, help="queries per size for our index")
    ap.add_argument("--baseline-queries", type=int, default=0, help="queries for the naive scan (0: auto)")
    ap.add_argument(
        "--labelled", type=Path, help="JSONL of labelled messages (text, lang, intent, products...)"
    )
    ap.add_argument("--catalog", type=Path, default=Path("catalog_data/catalog.csv"))
    ap.add_argument("--distractors", type=int, default=20000, help="generated products added for --labelled")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args)
        return 0
    rows: list[Figures] = []
    children: list[str] = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.labelled and args.labelled.exists() and args.catalog.exists():
        children.insert(0, "shop")
    for size in children:
        cmd = [sys.executable, __file__, "--child", size, "--queries", str(args.queries)]
        if size == "shop":
            cmd += ["--catalog", str(args.catalog), "--labelled", str(args.labelled)]
        if args.baseline_queries:
            cmd += ["--baseline-queries", str(args.baseline_queries)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print(f"size {size} failed:\n{res.stderr}", file=sys.stderr)
            return 1
        rows.append(Figures(**json.loads(res.stdout.strip().splitlines()[-1])))
        print(f"size {size} done", file=sys.stderr, flush=True)
    print(_table(rows))
    print("top-1: share of generated queries whose source product ranks first (naive: WRatio scan of")
    print("name_ru and name_zh of every product, on the first (n) queries); speedup = median ratio.")
    print("The first row, when --labelled is given, is the shop of --catalog asked the labelled set's")
    print("product questions (top-1: the first product is one the label accepts).")
    print("median/p99 ms: product search alone; msg med/p99: the whole message (language, intent,")
    print("products, order number: what `kefu classify` does per line).")
    if args.labelled:
        print(labelled_top1(args.labelled, args.catalog, args.distractors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
