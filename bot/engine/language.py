"""Which language to answer in: explicit switches, the message itself, memory, the client's setting."""

from __future__ import annotations

import re
import unicodedata

from bot.engine.i18n import LANGS, Lang
from bot.engine.text import command_name

_SWITCH_ZH = re.compile(
    r"(说|講|讲|用|要|换成?|切换到?)?\s*(中文|汉语|漢語|普通话|华语)(吧|好吗|可以吗)?[!！。.?？]*$"
)
_SWITCH_RU = re.compile(
    r"(?i)^(давай(те)?\s+)?(по[\s-]?русски|на\s+русском(\s+языке)?|русский(\s+язык)?|говори(те)?\s+по[\s-]?русски)"
    r"(,?\s*пожалуйста)?[!.?]*$"
)
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def from_language_code(code: str | None) -> Lang | None:
    """Telegram's language_code: `zh-hans`, `zh-hant`, `zh-CN`, `zh-TW`, `zh-HK` -> zh; `ru`, `ru-RU` -> ru.

    Anything else (uk, en, empty) says nothing about which of our two languages to use.
    """
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    if primary in {"zh", "yue", "wuu"}:
        return "zh"
    if primary == "ru":
        return "ru"
    return None


def lang_argument(argument: str) -> Lang | None:
    """The language `/lang zh` or `/lang ru` names (its first two letters: `/lang rus` too), else None.

    The one reading of that argument, for customers and for staff setting a customer's language.
    """
    wanted = argument.strip().lower()[:2]
    return next((lang for lang in LANGS if lang == wanted), None)


def lang_command(text: str) -> Lang | None:
    """`/lang ru` (or `/lang@kefu_bot ru`): the language asked for; None for any other text."""
    name, _, argument = text.partition(" ")
    return lang_argument(argument) if command_name(name) == "/lang" else None


def explicit_switch(text: str) -> Lang | None:
    """说中文 / по-русски and the like: the user asks for a language."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if _SWITCH_ZH.match(folded) and len(folded) <= 12:
        return "zh"
    if _SWITCH_RU.match(folded):
        return "ru"
    return None


def is_weak_signal(text: str) -> bool:
    """A one-word or emoji message: not enough to change a language already in use."""
    han = _HAN.findall(text)
    words = _WORD.findall(_HAN.sub(" ", text))
    if han:
        return len(han) <= 1 and not words
    return len(words) <= 1


def choose_language(detected: str | None, text: str, remembered: str | None, lang_code: str | None) -> Lang:
    if detected in ("zh", "ru") and (remembered is None or not is_weak_signal(text)):
        return detected  # type: ignore[return-value]
    if remembered in ("zh", "ru"):
        return remembered  # type: ignore[return-value]
    if detected in ("zh", "ru"):
        return detected  # type: ignore[return-value]
    return from_language_code(lang_code) or "zh"
