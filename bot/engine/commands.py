"""What Telegram's client sends besides words: /start (with supplier invites), /help, /lang, /orders,
and the inline buttons the bot showed earlier."""

from __future__ import annotations

import re

from bot.engine.answers import FAQ_INTENTS, shop_answer
from bot.engine.catalog import product_by_id
from bot.engine.focus import remember_products
from bot.engine.greetings import greeting, help_text, language_switched, suggestions
from bot.engine.handoff import hand_off
from bot.engine.i18n import LANGS, zh_or_ru
from bot.engine.language import lang_argument
from bot.engine.messages import Button, Reply
from bot.engine.orders import order_by_number, order_list
from bot.engine.products import product_answer
from bot.engine.text import command_name
from bot.engine.turn import Turn
from intents import IntentId


async def command(turn: Turn) -> Reply | None:
    """A reply to a command of ours; None for any other text starting with "/"."""
    tr = turn.tr
    name, _, argument = turn.text.partition(" ")
    name = command_name(name)
    if name == "/start":
        if argument.strip():
            linked = await _link_supplier(turn, argument.strip())
            if linked is not None:
                return linked
        return greeting(turn)
    if name == "/help":
        return turn.reply([help_text(turn)], IntentId.GREETING, buttons=suggestions(tr))
    if name == "/lang":
        if lang_argument(argument) is not None:
            return language_switched(turn)  # the turn's language already is the one asked for
        buttons = [Button("中文", "lang:zh"), Button("Русский", "lang:ru")]
        return turn.reply([tr._("Which language do you prefer?")], IntentId.GREETING, buttons=buttons)
    if name == "/orders":
        return await order_list(turn, IntentId.ORDER_LIST)
    return None


async def start_in_handoff(turn: Turn) -> Reply:
    """`/start [token]` while people hold the chat: a supplier invite still links the account."""
    token = turn.text.partition(" ")[2].strip()
    linked = await _redeem_invite(turn, token) if token else None
    note = turn.tr._(
        "A colleague from the shop is answering you in this chat: write here and they will reply."
    )
    return turn.reply([linked, note] if linked else [note], IntentId.GREETING)


async def _link_supplier(turn: Turn, token: str) -> Reply | None:
    text = await _redeem_invite(turn, token)
    if text is None:
        return None
    reply = greeting(turn)
    reply.texts.insert(0, text)
    return reply


async def _redeem_invite(turn: Turn, token: str) -> str | None:
    """Link the account to the supplier a valid invite names; what to tell the user, or None."""
    from bot.storage.invites import redeem_invite

    supplier = await redeem_invite(turn.session, token, turn.incoming.user_id)
    if supplier is None:
        return None
    await turn.refresh_viewer()
    name = supplier.name_zh if turn.lang == "zh" else supplier.name_ru
    return turn.tr._("Your account is now linked to the supplier {name}.", name=name)


async def button(turn: Turn, data: str) -> Reply:
    """A press of one of our inline buttons."""
    # Callback data comes from the client and can be forged: only the shapes our own buttons have
    # are read (ASCII ids within the columns' range); anything else is answered with silence.
    silence = turn.reply([], IntentId.OUT_OF_SCOPE)
    kind, _, value = data.partition(":")
    if len(data.encode()) > 64 or not data.isprintable() or not re.fullmatch(r"[a-z_]{1,16}", kind):
        return silence
    if kind == "p":
        # a product id is a 32-bit INTEGER column: a larger number is no id of ours
        if not re.fullmatch(r"[1-9][0-9]{0,9}", value) or int(value) > 2**31 - 1:
            return silence
        product = await product_by_id(turn.session, int(value))
        if product is not None:
            turn.remember(misses=0)
            remember_products(turn, [product.sku])
            return await product_answer(turn, product, IntentId.PRODUCT_SEARCH)
        return turn.reply([turn.tr._("That button is no longer valid.")], IntentId.OUT_OF_SCOPE)
    if kind == "o":
        if not value.strip():  # an order number as the shop wrote it (buttons carry it verbatim)
            return silence
        return await order_by_number(turn, value)
    if kind == "orders":
        return await order_list(turn, IntentId.ORDER_LIST)
    if kind == "lang" and value in LANGS:
        turn.switch_language(zh_or_ru(value))
        return language_switched(turn)
    if kind == "faq" and value in FAQ_INTENTS:
        answer = shop_answer(turn, value)
        if answer is not None:
            return answer
    if kind == "handoff" and not value:
        return await hand_off(turn, "asked", IntentId.HUMAN_HANDOFF)
    return silence
