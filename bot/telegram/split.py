"""Telegram's 4,096-character limit counts UTF-16 code units (an emoji is 2): split long answers safely."""

from __future__ import annotations

#: Telegram's limit for one message's text after entity parsing.
MAX_UNITS = 4096


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = MAX_UNITS) -> list[str]:
    """Parts of at most `limit` UTF-16 units, cut at line breaks, then spaces, never inside a surrogate pair.

    kefu sends plain text (no parse_mode), so no cut can break markup.
    """
    if utf16_len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > cut // 2:
                cut = at + len(separator)
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        parts.append(rest)
    return [p for p in parts if p]


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in code points) within `limit` UTF-16 units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)
