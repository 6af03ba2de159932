"""What the chat is about: the products shown and discussed, kept in the conversation's context.

The engine remembers it after every product answer and hands it to intents' FollowupReader as data.
It expires: a follow-up an hour after the last product answer is read as a fresh question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.engine.turn import Turn
from intents.followup import MAX_DISCUSSED, Focus

#: Seconds after which the products of a chat are forgotten.
FOCUS_TTL = 3600.0
MAX_LISTED = 20  # products of a list kept for a filter ('1公斤的有哪些')
_KEY = "focus"


def current_focus(turn: Turn) -> Focus | None:
    raw = turn.context.get(_KEY)
    if not isinstance(raw, dict):
        return None
    at = raw.get("at")
    if not isinstance(at, int | float) or turn.now() - at > FOCUS_TTL:
        return None
    anchor = raw.get("anchor")
    return Focus(
        shown=_skus(raw.get("shown")),
        discussed=_skus(raw.get("discussed")),
        listed=_skus(raw.get("listed")),
        anchor=anchor if isinstance(anchor, str) else "",
    )


def _skus(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def remember_products(
    turn: Turn,
    shown: Sequence[str],
    *,
    anchor: str | None = None,
    listed: Sequence[str] | None = None,
    replace: Sequence[str] = (),
) -> None:
    """After an answer that showed `shown`: they are in focus, and (when fewer than a list) discussed.

    `replace` are products the answer set aside (a correction): they are no longer discussed.
    `anchor` keeps the words that name the family; None keeps the previous ones.
    """
    before = current_focus(turn) or Focus()
    discussed = [s for s in before.discussed if s not in replace]
    if len(shown) <= 3:  # a product, a comparison or a few named: talked about; a long list is not
        discussed = [s for s in discussed if s not in shown] + list(shown)
    focus: dict[str, Any] = {
        "shown": list(shown),
        "discussed": discussed[-MAX_DISCUSSED:],
        "listed": list(listed if listed is not None else ())[:MAX_LISTED],
        "anchor": before.anchor if anchor is None else anchor,
        "at": int(turn.now()),
    }
    turn.remember(**{_KEY: focus})
