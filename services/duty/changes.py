"""What the duty room's changes put on the change feed: queue rows of incidents, units as the wall draws them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.duty import track
from services.duty.incidents import rows_for
from services.store import feed
from services.store.models import Incident, IncidentUnit, Unit


def unit_row(unit: Unit, incident_id: int | None = None) -> dict[str, Any]:
    """A unit as walls and the API show it: where, in which status since when, on which incident."""
    return {"id": unit.id, "call_sign": unit.call_sign, "department_id": unit.department_id, "lat": unit.lat,
            "lon": unit.lon, "status": unit.status, "incident_id": incident_id,
            "since": unit.updated_at.isoformat() if unit.updated_at else None}


def unit_rows(session: so.Session, units: Iterable[Unit]) -> list[dict[str, Any]]:
    """Rows of several units with the incident each is on, in one query."""
    units = list(units)
    on = dict(session.execute(sa.select(IncidentUnit.unit_id, IncidentUnit.incident_id).where(
        IncidentUnit.unit_id.in_([u.id for u in units]), IncidentUnit.released_at.is_(None))).tuples().all()) \
        if units else {}
    return [unit_row(u, on.get(u.id)) for u in units]


def incidents_changed(session: so.Session, incidents: Iterable[Incident], action: str, actor: str,
                      previous_department: dict[int, int] | None = None) -> None:
    """Record changed incidents on the feed, in this transaction (one query for all their rows)."""
    incidents = list(incidents)
    if not incidents:
        return
    session.flush()
    rows = rows_for(session, incidents)
    feed.record(session, "incident", [(r["id"], r["department_id"], r) for r in rows], action, actor,
                previous_department)


def units_changed(session: so.Session, units: Iterable[Unit], action: str, actor: str) -> None:
    """Record changed units on the feed and their track, in this transaction."""
    units = list(units)
    session.flush()
    track.record(session, units)
    feed.record(session, "unit", [(u.id, u.department_id, row) for u, row in zip(units, unit_rows(session, units))],
                action, actor)
