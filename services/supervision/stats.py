"""Shift statistics: response intervals against targets, workload, outcomes; SQL aggregates over indexed columns.

The intervals come from the milestone times every action keeps on its incident (first taken, first unit
sent, first on scene, resolved, closed: the history holds the same), workload from ``incident_history``,
transfers from the change feed. Records with a missing or out-of-order time are left out of the interval
they break and counted with the reason, as published response-time analyses do.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.permissions import Action, Page, may_open, require
from services.access.scope import as_id, visible_departments
from services.errors import Forbidden, Invalid, NotFound
from services.i18n import _, localized
from services.i18n.terms import term
from services.store import audit
from services.store.models import (OPEN_STATUSES, Camera, ChangeEntry, Department, Event, Incident, IncidentHistory,
                                   IncidentUnit, Operator, ResponseTarget, Unit, User, utcnow)
from services.supervision.shifts import ALMATY, Period, resolve_period, starts_of

PRIORITIES = (1, 2, 3, 4)
CONFIRMED = ("detained", "administrative_protocol", "criminal_case", "warning", "handed_over")
EXCLUSION_IDS_SHOWN = 50


class Interval(enum.StrEnum):
    """The intervals measured per incident, named as the API names them."""

    TIME_TO_ACKNOWLEDGE = "time_to_acknowledge_s"  # created -> acknowledged (NENA: call answering)
    TIME_TO_DISPATCH = "time_to_dispatch_s"  # created -> first unit dispatched (NFPA 1225: alarm processing)
    TRAVEL = "travel_s"  # first dispatched -> first on scene
    RESPONSE = "response_s"  # created -> first on scene
    TIME_ON_SCENE = "time_on_scene_s"  # first on scene -> resolved
    TIME_TO_CLOSE = "time_to_close_s"  # created -> closed


# (start, end) columns of the per-incident times below.
SPANS: dict[Interval, tuple[str, str]] = {
    Interval.TIME_TO_ACKNOWLEDGE: ("created_at", "taken_at"),
    Interval.TIME_TO_DISPATCH: ("created_at", "dispatch_at"),
    Interval.TRAVEL: ("dispatch_at", "arrive_at"),
    Interval.RESPONSE: ("created_at", "arrive_at"),
    Interval.TIME_ON_SCENE: ("arrive_at", "resolve_at"),
    Interval.TIME_TO_CLOSE: ("created_at", "close_at"),
}

# "90 % within T": NENA-STA-020.1 asks for 90 % of calls answered within 15 s; NFPA 1225 (2022) for
# 90 % of alarms processed (answer to dispatch) within 60 s. The other intervals have no published
# police standard here: a department sets its own (kuzet stats target, PUT /api/v1/stats/targets).
DEFAULT_TARGETS: dict[Interval, int] = {Interval.TIME_TO_ACKNOWLEDGE: 15, Interval.TIME_TO_DISPATCH: 60}
COMPLIANCE_SHARE = 90  # the percentage the target is read against


@dataclass
class Figures:
    """One interval over some incidents: percentiles in seconds, compliance with the target."""

    n: int = 0
    median: float | None = None
    p90: float | None = None
    p95: float | None = None
    target_s: int | None = None
    within_target_pct: float | None = None
    excluded: dict[str, int] = field(default_factory=dict)


@dataclass
class Stats:
    """Everything the supervisor's page, the report and the API show for one period."""

    period: Period
    department_ids: list[int]
    incidents: int
    by_source: dict[str, int]
    open_at_start: int
    open_at_end: int
    transfers_in: int
    transfers_out: int
    intervals: dict[str, Figures]
    by_priority: dict[int, dict[str, Figures]]
    by_source_intervals: dict[str, dict[str, Figures]]
    by_type: dict[str, int]
    per_hour: list[dict[str, Any]]  # {"hour": ISO local, "type": ..., "count": n}
    heatmap: list[list[int]]  # [weekday 0=Monday][hour 0..23], Almaty time
    outcomes: dict[str, int]
    by_operator: list[dict[str, Any]]
    by_officer: list[dict[str, Any]]
    by_unit: list[dict[str, Any]]
    exclusions: list[dict[str, Any]]  # {"interval", "reason", "count", "incident_ids"}

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer of GET /api/v1/stats."""
        doc = asdict(self)
        doc.pop("period")
        doc.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                    "period": self.period.kind.value, "label": self.period.label()})
        doc.update(doc.pop("intervals"))
        doc["by_priority"] = {str(k): v for k, v in doc["by_priority"].items()}
        return doc


def targets_for(session: so.Session, department_ids: list[int]) -> dict[tuple[Interval, int, int], int]:
    """The target of each (interval, department, priority): the most specific row wins, then the default."""
    rows = session.scalars(sa.select(ResponseTarget).where(sa.or_(
        ResponseTarget.department_id.is_(None), ResponseTarget.department_id.in_(department_ids)))).all()
    specific = {(r.interval, r.department_id, r.priority): r.target_s for r in rows}
    out: dict[tuple[Interval, int, int], int] = {}
    for interval in Interval:
        for department_id in department_ids:
            for priority in PRIORITIES:
                for key in ((interval.value, department_id, priority), (interval.value, department_id, None),
                            (interval.value, None, priority), (interval.value, None, None)):
                    if key in specific:
                        out[interval, department_id, priority] = specific[key]
                        break
                else:
                    if interval in DEFAULT_TARGETS:
                        out[interval, department_id, priority] = DEFAULT_TARGETS[interval]
    return out


def set_target(session: so.Session, actor: User, interval: object, target_s: object,
               department_id: object = None, priority: object = None) -> ResponseTarget:
    """Set the target of one interval, for a department and a priority or for all of them (admin)."""
    require(actor, Action.SET_RESPONSE_TARGET)
    if interval not in set(Interval):
        raise Invalid(_("Interval must be one of: %(intervals)s", intervals=", ".join(Interval)),
                      errors=[{"pointer": "/interval", "detail": "unknown interval"}])
    if isinstance(target_s, bool) or not isinstance(target_s, int) or not 1 <= target_s <= 7 * 86400:
        raise Invalid(_("target_s must be whole seconds, 1 to 604800"),
                      errors=[{"pointer": "/target_s", "detail": "1..604800"}])
    if department_id is not None and (isinstance(department_id, bool) or not isinstance(department_id, int)
                                      or session.get(Department, department_id) is None):
        raise Invalid(_("No such department"), errors=[{"pointer": "/department_id", "detail": "no such department"}])
    if priority is not None and priority not in PRIORITIES:
        raise Invalid(_("Priority must be 1 to 4"), errors=[{"pointer": "/priority", "detail": "1..4"}])
    row = session.scalar(sa.select(ResponseTarget).where(
        ResponseTarget.interval == interval,
        ResponseTarget.department_id.is_(None) if department_id is None else ResponseTarget.department_id == department_id,
        ResponseTarget.priority.is_(None) if priority is None else ResponseTarget.priority == priority))
    row = row or ResponseTarget(interval=str(interval), department_id=department_id, priority=priority)
    row.target_s, row.updated_by, row.updated_at = target_s, actor.username, utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor.username, "admin.stats.target", str(interval), department_id=department_id,
                 priority=priority, target_s=target_s)
    return row


def compute(session: so.Session, department_ids: list[int], period: Period) -> Stats:
    """The statistics of the incidents created in ``period`` in these departments."""
    dialect = session.get_bind().dialect.name
    ids = sorted(department_ids)
    if dialect == "postgresql":
        # For this transaction only: a month's sorts fit in memory instead of spilling to disk, and a dozen
        # short aggregates are not worth compiling (JIT cost about 30 ms each on the bench's year).
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        session.execute(sa.text("SET LOCAL jit = off"))
    with _materialized(session, _base(ids, period)) as base:
        targets = targets_for(session, ids)
        obs = _observations(base, dialect, targets)
        figures_by = _figures_all(session, obs, dialect, targets)
        intervals, by_priority, by_source_iv = figures_by["all"], figures_by["priority"], figures_by["source"]
        for name, figures in intervals[None].items():  # a quiet period still says what it is judged against
            if figures.target_s is None:
                figures.target_s = _uniform_target(targets, name)
        exclusions = _exclusions(session, obs)
        for figures in [intervals[None], *by_priority.values(), *by_source_iv.values()]:
            for name in figures:
                figures[name].excluded = {}
        for entry in exclusions:
            intervals[None][entry["interval"]].excluded[entry["reason"]] = entry["count"]
        by_source = dict(session.execute(sa.select(base.c.source, sa.func.count()).group_by(base.c.source)).all())
        by_type = dict(session.execute(sa.select(base.c.type, sa.func.count()).group_by(base.c.type)
                                       .order_by(sa.func.count().desc())).all())
        per_hour, heatmap = _per_hour(session, base, dialect)
        outcomes, by_operator = _outcomes(session, base), _operators(session, base, dialect)
    transfers_in, transfers_out = _transfers(session, ids, period)
    return Stats(
        period=period, department_ids=ids, incidents=sum(by_source.values()), by_source=by_source,
        open_at_start=open_at(session, ids, period.start), open_at_end=open_at(session, ids, min(period.end, utcnow())),
        transfers_in=transfers_in, transfers_out=transfers_out,
        intervals=intervals[None], by_priority={int(k): v for k, v in by_priority.items()},
        by_source_intervals={str(k): v for k, v in by_source_iv.items()},
        by_type=by_type, per_hour=per_hour, heatmap=heatmap, outcomes=outcomes, by_operator=by_operator,
        by_officer=_officers(session, ids, period, dialect), by_unit=_units(session, ids, period, dialect),
        exclusions=exclusions)


@contextmanager
def _materialized(session: so.Session, query: sa.CTE) -> Iterator[sa.Table]:
    """The period's incidents in a temporary table for the dozen aggregates over them, dropped afterwards.

    As a CTE each statement would read them from the incidents table again (about 80 ms a statement
    for a city month on the bench's year).
    """
    columns = [sa.Column(c.name, c.type) for c in query.c]
    table = sa.Table(f"stats_base_{uuid.uuid4().hex[:12]}", sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    connection = session.connection()
    table.create(connection)
    try:
        connection.execute(table.insert().from_select([c.name for c in query.c], sa.select(query)))
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"ANALYZE {table.name}"))  # autovacuum never sees temporary tables
        yield table
    finally:
        table.drop(connection)


def incident_rows(session: so.Session, department_ids: list[int], period: Period) -> list[dict[str, Any]]:
    """One row per incident of the period with every interval in seconds (the report's incidents sheet)."""
    dialect = session.get_bind().dialect.name
    base = _base(sorted(department_ids), period)
    columns = [base.c.id, base.c.department_id, base.c.source, base.c.type, base.c.priority, base.c.status,
               base.c.outcome, base.c.created_at]
    spans = [sa.case((sa.and_(base.c[a].is_not(None), base.c[b] >= base.c[a]), _seconds(base.c[a], base.c[b], dialect)))
             .label(interval.value) for interval, (a, b) in SPANS.items()]
    rows = session.execute(sa.select(*columns, *spans).order_by(base.c.created_at, base.c.id)).mappings().all()
    return [dict(r) for r in rows]


def open_at(session: so.Session, department_ids: list[int], at: datetime) -> int:
    """How many incidents of these departments were open at ``at``: status after their last change before it."""
    # Only incidents created before `at` and changed since (or open now) can have been open then. They are
    # few, and fetched first: as a subquery the planner expects thousands and scans the whole history.
    candidates = list(session.scalars(sa.select(Incident.id).where(
        Incident.department_id.in_(department_ids), Incident.created_at < at,
        sa.or_(Incident.status.in_(OPEN_STATUSES), Incident.updated_at >= at))))
    if not candidates:
        return 0
    last = (sa.select(IncidentHistory.incident_id, IncidentHistory.to_status,
                      sa.func.row_number().over(partition_by=IncidentHistory.incident_id,
                                                order_by=(IncidentHistory.at.desc(), IncidentHistory.id.desc()))
                      .label("rn"))
            .where(IncidentHistory.incident_id.in_(candidates), IncidentHistory.at <= at).subquery())
    return session.scalar(sa.select(sa.func.count()).select_from(last)
                          .where(last.c.rn == 1, last.c.to_status.in_(OPEN_STATUSES))) or 0


def _base(department_ids: list[int], period: Period) -> sa.CTE:
    """Per incident of the period: its department, kind and its milestone times (kept on the incident)."""
    I = Incident  # noqa: N806 - table alias
    return (sa.select(I.id, I.department_id, I.priority, I.source, I.type, I.camera_id, I.outcome, I.status,
                      I.created_at, I.acknowledged_at.label("taken_at"), I.dispatched_at.label("dispatch_at"),
                      I.arrived_at.label("arrive_at"), I.resolved_at.label("resolve_at"),
                      I.closed_at.label("close_at"))
            .where(I.department_id.in_(department_ids), I.created_at >= period.start, I.created_at < period.end)
            .cte("base"))


def _seconds(start: Any, end: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return sa.extract("epoch", end - start)
    # julianday is a float of days: 4 s comes back as 4.00000002 s; milliseconds are what the clocks hold.
    return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0, 3)


def _percentile(value: Any, fraction: float, dialect: str) -> Any:
    if dialect == "postgresql":
        return sa.func.percentile_cont(fraction).within_group(value)
    return sa.func.percentile_cont(value, fraction)  # registered on every SQLite connection (store.engine)


def _observations(base: sa.CTE | sa.Table, dialect: str, targets: dict[tuple[Interval, int, int], int]) -> sa.Subquery:
    """One row per (incident, interval) the incident has an end time for: its seconds or why it is left out,
    and the target it is judged against."""
    parts = []
    for interval, (a, b) in SPANS.items():
        start, end = base.c[a], base.c[b]
        reason = sa.case((start.is_(None), "missing_start"), (end < start, "out_of_order"), else_=sa.null())
        parts.append(sa.select(sa.literal(interval.value).label("interval"), base.c.id, base.c.department_id,
                               base.c.priority, base.c.source,
                               sa.case((sa.and_(start.is_not(None), end >= start), _seconds(start, end, dialect)))
                               .label("x"), reason.label("reason"), _target(base, interval, targets).label("target_s"))
                     .where(end.is_not(None)))
    return sa.union_all(*parts).subquery("obs")


def _target(base: sa.CTE | sa.Table, interval: Interval, targets: dict[tuple[Interval, int, int], int]) -> Any:
    """The target of each row of one interval: a constant when it is the same everywhere (the usual case)."""
    chosen = {(d, p): t for (i, d, p), t in targets.items() if i == interval}
    values = set(chosen.values())
    if not values:
        return sa.cast(sa.null(), sa.Integer)
    if len(values) == 1 and len(chosen) == len({d for d, _ in chosen}) * len(PRIORITIES):
        return sa.literal(values.pop(), sa.Integer)
    return sa.case(*[(sa.and_(base.c.department_id == d, base.c.priority == p), t) for (d, p), t in chosen.items()],
                   else_=sa.null())


GROUPINGS = ("all", "priority", "source")


def _figures_all(session: so.Session, obs: sa.Subquery, dialect: str,
                 targets: dict[tuple[Interval, int, int], int]) -> dict[str, dict[Any, dict[str, Figures]]]:
    """Figures per interval, per interval and priority, per interval and source.

    PostgreSQL does the three in one pass (GROUPING SETS, one sort per group for the three percentiles);
    SQLite runs one query per grouping.
    """
    x, target = obs.c.x, obs.c.target_s
    judged = [sa.func.sum(sa.case((sa.and_(x.is_not(None), x <= target), 1), else_=0)),
              sa.func.count(sa.case((sa.and_(x.is_not(None), target.is_not(None)), 1))),
              sa.func.min(target), sa.func.max(target)]
    out: dict[str, dict[Any, dict[str, Figures]]] = {
        g: defaultdict(lambda: {i.value: Figures() for i in Interval}) for g in GROUPINGS}
    out["all"][None]  # noqa: B018 - every interval present even with no incidents
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        fractions = sa.literal([0.5, 0.9, 0.95], ARRAY(sa.Float))
        query = (sa.select(obs.c.interval, obs.c.priority, obs.c.source,
                           sa.func.grouping(obs.c.priority, obs.c.source).label("g"), sa.func.count(x),
                           sa.func.percentile_cont(fractions).within_group(x), *judged)
                 .group_by(sa.func.grouping_sets(sa.tuple_(obs.c.interval),
                                                 sa.tuple_(obs.c.interval, obs.c.priority),
                                                 sa.tuple_(obs.c.interval, obs.c.source))))
        for interval, priority, source, g, n, percentiles, *rest in session.execute(query):
            grouping, key = {3: ("all", None), 1: ("priority", priority), 2: ("source", source)}[g]
            _fill(out[grouping][key][interval], n, *(percentiles or (None, None, None)), *rest, targets, interval)
        return out
    for grouping, column in (("all", None), ("priority", obs.c.priority), ("source", obs.c.source)):
        keys = [obs.c.interval] + ([column] if column is not None else [])
        query = sa.select(*keys, sa.func.count(x), *[_percentile(x, f, dialect) for f in (0.5, 0.9, 0.95)],
                          *judged).group_by(*keys)
        for row in session.execute(query):
            interval, key, rest = row[0], (row[1] if column is not None else None), row[len(keys):]
            _fill(out[grouping][key][interval], *rest, targets, interval)
    return out


def _fill(figures: Figures, n: Any, median: Any, p90: Any, p95: Any, within: Any, judged: Any, lowest: Any,
          highest: Any, targets: dict[tuple[Interval, int, int], int], interval: str) -> None:
    figures.n = int(n or 0)
    figures.median, figures.p90, figures.p95 = (_round(v) for v in (median, p90, p95))
    figures.target_s = int(lowest) if lowest is not None and lowest == highest else None
    if figures.target_s is None and targets:
        figures.target_s = _uniform_target(targets, interval)
    figures.within_target_pct = round(100.0 * int(within or 0) / judged, 1) if judged else None


def _uniform_target(targets: dict[tuple[Interval, int, int], int], interval: str) -> int | None:
    values = {t for (i, _, _), t in targets.items() if i == interval}
    return values.pop() if len(values) == 1 else None


def _exclusions(session: so.Session, obs: sa.Subquery) -> list[dict[str, Any]]:
    """Each (interval, reason) with its count and the first incidents behind it, in one query."""
    ranked = (sa.select(obs.c.interval, obs.c.reason, obs.c.id,
                        sa.func.count().over(partition_by=(obs.c.interval, obs.c.reason)).label("total"),
                        sa.func.row_number().over(partition_by=(obs.c.interval, obs.c.reason), order_by=obs.c.id)
                        .label("rn"))
              .where(obs.c.reason.is_not(None)).subquery("ranked"))
    rows = session.execute(sa.select(ranked.c.interval, ranked.c.reason, ranked.c.id, ranked.c.total)
                           .where(ranked.c.rn <= EXCLUSION_IDS_SHOWN)
                           .order_by(ranked.c.interval, ranked.c.reason, ranked.c.id)).all()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for interval, reason, incident_id, total in rows:
        entry = out.setdefault((interval, reason), {"interval": interval, "reason": reason, "count": int(total),
                                                    "incident_ids": []})
        entry["incident_ids"].append(incident_id)
    return list(out.values())


def _per_hour(session: so.Session, base: sa.CTE | sa.Table, dialect: str) -> tuple[list[dict[str, Any]], list[list[int]]]:
    hour = (sa.func.date_trunc("hour", base.c.created_at) if dialect == "postgresql"
            else sa.func.strftime("%Y-%m-%d %H:00:00", base.c.created_at))
    rows = session.execute(sa.select(hour.label("hour"), base.c.type, sa.func.count())
                           .group_by(hour, base.c.type).order_by(hour)).all()
    heatmap = [[0] * 24 for _ in range(7)]
    per_hour = []
    for at, kind, count in rows:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ALMATY)
        heatmap[local.weekday()][local.hour] += int(count)
        per_hour.append({"hour": local.isoformat(), "type": kind, "count": int(count)})
    return per_hour, heatmap


def _outcomes(session: so.Session, base: sa.CTE | sa.Table) -> dict[str, int]:
    outcome = sa.case((base.c.status == "dismissed", "dismissed"), else_=base.c.outcome)
    rows = session.execute(sa.select(outcome, sa.func.count()).where(outcome.is_not(None))
                           .group_by(outcome).order_by(sa.func.count().desc())).all()
    return {str(k): int(v) for k, v in rows}


def _operators(session: so.Session, base: sa.CTE | sa.Table, dialect: str) -> list[dict[str, Any]]:
    false_alarm = sa.or_(base.c.status == "dismissed", base.c.outcome == "false_alarm")
    rows = session.execute(
        sa.select(Operator.name, sa.func.count(),
                  sa.func.sum(sa.case((false_alarm, 1), else_=0)),
                  sa.func.sum(sa.case((base.c.outcome.in_(CONFIRMED), 1), else_=0)))
        .join(Camera, Camera.id == base.c.camera_id).join(Operator, Operator.id == Camera.operator_id)
        .where(base.c.source == "camera").group_by(Operator.name).order_by(Operator.name)).all()
    lag_query = (sa.select(Operator.name, _percentile(_seconds(Event.occurred_at, Event.received_at, dialect), 0.5, dialect))
                 .join(Operator, Operator.id == Event.operator_id)
                 .where(Event.incident_id.in_(sa.select(base.c.id))).group_by(Operator.name))
    lags = {name: _round(lag) for name, lag in session.execute(lag_query)}
    return [{"operator": name, "incidents": int(n), "false_alarms": int(fa or 0),
             "false_alarm_pct": round(100.0 * int(fa or 0) / n, 1) if n else None,
             "confirmed_pct": round(100.0 * int(ok or 0) / n, 1) if n else None,
             "median_lag_s": lags.get(name)} for name, n, fa, ok in rows]


def _officers(session: so.Session, department_ids: list[int], period: Period, dialect: str) -> list[dict[str, Any]]:
    H, I = IncidentHistory, Incident  # noqa: N806 - table aliases
    scoped = sa.and_(H.at >= period.start, H.at < period.end, H.action.in_(("acknowledge", "dispatch", "resolve")),
                     I.department_id.in_(department_ids))
    counts = session.execute(
        sa.select(H.actor, sa.func.sum(sa.case((H.action == "acknowledge", 1), else_=0)),
                  sa.func.sum(sa.case((H.action == "dispatch", 1), else_=0)),
                  sa.func.sum(sa.case((H.action == "resolve", 1), else_=0)))
        .join(I, I.id == H.incident_id).where(scoped).group_by(H.actor).order_by(H.actor)).all()
    ack = dict(session.execute(
        sa.select(I.acknowledged_by, _percentile(_seconds(I.created_at, I.acknowledged_at, dialect), 0.5, dialect))
        .where(I.department_id.in_(department_ids), I.created_at >= period.start, I.created_at < period.end,
               I.acknowledged_by.is_not(None), I.acknowledged_at >= I.created_at)
        .group_by(I.acknowledged_by)).all())
    return [{"officer": actor, "acknowledged": int(a or 0), "dispatched": int(d or 0), "resolved": int(r or 0),
             "median_time_to_acknowledge_s": _round(ack.get(actor))} for actor, a, d, r in counts]


def _units(session: so.Session, department_ids: list[int], period: Period, dialect: str) -> list[dict[str, Any]]:
    U = IncidentUnit  # noqa: N806 - table alias
    start = sa.case((U.dispatched_at > period.start, U.dispatched_at), else_=period.start)
    released = sa.func.coalesce(U.released_at, min(period.end, utcnow()))
    end = sa.case((released < period.end, released), else_=period.end)
    rows = session.execute(
        sa.select(Unit.call_sign, sa.func.count(sa.distinct(U.incident_id)),
                  sa.func.sum(sa.case((end > start, _seconds(start, end, dialect)), else_=0)))
        .join(Unit, Unit.id == U.unit_id)
        # An assignment dispatched more than a week before the period is not looked for (the index bounds it).
        .where(Unit.department_id.in_(department_ids), U.dispatched_at < period.end,
               U.dispatched_at >= period.start - timedelta(days=7),
               sa.or_(U.released_at.is_(None), U.released_at >= period.start))
        .group_by(Unit.call_sign).order_by(Unit.call_sign)).all()
    length = (min(period.end, max(period.start, utcnow())) - period.start).total_seconds() or 1.0
    return [{"unit": call_sign, "incidents": int(n), "busy_s": _round(busy),
             "busy_pct": round(100.0 * float(busy or 0) / length, 1)} for call_sign, n, busy in rows]


def _transfers(session: so.Session, department_ids: list[int], period: Period) -> tuple[int, int]:
    C = ChangeEntry  # noqa: N806 - table alias
    window = sa.and_(C.entity == "incident", C.action == "transfer", C.at >= period.start, C.at < period.end)
    received = session.scalar(sa.select(sa.func.count()).where(
        window, C.department_id.in_(department_ids), C.previous_department_id.is_not(None),
        C.previous_department_id.not_in(department_ids))) or 0
    handed = session.scalar(sa.select(sa.func.count()).where(
        window, C.previous_department_id.in_(department_ids), C.department_id.not_in(department_ids))) or 0
    return int(received), int(handed)


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)  # milliseconds: the clocks are no finer



def departments_for(session: so.Session, user: User, department: object) -> list[int]:
    """Whose statistics the user asked for: a supervisor their own, a chief their city or one of its departments."""
    visible = {i for i, _ in reportable_departments(session, user)}
    if not visible:
        raise NotFound(_("You have no department to report on"))
    if department in (None, ""):
        return sorted(visible)  # a supervisor's own department; a chief's whole city; every one for an admin
    key = as_id(department)
    if key is None or key not in visible:
        raise NotFound(_("No such department in your jurisdiction"),  # outside looks like absent
                       errors=[{"pointer": "/department", "detail": "not one of your departments"}])
    return [key]


def reportable_departments(session: so.Session, user: User) -> list[tuple[int, str]]:
    """The departments the user may report on, (id, name in the language of the moment): one for a supervisor, a city for a chief."""
    if not may_open(user.role, Page.STATS):
        raise Forbidden(_("The role %(role)s may not see shift statistics", role=term("role", user.role)), action=Page.STATS.value)
    return [(i, localized(ru, kk or "", en or "")) for i, ru, kk, en in session.execute(
        sa.select(Department.id, Department.name_ru, Department.name_kk, Department.name_en)
        .where(Department.id.in_(visible_departments(session, user))).order_by(Department.name_ru))]


def for_request(session: so.Session, user: User, department: object = None, kind: object = None, at: object = None,
                start: object = None, end: object = None) -> Stats:
    """What the page and the API show: scope checked, period resolved, statistics computed."""
    ids = departments_for(session, user, department)
    starts = starts_of(session, ids[0] if len(ids) == 1 else None)
    return compute(session, ids, resolve_period(starts, kind, at, start, end))
