"""Patrol units: nearest available suggestions with ETA, dispatch, arrival, positions."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store import audit
from services.geo.distance import distance_m
from services.duty.incidents import DISPATCHABLE, check_actor, transition
from services.errors import IllegalTransition, Invalid, NotFound
from services.i18n import _
from services.i18n.terms import term
from services.store.models import Incident, IncidentStatus, IncidentUnit, Unit, UnitStatus, User, utcnow

DEFAULT_CITY_SPEED_KMH = 40.0


@dataclass(frozen=True)
class Suggestion:
    """An available unit with straight-line distance and ETA to the incident."""

    unit_id: int
    call_sign: str
    crew_size: int
    distance_m: float
    eta_s: int
    lat: float
    lon: float


def suggest(session: so.Session, incident: Incident, limit: int = 5,
            speed_kmh: float = DEFAULT_CITY_SPEED_KMH) -> list[Suggestion]:
    """The nearest available units of the incident's department, nearest first."""
    units = session.scalars(sa.select(Unit).where(Unit.department_id == incident.department_id,
                                                  Unit.status == UnitStatus.AVAILABLE.value))
    out = []
    for unit in units:
        metres = distance_m(incident.lat, incident.lon, unit.lat, unit.lon)
        out.append(Suggestion(unit.id, unit.call_sign, unit.crew_size, round(metres),
                              int(round(metres / (speed_kmh * 1000 / 3600))), unit.lat, unit.lon))
    return sorted(out, key=lambda s: (s.distance_m, s.call_sign))[:limit]


def dispatch(session: so.Session, incident: Incident, unit_ids: list[int], actor: User,
             expected_version: int | None = None) -> list[IncidentUnit]:
    """Send units: they go en route; the incident becomes dispatched (more units may join later)."""
    # Every path checks role and version, also when more units join an incident already dispatched.
    check_actor(incident, "dispatch", actor, expected_version)
    if not unit_ids:
        raise Invalid(_("Choose at least one unit to dispatch."), errors=[{"pointer": "/unit_ids", "detail": "empty"}])
    units = list(session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)).with_for_update()))
    if len(units) != len(set(unit_ids)):
        raise NotFound(_("No such unit."))
    for unit in units:
        if unit.department_id != incident.department_id:
            raise Invalid(_("The unit %(unit)s belongs to another department.", unit=unit.call_sign),
                          errors=[{"pointer": "/unit_ids", "detail": "unit of another department"}])
        if unit.status != UnitStatus.AVAILABLE.value:
            raise IllegalTransition(_("The unit %(unit)s is %(status)s, not free.", unit=unit.call_sign,
                                      status=term("unit", unit.status)))
    if incident.status not in DISPATCHABLE:
        raise IllegalTransition(_("A unit cannot be dispatched to an incident that is %(status)s.",
                                  status=term("status", incident.status)))
    if incident.status in (IncidentStatus.NEW.value, IncidentStatus.ACKNOWLEDGED.value, IncidentStatus.TRANSFERRED.value):
        calls = ", ".join(u.call_sign for u in units)
        transition(session, incident, "dispatch", actor, expected_version=expected_version, reason=calls)
    now = utcnow()
    assignments = []
    for unit in units:
        unit.status = UnitStatus.EN_ROUTE.value
        unit.updated_at = now
        assignment = IncidentUnit(incident_id=incident.id, unit_id=unit.id, dispatched_by=actor.username,
                                  dispatched_at=now, distance_m=round(distance_m(incident.lat, incident.lon,
                                                                                  unit.lat, unit.lon)))
        session.add(assignment)
        assignments.append(assignment)
        if incident.dispatched_at is None:
            incident.dispatched_at = now
        audit.record(session, actor.username, "unit.dispatch", f"incident:{incident.id}", unit=unit.call_sign)
    session.flush()
    return assignments


def dispatch_nearest(session: so.Session, incident: Incident, actor: User,
                     expected_version: int | None = None) -> IncidentUnit:
    """The `D` key: send the nearest available unit."""
    nearest = suggest(session, incident, limit=1)  # nearest by distance; speed does not change the order
    if not nearest:
        raise IllegalTransition(_("No unit of this department is free."))
    return dispatch(session, incident, [nearest[0].unit_id], actor, expected_version=expected_version)[0]


def arrive(session: so.Session, incident: Incident, actor: User, unit_id: int | None = None,
           expected_version: int | None = None) -> None:
    """A unit reports on scene (all units on the way, if none named); the incident moves to on_scene."""
    check_actor(incident, "arrive", actor, expected_version)
    active = list(session.scalars(sa.select(IncidentUnit).where(IncidentUnit.incident_id == incident.id,
                                                                IncidentUnit.released_at.is_(None))))
    if unit_id is not None:
        active = [a for a in active if a.unit_id == unit_id]
    if not active:
        raise IllegalTransition(_("No unit is on its way to this incident."))
    now = utcnow()
    for assignment in active:
        if assignment.arrived_at is None:
            assignment.arrived_at = now
            if incident.arrived_at is None:
                incident.arrived_at = now
            unit = session.get(Unit, assignment.unit_id)
            if unit is not None:
                unit.status = UnitStatus.ON_SCENE.value
                unit.updated_at = now
    if incident.status == IncidentStatus.DISPATCHED.value:
        # The journal names the unit that arrived and the account that reported it (an officer or the car's terminal).
        named = session.get(Unit, unit_id) if unit_id is not None else None
        transition(session, incident, "arrive", actor, done_by=f"наряд {named.call_sign}" if named else None,
                   reason=f"отметил · reported by {actor.username}" if named else "")
    session.flush()


def assigned_units(session: so.Session, incident_id: int) -> list[dict[str, object]]:
    """Units on the incident, for the incident page."""
    rows = session.execute(sa.select(IncidentUnit, Unit.call_sign, Unit.status, Unit.lat, Unit.lon).join(Unit)
                           .where(IncidentUnit.incident_id == incident_id).order_by(IncidentUnit.id))
    return [{"call_sign": call, "status": status, "lat": lat, "lon": lon, "dispatched_at": a.dispatched_at.isoformat(),
             "arrived_at": a.arrived_at.isoformat() if a.arrived_at else None,
             "released_at": a.released_at.isoformat() if a.released_at else None, "distance_m": a.distance_m}
            for a, call, status, lat, lon in rows]


DUTY_STATUSES = (UnitStatus.AVAILABLE.value, UnitStatus.OFF_DUTY.value)


def set_duty(session: so.Session, unit: Unit, status: object, actor: User) -> None:
    """Put a unit on or off duty; a unit on an incident is freed by the incident, not by this."""
    if status not in DUTY_STATUSES:
        raise Invalid(_("A unit's status must be one of: %(statuses)s.",
                        statuses=", ".join(term("unit", s) for s in DUTY_STATUSES)),
                      errors=[{"pointer": "/status", "detail": f"one of {', '.join(DUTY_STATUSES)}"}])
    if unit.status in (UnitStatus.EN_ROUTE.value, UnitStatus.ON_SCENE.value):
        raise IllegalTransition(_("The unit %(unit)s is %(status)s on an incident; resolve the incident or release "
                                  "the unit first.", unit=unit.call_sign, status=term("unit", unit.status)))
    if unit.status != status:
        audit.record(session, actor.username, "unit.duty", f"unit:{unit.id}", call_sign=unit.call_sign,
                     from_status=unit.status, to_status=status)
        unit.status, unit.updated_at = str(status), utcnow()
    session.flush()


def update_position(session: so.Session, unit: Unit, lat: float, lon: float) -> None:
    """A unit's reported position."""
    if not (40.5 <= lat <= 55.5 and 46.4 <= lon <= 87.4):
        raise Invalid(_("The position lies outside Kazakhstan."), errors=[{"pointer": "/lat", "detail": "outside Kazakhstan"},
                                                             {"pointer": "/lon", "detail": "outside Kazakhstan"}])
    unit.lat, unit.lon, unit.updated_at = lat, lon, utcnow()
    session.flush()
