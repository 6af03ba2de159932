"""The staff supergroup: operators answer customers in forum topics; only KEFU_STAFF_USER_IDS act."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message, Update

from bot.engine.conversation import Engine
from bot.engine.i18n import I18n
from bot.engine.language import lang_argument
from bot.telegram.content import is_service
from bot.telegram.middlewares import CustomerOfTopic
from bot.telegram.outbox import TelegramOutbox
from bot.telegram.relay import StaffRelay
from bot.telegram.sender import send_text


class StaffInTopic(Filter):
    """A staff member's own message inside a customer topic: passes the topic's thread id on.

    Anyone else in the group, the General topic (whose replies carry a misleading thread id) and service
    messages (pins, topic events...) do not pass.
    """

    def __init__(self, staff_ids: frozenset[int]) -> None:
        self.staff_ids = staff_ids

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        if message.from_user is None or message.from_user.id not in self.staff_ids:
            return False
        if not message.is_topic_message or message.message_thread_id is None:
            return False
        if is_service(message):
            return False  # a pin, a topic renamed or closed...: cannot be copied, nothing to relay
        return {"thread_id": message.message_thread_id}


def create_staff_router(staff_chat_id: int, staff_ids: frozenset[int]) -> Router:
    router = Router(name="staff")
    router.message.filter(F.chat.id == staff_chat_id)
    router.edited_message.filter(F.chat.id == staff_chat_id)
    # Staff acting in a customer's topic: the handlers below get that customer as `customer_id`.
    in_topics = Router(name="staff-topics")
    acting = StaffInTopic(staff_ids)
    customer_of_topic = CustomerOfTopic()
    for observer in (in_topics.message, in_topics.edited_message):
        observer.filter(acting)
        observer.middleware(customer_of_topic)
    # Anyone else in the group, the General topic, service messages: not the bot's business.
    others = Router(name="staff-others")
    router.include_routers(in_topics, others)

    @in_topics.message(Command("close"))
    async def close(
        message: Message,
        customer_id: int,
        event_update: Update,
        engine: Engine,
        i18n: I18n,
        relay: StaffRelay,
        outbox: TelegramOutbox,
    ) -> None:
        staff_id = message.from_user.id if message.from_user else None
        # The customer's notice is written with the handoff's end and sent from the outbox.
        await outbox.close_handoff(engine, customer_id, staff_id, event_update.update_id)
        tr = i18n[relay.staff_lang]
        await message.reply(tr._("Closed: the bot answers this customer again."))

    @in_topics.message(Command("note"))
    async def note(message: Message, customer_id: int, command: CommandObject, engine: Engine) -> None:
        if command.args:
            await engine.record_staff_message(customer_id, command.args, note=True)

    @in_topics.message(Command("lang"))
    async def lang(
        message: Message,
        customer_id: int,
        command: CommandObject,
        engine: Engine,
        i18n: I18n,
        relay: StaffRelay,
    ) -> None:
        wanted = lang_argument(command.args or "")
        if wanted is None:
            await message.reply("/lang zh | /lang ru")
            return
        await engine.set_language(customer_id, wanted)
        await message.reply(i18n[relay.staff_lang]._("The customer's language is now {lang}.", lang=wanted))

    @in_topics.message(Command("reply"))
    async def canned(
        message: Message,
        customer_id: int,
        command: CommandObject,
        bot: Bot,
        engine: Engine,
        i18n: I18n,
        relay: StaffRelay,
    ) -> None:
        answer = await engine.canned_answer(customer_id, (command.args or "").strip().lower())
        if answer is None:
            topics = ", ".join(engine.faq.topics())
            await message.reply(
                i18n[relay.staff_lang]._("No such answer. Available: {topics}", topics=topics)
            )
            return
        text, _lang = answer
        await send_text(bot, customer_id, text)
        await engine.record_staff_message(customer_id, text)
        await message.reply(i18n[relay.staff_lang]._("Sent to the customer."))

    @in_topics.message()
    async def relay_to_customer(message: Message, customer_id: int, relay: StaffRelay) -> None:
        await relay.to_customer(message, customer_id)

    @in_topics.edited_message()
    async def edit_to_customer(message: Message, customer_id: int, relay: StaffRelay) -> None:
        await relay.edit_from_staff(message, customer_id)

    @others.message()
    async def ignore(message: Message) -> None:
        pass

    @others.edited_message()
    async def ignore_edit(message: Message) -> None:
        pass

    return router
