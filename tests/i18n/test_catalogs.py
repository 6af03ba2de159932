"""The gettext catalogs are complete, current and well-formed in both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT
from bot.engine.i18n import LANGS, I18n
from bot.engine.language import from_language_code

LOCALES = PROJECT_ROOT / "locales"
KEYWORDS = {"_": None, "n_": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def source_ids() -> set[object]:
    ids: set[object] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT / "bot"), keywords=KEYWORDS, comment_tags=()
    ):
        ids.add(message if isinstance(message, str) else tuple(message))
    return ids


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_template_is_current() -> None:
    with (LOCALES / "messages.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    missing = source_ids() - template
    assert not missing, f"run pybabel extract (README, 'Translations'): not in messages.pot: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_translated_and_not_fuzzy(lang: str) -> None:
    po = catalog(lang)
    problems = []
    for message in source_ids():
        entry = po.get(message)
        if entry is None:
            problems.append(f"missing: {message!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"untranslated: {message!r}")
        if entry.fuzzy:
            problems.append(f"fuzzy: {message!r}")
        wanted = set(PLACEHOLDER.findall(message if isinstance(message, str) else message[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - wanted - {"n"}:
                problems.append(f"unknown placeholder in {lang} for {message!r}: {string!r}")
            if wanted - set(PLACEHOLDER.findall(string)) - {"n"}:
                problems.append(f"lost placeholder in {lang} for {message!r}: {string!r}")
    assert not problems, "\n".join(problems)


def test_russian_has_three_plural_forms_and_chinese_one(tmp_path: Path) -> None:
    i18n = I18n(LOCALES)
    ru, zh = i18n["ru"], i18n["zh"]
    assert [ru.n_("only {n} left", "only {n} left", n) for n in (1, 2, 5, 11, 21, 22, 25)] == [
        "осталась 1 штука",
        "осталось 2 штуки",
        "осталось 5 штук",
        "осталось 11 штук",
        "осталась 21 штука",
        "осталось 22 штуки",
        "осталось 25 штук",
    ]
    assert zh.n_("only {n} left", "only {n} left", 5) == "仅剩 5 件"
    # One order is not "Ваш последний 1 заказ": the singular form says it in its own words.
    assert ru.n_("You have {n} order:", "Your {n} most recent orders:", 1) == "Ваш последний заказ:"
    assert ru.n_("You have {n} order:", "Your {n} most recent orders:", 3) == "Ваши последние 3 заказа:"


def test_prices_and_dates_in_each_locale() -> None:
    i18n = I18n(LOCALES, "Asia/Shanghai")
    # As each language writes a price: never Babel's "CN¥" in Russian, no grouping in a Chinese shop.
    assert i18n["zh"].price(Decimal("1289.90")) == "¥1289.90"
    assert i18n["zh"].price(Decimal("68")) == "¥68.00"
    assert i18n["ru"].price(Decimal("1289.90")) == "1\u00a0289,90\u00a0¥"
    assert i18n["ru"].price(Decimal("12.90")) == "12,90\u00a0¥"
    assert i18n["ru"].price(Decimal("68.00")) == "68\u00a0¥"
    this_year = datetime.now(UTC).year
    moment = datetime(this_year, 6, 17, 2, 30, tzinfo=UTC)  # 10:30 in the shop's time zone
    assert i18n["zh"].format_datetime(moment) == "6月17日 10:30"
    assert i18n["ru"].format_datetime(moment) == "17 июн. 10:30"
    assert i18n["ru"].format_date(moment) == "17 июн."
    assert i18n["zh"].format_date(moment) == "6月17日"
    # Another year than this one is written out: an old order's history must not read as this year's.
    earlier = datetime(this_year - 1, 1, 17, 2, 30, tzinfo=UTC)
    assert i18n["zh"].format_datetime(earlier) == f"{this_year - 1}年1月17日 10:30"
    assert i18n["ru"].format_datetime(earlier) == f"17.01.{this_year - 1} 10:30"
    assert i18n["ru"].format_date(earlier) == f"17.01.{this_year - 1}"
    assert i18n["zh"].format_date(earlier) == f"{this_year - 1}年1月17日"


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("zh-hans", "zh"),
        ("zh-hant", "zh"),
        ("zh-CN", "zh"),
        ("zh-TW", "zh"),
        ("zh-HK", "zh"),
        ("zh_Hans", "zh"),
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("uk", None),
        ("en", None),
        ("", None),
        (None, None),
    ],
)
def test_telegram_language_codes(code: str | None, lang: str | None) -> None:
    assert from_language_code(code) == lang
