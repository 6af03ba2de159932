"""bot/telegram/adapter.py: aiogram's and python-telegram-bot's types of one message give the same
`Incoming`, and one `Keyboard` becomes the same reply_markup in both libraries."""

from __future__ import annotations

from typing import Any

import pytest
import telegram
from aiogram import types

from bot.config import PROJECT_ROOT
from bot.engine.i18n import I18n
from bot.engine.messages import Button, Reply
from bot.telegram.adapter import Keyboard, from_button, from_message, keyboard, reply_keyboard
from bot.telegram.keyboards import reply_markup
from bot.telegram.ptb import reply_markup as ptb_markup

ALICE = {"id": 42, "is_bot": False, "first_name": "Alice", "language_code": "zh-hans"}
CHAT = {"id": 42, "type": "private"}


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n(PROJECT_ROOT / "locales")


def message(**content: Any) -> dict[str, Any]:
    return {"message_id": 7, "date": 1_700_000_000, "chat": CHAT, "from": ALICE, **content}


def both(raw: dict[str, Any]) -> tuple[types.Message, telegram.Message]:
    return types.Message.model_validate(raw), telegram.Message.de_json(raw, None)


CONTENTS = [
    {"text": "有爱莲巧吗"},
    {"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}], "caption": "盒子压坏了"},
    {"sticker": {"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1,
                 "is_animated": False, "is_video": False}},
    {"contact": {"phone_number": "8613800000001", "first_name": "Alice", "user_id": 42}},
    {"contact": {"phone_number": "+79001234567", "first_name": "Bob"}},
]  # fmt: skip


@pytest.mark.parametrize("content", CONTENTS, ids=["text", "caption", "sticker", "own contact", "card"])
def test_both_libraries_give_the_same_incoming(content: dict[str, Any]) -> None:
    aiogram_message, ptb_message = both(message(**content))
    incoming = from_message(aiogram_message, update_id=5)
    assert incoming is not None and incoming == from_message(ptb_message, update_id=5)
    assert (incoming.user_id, incoming.lang_code, incoming.telegram_message_id) == (42, "zh-hans", 7)
    if "contact" in content:
        assert incoming.contact_phone == content["contact"]["phone_number"] and incoming.text == ""
        assert incoming.contact_user_id == content["contact"].get("user_id")
    else:
        assert incoming.text == content.get("text", content.get("caption", ""))


def test_an_edit_is_not_logged_under_the_original_id_and_no_author_is_no_turn() -> None:
    aiogram_message, ptb_message = both(message(text="改一下"))
    assert from_message(aiogram_message, logged_id=False) == from_message(ptb_message, logged_id=False)
    assert from_message(aiogram_message, logged_id=False).telegram_message_id is None  # type: ignore[union-attr]
    raw = message(text="频道")
    del raw["from"]
    assert [from_message(m) for m in both(raw)] == [None, None]


def test_a_button_press() -> None:
    aiogram_user, ptb_user = types.User.model_validate(ALICE), telegram.User.de_json(ALICE, None)
    assert from_button(aiogram_user, "p:12", update_id=3) == from_button(ptb_user, "p:12", update_id=3)
    assert from_button(aiogram_user, "p:12").callback == "p:12"


def same_markup(shown: Keyboard | None) -> dict[str, Any] | None:
    aiogram_markup, ptb = reply_markup(shown), ptb_markup(shown)
    if aiogram_markup is None:
        assert ptb is None
        return None
    assert ptb is not None
    as_json = aiogram_markup.model_dump(mode="json", exclude_none=True)
    assert as_json == ptb.to_dict()
    return as_json


def test_inline_buttons_carry_ids_within_telegrams_limits(i18n: I18n) -> None:
    buttons = [
        Button("伏特加" * 30, "p:1"),
        Button("太长", "o:" + "订" * 30),
        Button("空", ""),
        Button("ok", "p:2"),
    ]
    shown = keyboard(buttons, False, i18n["zh"])
    assert shown == Keyboard(buttons=((("伏特加" * 30)[:64], "p:1"), ("ok", "p:2")))
    assert same_markup(shown) == {
        "inline_keyboard": [
            [{"text": ("伏特加" * 30)[:64], "callback_data": "p:1"}],
            [{"text": "ok", "callback_data": "p:2"}],
        ]
    }
    assert keyboard([Button("空", "")], False, i18n["zh"]) is None and same_markup(None) is None


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_the_contact_keyboard_is_in_the_replys_language(i18n: I18n, lang: str) -> None:
    reply = Reply(["?"], "greeting", lang, False, buttons=[Button("x", "p:1")], request_contact=True)  # type: ignore[arg-type]
    shown = reply_keyboard(reply, i18n)
    label = i18n[lang]._("📱 Share my phone number")  # type: ignore[index]
    assert shown == Keyboard(contact_label=label) and label != "📱 Share my phone number"
    markup = same_markup(shown)
    assert markup is not None and markup["keyboard"] == [[{"text": label, "request_contact": True}]]
    assert markup["one_time_keyboard"] and markup["resize_keyboard"]
