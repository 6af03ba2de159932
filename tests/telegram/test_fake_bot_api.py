"""The fake Bot API server, driven by the real aiogram and python-telegram-bot HTTP clients: the methods
kefu calls, the limits it can hit, the faults tests inject, and the updates the builders make."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import telegram
import telegram.error
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    KeyboardButton,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler

from tests.support.fake_bot_api import FakeBotAPI, utf16_len

STAFF = -1001234567890
USER = 424242


@pytest_asyncio.fixture
async def bot(fake_api: FakeBotAPI) -> AsyncIterator[Bot]:
    """The real aiogram Bot; its AiohttpSession speaks HTTP to the fake."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_api.url))
    bot = Bot(fake_api.token, session=session)
    yield bot
    await bot.session.close()


async def raw_call(fake: FakeBotAPI, method: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A call aiogram's models would refuse to build (e.g. a button without text), as JSON."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/bot{fake.token}/{method}", json=payload) as response,
    ):
        return response.status, await response.json()


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=f"b{i}", callback_data=d)] for i, d in enumerate(data)]
    )


# -- basics --------------------------------------------------------------------------------------------------


async def test_get_me(bot: Bot, fake_api: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "kefu_test_bot" and me.can_join_groups is True
    assert me.id == bot.id == fake_api.bot_id
    assert fake_api.calls[0] == ("getMe", {})


async def test_send_message_returns_a_message_and_is_recorded(bot: Bot, fake_api: FakeBotAPI) -> None:
    bold = MessageEntity(type="bold", offset=0, length=2)
    first = await bot.send_message(USER, "你好 & hi 😀", entities=[bold], reply_markup=keyboard("a:1"))
    second = await bot.send_message(USER, "again")
    assert first.text == "你好 & hi 😀"
    assert [(e.type, e.offset, e.length) for e in first.entities or []] == [("bold", 0, 2)]
    assert first.chat.type == "private" and first.from_user is not None and first.from_user.id == bot.id
    assert first.reply_markup is not None and first.reply_markup.inline_keyboard[0][0].callback_data == "a:1"
    assert second.message_id == first.message_id + 1
    sent = fake_api.sent_messages(chat_id=USER)
    assert [p["text"] for p in sent] == ["你好 & hi 😀", "again"]
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a:1"  # JSON decoded
    assert fake_api.calls_of("SendMessage") == sent  # method names are case-insensitive


async def test_reply_parameters_give_reply_to_message(bot: Bot, fake_api: FakeBotAPI) -> None:
    fake_api.push_update(fake_api.private_message(USER, "where is my order?"))
    question = fake_api.history(USER)[-1]
    answer = await bot.send_message(
        USER, "on its way", reply_parameters=ReplyParameters(message_id=question["message_id"])
    )
    assert answer.reply_to_message is not None and answer.reply_to_message.text == "where is my order?"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER, "x", reply_parameters=ReplyParameters(message_id=9999))


async def test_methods_kefu_does_not_call_answer_404_and_are_recorded(fake_api: FakeBotAPI) -> None:
    status, body = await raw_call(fake_api, "sendDice", {"chat_id": USER})
    assert status == 404 and body["description"] == "Not Found: the fake Bot API does not model sendDice"
    assert fake_api.calls_of("senddice") == [{"chat_id": USER}]


# -- forum topics --------------------------------------------------------------------------------------------


async def test_forum_topics(bot: Bot, fake_api: FakeBotAPI) -> None:
    one = await bot.create_forum_topic(STAFF, "Иван · #1")
    two = await bot.create_forum_topic(STAFF, "王芳 · #2", icon_color=0xFF93B2)
    assert two.message_thread_id > one.message_thread_id > 1  # 1 is General
    assert (two.name, two.icon_color) == ("王芳 · #2", 0xFF93B2)
    message = await bot.send_message(STAFF, "new customer", message_thread_id=one.message_thread_id)
    assert message.is_topic_message and message.message_thread_id == one.message_thread_id
    assert message.chat.is_forum and message.chat.type == "supergroup"
    # as in Telegram, a message in a topic replies to the topic's forum_topic_created service message
    assert message.reply_to_message is not None and message.reply_to_message.forum_topic_created is not None
    assert len(fake_api.sent_messages(STAFF, thread_id=one.message_thread_id)) == 1
    fake_api.forum_topic_edited(STAFF, one.message_thread_id, "Иван · #1 ✅")
    fake_api.forum_topic_closed(STAFF, one.message_thread_id)
    assert fake_api.topic(STAFF, one.message_thread_id) == {
        "message_thread_id": one.message_thread_id,
        "name": "Иван · #1 ✅",
        "icon_color": 0x6FB9F0,
        "closed": True,
        "deleted": False,
    }
    with pytest.raises(TelegramBadRequest, match="TOPIC_TITLE_INVALID"):
        await bot.create_forum_topic(STAFF, "名" * 129)
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(USER, "nope")


async def test_deleted_or_unknown_topic_is_message_thread_not_found(bot: Bot, fake_api: FakeBotAPI) -> None:
    topic = await bot.create_forum_topic(STAFF, "customer")
    await bot.send_message(STAFF, "ok", message_thread_id=topic.message_thread_id)
    fake_api.delete_topic(STAFF, topic.message_thread_id)  # a staff member deleted it in the app
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(STAFF, "lost", message_thread_id=topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(STAFF, "never existed", message_thread_id=99_999)
    question = fake_api.private_message(USER, "在吗")["message"]
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(STAFF, USER, question["message_id"], message_thread_id=topic.message_thread_id)
    assert fake_api.history(STAFF, topic.message_thread_id) == []  # its messages went with it


# -- limits --------------------------------------------------------------------------------------------------


async def test_text_limit_counts_utf16_units(bot: Bot) -> None:
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "价" * 4096)  # BMP characters count 1
    await bot.send_message(USER, "😀" * 2048)  # astral characters count 2
    for text in ("a" * 4097, "😀" * 2049, "a" * 4095 + "😀"):
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(USER, text)


async def test_empty_text_and_any_parse_mode_are_refused(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, " ")
    for mode in ("HTML", "MarkdownV2"):  # kefu sends plain text; markup asked for is a bug to surface
        with pytest.raises(
            TelegramBadRequest, match="can't parse entities: the fake Bot API parses no markup"
        ):
            await bot.send_message(USER, "Thanks.", parse_mode=mode)
    contact = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="📱", request_contact=True)]])
    sent = await bot.send_message(USER, "share?", reply_markup=contact)
    assert sent.reply_markup is None  # a reply keyboard is not part of the Message, as in Telegram


async def test_callback_data_limit_is_64_utf8_bytes(bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("a" * 64, "价" * 21 + "a"))
    for data in ("a" * 65, "价" * 22):
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(USER, "too long", reply_markup=keyboard(data))


async def test_inline_button_without_text_or_action(fake_api: FakeBotAPI) -> None:
    no_text = {"inline_keyboard": [[{"callback_data": "x"}]]}
    status, body = await raw_call(
        fake_api, "sendMessage", {"chat_id": USER, "text": "t", "reply_markup": no_text}
    )
    assert status == 400 and body["description"] == (
        "Bad Request: can't parse inline keyboard button: Can't find field \"text\""
    )
    text_only = {"inline_keyboard": [[{"text": "x"}]]}
    status, body = await raw_call(
        fake_api, "sendMessage", {"chat_id": USER, "text": "t", "reply_markup": text_only}
    )
    assert status == 400 and "Text buttons are unallowed in the inline keyboard" in body["description"]


def test_utf16_len() -> None:
    assert utf16_len("a😀价") == 4


# -- scripted failures ---------------------------------------------------------------------------------------


async def test_scripted_429_reaches_aiogram_as_retry_after(bot: Bot, fake_api: FakeBotAPI) -> None:
    fake_api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "first try")
    assert caught.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in caught.value.message
    await bot.send_message(USER, "second try")  # consumed once
    assert [c.status for c in fake_api.find_calls("sendMessage")] == [429, 200]
    assert [p["text"] for p in fake_api.sent_messages()] == ["second try"]


async def test_scripted_500_and_400(bot: Bot, fake_api: FakeBotAPI) -> None:
    fake_api.fail_next("sendmessage", status=500, times=2)
    fake_api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(USER, "x")
    await bot.send_message(USER, "x")


async def test_delay_makes_the_client_time_out_but_the_message_is_still_sent(
    bot: Bot, fake_api: FakeBotAPI
) -> None:
    fake_api.delay_next("sendMessage", 1.5)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "slow", request_timeout=1)
    await fake_api.wait_for("sendMessage", ok=True)
    assert fake_api.sent_messages(USER)[0]["text"] == "slow"  # Telegram may deliver a timed-out request


async def test_rate_limit_window(bot: Bot, fake_api: FakeBotAPI) -> None:
    fake_api.limit_rate(2, 60, per_chat=True)
    await bot.send_message(STAFF, "1")
    await bot.send_message(STAFF, "2")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(STAFF, "3")
    assert 1 <= caught.value.retry_after <= 60
    await bot.send_message(USER, "other chats are not limited")


async def test_blocked_user_is_forbidden(bot: Bot, fake_api: FakeBotAPI) -> None:
    update = fake_api.block(USER)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    fake_api.unblock(USER)
    await bot.send_message(USER, "welcome back")


# -- updates -------------------------------------------------------------------------------------------------


async def test_get_updates_serves_pushed_updates_and_offset_confirms(bot: Bot, fake_api: FakeBotAPI) -> None:
    pushed = [fake_api.push_update(fake_api.private_message(USER, f"m{i}")) for i in range(3)]
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [u["update_id"] for u in pushed]
    assert [u.message.text for u in updates if u.message] == ["m0", "m1", "m2"]
    assert len(await bot.get_updates(limit=2)) == 2  # still there: not confirmed yet
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == []
    assert fake_api.pending_updates == []


async def test_long_polling_caps_the_wait(bot: Bot, fake_api: FakeBotAPI) -> None:
    # A 30-second poll comes back empty long before: the generous bound is a hang guard, not a margin.
    assert await asyncio.wait_for(bot.get_updates(timeout=30), 20) == []
    [poll] = fake_api.find_calls("getUpdates")
    assert poll.ok and poll.result == []


async def test_long_polling_waits_for_a_push() -> None:
    async with FakeBotAPI(long_poll_cap=60) as fake:  # no cap in the way: only the push ends the poll
        session = AiohttpSession(api=TelegramAPIServer.from_base(fake.url))
        bot = Bot(fake.token, session=session)
        try:
            poll = asyncio.create_task(bot.get_updates(timeout=30))
            await fake.wait_in_flight("getUpdates", timeout=30)
            assert not poll.done()  # waiting, with nothing to give
            fake.push_update({"message": fake.private_message(USER, "late")["message"]})
            updates = await asyncio.wait_for(poll, 20)
            assert updates[0].message is not None and updates[0].message.text == "late"
        finally:
            await bot.session.close()


async def test_second_poller_conflicts_and_webhook_blocks_get_updates(bot: Bot, fake_api: FakeBotAPI) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await fake_api.wait_in_flight("getUpdates", timeout=30)  # the first poll waits at the fake
    second = asyncio.create_task(bot.get_updates(timeout=30))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    assert await second == []
    assert await bot.set_webhook("https://kefu.example/tg", secret_token="s3cret_-")
    assert fake_api.webhook == {"url": "https://kefu.example/tg", "secret_token": "s3cret_-"}
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("https://kefu.example/tg", secret_token="s3cret!")
    assert await bot.delete_webhook()
    assert fake_api.webhook["url"] == ""


async def test_builders_parse_as_aiogram_and_ptb_updates(fake_api: FakeBotAPI) -> None:
    ptb = fake_api.ptb_bot()
    topic_root = fake_api.forum_topic_created(STAFF, "customer 7")
    thread = topic_root["message"]["message_thread_id"]
    general = fake_api.group_message(STAFF, 77, "hello all")
    updates = [
        fake_api.private_message(USER, "/start ref_42", language_code="zh-hans", username="wang"),
        fake_api.contact_message(USER, "79001234567"),
        fake_api.callback_query(USER, "order:1"),
        fake_api.edited_message(USER, 1, "/start edited"),
        topic_root,
        fake_api.group_message(STAFF, 77, "in topic", thread_id=thread),
        general,
        fake_api.group_message(STAFF, 78, "reply in General", reply_to=general["message"]["message_id"]),
        fake_api.sticker_message(USER),
        fake_api.photo_message(USER, caption="look"),
        fake_api.voice_message(USER),
        fake_api.document_message(USER, "invoice.xlsx"),
        fake_api.block(USER),
    ]
    for raw in updates:
        assert Update.model_validate(raw).event_type != "unknown", raw
        assert telegram.Update.de_json(raw, ptb).effective_user is not None or "message" in raw
    start = Update.model_validate(updates[0]).message
    assert start is not None and start.from_user is not None and start.from_user.language_code == "zh-hans"
    assert start.entities is not None and start.entities[0].type == "bot_command"
    in_topic = Update.model_validate(updates[5]).message
    assert in_topic is not None and in_topic.is_topic_message and in_topic.message_thread_id == thread
    quirk = Update.model_validate(updates[7]).message
    assert quirk is not None and quirk.is_topic_message is None  # General: the thread id misleads
    assert quirk.message_thread_id == general["message"]["message_id"]


# -- callbacks, edits, copies, media -------------------------------------------------------------------------


async def test_callback_query_is_answered_once(bot: Bot, fake_api: FakeBotAPI) -> None:
    message = await bot.send_message(USER, "pick", reply_markup=keyboard("pick:1"))
    update = fake_api.callback_query(USER, "pick:1")  # on the latest message with a keyboard
    query = update["callback_query"]
    assert query["message"]["message_id"] == message.message_id
    assert await bot.answer_callback_query(query["id"], text="done")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])


async def test_edits(bot: Bot, fake_api: FakeBotAPI) -> None:
    sent = await bot.send_message(USER, "v1", reply_markup=keyboard("k"))
    edited = await bot.edit_message_text(
        text="v2", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("k")
    )
    assert isinstance(edited, Message) and edited.text == "v2" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="v2", chat_id=USER, message_id=sent.message_id, reply_markup=keyboard("k")
        )
    await bot.edit_message_text(text="v3", chat_id=USER, message_id=sent.message_id)
    assert "reply_markup" not in (fake_api.message(USER, sent.message_id) or {})
    fake_api.private_message(USER, "user text")
    user_message = fake_api.history(USER)[-1]["message_id"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text(text="x", chat_id=USER, message_id=user_message)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="v3", chat_id=USER, message_id=9999)


async def test_media_and_caption_edits_and_service_messages(bot: Bot, fake_api: FakeBotAPI) -> None:
    photo = fake_api.photo_message(USER, caption="v1")["message"]
    copied = await bot.copy_message(USER, USER, photo["message_id"])
    replaced = await bot.edit_message_media(
        media=InputMediaDocument(media=photo["photo"][-1]["file_id"], caption="v2"),
        chat_id=USER,
        message_id=copied.message_id,
    )
    assert isinstance(replaced, Message) and replaced.document is not None and replaced.photo is None
    assert replaced.caption == "v2"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_caption(chat_id=USER, message_id=copied.message_id, caption="v2")
    text = await bot.send_message(USER, "text")
    with pytest.raises(TelegramBadRequest, match="there is no media in the message to edit"):
        await bot.edit_message_media(
            media=InputMediaDocument(media=photo["photo"][-1]["file_id"]),
            chat_id=USER,
            message_id=text.message_id,
        )
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.edit_message_media(
            media=InputMediaDocument(media="not-a-file-we-issued"), chat_id=USER, message_id=copied.message_id
        )
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.edit_message_caption(chat_id=USER, message_id=copied.message_id, caption="c" * 1025)
    edited = fake_api.edited_media(USER, photo["message_id"], caption="new", kind="video")["edited_message"]
    assert edited["caption"] == "new" and "video" in edited and "photo" not in edited
    pin = fake_api.pinned_message(USER, photo["message_id"], user_id=USER)["message"]
    assert pin["pinned_message"]["message_id"] == photo["message_id"]
    with pytest.raises(TelegramBadRequest, match="message can't be copied"):
        await bot.copy_message(USER, USER, pin["message_id"])


async def test_copy(bot: Bot, fake_api: FakeBotAPI) -> None:
    topic = await bot.create_forum_topic(STAFF, "customer")
    question = fake_api.private_message(USER, "是正品吗？")["message"]
    copied = await bot.copy_message(
        STAFF, USER, question["message_id"], message_thread_id=topic.message_thread_id
    )
    assert fake_api.message(STAFF, copied.message_id)["text"] == "是正品吗？"  # type: ignore[index]
    assert (
        fake_api.sent_messages(STAFF, thread_id=topic.message_thread_id)[0]["message_id"]
        == question["message_id"]
    )
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(STAFF, USER, 9999)


async def test_commands_per_scope_and_language(bot: Bot, fake_api: FakeBotAPI) -> None:
    zh = [
        BotCommand(command="start", description="开始"),
        BotCommand(command="order", description="我的订单"),
    ]
    assert await bot.set_my_commands(zh, language_code="zh")
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert await bot.set_my_commands(
        [BotCommand(command="close", description="Close")], scope=BotCommandScopeChat(chat_id=STAFF)
    )
    with pytest.raises(TelegramBadRequest, match="invalid language code"):
        await bot.set_my_commands(zh, language_code="zh-hans")
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])
    assert [c["command"] for c in fake_api.commands(language_code="zh") or []] == ["start", "order"]
    assert [c["command"] for c in fake_api.commands() or []] == ["start"]
    assert fake_api.commands({"type": "chat", "chat_id": STAFF}) == [
        {"command": "close", "description": "Close"}
    ]
    assert fake_api.commands(language_code="ru") is None


# -- waiting, webhooks, dispatchers, PTB ----------------------------------------------------------------------


async def test_wait_for_resolves_without_sleeping(bot: Bot, fake_api: FakeBotAPI) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(STAFF, "late", message_thread_id=None)

    task = asyncio.create_task(later())
    (params,) = await fake_api.wait_for("sendMessage", predicate=lambda p: p["chat_id"] == STAFF)
    assert params["text"] == "late"
    await task
    with pytest.raises(AssertionError, match="timed out"):
        await fake_api.wait_for("copyMessage", timeout=0.2)


async def test_aiogram_dispatcher_long_polls_the_fake(bot: Bot, fake_api: FakeBotAPI) -> None:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    try:
        fake_api.push_update(fake_api.private_message(USER, "ping"))
        (sent,) = await fake_api.wait_for("sendMessage")
        assert sent == {"chat_id": USER, "text": "echo: ping"}
    finally:
        await dispatcher.stop_polling()
        await polling


async def test_post_webhook_to_an_aiogram_webhook_executes_the_reply(bot: Bot, fake_api: FakeBotAPI) -> None:
    router = Router()

    @router.message()
    async def pong(message: Message) -> Any:
        return message.answer("pong")  # returned, not awaited: aiogram sends it as the webhook reply

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    app = aiohttp.web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token="s3cret", handle_in_background=False).register(
        app, path="/tg"
    )
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
    try:
        assert await fake_api.post_webhook(url, fake_api.private_message(USER, "ping"), "wrong") == 401
        await bot.set_webhook(url, secret_token="s3cret")
        assert await fake_api.post_webhook(None, fake_api.private_message(USER, "ping")) == 200
        (reply,) = fake_api.find_calls("sendMessage")
        assert reply.via == "webhook-reply" and reply.params == {"chat_id": USER, "text": "pong"}
    finally:
        await runner.cleanup()


async def test_python_telegram_bot_client(fake_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22's opt-in: RetryAfter.retry_after as a timedelta
    ptb = telegram.Bot(fake_api.token, base_url=f"{fake_api.url}/bot")
    async with ptb:  # initialize() calls getMe
        assert ptb.username == "kefu_test_bot"
        message = await ptb.send_message(USER, "hi")
        assert message.text == "hi" and message.chat.id == USER
        with pytest.raises(telegram.error.BadRequest, match=r"(?i)message is too long"):
            await ptb.send_message(USER, "x" * 4097)
        fake_api.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(telegram.error.RetryAfter) as caught:
            await ptb.send_message(USER, "busy")
        assert caught.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
        topic = await ptb.create_forum_topic(STAFF, "ptb topic")
        assert topic.message_thread_id > 1
    assert [c.method for c in fake_api.calls] == [
        "getMe",
        "sendMessage",
        "sendMessage",
        "sendMessage",
        "createForumTopic",
    ]
