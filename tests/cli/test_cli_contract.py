"""`kefu say`, `kefu classify` and `kefu demo` as docs/interfaces.md describes them, run as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHOP


def kefu(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEFU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kefu.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    for kind in ("suppliers", "catalog", "orders"):
        assert kefu(path, "import", kind, str(SHOP / f"{kind}.csv")).returncode == 0
    return path


def say(path: Path, *args: str) -> dict[str, object]:
    result = kefu(path, "say", "--json", *args)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"reply", "buttons", "intent", "lang", "handoff"}
    return data


def test_say_keeps_state_between_calls(shop_dir: Path) -> None:
    first = say(shop_dir, "--user", "5100000001", "--lang-code", "zh-hans", "--", "有爱莲巧100克吗")
    assert first["intent"] == "product_search" and first["lang"] == "zh"
    follow = say(shop_dir, "--user", "5100000001", "--", "那个多少钱")
    assert follow["intent"] == "product_price" and "¥12.90" in str(follow["reply"])
    assert say(shop_dir, "--user", "5100000001", "--", "👍")["lang"] == "zh"


def test_say_contact_and_privacy(shop_dir: Path) -> None:
    denied = say(shop_dir, "--user", "5100000050", "--", "订单 KF-250120-004 到哪了")
    assert "customs" not in str(denied["reply"]) and "清关中" not in str(denied["reply"])
    verified = say(shop_dir, "--user", "5100000050", "--contact", "+8613800000002")
    assert "KF-250120-004" in str(verified["reply"])


def test_say_handoff_flag_persists(shop_dir: Path) -> None:
    assert say(shop_dir, "--user", "5100000060", "--", "转人工")["handoff"] is True
    quiet = say(shop_dir, "--user", "5100000060", "--", "在吗")
    assert quiet["handoff"] is True and quiet["reply"] == ""


@pytest.mark.parametrize("text", ["", "😀", "-x", "' OR 1=1 --", "\x01\x1b[31m"])
def test_say_exits_0_for_any_input(shop_dir: Path, text: str) -> None:
    user = str(5100000070 + sum(map(ord, text)))  # a fresh user each: two misses in a row would hand over
    result = kefu(shop_dir, "say", "--user", user, "--json", "--", text)
    assert result.returncode == 0 and json.loads(result.stdout)["reply"]


def test_classify_one_process_many_lines(shop_dir: Path) -> None:
    lines = ["有爱莲巧吗", "ＫＦ－２５０１１７－００３到哪了", "Есть квас?", "", "😀", "明天天气怎么样"]
    result = kefu(shop_dir, "classify", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == lines
    for row in rows:
        assert set(row) == {"text", "lang", "intent", "confidence", "products", "order_no"}
        assert (
            row["lang"] in ("zh", "ru") and isinstance(row["confidence"], float) and len(row["products"]) <= 5
        )
    assert rows[0]["products"][0].startswith("CHOC-ALENKA")
    assert rows[1]["order_no"] == "KF-250117-003"
    assert rows[2]["lang"] == "ru" and rows[2]["products"][0] == "KVAS-OCH-15"


def test_demo_chat_reads_piped_input(tmp_path: Path) -> None:
    result = kefu(tmp_path, "demo", stdin="你好\nЕсть сгущёнка?\n")
    assert result.returncode == 0, result.stderr
    assert "您好" in result.stdout and "сгущ" in result.stdout


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json\n", "line 1: not JSON"),
        ('{"id": "x", "turns": [{"text": "hi"}]}\n', 'line 1: "user" must be'),
        ('{"id": "x", "user": 5, "turns": [{"check": {}}]}\n', 'turn 1 needs "text" or "contact"'),
        (None, "cannot read it"),
    ],
)
def test_eval_refuses_a_bad_conversations_file_by_line(
    tmp_path: Path, content: str | None, says: str
) -> None:
    path = tmp_path / "conversations.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = kefu(tmp_path, "eval", "--conversations", str(path))
    assert result.returncode != 0 and says in result.stderr and "Traceback" not in result.stderr
