"""Load test: simulated users' messages through 1, 2 and 3 `kefu webhook` processes on PostgreSQL + Redis.

    .venv/bin/python benchmarks/load_webhooks.py --quick          # 100 users, 1,000 messages (trial)
    .venv/bin/python benchmarks/load_webhooks.py                  # 1,000 users, 20,000 messages, N = 1, 2, 3
    .venv/bin/python benchmarks/load_webhooks.py --processes 3 --no-rate-limits --max-seconds 300

What it does, per run:

* a scratch PostgreSQL database ``kefu_load_<random>`` (dropped at the end, also on failure or Ctrl-C)
  with the demo shop imported (``kefu import suppliers|catalog|orders catalog_data/*.csv``), and a
  dedicated Redis DB index (``--redis-url``, FLUSHDB before every run and at the end);
* the fake Telegram Bot API (``tests/support/fake_bot_api/``) in a thread of this process with its own
  event loop; the load generator runs in the main event loop;
* for each N of ``--processes``: N ``kefu webhook`` subprocesses (own ports, one secret, one database,
  one Redis), each waited for on ``GET /healthz``; then every simulated user (Telegram ids 8,000,000,000
  + 1,000,000 * N + i, a new set per N so no state crosses runs) sends its messages in order (the next POST
  only after the previous one was answered), users in parallel with at most ``--concurrency`` POSTs in
  flight, POSTs spread round-robin over the processes. About ``--dup-rate`` of the updates are POSTed a
  second time with the same update_id to another process (half while the first POST is in flight, half
  right after it was answered), as Telegram's webhook retries do; a POST that fails (non-200 or network
  error) is retried like Telegram would, up to 3 attempts;
* latency is that of the original POST (the webhook answers after handling the update, so it includes
  the reply's sendMessage); throughput is original messages / wall time from the first POST to the last
  answer;
* afterwards it waits until the fake has received no call for 2 s and attributes the bot's sendMessage
  calls to updates (see ``attribute``): lost = updates that got no reply, doubled = updates that got more
  than one. Both must be 0; the script exits 1 otherwise.

The messages are realistic bilingual shop questions (products, prices, orders, delivery, payment,
returns, customs, greetings, thanks and an occasional off-topic line, never two off-topic lines in a
row), each of which the bot answers with exactly one text message: none asks for a person, and two misses
in a row (which would hand the chat to people, after which the bot stays quiet) cannot happen. This is
checked before the runs with ``kefu classify --json`` on the scratch database.

By default the processes run as deployed, with kefu's outgoing pacing to Telegram's limits on (about 30
messages/s per process); ``--no-rate-limits`` sets KEFU_TELEGRAM_RATE_LIMITS=false to measure how fast
the processes handle updates themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp
import asyncpg
from redis.asyncio import Redis

from tests.support.fake_bot_api import FakeBotAPI

KEFU = str(Path(sys.executable).with_name("kefu"))
USER_BASE = 8_000_000_000
WEBHOOK_PATH = "/telegram/webhook"
POST_ATTEMPTS = 3
POST_TIMEOUT = 60.0
QUIET_SECONDS = 2.0

# ---------------------------------------------------------------------------------------------------------
# what simulated users write (each line classified before the runs: see check_messages)

#: kind -> lines; "product" lines must name catalog products, "oos" lines must be out_of_scope.
MESSAGES: dict[str, dict[str, list[str]]] = {
    "zh": {
        "greeting": ["你好", "您好，在吗", "在吗", "哈喽"],
        "product": [
            "有爱莲巧吗", "爱莲巧多少钱", "格瓦斯有货吗", "有没有蜂蜜", "伏特加多少钱", "波罗的海啤酒有吗",
            "牛奶巧克力有吗", "有没有炼乳", "格瓦斯多少钱", "松子有吗", "椴树蜜多少钱", "有洗发水吗",
            "蜂蜜多少钱一瓶", "啤酒有货吗",
        ],
        "order": ["我的订单到哪了", "我有哪些订单", "我的快递到哪了", "查一下我的订单", "KF-250902-006 到哪了"],
        "faq": ["怎么付款", "运费多少", "怎么退货", "清关要多久", "支持支付宝吗", "包邮吗", "几天能到",
                "可以退换吗", "需要身份证吗"],
        "thanks": ["谢谢", "好的谢谢", "再见"],
        "oos": ["今天天气怎么样", "给我讲个笑话"],
    },
    "ru": {
        "greeting": ["Здравствуйте", "Привет", "Добрый день"],
        "product": [
            "Есть квас?", "Сколько стоит Алёнка?", "Есть мёд?", "Есть сгущёнка?",
            "Сколько стоит водка Русский стандарт?", "Есть шоколад?", "Есть пиво Балтика?", "Сколько стоит мёд?",
            "Есть кедровые орехи?", "Сколько стоит квас?", "Есть шампунь?",
        ],
        "order": ["Где мой заказ?", "Мои заказы", "Когда придёт мой заказ?", "Покажите мои заказы",
                  "Заказ KF-250903-015 где?"],
        "faq": ["Как оплатить?", "Сколько идёт доставка?", "Как вернуть товар?", "Как проходит таможня?",
                "Можно оплатить картой?", "Сколько стоит доставка?", "Можно вернуть?",
                "Нужен ли паспорт для таможни?"],
        "thanks": ["Спасибо", "Спасибо большое", "До свидания"],
        "oos": ["Какая сегодня погода?"],
    },
}  # fmt: skip
KIND_WEIGHTS = {"product": 50, "faq": 20, "order": 14, "greeting": 5, "thanks": 7, "oos": 4}
LANG_CODES = {"zh": ["zh-hans", "zh-hans", "zh", "zh-hant"], "ru": ["ru", "ru", "ru", "uk"]}


def user_script(rng: random.Random, count: int) -> tuple[str, list[str]]:
    """One user's messages: mostly in its language, now and then a line in the other one."""
    lang = "zh" if rng.random() < 0.65 else "ru"
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    lines: list[str] = []
    previous = ""
    for index in range(count):
        if index == 0 and rng.random() < 0.6:
            kind = "greeting"
        else:
            kind = rng.choices(kinds, weights)[0]
            while kind == "oos" and previous == "oos":  # two misses in a row hand the chat to people
                kind = rng.choices(kinds, weights)[0]
        line_lang = lang if rng.random() < 0.9 else ("ru" if lang == "zh" else "zh")
        lines.append(rng.choice(MESSAGES[line_lang][kind]))
        previous = kind
    return rng.choice(LANG_CODES[lang]), lines


def load_shop(env: dict[str, str], workdir: Path) -> None:
    """The demo shop into the scratch database (the first command also creates the schema)."""
    for kind in ("suppliers", "catalog", "orders"):
        subprocess.run(
            [KEFU, "import", kind, str(ROOT / "catalog_data" / f"{kind}.csv")],
            env=env,
            cwd=workdir,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def check_messages(env: dict[str, str]) -> None:
    """Every line must be understood as intended, or the 'one reply per message' premise breaks."""
    expected: dict[str, str] = {}
    for pools in MESSAGES.values():
        for kind, lines in pools.items():
            for line in lines:
                expected[line] = kind
    out = subprocess.run(
        [KEFU, "classify", "--json"],
        input="\n".join(expected) + "\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    problems = []
    for line in out.splitlines():
        result = json.loads(line)
        kind, intent = expected[result["text"]], result["intent"]
        if intent == "human_handoff":
            problems.append(f"{result['text']!r} asks for a person")
        elif (kind == "oos") != (intent == "out_of_scope"):
            problems.append(f"{result['text']!r}: intent {intent}, meant as {kind}")
        elif kind == "product" and (
            intent not in ("product_search", "product_price") or not result["products"]
        ):
            problems.append(f"{result['text']!r}: intent {intent}, products {result['products']}")
    if problems:
        raise SystemExit("message pool check failed:\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------------------------------------
# the fake Bot API in its own thread and event loop


class FakeThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="fake-bot-api", daemon=True)
        self.fake: FakeBotAPI

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> FakeBotAPI:
        self.thread.start()
        self.fake = self.call(self._start())
        return self.fake

    @staticmethod
    async def _start() -> FakeBotAPI:
        return await FakeBotAPI().start()

    def call(self, coro: Any, timeout: float = 120.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def acall(self, coro: Any) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        if self.thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.fake.stop(), timeout=10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


async def _in_fake(function: Any, *args: Any) -> Any:
    return function(*args)


# ---------------------------------------------------------------------------------------------------------
# scratch database, Redis, webhook processes


class Scratch:
    """The scratch database and Redis index; `close` is idempotent and also runs at exit."""

    def __init__(self, admin_url: str, redis_url: str) -> None:
        self.admin_url = admin_url
        self.redis_url = redis_url
        self.name = f"kefu_load_{secrets.token_hex(4)}"
        self.created = False
        self.redis: Redis | None = None

    @property
    def database_url(self) -> str:
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return f"{base}/{self.name}"

    async def create(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
            self.created = True
        finally:
            await conn.close()
        self.redis = Redis.from_url(self.redis_url)
        await self.redis.flushdb()

    async def flush_redis(self) -> None:
        assert self.redis is not None
        await self.redis.flushdb()

    async def close(self) -> None:
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.flushdb()
                await self.redis.aclose()
            self.redis = None
        if self.created:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                self.created = False
            finally:
                await conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Webhook:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")


LIVE_PROCESSES: list[subprocess.Popen[bytes]] = []


def stop_processes(procs: Iterable[subprocess.Popen[bytes]]) -> None:
    procs = [p for p in procs if p.poll() is None]
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def start_webhooks(count: int, env: dict[str, str], workdir: Path, tag: str) -> list[Webhook]:
    hooks = []
    for index in range(count):
        port = free_port()
        log = workdir / f"webhook-{tag}-{index}.log"
        proc_env = {**env, "KEFU_WEBHOOK_LISTEN": f"127.0.0.1:{port}"}
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [KEFU, "webhook"],
                env=proc_env,
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop them in order
            )
        LIVE_PROCESSES.append(proc)
        hooks.append(Webhook(port, proc, log))
    return hooks


async def wait_healthy(hooks: list[Webhook], timeout: float = 90.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        for hook in hooks:
            while True:
                if hook.proc.poll() is not None:
                    tail = hook.log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(
                        f"kefu webhook on port {hook.port} exited {hook.proc.returncode}:\n{tail}"
                    )
                try:
                    async with session.get(f"{hook.url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"kefu webhook on port {hook.port} not healthy after {timeout:.0f} s")
                await asyncio.sleep(0.2)


def log_summary(hooks: list[Webhook]) -> tuple[Counter[str], Counter[str]]:
    """(lines by level, most common warning/error messages) over the processes' JSON logs."""
    levels: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    for hook in hooks:
        with hook.log.open(errors="replace") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                    level = str(record.get("level", "?"))
                    text = str(record.get("message", ""))
                except ValueError:
                    level, text = (
                        ("traceback" if line.startswith("Traceback") else "text"),
                        line.strip()[:100],
                    )
                levels[level] += 1
                if level in ("warning", "error", "critical", "traceback"):
                    messages[f"{level}: {text[:100]}"] += 1
    return levels, messages


# ---------------------------------------------------------------------------------------------------------
# the load


@dataclass
class Post:
    update_id: int
    chat: int
    kind: str  # "original" or "duplicate"
    start_seq: int
    end_seq: int = -1
    status: int | str = 0


@dataclass
class RunResult:
    processes: int
    planned: int
    messages: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    doubled: int = 0
    http_errors: int = 0
    failed_updates: int = 0
    duplicates_posted: int = 0
    truncated: bool = False
    replies: int = 0
    other_sends: int = 0
    send_errors: int = 0
    late_replies: int = 0
    reply_histogram: dict[int, int] = field(default_factory=dict)
    cross_check: tuple[int, int] = (0, 0)
    cpu: dict[str, float] = field(default_factory=dict)
    log_levels: dict[str, int] = field(default_factory=dict)
    log_top: list[tuple[str, int]] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return (
            ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1] * 1000
        )  # nearest rank


class Load:
    def __init__(
        self,
        fake_thread: FakeThread,
        hooks: list[Webhook],
        secret: str,
        users: list[tuple[int, list[dict[str, Any]]]],
        concurrency: int,
        dup_rate: float,
        deadline: float,
        rng: random.Random,
    ) -> None:
        self.fake = fake_thread.fake
        self.hooks = hooks
        self.secret = secret
        self.users = users
        self.sem = asyncio.Semaphore(concurrency)
        self.dup_rate = dup_rate
        self.deadline = deadline
        self.rng = rng
        self.posts: list[Post] = []
        self.latencies: list[float] = []
        self.http_errors = 0
        self.failed: list[int] = []
        self.sent = 0
        self.truncated = False
        self.turn = 0
        self.first_start = 0.0
        self.last_end = 0.0

    def _next_hook(self) -> int:
        self.turn += 1
        return self.turn % len(self.hooks)

    async def _post_once(self, session: aiohttp.ClientSession, hook: Webhook, body: bytes) -> int | str:
        try:
            async with session.post(
                hook.url + WEBHOOK_PATH,
                data=body,
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.secret},
            ) as response:
                await response.read()
                return response.status
        except (TimeoutError, aiohttp.ClientError) as error:
            return type(error).__name__

    async def _deliver(
        self, session: aiohttp.ClientSession, update: dict[str, Any], chat: int, kind: str, hook_index: int
    ) -> bool:
        """POST like Telegram: retried (to the next process) until 200, at most POST_ATTEMPTS times."""
        body = json.dumps(update, ensure_ascii=False).encode()
        started = time.perf_counter()
        for attempt in range(POST_ATTEMPTS):
            post = Post(update["update_id"], chat, kind, len(self.fake.calls))
            self.posts.append(post)
            hook = self.hooks[(hook_index + attempt) % len(self.hooks)]
            post.status = await self._post_once(session, hook, body)
            post.end_seq = len(self.fake.calls)
            if post.status == 200:
                if kind == "original":
                    self.latencies.append(time.perf_counter() - started)
                return True
            self.http_errors += 1
            await asyncio.sleep(0.5 * (attempt + 1))
        return False

    async def _user(self, session: aiohttp.ClientSession, chat: int, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            async with self.sem:
                if time.perf_counter() > self.deadline:
                    self.truncated = True
                    return
                hook_index = self._next_hook()
                duplicate = self.rng.random() < self.dup_rate
                concurrent = duplicate and self.rng.random() < 0.5
                other = (hook_index + 1) % len(self.hooks)
                if concurrent:
                    # a retry racing the original, on another process (Telegram timed out waiting)
                    async def late_copy(update: dict[str, Any] = update, other: int = other) -> None:
                        await asyncio.sleep(self.rng.uniform(0, 0.02))
                        await self._deliver(session, update, chat, "duplicate", other)

                    results = await asyncio.gather(
                        self._deliver(session, update, chat, "original", hook_index), late_copy()
                    )
                    ok = results[0]
                else:
                    ok = await self._deliver(session, update, chat, "original", hook_index)
                    if duplicate:
                        await self._deliver(session, update, chat, "duplicate", other)
                self.last_end = time.perf_counter()
                self.sent += 1
                if not ok:
                    self.failed.append(update["update_id"])

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=POST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self.first_start = time.perf_counter()
            await asyncio.gather(*(self._user(session, chat, updates) for chat, updates in self.users))


async def wait_quiet(fake: FakeBotAPI, quiet: float = QUIET_SECONDS, cap: float = 120.0) -> None:
    """Until the fake has received no call for `quiet` seconds (late replies, replayed updates)."""
    last, since = len(fake.calls), time.monotonic()
    deadline = time.monotonic() + cap
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        now = len(fake.calls)
        if now != last:
            last, since = now, time.monotonic()


def snapshot(fake: FakeBotAPI) -> list[tuple[int, str, Any, int | None, str]]:
    return [
        (c.seq, c.method, c.params.get("chat_id"), c.status, str(c.params.get("text", "")))
        for c in fake.calls
    ]


def attribute(
    posts: list[Post], calls: list[tuple[int, str, Any, int | None, str]], sent_ids: dict[int, set[int]]
) -> dict[str, Any]:
    """Which update each reply answers.

    The webhook answers a POST only after the update was handled, and a user's next update is POSTed only
    after the previous one (and its duplicate) was answered, so in one chat the call-sequence windows
    [first call seen when the POST started, calls seen when it was answered) of different updates never
    overlap: a sendMessage to the chat whose sequence number falls in an update's window (original POST,
    duplicate or retry) answers that update. A reply outside every window (sent after its POST was answered,
    e.g. an update kept and replayed later) goes to the chat's last update POSTed before it. Cross-check:
    per chat, the number of sendMessage calls against the number of distinct update ids sent.
    """
    windows: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for post in posts:
        windows[post.chat].append((post.start_seq, post.end_seq, post.update_id))
    for chat_windows in windows.values():
        chat_windows.sort()
    per_update: Counter[int] = Counter()
    late = other_sends = send_errors = 0
    per_chat_replies: Counter[int] = Counter()
    examples: list[str] = []
    for seq, method, chat, status, text in calls:
        if chat not in windows:
            continue
        if method != "sendMessage":
            other_sends += method.startswith(("send", "copy", "forward"))
            continue
        if status != 200:
            send_errors += 1
            continue
        per_chat_replies[chat] += 1
        owners = {uid for start, end, uid in windows[chat] if start <= seq < end}
        if len(owners) == 1:
            per_update[owners.pop()] += 1
            continue
        if len(owners) > 1:  # cannot happen with per-chat order; count it against the first
            examples.append(f"chat {chat}: reply #{seq} inside the windows of updates {sorted(owners)}")
            per_update[min(owners)] += 1
            continue
        late += 1
        before = [uid for start, _end, uid in windows[chat] if start <= seq]
        if before:
            per_update[before[-1]] += 1
        examples.append(f"chat {chat}: reply #{seq} {text[:40]!r} after every POST window")
    lost = doubled = 0
    histogram: Counter[int] = Counter()
    for chat, ids in sent_ids.items():
        for uid in ids:
            count = per_update[uid]
            histogram[count] += 1
            if count == 0:
                lost += 1
                if len(examples) < 20:
                    examples.append(f"chat {chat}: update {uid} got no reply")
            elif count > 1:
                doubled += 1
                if len(examples) < 20:
                    examples.append(f"chat {chat}: update {uid} got {count} replies")
    cross_lost = sum(max(0, len(ids) - per_chat_replies[chat]) for chat, ids in sent_ids.items())
    cross_doubled = sum(max(0, per_chat_replies[chat] - len(ids)) for chat, ids in sent_ids.items())
    return {
        "lost": lost,
        "doubled": doubled,
        "late": late,
        "replies": sum(per_chat_replies.values()),
        "other_sends": other_sends,
        "send_errors": send_errors,
        "histogram": dict(sorted(histogram.items())),
        "cross": (cross_lost, cross_doubled),
        "examples": examples[:20],
    }


# ---------------------------------------------------------------------------------------------------------
# one run, all runs


def plan_users(processes: int, users: int, messages: int, seed: int) -> list[tuple[int, str, list[str]]]:
    rng = random.Random(seed * 1000 + processes)
    per_user, extra = divmod(messages, users)
    plan = []
    for index in range(users):
        count = per_user + (1 if index < extra else 0)
        if count == 0:
            continue
        lang_code, lines = user_script(rng, count)
        plan.append((USER_BASE + processes * 1_000_000 + index, lang_code, lines))
    return plan


async def build_updates(
    fake_thread: FakeThread, plan: list[tuple[int, str, list[str]]], first_update_id: int
) -> list[tuple[int, list[dict[str, Any]]]]:
    def build() -> list[tuple[int, list[dict[str, Any]]]]:
        fake = fake_thread.fake
        next_id = first_update_id
        users = []
        for chat, lang_code, lines in plan:
            updates = []
            for line in lines:
                update = fake.private_message(
                    chat, line, language_code=lang_code, first_name=f"U{chat % 10000}"
                )
                update["update_id"] = next_id
                next_id += 1
                updates.append(update)
            users.append((chat, updates))
        return users

    return await fake_thread.acall(_in_fake(build))  # type: ignore[no-any-return]


async def one_run(
    n: int,
    args: argparse.Namespace,
    fake_thread: FakeThread,
    scratch: Scratch,
    base_env: dict[str, str],
    workdir: Path,
) -> RunResult:
    fake = fake_thread.fake
    await scratch.flush_redis()
    plan = plan_users(n, args.users, args.messages, args.seed)
    users = await build_updates(fake_thread, plan, first_update_id=n * 10_000_000 + 1)
    planned = sum(len(u) for _, u in users)
    result = RunResult(processes=n, planned=planned)
    hooks = start_webhooks(n, base_env, workdir, f"n{n}")
    try:
        await wait_healthy(hooks)
        await asyncio.sleep(0.5)
        # Warm-up (not measured): one message per process from a user outside the measured set.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            for index, hook in enumerate(hooks):
                warm_chat = USER_BASE + n * 1_000_000 + 900_000 + index
                update = await fake_thread.acall(_in_fake(fake.private_message, warm_chat, "你好"))
                update["update_id"] = n * 10_000_000 + 9_000_000 + index
                async with session.post(
                    hook.url + WEBHOOK_PATH,
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": base_env["KEFU_WEBHOOK_SECRET"]},
                ) as response:
                    if response.status != 200:
                        raise RuntimeError(f"warm-up POST to port {hook.port}: HTTP {response.status}")
        await wait_quiet(fake, quiet=0.5)
        await fake_thread.acall(_in_fake(fake.clear_calls))

        cpu_before = {"webhooks": sum(h.cpu_seconds() for h in hooks), "bench": sum(os.times()[:2])}
        wall_before = time.perf_counter()
        load = Load(
            fake_thread,
            hooks,
            base_env["KEFU_WEBHOOK_SECRET"],
            users,
            args.concurrency,
            args.dup_rate,
            time.perf_counter() + args.max_seconds,
            random.Random(args.seed + n),
        )
        progress = asyncio.create_task(report_progress(load, planned, n))
        try:
            await load.run()
        finally:
            progress.cancel()
        wall = time.perf_counter() - wall_before
        cpu_after = {"webhooks": sum(h.cpu_seconds() for h in hooks), "bench": sum(os.times()[:2])}
        result.cpu = {k: (cpu_after[k] - cpu_before[k]) / wall * 100 for k in cpu_before}
        await wait_quiet(fake)
        calls = await fake_thread.acall(_in_fake(snapshot, fake))

        sent_ids: dict[int, set[int]] = defaultdict(set)
        for post in load.posts:
            if post.kind == "original":
                sent_ids[post.chat].add(post.update_id)
        found = attribute(load.posts, calls, sent_ids)
        result.messages = sum(len(ids) for ids in sent_ids.values())
        result.seconds = load.last_end - load.first_start
        result.latencies = load.latencies
        result.lost, result.doubled = found["lost"], found["doubled"]
        result.late_replies = found["late"]
        result.replies = found["replies"]
        result.other_sends = found["other_sends"]
        result.send_errors = found["send_errors"]
        result.reply_histogram = found["histogram"]
        result.cross_check = found["cross"]
        result.examples = found["examples"]
        result.http_errors = load.http_errors
        result.failed_updates = len(load.failed)
        result.duplicates_posted = sum(1 for p in load.posts if p.kind == "duplicate")
        result.truncated = load.truncated
    finally:
        stop_processes(h.proc for h in hooks)
        await fake_thread.acall(_in_fake(fake.clear_calls))
    levels, top = log_summary(hooks)
    result.log_levels = dict(levels)
    result.log_top = top.most_common(6)
    return result


async def report_progress(load: Load, planned: int, n: int) -> None:
    started = time.perf_counter()
    while True:
        await asyncio.sleep(10)
        elapsed = time.perf_counter() - started
        print(
            f"  [N={n}] {elapsed:5.0f} s: {load.sent}/{planned} messages, {load.sent / elapsed:6.1f} msg/s, "
            f"{load.http_errors} HTTP errors",
            flush=True,
        )


def print_table(results: list[RunResult], args: argparse.Namespace) -> None:
    header = ["processes", "messages", "seconds", "msg/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "lost",
              "doubled", "HTTP errors"]  # fmt: skip
    rows = []
    for r in results:
        rows.append(
            [
                str(r.processes),
                f"{r.messages}{'*' if r.truncated else ''}",
                f"{r.seconds:.1f}",
                f"{r.messages / r.seconds:.1f}" if r.seconds else "-",
                f"{r.percentile(50):.0f}",
                f"{r.percentile(90):.0f}",
                f"{r.percentile(99):.0f}",
                f"{max(r.latencies) * 1000 if r.latencies else float('nan'):.0f}",
                f"{r.lost}{'  <-- LOST' if r.lost else ''}",
                f"{r.doubled}{'  <-- DOUBLED' if r.doubled else ''}",
                str(r.http_errors),
            ]
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    line = " | ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
    print()
    print(
        f"kefu webhook load: {args.users} users, {args.messages} messages per run, concurrency {args.concurrency}, "
        f"re-POSTed {args.dup_rate:.0%}, outgoing rate limits {'off' if args.no_rate_limits else 'on'}"
    )
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    if any(r.truncated for r in results):
        print(
            f"* stopped at --max-seconds {args.max_seconds:.0f}: counts are over the messages actually sent"
        )
    print()
    for r in results:
        print(
            f"N={r.processes}: {r.replies} replies (sendMessage ok, "
            f"{r.replies / r.seconds if r.seconds else 0:.1f}/s to the Bot API from all processes together), "
            f"replies per update {r.reply_histogram}, "
            f"{r.late_replies} outside their POST, cross-check per chat lost/doubled {r.cross_check}, "
            f"{r.duplicates_posted} duplicate POSTs, {r.failed_updates} updates never answered 200, "
            f"{r.send_errors} failed sendMessage, {r.other_sends} other sends; "
            f"CPU webhooks {r.cpu.get('webhooks', 0):.0f}%, bench process {r.cpu.get('bench', 0):.0f}% (of one core); "
            f"log lines {r.log_levels}"
        )
        for text, count in r.log_top:
            print(f"    {count:6d} x {text}")
        for example in r.examples[:10]:
            print(f"    {example}")


async def main_async(args: argparse.Namespace) -> int:
    scratch = Scratch(args.postgres_admin_url, args.redis_url)
    fake_thread = FakeThread()
    results: list[RunResult] = []

    def emergency_cleanup() -> None:  # at exit, if the orderly cleanup did not run
        stop_processes(LIVE_PROCESSES)
        fake_thread.stop()
        if scratch.created or scratch.redis is not None:
            with contextlib.suppress(Exception):
                asyncio.run(scratch.close())

    atexit.register(emergency_cleanup)
    with tempfile.TemporaryDirectory(prefix="kefu_load_") as tmp:
        workdir = Path(tmp)
        try:
            await scratch.create()
            print(f"scratch database {scratch.name}, Redis {args.redis_url}", flush=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
            env.update(KEFU_DATABASE_URL=scratch.database_url)
            await asyncio.to_thread(load_shop, env, workdir)
            await asyncio.to_thread(check_messages, env)
            fake = fake_thread.start()
            env.update(
                KEFU_REDIS_URL=args.redis_url,
                KEFU_TELEGRAM_TOKEN=fake.token,
                KEFU_TELEGRAM_API_URL=fake.url,
                KEFU_WEBHOOK_SECRET=secrets.token_urlsafe(24),
            )
            if args.no_rate_limits:
                env["KEFU_TELEGRAM_RATE_LIMITS"] = "false"
            per_user = -(-args.messages // args.users)
            if per_user >= 30:  # the per-user flood limit counts a calendar minute; keep it out of the way
                env["KEFU_USER_MESSAGES_PER_MINUTE"] = str(per_user + 10)
            for n in args.processes:
                print(f"N={n}: starting {n} kefu webhook process(es)...", flush=True)
                result = await one_run(n, args, fake_thread, scratch, env, workdir)
                results.append(result)
                print(
                    f"N={n}: {result.messages} messages in {result.seconds:.1f} s, lost {result.lost}, "
                    f"doubled {result.doubled}",
                    flush=True,
                )
        finally:
            stop_processes(LIVE_PROCESSES)
            fake_thread.stop()
            await scratch.close()
            if args.keep_logs and any(workdir.glob("*.log")):
                keep = Path(args.keep_logs)
                keep.mkdir(parents=True, exist_ok=True)
                for log in workdir.glob("*.log"):
                    shutil.copy(log, keep / log.name)
    print_table(results, args)
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                [
                    {
                        "processes": r.processes,
                        "messages": r.messages,
                        "planned": r.planned,
                        "seconds": r.seconds,
                        "p50_ms": r.percentile(50),
                        "p90_ms": r.percentile(90),
                        "p99_ms": r.percentile(99),
                        "max_ms": max(r.latencies, default=0) * 1000,
                        "lost": r.lost,
                        "doubled": r.doubled,
                        "http_errors": r.http_errors,
                        "truncated": r.truncated,
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    bad = [r for r in results if r.lost or r.doubled]
    if bad:
        print("FAILED: " + "; ".join(f"N={r.processes}: {r.lost} lost, {r.doubled} doubled" for r in bad))
        return 1
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20000, help="messages per run (per N)")
    parser.add_argument("--processes", default="1,2,3", help="comma-separated process counts")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop sending after this, per run")
    parser.add_argument("--quick", action="store_true", help="a trial: 100 users, 1,000 messages")
    parser.add_argument("--concurrency", type=int, default=64, help="POSTs in flight at most")
    parser.add_argument("--dup-rate", type=float, default=0.02, help="share of updates POSTed twice")
    parser.add_argument("--no-rate-limits", action="store_true", help="KEFU_TELEGRAM_RATE_LIMITS=false")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="flushed at start and end")
    parser.add_argument("--json-out", help="also write the results as JSON here")
    parser.add_argument("--keep-logs", help="copy the webhook processes' logs to this directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.messages = 100, 1000
    args.processes = [int(p) for p in str(args.processes).split(",") if p.strip()]
    if not args.processes or min(args.processes) < 1 or args.users < 1 or args.messages < 1:
        parser.error("--processes, --users and --messages must be positive")
    return args


def main() -> int:
    args = parse_args()

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored (&)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        print("interrupted: processes stopped, scratch database dropped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
