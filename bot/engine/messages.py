"""What goes into the conversation engine and what comes out: no Telegram types here."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.i18n import Lang


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a user did: a text, a shared contact, or a button press (`callback`)."""

    user_id: int
    text: str = ""
    #: The client's language_code as Telegram sends it (`zh-hans`, `ru`, ...).
    lang_code: str | None = None
    #: A shared contact: its phone and whose contact it is (Telegram's contact.user_id; None when the
    #: card names no account, which never verifies a phone).
    contact_phone: str | None = None
    contact_user_id: int | None = None
    #: Callback data of an inline button (ids only, under 64 bytes).
    callback: str | None = None
    telegram_message_id: int | None = None
    #: The channel's id of this event (Telegram's update_id): a turn with an id already handled is a
    #: repeat and changes nothing (see `Engine.handle_once`).
    update_id: int | None = None


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    #: What pressing it sends back as `Incoming.callback`: short ids only ("p:123", "o:KF250117003").
    data: str


@dataclass(slots=True)
class Outgoing:
    """A message for another user than the sender (a customer told its order shipped)."""

    user_id: int
    text: str
    lang: Lang


@dataclass(slots=True)
class Reply:
    texts: list[str]
    intent: str
    lang: Lang
    handoff: bool
    buttons: list[Button] = field(default_factory=list)
    #: Offer Telegram's "share my phone number" button.
    request_contact: bool = False
    #: Messages for other users, sent by the front-end.
    notifications: list[Outgoing] = field(default_factory=list)
    #: True on the turn that handed the chat to people (the staff layer opens a topic).
    handoff_started: bool = False
    #: People hold the chat and this message is for them: the front-end relays it and says nothing.
    to_staff: bool = False

    @property
    def text(self) -> str:
        return "\n".join(t for t in self.texts if t)
