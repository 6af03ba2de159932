"""What a Telegram message carries: something a person wrote or sent, or a service message.

Service messages (pins, auto-delete timer changes, topic events, members joining...) cannot be copied
and say nothing to answer, so the routers ignore them. The test is a whitelist of what people send:
Telegram keeps adding service kinds, and a new one must be ignored rather than fail a copy.
"""

from __future__ import annotations

import unicodedata

from aiogram.enums import ContentType
from aiogram.types import Message

#: Kinds of message a person writes or sends, which copyMessage accepts.
PERSON_CONTENT = frozenset(
    {
        ContentType.TEXT,
        ContentType.ANIMATION,
        ContentType.AUDIO,
        ContentType.DOCUMENT,
        ContentType.PHOTO,
        ContentType.STICKER,
        ContentType.STORY,
        ContentType.VIDEO,
        ContentType.VIDEO_NOTE,
        ContentType.VOICE,
        ContentType.CONTACT,
        ContentType.DICE,
        ContentType.POLL,
        ContentType.VENUE,
        ContentType.LOCATION,
        ContentType.CHECKLIST,
    }
)


def is_service(message: Message) -> bool:
    return message.content_type not in PERSON_CONTENT


#: Unicode categories dropped from names staff see: format characters (bidi overrides and isolates,
#: zero-width spaces and joiners, BOM), surrogates, private use and unassigned code points...
_DROPPED = frozenset({"Cf", "Cs", "Co", "Cn"})
#: ...and the ones that break a line or separate words (C0 and C1 controls, line/paragraph separators),
#: which become a space.
_SEPARATING = frozenset({"Cc", "Zl", "Zp"})


def visible_text(text: str) -> str:
    """`text` without control, bidi and zero-width characters, its whitespace runs made one space.

    A name with U+202E (right-to-left override) would reverse the rest of a topic title or card line,
    and zero-width characters make two names look alike."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _SEPARATING:
            out.append(" ")
        elif category not in _DROPPED:
            out.append(ch)
    return " ".join("".join(out).split())


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip_utf16(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` UTF-16 units (Telegram counts lengths that way)."""
    if utf16_len(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out).rstrip()
