"""The one translation between Telegram and the engine, shared by the aiogram bot and the
python-telegram-bot adapter (bot/telegram/ptb.py): an `Incoming` from what a user sent or pressed, and
what goes under a `Reply`.

Neither library is imported here. The functions read the fields both libraries' types carry under the
same names (a message's author, text, caption and contact; a callback's author and data), and the
keyboard comes out as a plain `Keyboard` that each side puts into its own types in a few lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from bot.engine.i18n import I18n, Translator
from bot.engine.messages import Button, Incoming, Reply

#: Telegram's limit on a button's callback data, in bytes (a Chinese character is 3).
MAX_CALLBACK_BYTES = 64
#: Button labels are clipped to this many characters.
MAX_LABEL = 64


class Author(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def language_code(self) -> str | None: ...


class SharedContact(Protocol):
    @property
    def phone_number(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...


class SentMessage(Protocol):
    @property
    def message_id(self) -> int: ...
    @property
    def from_user(self) -> Author | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def caption(self) -> str | None: ...
    @property
    def contact(self) -> SharedContact | None: ...


def from_message(
    message: SentMessage, *, update_id: int | None = None, logged_id: bool = True
) -> Incoming | None:
    """A shared contact, or a text (a media's caption is read as its text; media without one gets a
    polite word from the engine). None when no user wrote it. `logged_id`: record the message's id with
    the turn (not for an edit, which answers a corrected question of a message already recorded)."""
    user = message.from_user
    if user is None:
        return None
    message_id = message.message_id if logged_id else None
    contact = message.contact
    if contact is not None:
        return Incoming(
            user.id,
            lang_code=user.language_code,
            contact_phone=contact.phone_number,
            # Telegram's contact button shares the sender's own card; a forwarded card has another id
            # or none (the engine then asks for the button).
            contact_user_id=contact.user_id,
            telegram_message_id=message_id,
            update_id=update_id,
        )
    return Incoming(
        user.id,
        message.text or message.caption or "",
        user.language_code,
        telegram_message_id=message_id,
        update_id=update_id,
    )


def from_button(user: Author, data: str, *, update_id: int | None = None) -> Incoming:
    """An inline button pressed: its callback data goes to the engine as it is."""
    return Incoming(user.id, lang_code=user.language_code, callback=data, update_id=update_id)


@dataclass(frozen=True, slots=True)
class Keyboard:
    """What goes under a reply: inline buttons, one a row, as (label, callback data); or, instead, a
    one-time keyboard whose only key shares the user's own phone number (`contact_label`)."""

    buttons: tuple[tuple[str, str], ...] = ()
    contact_label: str | None = None


def keyboard(buttons: Iterable[Button], request_contact: bool, tr: Translator) -> Keyboard | None:
    """Ids in callback data, never text: a button whose data would not fit is left out."""
    if request_contact:
        # request_contact shares the sender's own number; the engine still checks contact.user_id.
        return Keyboard(contact_label=tr._("📱 Share my phone number"))
    rows = tuple(
        (b.text[:MAX_LABEL], b.data) for b in buttons if b.data and len(b.data.encode()) <= MAX_CALLBACK_BYTES
    )
    return Keyboard(buttons=rows) if rows else None


def reply_keyboard(reply: Reply, i18n: I18n) -> Keyboard | None:
    return keyboard(reply.buttons, reply.request_contact, i18n[reply.lang])
