"""A shared phone number: verified only when it is the sender's own, then the orders placed with it."""

from __future__ import annotations

from bot.engine.messages import Reply
from bot.engine.orders import order_list
from bot.engine.turn import Turn
from bot.storage.conversations import verify_phone
from bot.storage.keys import contact_phone
from intents import IntentId


async def shared_contact(turn: Turn) -> Reply:
    tr, incoming = turn.tr, turn.incoming
    phone = contact_phone(incoming.contact_phone or "")
    if incoming.contact_user_id is None:
        # Telegram's share-my-phone button always names the account; a card without an owner (typed
        # in, or another person's saved contact) proves nothing about whose number it is.
        return turn.reply(
            [
                tr._(
                    "I can only verify a phone number shared with the button below: "
                    "a contact card sent another way doesn't show that the number is yours."
                )
            ],
            IntentId.ORDER_LIST,
            request_contact=True,
        )
    if incoming.contact_user_id != incoming.user_id:
        return turn.reply(
            [tr._("Please share your own phone number with the button below, not someone else's contact.")],
            IntentId.ORDER_LIST,
            request_contact=True,
        )
    if phone is None:
        return turn.reply([tr._("That doesn't look like a phone number.")], IntentId.ORDER_LIST)
    await verify_phone(turn.session, incoming.user_id, phone)
    await turn.refresh_viewer()
    reply = await order_list(turn, IntentId.ORDER_LIST)
    reply.texts.insert(0, tr._("Thank you, your phone number is verified."))
    reply.request_contact = False
    return reply
