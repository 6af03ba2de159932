"""The bot introducing itself: greeting, help, thanks and goodbye, and the buttons that say what it does."""

from __future__ import annotations

from bot.engine.i18n import Translator
from bot.engine.messages import Button, Reply
from bot.engine.turn import Turn
from bot.storage.access import Role
from intents import IntentId


def suggestions(tr: Translator) -> list[Button]:
    return [
        Button(tr._("My orders"), "orders"),
        Button(tr._("Delivery"), f"faq:{IntentId.SHIPPING_INFO}"),
        Button(tr._("Talk to a person"), "handoff"),
    ]


def greeting(turn: Turn) -> Reply:
    tr = turn.tr
    if turn.viewer.role is Role.SUPPLIER:
        text = tr._(
            "Hello! I can show the orders you need to fulfil and record shipments: "
            "send the order number and the tracking number when you ship."
        )
        return turn.reply([text], IntentId.GREETING, buttons=[Button(tr._("My orders"), "orders")])
    text = tr._(
        "Hello! I'm the shop's assistant. Ask me about products, prices and stock, "
        "your order, delivery, payment, returns or customs."
    )
    return turn.reply([text], IntentId.GREETING, buttons=suggestions(tr))


def thanks(turn: Turn) -> Reply:
    return turn.reply([turn.tr._("You're welcome! Anything else I can help with?")], IntentId.THANKS)


def goodbye(turn: Turn) -> Reply:
    if turn.viewer.role is Role.SUPPLIER:  # a business partner, not a shopper
        text = turn.tr._("Goodbye, and thank you for working with us!")
    else:
        text = turn.tr._("Goodbye, and thank you for shopping with us!")
    return turn.reply([text], IntentId.GOODBYE)


def help_text(turn: Turn) -> str:
    tr = turn.tr
    if turn.viewer.role is Role.SUPPLIER:
        return tr._(
            "Send /orders to see what you need to ship. When you ship, write the order number and the "
            'tracking number, e.g. "KF-250117-003 shipped, RA123456789RU". /lang changes the language.'
        )
    return tr._(
        'Ask me in your own words: "do you have Alenka chocolate?", "how much is the kvass?", '
        '"where is my order KF-250117-003?". /orders lists your orders, /lang changes the language, '
        'and writing "operator" brings in a person.'
    )


def language_switched(turn: Turn) -> Reply:
    return turn.reply([turn.tr._("Language switched.")], IntentId.GREETING)
