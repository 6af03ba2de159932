"""`kefu eval --conversations FILE`: multi-turn labelled chats replayed through the real engine.

Each file is replayed on a fresh database holding one shop, conversations in file order, each turn as
its user (exactly what `kefu say` does). A checked turn is right when the reply (its text and button
labels) holds every `must` fact, none of the `must_not` facts and one fact of each `any` group; a
`clarify` turn is also wrong when it hands the chat to people. The format is in
tests/data/CONVERSATIONS.md.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT, Settings
from bot.engine.catalog import CatalogIndex
from bot.engine.conversation import Engine
from bot.engine.faq import FaqBook
from bot.engine.i18n import I18n
from bot.engine.messages import Incoming, Reply
from bot.storage.runtime import open_database

_PRICE_FACT = re.compile(r"\d+(?:\.\d+)?")
#: Numbers as replies print them: 118.00, 118,00, ¥118, 1 180,50 (a narrow space between thousands).
_NUMBER = re.compile(r"\d+(?:[\u00a0\u202f ]\d{3})*(?:[.,]\d+)?")
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: The share of checked turns right below which `--check` fails, per file (measured, then held).
DEFAULT_FLOOR = 0.0


@dataclass(slots=True)
class TurnResult:
    conversation: str
    index: int
    text: str
    kind: str
    lang: str
    right: bool
    missing: list[str]
    forbidden: list[str]
    reply: str


@dataclass(slots=True)
class ConversationReport:
    results: list[TurnResult] = field(default_factory=list)

    def share(self, results: list[TurnResult] | None = None) -> tuple[int, int]:
        chosen = self.results if results is None else results
        return sum(r.right for r in chosen), len(chosen)

    def format(self, misses: int = 40) -> str:
        def line(label: str, results: list[TurnResult]) -> str:
            right, total = self.share(results)
            return f"  {label:<20} {right:>4}/{total:<4} {100 * right / total if total else 0:6.1f}%"

        lines = ["checked turns right:", line("all", self.results)]
        by_lang: dict[str, list[TurnResult]] = defaultdict(list)
        by_kind: dict[str, list[TurnResult]] = defaultdict(list)
        for result in self.results:
            by_lang[result.lang].append(result)
            by_kind[result.kind].append(result)
        lines.append("by language:")
        lines += [line(lang, results) for lang, results in sorted(by_lang.items())]
        lines.append("by kind of follow-up:")
        lines += [line(kind, results) for kind, results in sorted(by_kind.items())]
        wrong = [r for r in self.results if not r.right]
        if wrong:
            lines.append(f"wrong turns (first {min(misses, len(wrong))} of {len(wrong)}):")
        for r in wrong[:misses]:
            why = []
            if r.missing:
                why.append("missing " + ", ".join(r.missing))
            if r.forbidden:
                why.append("holds " + ", ".join(r.forbidden))
            reply = r.reply.replace("\n", " / ")
            lines.append(f"  {r.conversation}#{r.index} [{r.kind}] {r.text!r}: {'; '.join(why)}")
            lines.append(f"      reply: {reply[:240]}")
        return "\n".join(lines)


def _numbers(text: str) -> set[Decimal]:
    found = set()
    for raw in _NUMBER.findall(text):
        try:
            found.add(Decimal(re.sub(r"[\u00a0\u202f ]", "", raw).replace(",", ".")))
        except InvalidOperation:
            continue
    return found


def holds(reply: str, fact: str) -> bool:
    """A price fact ("118.00") matches the same amount however the reply prints it (¥118.00, 118,00 ¥,
    118 ¥); any other fact is an exact substring."""
    if _PRICE_FACT.fullmatch(fact) and "." in fact:
        return Decimal(fact) in _numbers(reply)
    return fact in reply


def check_turn(reply: Reply, check: dict[str, Any]) -> tuple[bool, list[str], list[str]]:
    seen = "\n".join([reply.text, *(button.text for button in reply.buttons)])
    missing = [fact for fact in check.get("must", []) if not holds(seen, fact)]
    forbidden = [fact for fact in check.get("must_not", []) if holds(seen, fact)]
    for group in check.get("any", []):
        if not any(holds(seen, fact) for fact in group):
            missing.append(" | ".join(group))
    if check.get("kind") == "clarify" and reply.handoff:
        forbidden.append("(handed over to people)")
    return not missing and not forbidden, missing, forbidden


def read_conversations(path: Path) -> list[dict[str, Any]]:
    """The conversations of a file, each checked for what a replay needs (SystemExit names the line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    conversations = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            conversation = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}, line {number}: not JSON ({exc.msg})") from None
        problem = _problem(conversation)
        if problem:
            raise SystemExit(f"{path}, line {number}: {problem}")
        conversations.append(conversation)
    return conversations


def _problem(conversation: Any) -> str | None:
    if not isinstance(conversation, dict):
        return "not a JSON object"
    if not isinstance(conversation.get("user"), int) or isinstance(conversation.get("user"), bool):
        return '"user" must be a Telegram user id (a whole number)'
    turns = conversation.get("turns")
    if not isinstance(turns, list) or not turns:
        return '"turns" must be a list of turns'
    for index, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("text", turn.get("contact")), str):
            return f'turn {index} needs "text" or "contact" (a string)'
        check = turn.get("check")
        if check is not None and not isinstance(check, dict):
            return f'turn {index}: "check" must be an object'
    return None


async def replay(settings: Settings, path: Path) -> ConversationReport:
    from bot.demo_shop import load_demo_shop

    report = ConversationReport()
    conversations = read_conversations(path)  # a bad file is refused before any database work
    faq = settings.data_dir / "faq.toml"
    if not faq.exists():  # a test shop without its own answers uses the demo shop's
        faq = PROJECT_ROOT / "catalog_data" / "faq.toml"
    with tempfile.TemporaryDirectory() as tmp:
        async with open_database(f"sqlite+aiosqlite:///{Path(tmp) / 'conversations.db'}") as db:
            async with db.sessions.begin() as session:
                await load_demo_shop(session, settings.data_dir)
            engine = Engine(
                db.sessions,
                CatalogIndex(db.sessions),
                I18n(settings.locales_dir, settings.shop_timezone),
                FaqBook.load(faq),
                frozenset(),
            )
            for conversation in conversations:
                user = int(conversation["user"])
                for index, turn in enumerate(conversation["turns"], start=1):
                    if "contact" in turn:
                        incoming = Incoming(
                            user,
                            lang_code=conversation.get("lang_code"),
                            contact_phone=turn["contact"],
                            contact_user_id=user,
                        )
                    else:
                        incoming = Incoming(user, turn.get("text", ""), conversation.get("lang_code"))
                    reply = await engine.handle(incoming)
                    check = turn.get("check")
                    if check is None:
                        continue
                    right, missing, forbidden = check_turn(reply, check)
                    text = turn.get("text", f"[contact {turn.get('contact')}]")
                    report.results.append(
                        TurnResult(
                            conversation["id"],
                            index,
                            text,
                            check.get("kind") or conversation.get("kind", "?"),
                            "zh" if _HAN.search(text) else "ru",
                            right,
                            missing,
                            forbidden,
                            reply.text,
                        )
                    )
    return report


async def run_conversation_eval(settings: Settings, path: Path, *, floor: float | None) -> int:
    report = await replay(settings, path)
    print(report.format())
    if floor is not None:
        right, total = report.share()
        if total and right / total < floor:
            print(f"BELOW FLOOR: {right}/{total} turns right, floor {floor:.1%}", file=sys.stderr)
            return 1
    return 0
