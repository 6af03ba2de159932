"""Text from outside (file names, spreadsheet cells, chat messages) made safe to show in a terminal.

A control character can drive the terminal (ESC starts colour, cursor and title sequences; CR rewrites
the line) and a bidi override can make a line read differently than it is, so each is shown as a
visible code (`\\x1b`, `\\u202e`) instead. Rich's markup (`[bold]`) and emoji codes (`:smile:`) are not
interpreted in `rich.text.Text`: untrusted text reaches rich only inside one.
"""

from __future__ import annotations

import re

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_KEEP_LINES = re.compile(f"[{_CONTROLS}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_CONTROLS}\n\t]")


def _code(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def plain(text: str, *, one_line: bool = False) -> str:
    """`text` with every control and bidi character shown as a code; tabs and newlines kept unless
    `one_line` (a file name, a cell)."""
    pattern = _UNSAFE_ONE_LINE if one_line else _UNSAFE_KEEP_LINES
    return pattern.sub(_code, text)
