"""What the outer middlewares read off a whole update (its author, its raw form) and the flags a replay
passes along, so a replayed update is told apart from one Telegram just sent."""

from __future__ import annotations

from typing import Any

from aiogram.types import Update

#: Set on every replay of a kept update (the flood limit lets it through, a Redis outage is raised).
REPLAY_FLAG = "kefu_replay"
#: Set by a replay that counts outages itself (the kept updates' loop, `kefu failed retry`): an outage
#: then reaches it as an exception instead of the update being kept once more.
COUNTED_REPLAY_FLAG = "kefu_counted_replay"


def sender_of(update: Update) -> tuple[int | None, str | None, bool]:
    """(user id, language_code, private chat?) of an update's author."""
    for event in (update.message, update.edited_message):
        if event is not None and event.from_user is not None:
            return event.from_user.id, event.from_user.language_code, event.chat.type == "private"
    if update.callback_query is not None:
        user = update.callback_query.from_user
        return user.id, user.language_code, True
    return None, None, False


def raw_update(update: Update) -> dict[str, Any]:
    """The update as Telegram sent it (JSON-ready), for keeping it or storing it as a dead letter."""
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)
