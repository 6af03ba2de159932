"""The shop's own answers (catalog_data/faq.toml) to questions about delivery, payment, returns, customs."""

from __future__ import annotations

from bot.engine.messages import Reply
from bot.engine.turn import Turn
from intents import IntentId

FAQ_INTENTS = (IntentId.SHIPPING_INFO, IntentId.PAYMENT_INFO, IntentId.RETURN_POLICY, IntentId.CUSTOMS_INFO)


def shop_answer(turn: Turn, topic: str) -> Reply | None:
    """The shop's answer on `topic` for this user's role and language; None when the shop wrote none."""
    answer = turn.shop.faq.answer(topic, turn.lang, turn.viewer.role.value)
    return turn.reply([answer], topic) if answer else None
