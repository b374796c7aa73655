"""Settlement months in Almaty time: which month a moment belongs to, and a month's bounds in UTC."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from services.i18n import _

ALMATY = ZoneInfo("Asia/Almaty")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def parse_month(text: object) -> str:
    """A month as "YYYY-MM", checked; ValueError otherwise."""
    if not isinstance(text, str) or not MONTH.fullmatch(text.strip()):
        raise ValueError(_("%(text)s is not a month; write it as YYYY-MM, for example 2026-11", text=repr(text)[:40]))
    return text.strip()


def month_of(moment: datetime) -> str:
    """The Almaty month of a UTC moment."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ALMATY)
    return f"{local.year:04d}-{local.month:02d}"


def day_of(moment: datetime) -> date:
    """The Almaty calendar day of a UTC moment."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ALMATY).date()


def bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in UTC."""
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime.combine(date(year, mon, 1), time(), ALMATY)
    end = datetime.combine(date(year + mon // 12, mon % 12 + 1, 1), time(), ALMATY)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def first_day(month: str) -> date:
    """The month's first calendar day."""
    return date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> date:
    """The month's last calendar day."""
    start, end = bounds(month)
    return (end.astimezone(ALMATY) - timedelta(days=1)).date()


def parse_moment(text: object) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is Almaty time. Returned in UTC."""
    if not isinstance(text, str) or not text.strip() or len(text) > 40:
        raise ValueError(_("an ISO 8601 date or date-time, for example 2026-11-03 or 2026-11-03T14:05:00+05:00"))
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00")) if "T" in raw or " " in raw \
            else datetime.combine(date.fromisoformat(raw), time())
    except ValueError:
        raise ValueError(_("%(text)s is not an ISO 8601 date or date-time", text=repr(text))) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ALMATY)
    return moment.astimezone(timezone.utc)


def previous_month(month: str) -> str:
    """The month before ("2026-01" -> "2025-12")."""
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"
