"""The one message catalogue: Kazakh, Russian and English, in gettext catalogues read with Babel.

Every string a person reads is written once, in English, as a message id (``_("Open incidents")``), and
translated in ``services/i18n/locales/<lang>/LC_MESSAGES/messages.po``. The language of the moment is a
context variable: the web process sets it per request (the user's choice, else the browser's, else
Russian), the worker and the CLI leave it at the default. Constants defined at import time are marked with
``N_`` and translated where they are shown, with ``_(constant)``.

Dates and times are always shown in Asia/Almaty; numbers and money follow the language (CLDR, through Babel).
"""

from __future__ import annotations

import contextvars
import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages import mofile, pofile
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT = "ru"
# The names a language switch shows: each in its own language, as switches do.
LANGUAGE_NAMES: dict[str, str] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
ALMATY = ZoneInfo("Asia/Almaty")
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("kuzet_language", default=DEFAULT)


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it now (module constants, enums' labels)."""
    return message


def language() -> str:
    """The language of the moment: kk, ru or en."""
    return _language.get()


def set_language(code: str | None) -> contextvars.Token[str]:
    """Make ``code`` (or the default, when unknown) the language of this context; returns the token to reset it."""
    return _language.set(code if code in LANGUAGES else DEFAULT)


def reset_language(token: contextvars.Token[str]) -> None:
    """Give the context back the language it had before ``set_language``."""
    _language.reset(token)


@contextmanager
def speaking(code: str | None) -> Iterator[str]:
    """Within the block, messages and formats are in ``code``."""
    token = set_language(code)
    try:
        yield language()
    finally:
        reset_language(token)


def negotiate(accept_language: list[tuple[str, float]] | list[str] | None) -> str | None:
    """The best of our languages for a browser's preferences (``Accept-Language`` parsed), or None."""
    if not accept_language:
        return None
    preferred = [item[0] if isinstance(item, tuple) else item for item in accept_language]
    found = Locale.negotiate(preferred, list(LANGUAGES), sep="-")
    return str(found.language) if found is not None else None


def localized(ru: str, kk: str, en: str) -> str:
    """Of a thing's names in the three languages (a department's, say), the one of the moment; Russian if it is empty."""
    chosen = {"ru": ru, "kk": kk, "en": en}[language()]
    return chosen or ru


def po_path(code: str) -> Path:
    """Where a language's catalogue is kept."""
    return LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=len(LANGUAGES))
def translations(code: str) -> Translations:
    """A language's compiled catalogue, read once per process from its .po (no separate build step)."""
    with po_path(code).open("rb") as source:
        catalogue = pofile.read_po(source, locale=code)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(message: str, **params: Any) -> str:
    """``message`` in the language of the moment, with ``%(name)s`` parameters filled in."""
    text = translations(language()).gettext(message)
    return text % params if params else text


_ = gettext


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """The form of a counted message that ``n`` takes in the language of the moment (``%(n)s`` is ``n``)."""
    return translations(language()).ngettext(singular, plural, n) % {"n": format_number(n), **params}


def pgettext(context: str, message: str, **params: Any) -> str:
    """``message`` in a context (one English word, two meanings: a unit's "status" and an incident's)."""
    text = translations(language()).pgettext(context, message)
    return text % params if params else text


@functools.lru_cache(maxsize=len(LANGUAGES))
def browser_catalogue(code: str) -> dict[str, str]:
    """The messages the browser's own scripts show (their source lies in ``assets/``), in language ``code``."""
    with po_path(code).open("rb") as source:
        catalogue = pofile.read_po(source, locale=code)
    return {str(m.id): str(m.string or m.id) for m in catalogue
            if m.id and isinstance(m.id, str) and any(path.startswith("assets/") for path, _line in m.locations)}


def _local(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ALMATY)


def format_datetime(moment: datetime | None, form: str = "medium") -> str:
    """A moment in Asia/Almaty, as the language writes it (``short``, ``medium``, or a CLDR pattern); "—" for none."""
    if moment is None:
        return "—"
    return dates.format_datetime(_local(moment), form, tzinfo=ALMATY, locale=language())


def format_time(moment: datetime | None, form: str = "HH:mm:ss") -> str:
    """The time of day in Asia/Almaty; "—" for none."""
    if moment is None:
        return "—"
    return dates.format_time(_local(moment), form, tzinfo=ALMATY, locale=language())


def format_date(day: date | datetime | None, form: str = "medium") -> str:
    """A day as the language writes it (a moment is first taken to Asia/Almaty); "—" for none."""
    if day is None:
        return "—"
    return dates.format_date(_local(day).date() if isinstance(day, datetime) else day, form, locale=language())


def format_number(value: int | float | Decimal, digits: int | None = None) -> str:
    """A number with the language's grouping and decimal sign."""
    if digits is None:
        return numbers.format_decimal(value, locale=language())
    return numbers.format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                                  locale=language(), decimal_quantization=True)


def format_percent(share: float, digits: int = 1) -> str:
    """A share (0.123) as the language writes a percentage."""
    return numbers.format_percent(share, format=f"#,##0.{'0' * digits}%" if digits else "#,##0%", locale=language())


def format_money(amount: Decimal | int | float) -> str:
    """An amount of tenge, grouped and with the decimal sign of the language: 1 234 567,50 ₸ or 1,234,567.50 ₸."""
    # CLDR writes "KZT" in Russian and English and ₸ only in Kazakh; Kazakhstan's own documents use the sign.
    return numbers.format_decimal(amount, format="#,##0.00", locale=language(), decimal_quantization=True) + "\xa0₸"
