"""One turn of a conversation: what the handlers of bot/engine read and write while answering."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.faq import FaqBook
from bot.engine.i18n import I18n, Lang, Translator
from bot.engine.messages import Button, Incoming, Reply
from bot.storage.access import OrderAccess, Viewer, resolve_viewer
from bot.storage.models import Conversation
from intents.followup import FollowupReader

#: Called inside a turn's transaction with its reply: a front-end writes what it must send there
#: (an outbox), so the turn and its sends are committed together.
TurnEffects = Callable[[AsyncSession, Reply], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Shop:
    """What stays the same from turn to turn: the texts, the shop's own answers, who is staff."""

    i18n: I18n
    faq: FaqBook
    staff_ids: frozenset[int]
    clock: Callable[[], float] = field(default=time.time)  # wall-clock seconds (context expiry)


@dataclass(slots=True)
class Turn:
    """Everything one turn needs, so the handlers stay short."""

    shop: Shop
    session: AsyncSession
    conversation: Conversation
    viewer: Viewer
    incoming: Incoming
    text: str
    lang: Lang
    tr: Translator
    followups: FollowupReader | None = None  # reads a message against the products in context

    def now(self) -> float:
        return self.shop.clock()

    @property
    def context(self) -> dict[str, Any]:
        return self.conversation.context

    def remember(self, **values: Any) -> None:
        context = self.conversation.context
        if all(key in context and context[key] == value for key, value in values.items()):
            return  # unchanged: no UPDATE flushed before the turn's next query
        # Reassign, so SQLAlchemy sees the JSON column change.
        self.conversation.context = {**context, **values}

    def orders(self) -> OrderAccess:
        return OrderAccess(self.session, self.viewer)

    def switch_language(self, lang: Lang) -> None:
        self.lang = lang
        self.tr = self.shop.i18n[lang]

    async def refresh_viewer(self) -> None:
        """After the account's links changed (a verified phone, a supplier invite)."""
        self.viewer = await resolve_viewer(self.session, self.incoming.user_id, self.shop.staff_ids)

    def reply(
        self,
        texts: list[str],
        intent: str,
        *,
        buttons: list[Button] | None = None,
        request_contact: bool = False,
    ) -> Reply:
        return Reply(
            texts,
            intent,
            self.lang,
            handoff=self.conversation.handoff_active,
            buttons=buttons or [],
            request_contact=request_contact,
        )
