"""Handing the chat to people: when asked, and after the bot failed to understand too often."""

from __future__ import annotations

from bot.engine.greetings import suggestions
from bot.engine.messages import Button, Reply
from bot.engine.turn import Turn
from bot.storage.conversations import open_handoff
from intents import IntentId
from intents.normalize import fold
from intents.resources import word_set

#: Misses in a row (not understood) after which people take over.
MAX_MISSES = 2


async def hand_off(turn: Turn, reason: str, intent: str) -> Reply:
    await open_handoff(turn.session, turn.conversation, reason)
    turn.remember(misses=0)
    if reason == "asked":
        text = turn.tr._(
            "I'm passing our chat to a colleague from the shop. Please stay here: "
            "they will answer in this chat as soon as they can."
        )
    else:  # the bot's own decision: it must not read as if the shopper had asked for it
        text = turn.tr._(
            "Sorry, I can't answer this myself, so I've asked a colleague from the shop to help. "
            "Please stay here: they will answer in this chat as soon as they can."
        )
    reply = turn.reply([text], intent)
    reply.handoff, reply.handoff_started = True, True
    return reply


def frustrated(text: str) -> bool:
    """Does the message say the shopper is losing patience with the bot (lexicon.toml, [mood])?"""
    folded = fold(text)
    return any(cue in folded for cue in word_set("mood", "frustration"))


def apologise(turn: Turn) -> Reply:
    """Frustration gets an apology and the offer of a person, not another guess at an answer."""
    tr = turn.tr
    text = tr._(
        "I'm sorry I haven't been much help. Shall I bring in a colleague from the shop? "
        "They will answer you here in this chat."
    )
    return turn.reply([text], IntentId.HUMAN_HANDOFF, buttons=[Button(tr._("Talk to a person"), "handoff")])


async def miss(turn: Turn, intent: str, *, product_question: bool = False) -> Reply:
    """Not understood (or nothing found): ask again, and hand over after `MAX_MISSES` in a row."""
    tr = turn.tr
    misses = int(turn.context.get("misses", 0)) + 1
    turn.remember(misses=misses)
    if misses >= MAX_MISSES:
        return await hand_off(turn, "not_understood", intent)
    if product_question:
        text = tr._("I couldn't find that product. Could you write its name differently, or the brand?")
    else:
        text = tr._(
            "Sorry, I didn't quite get that. I can help with products and prices, your orders, "
            "delivery, payment, returns and customs. What would you like to know?"
        )
    return turn.reply([text], intent, buttons=suggestions(tr))
