from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.split import MAX_UNITS, split_message, utf16_len


def test_short_text_is_one_part() -> None:
    assert split_message("你好") == ["你好"]
    assert split_message("") == []


def test_emoji_count_two_units() -> None:
    text = "😀" * 2049  # 4,098 units although only 2,049 characters
    parts = split_message(text)
    assert len(parts) == 2 and all(utf16_len(p) <= MAX_UNITS for p in parts)
    assert "".join(parts) == text


def test_cuts_at_line_breaks() -> None:
    lines = [f"· строка {i} " + "ж" * 50 for i in range(200)]
    parts = split_message("\n".join(lines))
    assert len(parts) > 1
    assert all(utf16_len(p) <= MAX_UNITS for p in parts)
    assert all(p.startswith("· строка") for p in parts)


@given(st.text(min_size=0, max_size=12000))
def test_any_text_splits_within_the_limit_losing_only_whitespace(text: str) -> None:
    parts = split_message(text, limit=500)
    assert all(0 < utf16_len(p) <= 500 for p in parts)

    def visible(s: str) -> str:
        return "".join(ch for ch in s if not ch.isspace())

    assert visible("".join(parts)) == visible(text)
