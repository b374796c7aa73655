"""Shift statistics on constructed histories with known answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store.engine import Store
from services.store.models import Incident, IncidentHistory, IncidentUnit, User
from services.supervision import stats
from services.supervision.shifts import ALMATY, Period, PeriodKind, period_of, shift_at, step
from tests.conftest import World, seed_world

# A day shift in Almaty: 08:00-20:00 local is 03:00-15:00 UTC.
SHIFT = Period(PeriodKind.SHIFT, datetime(2026, 11, 20, 3, tzinfo=timezone.utc),
               datetime(2026, 11, 20, 15, tzinfo=timezone.utc))


def incident(s: so.Session, world: World, created: datetime, *, taken: float | None = None,
             dispatched: float | None = None, arrived: float | None = None, resolved: float | None = None,
             closed: float | None = None, priority: int = 2, source: str = "camera", outcome: str | None = None,
             department_id: int | None = None, kind: str = "fight") -> Incident:
    """An incident with its history and unit rows, each time given in seconds after ``created``."""
    status = "closed" if closed is not None else "resolved" if resolved is not None else \
        "on_scene" if arrived is not None else "dispatched" if dispatched is not None else \
        "acknowledged" if taken is not None else "new"
    row = Incident(department_id=department_id or world.almaly_id, camera_id=world.cameras["CAM-A"] if source == "camera" else None,
                   source=source, category="public_order", type=kind, priority=priority, status=status,
                   lat=43.25, lon=76.92, first_seen_at=created, last_seen_at=created, created_at=created,
                   updated_at=created, outcome=outcome)
    s.add(row)
    s.flush()
    officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
    at = lambda seconds: created + timedelta(seconds=seconds)  # noqa: E731
    history = [("open", None, "new", 0.0)]
    for action, to, seconds in (("acknowledge", "acknowledged", taken), ("dispatch", "dispatched", dispatched),
                                ("arrive", "on_scene", arrived), ("resolve", "resolved", resolved),
                                ("close", "closed", closed)):
        if seconds is not None:
            history.append((action, None, to, seconds))
    for action, _from, to, seconds in history:
        s.add(IncidentHistory(incident_id=row.id, action=action, to_status=to, at=at(seconds),
                              actor="system" if action == "open" else officer.username,
                              actor_user_id=None if action == "open" else officer.id))
    if dispatched is not None or arrived is not None:
        s.add(IncidentUnit(incident_id=row.id, unit_id=world.units["ALM-1"], dispatched_by="duty.a",
                           dispatched_at=at(dispatched if dispatched is not None else 0),
                           arrived_at=at(arrived) if arrived is not None else None,
                           released_at=at(resolved) if resolved is not None else None))
    row.updated_at = at(max(h[3] for h in history))  # as every transition leaves it
    # The milestones the actions keep on the incident (services.duty.incidents.transition, dispatch.arrive).
    row.acknowledged_at = at(taken) if taken is not None else at(dispatched) if dispatched is not None else None
    row.acknowledged_by = officer.username if row.acknowledged_at is not None else None
    row.dispatched_at = at(dispatched) if dispatched is not None else None
    row.arrived_at = at(arrived) if arrived is not None else None
    row.resolved_at = at(resolved) if resolved is not None else None
    row.closed_at = at(closed) if closed is not None else None
    s.flush()
    return row


@pytest.fixture
def world(db: Store) -> World:
    return seed_world(db)


def test_percentiles_and_compliance_are_the_textbook_ones(db: Store, world: World) -> None:
    start = SHIFT.start + timedelta(hours=1)
    with db.session() as s:
        for n in range(1, 11):  # acknowledged after 1 .. 10 s, dispatched after 10 .. 100 s
            incident(s, world, start + timedelta(minutes=n), taken=n, dispatched=10 * n, arrived=10 * n + 300,
                     resolved=10 * n + 900, closed=10 * n + 1000, priority=1 if n <= 5 else 2)
    with db.session() as s:
        figures = stats.compute(s, [world.almaly_id], SHIFT)
    ack = figures.intervals["time_to_acknowledge_s"]
    assert (ack.n, ack.median, ack.p90, ack.p95) == (10, 5.5, 9.1, 9.55)  # percentile_cont, as PostgreSQL computes it
    assert ack.target_s == 15 and ack.within_target_pct == 100.0  # NENA default: 90 % within 15 s
    dispatch = figures.intervals["time_to_dispatch_s"]
    assert dispatch.target_s == 60 and dispatch.within_target_pct == 60.0  # 10..60 s of 10..100 s
    assert figures.intervals["travel_s"].median == 300.0 and figures.intervals["time_on_scene_s"].median == 600.0
    assert figures.intervals["response_s"].median == 355.0
    assert figures.intervals["time_to_close_s"].n == 10
    assert figures.by_priority[1]["time_to_acknowledge_s"].median == 3.0
    assert figures.by_priority[2]["time_to_acknowledge_s"].median == 8.0
    assert figures.incidents == 10 and figures.by_source == {"camera": 10}
    assert figures.by_officer == [{"officer": "duty.a", "acknowledged": 10, "dispatched": 10, "resolved": 10,
                                   "median_time_to_acknowledge_s": 5.5}]
    assert figures.by_unit[0]["unit"] == "ALM-1" and figures.by_unit[0]["incidents"] == 10


def test_a_department_target_per_priority_wins_over_the_default(db: Store, world: World) -> None:
    admin_start = SHIFT.start + timedelta(hours=2)
    with db.session() as s:
        for n in range(1, 11):
            incident(s, world, admin_start + timedelta(minutes=n), taken=n, priority=1)
        admin = s.scalar(sa.select(User).where(User.username == "admin"))
        stats.set_target(s, admin, "time_to_acknowledge_s", 4, department_id=world.almaly_id, priority=1)
    with db.session() as s:
        ack = stats.compute(s, [world.almaly_id], SHIFT).intervals["time_to_acknowledge_s"]
    assert ack.target_s == 4 and ack.within_target_pct == 40.0


def test_missing_and_out_of_order_times_are_left_out_and_counted(db: Store, world: World) -> None:
    start = SHIFT.start + timedelta(hours=3)
    with db.session() as s:
        good = incident(s, world, start, taken=5, dispatched=20, arrived=320, resolved=900)
        early = incident(s, world, start + timedelta(minutes=1), taken=5, dispatched=200, arrived=100, resolved=900)
        backwards = incident(s, world, start + timedelta(minutes=2), taken=-30)  # acknowledged before it was created
        ids = (good.id, early.id, backwards.id)
    with db.session() as s:
        figures = stats.compute(s, [world.almaly_id], SHIFT)
    travel = figures.intervals["travel_s"]
    assert travel.n == 1 and travel.median == 300.0 and travel.excluded == {"out_of_order": 1}
    ack = figures.intervals["time_to_acknowledge_s"]
    assert ack.n == 2 and ack.excluded == {"out_of_order": 1}
    listed = {(e["interval"], e["reason"]): e["incident_ids"] for e in figures.exclusions}
    assert listed[("travel_s", "out_of_order")] == [ids[1]]
    assert listed[("time_to_acknowledge_s", "out_of_order")] == [ids[2]]
    assert figures.intervals["response_s"].n == 2  # the early arrival still came after creation


def test_open_at_the_start_and_end_follows_the_history(db: Store, world: World) -> None:
    with db.session() as s:
        # Opened before the shift and resolved during it; opened during it and left open.
        incident(s, world, SHIFT.start - timedelta(hours=1), taken=60, resolved=2 * 3600)
        incident(s, world, SHIFT.start + timedelta(hours=5), taken=60)
    with db.session() as s:
        figures = stats.compute(s, [world.almaly_id], SHIFT)
    assert (figures.open_at_start, figures.open_at_end, figures.incidents) == (1, 1, 1)


def test_hours_and_the_heat_map_are_in_almaty_time(db: Store, world: World) -> None:
    with db.session() as s:
        incident(s, world, datetime(2026, 11, 20, 4, 30, tzinfo=timezone.utc))  # 09:30 Almaty, a Friday
    with db.session() as s:
        figures = stats.compute(s, [world.almaly_id], SHIFT)
    assert figures.per_hour == [{"hour": "2026-11-20T09:00:00+05:00", "type": "fight", "count": 1}]
    assert figures.heatmap[4][9] == 1 and sum(map(sum, figures.heatmap)) == 1


def test_shifts_cross_midnight_and_months() -> None:
    starts = (time(8), time(20))
    night = shift_at(starts, datetime(2026, 11, 30, 21, 30, tzinfo=timezone.utc))  # 02:30 Almaty, 1 December
    assert night.start.astimezone(ALMATY) == datetime(2026, 11, 30, 20, tzinfo=ALMATY)
    assert night.end.astimezone(ALMATY) == datetime(2026, 12, 1, 8, tzinfo=ALMATY)
    before = step(night, starts, -1)
    assert (before.start.astimezone(ALMATY).hour, before.end.astimezone(ALMATY).hour) == (8, 20)
    assert step(before, starts, +1) == night
    month = period_of(PeriodKind.MONTH, starts, night.start)
    assert month.start.astimezone(ALMATY) == datetime(2026, 11, 1, tzinfo=ALMATY)
    assert step(month, starts, +1).start.astimezone(ALMATY) == datetime(2026, 12, 1, tzinfo=ALMATY)
    three = shift_at((time(0), time(8), time(16)), datetime(2026, 12, 1, 19, tzinfo=timezone.utc))
    assert three.start.astimezone(ALMATY) == datetime(2026, 12, 2, 0, tzinfo=ALMATY)
