"""The cost of one message: whole turns through the real `Engine.handle`, in one process.

    .venv/bin/python benchmarks/turn_bench.py                      # SQLite (a temporary file)
    .venv/bin/python benchmarks/turn_bench.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

The demo shop of catalog_data/ is loaded as `kefu demo` loads it; customers (the demo orders' own
customers and new ones) ask the labelled set's zh and ru messages (products, prices, orders, delivery,
payment, returns, customs, greetings...), and three linked supplier accounts ask for their orders and
report shipments. Every turn carries an update id, as on Telegram. Turns run one at a time, so a turn's
wall time is its latency and turns/s is what one process does.

Printed per database: turns/s, CPU ms a turn (all threads: aiosqlite works in its own), p50/p99 wall
latency, and where the CPU goes (understanding, database, replies, engine, event loop) from a second,
profiled pass (cProfile on the main thread's CPU clock, plus the CPU of the driver's thread). The
baseline, measured in the same run: the same messages through the understander alone.

`--postgres URL`: any database of a server where the user may create databases; a scratch database
`kefu_bench_*` is created next to it and dropped at the end. PostgreSQL's own CPU (its server processes)
is not in "CPU ms a turn": that is this process's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import functools
import importlib
import inspect
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.demo_shop import load_demo_shop
from bot.engine.catalog import CatalogIndex
from bot.engine.conversation import Engine
from bot.engine.faq import FaqBook
from bot.engine.i18n import I18n
from bot.engine.language import from_language_code
from bot.engine.messages import Incoming
from bot.engine.text import MAX_UNDERSTOOD, clean, has_words
from bot.storage.db import create_engine, create_sessionmaker, upgrade_database
from bot.storage.models import SupplierAccount

SHOP = ROOT / "catalog_data"
LABELLED = ROOT / "tests" / "data" / "labelled.jsonl"
#: Asking for people hands the chat over and the bot falls silent: not the bot's cost.
LEFT_OUT = {"human_handoff"}
#: Supplier accounts the demo shop links (AMURCONF, AMURMED, DV-NAPITKI).
SUPPLIERS = (7_000_000_001, 7_000_000_002, 7_000_000_003)
SUPPLIER_EXTRA = ["/orders", "мои заказы", "我的订单", "какие заказы надо отправить", "有哪些订单要发货"]
NEW_CUSTOMERS = 40
TARGETS = {"SQLite": 300, "PostgreSQL": 250}
P99_TARGET_MS = 20.0

# Where a function's own time counts, by the file it lives in (the first match wins); the time of
# anything else (the standard library, builtins) goes to whoever called it.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("understanding", ("/intents/", "/jieba/", "/pymorphy3", "/pypinyin/", "/opencc", "/rapidfuzz/",
                       "/bot/engine/language.py", "/bot/engine/text.py")),
    ("database", ("/sqlalchemy/", "/aiosqlite/", "/asyncpg/", "/sqlite3/", "/greenlet/", "/bot/storage/")),
    ("replies", ("/bot/engine/replies.py", "/bot/engine/i18n.py", "/gettext.py", "/babel/")),
    ("engine", ("/bot/engine/",)),
)  # fmt: skip
SHARES = ("understanding", "database", "replies", "engine", "loop/other")


@dataclass
class Figures:
    label: str
    turns: int = 0
    wall: list[float] = field(default_factory=list)  # ms per turn
    cpu_ms: float = 0.0  # per turn, all threads
    main_cpu_ms: float = 0.0  # per turn, the event loop's thread
    handoffs: int = 0
    shares: dict[str, float] = field(default_factory=dict)  # ms per turn by category
    meter: Meter | None = None
    in_flight: InFlight | None = None
    #: SQL statements a turn (BEGIN and COMMIT aside), by the reply's intent.
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    @property
    def per_second(self) -> float:
        return 1000.0 * self.turns / sum(self.wall)


@dataclass
class InFlight:
    """Several chats at once, as the bot handles them; each user's turns stay in order in one lane."""

    lanes: int
    turns: int
    seconds: float
    cpu_ms: float  # per turn, all threads
    wall: list[float]  # ms per turn, waiting for the others included


@dataclass
class Baseline:
    messages: int
    wall: list[float]
    cpu_ms: float


# -- the shop and the workload -------------------------------------------------------------------


def _labelled() -> list[dict[str, object]]:
    with LABELLED.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _order_customers() -> list[int]:
    with (SHOP / "orders.csv").open(encoding="utf-8-sig", newline="") as fh:
        ids = {row["customer_telegram_id"] for row in csv.DictReader(fh)}
    return sorted(int(i) for i in ids if i)


def workload(seed: int = 7) -> list[Incoming]:
    """One round of the mixed workload, shuffled: each message from a user of its language."""
    rng = random.Random(seed)
    known = _order_customers()
    customers = {
        "zh": [*known[0::2], *(5_100_000_000 + i for i in range(NEW_CUSTOMERS // 2))],
        "ru": [*known[1::2], *(5_200_000_000 + i for i in range(NEW_CUSTOMERS // 2))],
    }
    suppliers = list(SUPPLIERS)
    out: list[Incoming] = []
    for record in _labelled():
        intent, lang, text = str(record["intent"]), str(record["lang"]), str(record["text"])
        if intent in LEFT_OUT:
            continue
        if intent == "supplier_ship":
            out.append(Incoming(rng.choice(suppliers), text, lang_code=lang))
        else:
            code = "zh-hans" if lang == "zh" else "ru"
            out.append(Incoming(rng.choice(customers[lang]), text, lang_code=code))
    out += [Incoming(rng.choice(suppliers), text, lang_code="ru") for text in SUPPLIER_EXTRA]
    rng.shuffle(out)
    return out


async def open_shop(url: str) -> tuple[AsyncEngine, Engine]:
    engine = create_engine(url)
    await upgrade_database(engine)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        await load_demo_shop(session, SHOP)
    async with sessions.begin() as session:
        linked = set((await session.scalars(select(SupplierAccount.telegram_user_id))).all())
    missing = set(SUPPLIERS) - linked
    assert not missing, f"the demo shop no longer links these supplier accounts: {missing}"
    return engine, Engine(
        sessions,
        CatalogIndex(sessions),
        I18n(ROOT / "locales"),
        FaqBook.load(SHOP / "faq.toml"),
    )


# -- the runs ------------------------------------------------------------------------------------


class Run:
    """Feeds the workload through one engine, numbering updates as Telegram does."""

    def __init__(self, engine: Engine, messages: list[Incoming]) -> None:
        self.engine = engine
        self.messages = messages
        self.next_update = 1
        self.position = 0
        self.meter = Meter()
        self.statements = 0  # counted by a listener on the database engine

    def take(self, n: int) -> list[Incoming]:
        out = []
        for _ in range(n):
            out.append(replace(self.messages[self.position % len(self.messages)], update_id=self.next_update))
            self.position += 1
            self.next_update += 1
        return out

    async def turns(self, n: int, figures: Figures | None = None) -> None:
        for incoming in self.take(n):
            self.meter.turn_started()
            statements = self.statements
            wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
            reply = await self.engine.handle(incoming)
            wall, cpu, main = time.perf_counter() - wall, time.process_time() - cpu, time.thread_time() - main
            if figures is not None:
                figures.statements[reply.intent].append(self.statements - statements)
                figures.turns += 1
                figures.wall.append(1000 * wall)
                figures.cpu_ms += 1000 * cpu
                figures.main_cpu_ms += 1000 * main
            if reply.handoff:
                # Two misses in a row hand the chat over; give it back, outside the clock, so the
                # customer keeps being answered by the bot.
                if figures is not None:
                    figures.handoffs += 1
                await self.engine.close_handoff(incoming.user_id, None)


async def in_flight(run: Run, turns: int, lanes: int) -> InFlight:
    queues: list[list[Incoming]] = [[] for _ in range(lanes)]
    for incoming in run.take(turns):
        queues[incoming.user_id % lanes].append(incoming)
    wall: list[float] = []

    async def lane(queue: list[Incoming]) -> None:
        for incoming in queue:
            start = time.perf_counter()
            reply = await run.engine.handle(incoming)
            wall.append(1000 * (time.perf_counter() - start))
            if reply.handoff:
                await run.engine.close_handoff(incoming.user_id, None)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(lane(queue) for queue in queues))
    seconds = time.perf_counter() - start
    return InFlight(lanes, turns, seconds, 1000 * (time.process_time() - cpu) / turns, wall)


async def understanding_alone(engine: Engine, messages: Iterable[Incoming]) -> Baseline:
    """The same messages through the understander alone (no database, no replies)."""
    understander = await engine.catalog.get()
    wall: list[float] = []
    cpu = 0.0
    count = 0
    for incoming in messages:
        text = clean(incoming.text)
        start, c = time.perf_counter(), time.process_time()
        if has_words(text):
            understander.understand(
                text[:MAX_UNDERSTOOD], default_lang=from_language_code(incoming.lang_code)
            )
        wall.append(1000 * (time.perf_counter() - start))
        cpu += 1000 * (time.process_time() - c)
        count += 1
    return Baseline(count, wall, cpu / count)


def _category(filename: str) -> str | None:
    path = filename.replace("\\", "/")
    for name, parts in CATEGORIES:
        if any(part in path for part in parts):
            return name
    return None


FuncKey = tuple[str, int, str]


def attribute(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per category; a function of no category passes its own time on to its
    callers, in proportion to the time each call edge spent in it."""
    raw: dict[FuncKey, tuple[int, int, float, float, dict[FuncKey, tuple[int, int, float, float]]]]
    raw = stats.stats  # type: ignore[attr-defined]
    memo: dict[FuncKey, dict[str, float]] = {}

    def weights(func: FuncKey, seen: frozenset[FuncKey]) -> dict[str, float]:
        if func in memo:
            return memo[func]
        own = _category(func[0])
        if own is not None:
            return {own: 1.0}
        callers = raw[func][4] if func in raw else {}
        edges = {c: e[3] for c, e in callers.items() if c not in seen}
        total = sum(edges.values())
        if not edges or total <= 0:
            result = {"loop/other": 1.0}
        else:
            result = defaultdict(float)
            for caller, ct in edges.items():
                for name, w in weights(caller, seen | {func}).items():
                    result[name] += w * ct / total
        if not seen:
            memo[func] = dict(result)
        return dict(result)

    out: dict[str, float] = defaultdict(float)
    for func, (_cc, _nc, tt, _ct, _callers) in raw.items():
        for name, w in weights(func, frozenset()).items():
            out[name] += tt * w
    return out


@dataclass
class Piece:
    wall: float = 0.0  # ms
    cpu: float = 0.0  # ms of the main thread
    calls: int = 0


#: Named pieces of a turn, timed where bot/ and intents/ call them: (label, module, class or None, name).
PIECES: tuple[tuple[str, str, str | None, str], ...] = (
    ("Understander.understand", "intents.understand", "Understander", "understand"),
    ("  of which clause splitting (clauses)", "intents.normalize", None, "clauses"),
    ("engine's language detection (detect_language)", "intents.language", None, "detect_language"),
    ("language-switch check (explicit_switch)", "bot.engine.language", None, "explicit_switch"),
    ("mark_update", "bot.storage.outbox", None, "mark_update"),
    ("open_conversation (the row, locked, and the role)", "bot.storage.conversations", None,
     "open_conversation"),
    ("orders read (OrderAccess._load)", "bot.storage.access", "OrderAccess", "_load"),
    ("product_facts", "bot.engine.catalog", None, "product_facts"),
    ("log_messages (the message and its reply)", "bot.storage.conversations", None, "log_messages"),
    ("commit: flush of the turn's writes, COMMIT", "sqlalchemy.ext.asyncio.session",
     "AsyncSessionTransaction", "__aexit__"),
)  # fmt: skip
HOLD_FROM, HOLD_TO = (
    "open_conversation (the row, locked, and the role)",
    "commit: flush of the turn's writes, COMMIT",
)


class Meter:
    """Wall and main-thread CPU of the named pieces: a timing wrapper takes the place of every
    reference to each function in the modules of bot/ and intents/ (and of the method on its class).
    Turns run one at a time, so a coroutine's times are its own. Also how long the user's
    conversation row is held: from the end of the turn's open_conversation to the end of commit."""

    def __init__(self) -> None:
        self.pieces: dict[str, Piece] = {}
        self.missing: list[str] = []
        self.hold = 0.0  # ms
        #: Understander.understand's wall time while the row was held (ms).
        self.understand_in_hold = 0.0
        self._held_since: float | None = None
        self._undo: list[tuple[object, str, object]] = []

    def install(self) -> None:
        for label, module_name, class_name, name in PIECES:
            try:
                owner: object = importlib.import_module(module_name)
                if class_name:
                    owner = getattr(owner, class_name)
                original = getattr(owner, name)
            except (ImportError, AttributeError):
                self.missing.append(f"{module_name}:{class_name + '.' if class_name else ''}{name}")
                continue
            timed = self._timed(label, original)
            holders = [owner] + [
                m for n, m in list(sys.modules.items()) if n.split(".")[0] in ("bot", "intents")
            ]
            for holder in holders:
                for attr, value in list(vars(holder).items()):
                    if value is original:
                        setattr(holder, attr, timed)
                        self._undo.append((holder, attr, original))

    def uninstall(self) -> None:
        for holder, attr, original in reversed(self._undo):
            setattr(holder, attr, original)
        self._undo.clear()

    def turn_started(self) -> None:
        self._held_since = None

    def _done(self, label: str, piece: Piece, wall: float, cpu: float) -> None:
        now = time.perf_counter()
        piece.wall += 1000 * (now - wall)
        piece.cpu += 1000 * (time.thread_time() - cpu)
        piece.calls += 1
        if label == PIECES[0][0] and self._held_since is not None:
            self.understand_in_hold += 1000 * (now - wall)
        if label == HOLD_FROM and self._held_since is None:
            self._held_since = now
        elif label == HOLD_TO and self._held_since is not None:
            self.hold += 1000 * (now - self._held_since)
            self._held_since = None

    def _timed(self, label: str, original: Any) -> Any:
        piece = self.pieces.setdefault(label, Piece())
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self._done(label, piece, wall, cpu)

            return timed_async

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self._done(label, piece, wall, cpu)

        return timed


async def measure(
    label: str, url: str, turns: int, profiled: int, warm: int, lanes: int
) -> tuple[Figures, Baseline]:
    database, engine = await open_shop(url)
    run = Run(engine, workload())
    figures = Figures(label)

    def count(*_args: Any) -> None:
        run.statements += 1

    event.listen(database.sync_engine, "before_cursor_execute", count)
    try:
        await run.turns(warm)  # loads dictionaries, builds the index, fills caches
        start = run.position
        run.meter.install()
        try:
            await run.turns(turns, figures)
        finally:
            run.meter.uninstall()
        figures.meter = run.meter
        same = [run.messages[(start + i) % len(run.messages)] for i in range(turns)]
        baseline = await understanding_alone(engine, same)
        if profiled:
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            await run.turns(profiled)
            profile.disable()
            stats = pstats.Stats(profile)
            seconds = attribute(stats)
            total = sum(seconds.values()) or 1.0
            # The profile gives the main thread's shares; scale them to its unprofiled CPU, and put
            # the driver thread's CPU (aiosqlite runs SQLite in its own thread) under database.
            other_ms = max(0.0, figures.cpu_ms - figures.main_cpu_ms) / figures.turns
            main_ms = figures.main_cpu_ms / figures.turns
            figures.shares = {k: main_ms * seconds.get(k, 0.0) / total for k in SHARES}
            figures.shares["database"] += other_ms
        if lanes > 1:
            figures.in_flight = await in_flight(run, turns, lanes)
    finally:
        await database.dispose()
    return figures, baseline


# -- PostgreSQL scratch database -------------------------------------------------------------------


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# -- output ----------------------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def table(rows: list[Figures], baseline: list[Baseline]) -> str:
    head = f"{'':<30} {'turns/s':>8} {'1000/CPU':>8} {'CPU ms/turn':>11} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    lines = [head, "-" * len(head)]
    for r, b in zip(rows, baseline, strict=True):
        cpu = r.cpu_ms / r.turns
        lines.append(
            f"{r.label + ', whole turns':<30} {r.per_second:>8.0f} {1000 / cpu:>8.0f} {cpu:>11.2f}"
            f" {statistics.median(r.wall):>7.2f} {_p(r.wall, 0.99):>7.2f} {max(r.wall):>7.2f}"
        )
        if r.in_flight is not None:
            f = r.in_flight
            lines.append(
                f"{f'  {f.lanes} chats at once':<30} {f.turns / f.seconds:>8.0f} {1000 / f.cpu_ms:>8.0f}"
                f" {f.cpu_ms:>11.2f} {statistics.median(f.wall):>7.2f} {_p(f.wall, 0.99):>7.2f}"
                f" {max(f.wall):>7.2f}"
            )
        lines.append(
            f"{'  baseline: understanding alone':<30} {1000 * b.messages / sum(b.wall):>8.0f}"
            f" {1000 / b.cpu_ms:>8.0f} {b.cpu_ms:>11.2f} {statistics.median(b.wall):>7.2f}"
            f" {_p(b.wall, 0.99):>7.2f} {max(b.wall):>7.2f}"
        )
    profiled = [r for r in rows if r.shares]
    if profiled:
        head = f"{'CPU ms a turn, by part':<30} " + " ".join(f"{s:>14}" for s in SHARES)
        lines += ["", head, "-" * len(head)]
        for r in profiled:
            cpu = r.cpu_ms / r.turns
            lines.append(
                f"{r.label:<30} "
                + " ".join(f"{r.shares[s]:>6.2f} ({100 * r.shares[s] / cpu:>3.0f}%)" for s in SHARES)
            )
    return "\n".join(lines)


#: Turn kinds for the statements table: the reply's intents, grouped.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shop answers", ("shipping_info", "payment_info", "return_policy", "customs_info")),
    ("greetings", ("greeting", "thanks", "goodbye")),
    ("products", ("product_search", "product_price")),
    ("orders", ("order_status", "order_list")),
    ("shipments", ("supplier_ship",)),
    ("not understood", ("out_of_scope",)),
)


def statements(rows: list[Figures]) -> str:
    """SQL statements a turn (BEGIN and COMMIT aside), in all and by kind of turn."""
    names = ["all", *(name for name, _ in KINDS)]
    lines = ["", f"{'SQL statements a turn':<30} " + " ".join(f"{n:>14}" for n in names)]
    lines.append("-" * len(lines[-1]))
    for r in rows:
        counts = {"all": [n for values in r.statements.values() for n in values]}
        for name, intents in KINDS:
            counts[name] = [n for i in intents for n in r.statements.get(i, [])]
        cells = [f"{statistics.mean(counts[n]):>14.2f}" if counts[n] else f"{'-':>14}" for n in names]
        lines.append(f"{r.label:<30} " + " ".join(cells))
    return "\n".join(lines)


def hot_spots(rows: list[Figures]) -> str:
    lines = []
    for r in rows:
        if r.meter is None:
            continue
        cpu = r.cpu_ms / r.turns
        head = f"{r.label}: named pieces, a turn (cumulative)"
        lines += ["", f"{head:<48} {'wall ms':>8} {'CPU ms':>7} {'of CPU':>6} {'calls':>6}"]
        for label, *_ in PIECES:
            piece = r.meter.pieces.get(label)
            if piece is None:
                continue
            lines.append(
                f"  {label:<46} {piece.wall / r.turns:>8.2f} {piece.cpu / r.turns:>7.2f}"
                f" {100 * piece.cpu / r.turns / cpu:>5.0f}% {piece.calls / r.turns:>6.2f}"
            )
        hold = r.meter.hold / r.turns
        lines.append(
            f"  the user's conversation row is held {hold:.2f} ms a turn (wall, lock taken to commit"
            f" done), {100 * r.meter.understand_in_hold / r.turns / hold:.0f}% of it in Understander.understand"
            if hold
            else "  (no lock hold measured)"
        )
        if r.meter.missing:
            lines.append("  not found, so not timed: " + ", ".join(r.meter.missing))
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=2000, help="timed turns per database")
    parser.add_argument("--profiled", type=int, default=1000, help="turns of the profiled pass (0: none)")
    parser.add_argument("--warm", type=int, default=100, help="turns before the clock starts")
    parser.add_argument(
        "--postgres", help="also on PostgreSQL: a URL of its server (a scratch database is made)"
    )
    parser.add_argument(
        "--in-flight", type=int, default=8, help="also this many chats at once (1: one at a time only)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    messages = workload()
    suppliers = sum(1 for m in messages if m.user_id in SUPPLIERS)
    zh = sum(1 for m in messages if m.lang_code == "zh-hans")
    print(
        f"workload: {len(messages)} messages a round from {LABELLED.relative_to(ROOT)} and suppliers "
        f"(zh {zh}, ru {len(messages) - zh}; {suppliers} from {len(SUPPLIERS)} supplier accounts), "
        f"demo shop of catalog_data/; {args.turns} timed turns after {args.warm}, one at a time",
        flush=True,
    )
    rows: list[Figures] = []
    baselines: list[Baseline] = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            figures, baseline = await measure(
                "SQLite", url, args.turns, args.profiled, args.warm, args.in_flight
            )
            rows.append(figures)
            baselines.append(baseline)
    if args.postgres:
        name = f"kefu_bench_{uuid.uuid4().hex[:8]}"
        await _admin(args.postgres, f"CREATE DATABASE {name}")
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            figures, baseline = await measure(
                "PostgreSQL", url, args.turns, args.profiled, args.warm, args.in_flight
            )
            rows.append(figures)
            baselines.append(baseline)
        finally:
            await _admin(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(table(rows, baselines))
    print(
        "turns/s: measured (it drops when other processes hold the cores); whole turns run one at a time,\n"
        "'N chats at once' the same kind of turns with N users' chats in flight (each chat's in order).\n"
        "1000/CPU: what the CPU a turn allows with a core to itself (PostgreSQL's own work not counted).\n"
        "CPU ms/turn: this process, all threads. By part: the profiled pass's shares of the main thread,\n"
        "scaled to its unprofiled CPU; database includes the driver's thread (aiosqlite) and the event\n"
        "loop's work of waking up for each result. Handed-over chats given back (outside the clock): "
        + ", ".join(f"{r.label} {r.handoffs}" for r in rows)
    )
    print(statements(rows))
    print(hot_spots(rows))
    verdicts = []
    for r in rows:
        modes = [(r.per_second, _p(r.wall, 0.99))]
        if r.in_flight is not None:
            modes.append((r.in_flight.turns / r.in_flight.seconds, _p(r.in_flight.wall, 0.99)))
        ok = any(rate >= TARGETS[r.label] and p99 < P99_TARGET_MS for rate, p99 in modes)
        verdicts.append(
            f"{r.label} ≥{TARGETS[r.label]} turns/s with p99 < {P99_TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}"
        )
    print("targets: " + "; ".join(verdicts))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
