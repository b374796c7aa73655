"""Shifts and periods: when a department's shifts begin, and the periods a supervisor looks back over."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy.orm as so

from services.access.permissions import Action, require
from services.errors import Invalid
from services.i18n import _, format_date, format_time
from services.store import audit
from services.store.models import Department, ShiftPattern, User, utcnow

ALMATY = ZoneInfo("Asia/Almaty")
DEFAULT_STARTS: tuple[str, ...] = ("08:00", "20:00")  # two 12-hour shifts, day and night
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class PeriodKind(enum.StrEnum):
    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """A half-open span of time [start, end), UTC, with what it is."""

    kind: PeriodKind
    start: datetime
    end: datetime

    def label(self) -> str:
        """How a supervisor names it, in Almaty time and the language of the moment: "03.12.2026 08:00 – 20:00"."""
        start, end = self.start.astimezone(ALMATY), self.end.astimezone(ALMATY)
        if self.kind is PeriodKind.DAY:
            return format_date(start, "short")
        if self.kind is PeriodKind.MONTH:
            return format_date(start, "LLLL y")
        first = f"{format_date(start, 'short')} {format_time(start, 'HH:mm')}"
        if start.date() == (end - timedelta(microseconds=1)).date() or (end - start) <= timedelta(hours=24):
            return f"{first} – {format_time(end, 'HH:mm')}"
        return f"{first} – {format_date(end, 'short')} {format_time(end, 'HH:mm')}"


def parse_starts(starts: list[str] | tuple[str, ...]) -> tuple[time, ...]:
    """Shift start times "HH:MM", sorted and distinct; Invalid otherwise."""
    if not isinstance(starts, (list, tuple)) or not 1 <= len(starts) <= 6:
        raise Invalid(_("Give 1 to 6 shift start times as HH:MM"), errors=[{"pointer": "/starts", "detail": "1..6 times"}])
    parsed = set()
    for i, value in enumerate(starts):
        match = _HHMM.match(value) if isinstance(value, str) else None
        if match is None:
            raise Invalid(_("Shift start %(value)s is not HH:MM", value=repr(value)), errors=[{"pointer": f"/starts/{i}", "detail": "HH:MM"}])
        parsed.add(time(int(match[1]), int(match[2])))
    return tuple(sorted(parsed))


def starts_of(session: so.Session, department_id: int | None) -> tuple[time, ...]:
    """The department's shift starts (the default pattern when none is set, or for the whole city)."""
    pattern = session.get(ShiftPattern, department_id) if department_id is not None else None
    return parse_starts(pattern.starts if pattern else DEFAULT_STARTS)


def shift_at(starts: tuple[time, ...], at: datetime) -> Period:
    """The shift that ``at`` falls in."""
    local = at.astimezone(ALMATY)
    candidates = [datetime.combine(local.date() + timedelta(days=d), s, ALMATY) for d in (-1, 0, 1) for s in starts]
    candidates.sort()
    begin = max(c for c in candidates if c <= local)
    end = min(c for c in candidates if c > begin)
    return Period(PeriodKind.SHIFT, begin.astimezone(timezone.utc), end.astimezone(timezone.utc))


def period_of(kind: PeriodKind, starts: tuple[time, ...], at: datetime) -> Period:
    """The shift, day, week (Monday first) or month that ``at`` falls in, in Almaty time."""
    if kind is PeriodKind.SHIFT:
        return shift_at(starts, at)
    day = at.astimezone(ALMATY).date()
    if kind is PeriodKind.DAY:
        first, last = day, day + timedelta(days=1)
    elif kind is PeriodKind.WEEK:
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
    elif kind is PeriodKind.MONTH:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    else:
        raise Invalid(_("A range is given by its start and end"))
    return Period(kind, _utc(first), _utc(last))


def step(period: Period, starts: tuple[time, ...], direction: int) -> Period:
    """The period before (-1) or after (+1) this one, of the same kind."""
    if period.kind is PeriodKind.RANGE:
        length = period.end - period.start
        return Period(PeriodKind.RANGE, period.start + direction * length, period.end + direction * length)
    probe = period.start - timedelta(seconds=1) if direction < 0 else period.end
    return period_of(period.kind, starts, probe)


def range_period(start: datetime, end: datetime) -> Period:
    """Any span a supervisor picks; Invalid unless 0 < end - start <= 400 days."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid(_("Give times with their offset"), errors=[{"pointer": "/from", "detail": "needs an offset"}])
    if not timedelta(0) < end - start <= timedelta(days=400):
        raise Invalid(_("The end must come after the start, at most 400 days later"),
                      errors=[{"pointer": "/to", "detail": "after from, within 400 days"}])
    return Period(PeriodKind.RANGE, start.astimezone(timezone.utc), end.astimezone(timezone.utc))


def set_shift_pattern(session: so.Session, actor: User, department_id: object, starts: object) -> ShiftPattern:
    """Set when a department's shifts begin (admin)."""
    require(actor, Action.SET_SHIFT_PATTERN)
    if not isinstance(department_id, int) or isinstance(department_id, bool) \
            or session.get(Department, department_id) is None:
        raise Invalid(_("No such department"), errors=[{"pointer": "/department_id", "detail": "no such department"}])
    times = parse_starts(starts)  # type: ignore[arg-type]
    pattern = session.get(ShiftPattern, department_id) or ShiftPattern(department_id=department_id)
    pattern.starts = [t.strftime("%H:%M") for t in times]
    pattern.updated_by, pattern.updated_at = actor.username, utcnow()
    session.add(pattern)
    session.flush()
    audit.record(session, actor.username, "admin.shifts.set", f"department:{department_id}", starts=pattern.starts)
    return pattern


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), ALMATY).astimezone(timezone.utc)


def parse_time(value: object, pointer: str) -> datetime | None:
    """An ISO 8601 time with its offset, or None when not given; Invalid for anything else."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Invalid(_("%(field)s must be an ISO 8601 time with its offset, e.g. 2026-12-03T08:00:00+05:00",
                        field=pointer.strip("/")),
                      errors=[{"pointer": pointer, "detail": "ISO 8601 with offset"}])
    return parsed


def resolve_period(starts: tuple[time, ...], kind: object = None, at: object = None, start: object = None,
                   end: object = None, now: datetime | None = None) -> Period:
    """The period a request names: ``from``/``to`` for any range, else the ``kind`` of period around ``at`` (now)."""
    first, last = parse_time(start, "/from"), parse_time(end, "/to")
    if first is not None or last is not None:
        if first is None or last is None:
            raise Invalid(_("Give both from and to"), errors=[{"pointer": "/from" if first is None else "/to",
                                                            "detail": "required with the other"}])
        return range_period(first, last)
    try:
        chosen = PeriodKind(kind or PeriodKind.SHIFT.value)
    except ValueError:
        raise Invalid(_("Period must be one of: %(kinds)s",
                        kinds=", ".join(k.value for k in PeriodKind if k is not PeriodKind.RANGE)),
                      errors=[{"pointer": "/period", "detail": "unknown period"}]) from None
    if chosen is PeriodKind.RANGE:
        raise Invalid(_("A range is given by from and to"), errors=[{"pointer": "/from", "detail": "required"}])
    return period_of(chosen, starts, parse_time(at, "/at") or now or utcnow())


def step_from(starts: tuple[time, ...], kind: str, start: datetime, end: datetime, direction: int) -> Period:
    """The period before or after the one shown (given by its kind and bounds)."""
    try:
        chosen = PeriodKind(kind)
    except ValueError:
        chosen = PeriodKind.RANGE
    return step(Period(chosen, start, end), starts, direction)
