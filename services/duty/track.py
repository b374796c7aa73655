"""The track of patrol units: where each was and in which status, kept for replay."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.geo.distance import distance_m
from services.store.models import Unit, UnitPosition, UnitStatus, utcnow

MOVED_M = 50.0  # a smaller move is GPS jitter at a wall's zoom
MOVING_EVERY = timedelta(seconds=10)  # a moving unit reports every second or two; one point per 10 s draws its path


def last_points(session: so.Session, unit_ids: Iterable[int]) -> dict[int, UnitPosition]:
    """The latest stored point of each unit, in one query."""
    ids = set(unit_ids)
    if not ids:
        return {}
    latest = (sa.select(UnitPosition.unit_id, sa.func.max(UnitPosition.id).label("id"))
              .where(UnitPosition.unit_id.in_(ids)).group_by(UnitPosition.unit_id).subquery())
    return {p.unit_id: p for p in session.scalars(sa.select(UnitPosition).join(latest, latest.c.id == UnitPosition.id))}


def worth_keeping(last: UnitPosition | None, unit: Unit, at: datetime) -> bool:
    """A status change always; a move of more than about 50 m at most every 10 s; nothing else."""
    if last is None or last.status != unit.status:
        return True
    return (at - last.at >= MOVING_EVERY
            and distance_m(last.lat, last.lon, unit.lat, unit.lon) > MOVED_M)


def record(session: so.Session, units: Iterable[Unit], at: datetime | None = None) -> int:
    """Append track points for the units that moved or changed status; returns how many were kept."""
    units = list(units)
    previous = last_points(session, (u.id for u in units))
    rows = []
    for unit in units:
        when = at or unit.updated_at or utcnow()  # the moment the unit changed, not when this runs
        if worth_keeping(previous.get(unit.id), unit, when):
            rows.append({"unit_id": unit.id, "department_id": unit.department_id, "at": when, "lat": unit.lat,
                         "lon": unit.lon, "status": unit.status})
    if rows:
        session.execute(sa.insert(UnitPosition), rows)
    return len(rows)


def positions_at(session: so.Session, department_ids: set[int], at: datetime) -> dict[int, UnitPosition]:
    """Where each unit of the departments was at ``at``, and in which status: its latest point not after it.

    Before its first point a unit was on patrol (its first recorded change is from there) where that
    point puts it; one never tracked is as it is now. One indexed lookup per unit (units are few).
    """
    if not department_ids:
        return {}
    found: dict[int, UnitPosition] = {}
    for unit in session.scalars(sa.select(Unit).where(Unit.department_id.in_(department_ids)).order_by(Unit.id)):
        point = session.scalar(sa.select(UnitPosition).where(UnitPosition.unit_id == unit.id, UnitPosition.at <= at)
                               .order_by(UnitPosition.at.desc(), UnitPosition.id.desc()).limit(1))
        if point is None:
            first = session.scalar(sa.select(UnitPosition).where(UnitPosition.unit_id == unit.id)
                                   .order_by(UnitPosition.at, UnitPosition.id).limit(1))
            point = None if first is None else UnitPosition(
                unit_id=unit.id, department_id=unit.department_id, at=first.at, lat=first.lat, lon=first.lon,
                status=UnitStatus.AVAILABLE.value)
        found[unit.id] = point if point is not None else UnitPosition(
            unit_id=unit.id, department_id=unit.department_id, at=unit.updated_at, lat=unit.lat, lon=unit.lon,
            status=unit.status)
    return found
