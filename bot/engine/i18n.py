"""Every sentence the bot says comes from the gettext catalogs in locales/ (Babel), per language.

Code marks texts with `tr._("...")`, `tr.n_("...", "...", n)` (plurals) and `N_("...")` (a text kept in a
constant and translated later); `pybabel extract` finds all three (see setup.cfg / README).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from bot.storage.types import Lang as Lang  # the storage layer's, re-exported for the engine

LANGS: tuple[Lang, ...] = ("zh", "ru")
DOMAIN = "messages"
BABEL_LOCALES: dict[Lang, str] = {"zh": "zh_Hans_CN", "ru": "ru_RU"}


def zh_or_ru(value: object) -> Lang:
    """A stored or sent language as one of ours: Russian when it says so, else Chinese (the default)."""
    return "ru" if value == "ru" else "zh"


def N_(message: str) -> str:
    """Marks a text for extraction where it is defined; it is translated where it is used."""
    return message


def compile_catalogs(locales_dir: Path, *, force: bool = False) -> list[Path]:
    """Compile each .po into its .mo when the .mo is missing or older (the install does this too)."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        tmp.replace(mo_path)  # atomic: a running bot never reads half a file
        written.append(mo_path)
    return written


@dataclass(frozen=True, slots=True)
class Translator:
    """The texts and formats of one language."""

    lang: Lang
    translations: NullTranslations
    timezone: ZoneInfo

    def _(self, message: str, **values: object) -> str:
        text = self.translations.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self.translations.ngettext(singular, plural, n).format(n=n, **values)

    def price(self, amount: Decimal) -> str:
        """A price as the shop's language writes it: ¥12.90 in Chinese; 12,90 ¥ and 68 ¥ in Russian.

        Babel's Russian symbol for the yuan is "CN¥", which no Russian reader writes.
        """
        if self.lang == "zh":
            return f"¥{amount:.2f}"  # as Chinese shops print prices: two decimals, no grouping
        whole = amount == amount.to_integral_value()
        number = format_decimal(amount, format="#,##0" if whole else "#,##0.00", locale=BABEL_LOCALES["ru"])
        return f"{number}\u00a0¥"

    def format_datetime(self, moment: datetime) -> str:
        """A date and time in the shop's time zone, the way the user's locale writes it."""
        local = moment.astimezone(self.timezone)
        return f"{self.format_date(moment)} {format_skeleton('Hm', local, locale=BABEL_LOCALES[self.lang])}"

    def format_date(self, moment: datetime) -> str:
        """The year only when it is not this one: "30 нояб." / "11月30日" this year, "30.11.2024" /
        "2024年11月30日" another (an old order must not read as this year's)."""
        local = moment.astimezone(self.timezone)
        if local.year == datetime.now(self.timezone).year:
            skeleton = "MMMd"
        else:
            skeleton = "yMd" if self.lang == "ru" else "yMMMd"
        return format_skeleton(skeleton, local, locale=BABEL_LOCALES[self.lang])


class I18n:
    """Loads the catalogs once per process."""

    def __init__(self, locales_dir: Path, timezone: str = "Asia/Shanghai") -> None:
        compile_catalogs(locales_dir)
        zone = ZoneInfo(timezone)
        self._translators = {
            lang: Translator(lang, Translations.load(str(locales_dir), [lang], DOMAIN), zone)
            for lang in LANGS
        }

    def __getitem__(self, lang: Lang) -> Translator:
        return self._translators[lang]
