"""Untrusted text in: bounded, without control or invisible characters, never markup."""

from __future__ import annotations

import re
import unicodedata

#: Longer messages are cut before matching; the stored copy keeps a little more for staff.
MAX_UNDERSTOOD = 1000
MAX_STORED = 4000
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def clean(text: str | None) -> str:
    if not text:
        return ""
    text = _INVISIBLE.sub("", text)
    # Control characters (C0/C1, except newlines and tabs, which become spaces) carry no meaning here.
    text = "".join(
        " " if ch in "\t\r\n" else ch for ch in text if ch in "\t\r\n" or unicodedata.category(ch) != "Cc"
    )
    return re.sub(r"\s+", " ", text).strip()[:MAX_STORED]


def has_words(text: str) -> bool:
    """Letters or digits of any script: something to understand (emoji alone are not)."""
    return any(ch.isalnum() for ch in text)


def command_name(text: str) -> str:
    """`/start@kefu_bot payload` -> `/start`."""
    return text.partition(" ")[0].split("@", 1)[0].lower()
