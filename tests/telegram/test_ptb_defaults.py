"""kefu's python-telegram-bot handlers inside a host Application whose Defaults ask for markup: replies
stay plain text, against the fake Bot API with PTB's real HTTP client."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults
from test_telegram_bot import ALICE, start

from bot.importing import import_file
from bot.storage.runtime import Database
from bot.telegram.ptb import add_kefu_handlers
from tests.support.fake_bot_api import FakeBotAPI

#: A product whose name looks like markup, with a lone "<" that an HTML parser refuses.
TAGGED = (
    "sku,name_ru,name_zh,aliases_ru,aliases_zh,brand,category_ru,category_zh,price_cny,stock,supplier_code,"
    "description_ru,description_zh\n"
    "GIFT-TAG-1,Набор <b>сердечко</b> <3,<b>心形</b>礼盒 <3,,心形礼盒,,,,88.00,5,SWEET,,\n"
)


async def test_host_defaults_with_a_parse_mode_do_not_turn_replies_into_markup(
    fake_api: FakeBotAPI, shop: Database, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(TAGGED, encoding="utf-8")
    async with shop.sessions.begin() as session:
        await import_file(session, "catalog", path)
    harness = await start(fake_api, shop)
    application = (
        Application.builder()
        .token(fake_api.token)
        .base_url(f"{fake_api.url}/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .build()
    )
    add_kefu_handlers(application, harness.app.engine, harness.app.i18n)
    try:
        async with application:
            for text in ("有心形礼盒吗", "<b>你好</b> <3"):
                update = Update.de_json(fake_api.private_message(ALICE, text), application.bot)
                await application.process_update(update)
    finally:
        await harness.bot.session.close()
    sends = fake_api.find_calls("sendMessage")
    assert sends and all(call.ok for call in sends)  # a lone "<" parsed as HTML would be refused
    assert all(not call.params.get("parse_mode") for call in sends)
    product, _greeting = (call.params for call in sends)
    assert "<b>心形</b>礼盒 <3" in product["text"] and not product.get("entities")


# PTB warns that it will read the timer as a timedelta one day: not ours to act on.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_service_messages_get_no_answer(fake_api: FakeBotAPI, shop: Database) -> None:
    harness = await start(fake_api, shop)
    application = Application.builder().token(fake_api.token).base_url(f"{fake_api.url}/bot").build()
    add_kefu_handlers(application, harness.app.engine, harness.app.i18n)
    first = fake_api.private_message(ALICE, "置顶这条")
    service = [
        fake_api.service_message(
            ALICE, ALICE, message_auto_delete_timer_changed={"message_auto_delete_time": 60}
        ),
        fake_api.pinned_message(ALICE, first["message"]["message_id"], user_id=ALICE),
    ]
    try:
        async with application:
            for update in service:
                await application.process_update(Update.de_json(update, application.bot))
    finally:
        await harness.bot.session.close()
    assert fake_api.sent_messages(chat_id=ALICE) == []
