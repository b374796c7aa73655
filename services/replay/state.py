"""The wall as it was: the state of a department at any moment, and the changes between two moments.

Reconstructed from the records, never from a recording of the screen: incident history (status and
department from each entry on), events as they were stored, the camera health changes and the units'
track. The rows are built by the same functions the live wall uses (``queue_row``, ``tally``,
``map_figure`` downstream), so a replay shows what the wall showed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.duty import track
from services.duty.incidents import queue_key, rows_for
from services.duty.situation import Situation, department_card, outlines, tally
from services.i18n.terms import term
from services.replay.redaction import Redactor
from services.store.models import (OPEN_STATUSES, Camera, CameraHealth, CameraHealthChange, Department, Event,
                                   Incident, IncidentHistory, IncidentNote, IncidentStatus, Unit, UnitPosition,
                                   UnitStatus)

# Statuses at which the incident's outcome is on record; before them the replay shows none.
WITH_OUTCOME = frozenset({IncidentStatus.RESOLVED.value, IncidentStatus.CLOSED.value})


@dataclass(frozen=True)
class Moment:
    """A department's wall at one instant: the situation as the wall draws it, plus the offline cameras."""

    at: datetime
    situation: Situation
    cameras_offline: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        """The API's answer: incidents with their status then, units, offline cameras, counters."""
        s = self.situation
        return {"at": self.at.isoformat(), "department": s.department, "incidents": s.incidents,
                "units": s.units, "cameras_offline": self.cameras_offline, "counters": s.counters}


def _spanning(department_ids: set[int], at: datetime) -> sa.Select[tuple[Incident]]:
    """Incidents that may have been open in the departments at ``at`` (history decides which were).

    Opened by then, and either open now or changed since (a finished one was last changed when it
    finished); in the departments now, or transferred since (it may have been here then).
    """
    moved = sa.select(IncidentHistory.incident_id).where(IncidentHistory.action == "transfer",
                                                         IncidentHistory.at > at)
    return sa.select(Incident).where(
        Incident.created_at <= at,
        sa.or_(Incident.status.in_(OPEN_STATUSES), Incident.updated_at > at),
        sa.or_(Incident.department_id.in_(department_ids), Incident.id.in_(moved)))


def incidents_at(session: so.Session, department_ids: set[int], at: datetime,
                 redactor: Redactor | None = None) -> list[dict[str, Any]]:
    """Queue rows of the incidents open in the departments at ``at``, each as it stood then, in queue order."""
    if not department_ids:
        return []
    candidates = {i.id: i for i in session.scalars(_spanning(department_ids, at))}
    if not candidates:
        return []
    then: dict[int, tuple[str, int]] = {}
    entries = session.execute(
        sa.select(IncidentHistory.incident_id, IncidentHistory.to_status, IncidentHistory.department_id)
        .where(IncidentHistory.incident_id.in_(candidates), IncidentHistory.at <= at)
        .order_by(IncidentHistory.incident_id, IncidentHistory.at, IncidentHistory.id))
    for incident_id, status, department_id in entries:
        then[incident_id] = (status, department_id or candidates[incident_id].department_id)
    shown = []
    for pk, incident in candidates.items():
        # Opened by then with no entry yet (a skewed clock stamped the opening later): it was new.
        status, department_id = then.get(pk, (IncidentStatus.NEW.value, incident.department_id))
        if status in OPEN_STATUSES and department_id in department_ids:
            shown.append((incident, status, department_id))
    counts = dict(session.execute(
        sa.select(Event.incident_id, sa.func.count(Event.id))
        .where(Event.incident_id.in_([i.id for i, _, _ in shown]), Event.stored_at <= at)
        .group_by(Event.incident_id)).all()) if shown else {}
    rows = rows_for(session, [i for i, _, _ in shown])
    out = []
    for row, (incident, status, department_id) in zip(rows, shown):
        acknowledged = incident.acknowledged_at if incident.acknowledged_at and incident.acknowledged_at <= at else None
        row.update(status=status, open=True, department_id=department_id,
                   event_count=max(counts.get(incident.id, 0), 1),
                   acknowledged_at=acknowledged.isoformat() if acknowledged else None,
                   outcome=incident.outcome if status in WITH_OUTCOME else None,
                   queue_key=queue_key(incident.priority, status, incident.created_at))
        out.append(redactor.row(row) if redactor else row)
    return sorted(out, key=lambda r: r["queue_key"])


def units_at(session: so.Session, department_ids: set[int], at: datetime) -> list[dict[str, Any]]:
    """The departments' units where they were at ``at`` and in which status, by call sign."""
    points = track.positions_at(session, department_ids, at)
    units = session.scalars(sa.select(Unit).where(Unit.id.in_(points)).order_by(Unit.call_sign)) if points else []
    return [{"id": u.id, "call_sign": u.call_sign, "status": points[u.id].status, "lat": points[u.id].lat,
             "lon": points[u.id].lon} for u in units]


def cameras_at(session: so.Session, department_ids: set[int], at: datetime) -> list[dict[str, Any]]:
    """The departments' cameras registered by ``at``, each with its health then (one indexed lookup each)."""
    before = (sa.select(CameraHealthChange.to_state).where(CameraHealthChange.camera_id == Camera.id,
                                                           CameraHealthChange.at <= at)
              .order_by(CameraHealthChange.at.desc(), CameraHealthChange.id.desc()).limit(1).scalar_subquery())
    after = (sa.select(CameraHealthChange.from_state).where(CameraHealthChange.camera_id == Camera.id,
                                                           CameraHealthChange.at > at)
             .order_by(CameraHealthChange.at, CameraHealthChange.id).limit(1).scalar_subquery())
    since = (sa.select(CameraHealthChange.at).where(CameraHealthChange.camera_id == Camera.id,
                                                    CameraHealthChange.at <= at)
             .order_by(CameraHealthChange.at.desc(), CameraHealthChange.id.desc()).limit(1).scalar_subquery())
    rows = session.execute(sa.select(Camera, before, after, since).where(
        Camera.department_id.in_(department_ids), Camera.created_at <= at).order_by(Camera.id))
    return [{"id": c.id, "external_id": c.external_id, "lat": c.lat, "lon": c.lon,
             "health": then or earlier or c.health, "mount_kind": c.mount_kind, "address": c.address,
             # Only the last sign of life before the moment is known: when its health last changed.
             "last_seen_at": changed.isoformat() if changed else None,
             "health_since": changed.isoformat() if changed else None}
            for c, then, earlier, changed in rows]


def state_at(session: so.Session, department_id: int, at: datetime, redactor: Redactor | None = None,
             outlined: bool = True) -> Moment:
    """The department's wall at ``at``: what the wall's first render would have been then.

    ``outlined`` false leaves the district outlines out: a playing replay patches markers, not the map.
    """
    department = session.get(Department, department_id)
    if department is None:
        raise LookupError(f"no department {department_id}")
    ids = {department_id}
    incidents = incidents_at(session, ids, at, redactor)
    units = units_at(session, ids, at)
    cameras = cameras_at(session, ids, at)
    offline = [{"id": c["id"], "external_id": c["external_id"], "lat": c["lat"], "lon": c["lon"],
                "since": c["health_since"]} for c in cameras if c["health"] == CameraHealth.OFFLINE.value]
    counters = tally(incidents, sum(1 for u in units if u["status"] == UnitStatus.AVAILABLE.value),
                     len(offline), len(cameras))
    situation = Situation(department=department_card(department),
                          districts=outlines(session, department_id, department.city) if outlined else [],
                          cameras=cameras, units=units, incidents=incidents, counters=counters)
    return Moment(at=at, situation=situation, cameras_offline=offline)


KIND_ORDER = {"camera": 0, "event": 1, "incident": 2, "unit": 3, "note": 4}


def changes_between(session: so.Session, department_ids: set[int], start: datetime, end: datetime,
                    redactor: Redactor | None = None, limit: int = 5000) -> tuple[list[dict[str, Any]], bool]:
    """What happened in the departments from ``start`` to ``end``, in order; and whether ``limit`` cut it short.

    Status changes (dispatches, arrivals, transfers in and out among them), events merged into
    incidents, notes, units' status changes and cameras' health changes.
    """
    redactor = redactor or Redactor(masked=False)
    out: list[dict[str, Any]] = []
    if not department_ids or end < start:
        return out, False
    window = (start, end)
    # Status changes: the entry's department is where the incident was from then on; a transfer
    # out is listed for the department it left too.
    entries = list(session.execute(
        sa.select(IncidentHistory, Incident.department_id, Incident.type, Incident.priority)
        .join(Incident, Incident.id == IncidentHistory.incident_id)
        .where(IncidentHistory.at.between(*window),
               sa.or_(sa.func.coalesce(IncidentHistory.department_id, Incident.department_id).in_(department_ids),
                      IncidentHistory.action == "transfer"))
        .order_by(IncidentHistory.at, IncidentHistory.id).limit(limit + 1)))
    left = _departments_left(session, [h for h, *_ in entries if h.action == "transfer"])
    for h, current, kind, priority in entries:
        here = h.department_id or current
        if here not in department_ids and left.get(h.id) not in department_ids:
            continue
        out.append({"at": h.at.isoformat(), "kind": "incident", "action": h.action, "incident_id": h.incident_id,
                    "type": kind, "type_label": term("type", kind), "priority": priority,
                    "from_status": h.from_status, "to_status": h.to_status, "actor": redactor.actor(h.actor),
                    "text": redactor.text(h.reason), "department_id": here,
                    "from_department_id": left.get(h.id)})
    for ev, kind_label in session.execute(
            sa.select(Event, Camera.external_id).join(Camera, Camera.id == Event.camera_id)
            .where(Event.department_id.in_(department_ids), Event.incident_id.is_not(None),
                   Event.stored_at.between(*window)).order_by(Event.stored_at, Event.id).limit(limit + 1)):
        record = redactor.record(ev.record or {})
        plate = record.get("plate", {}).get("number") if isinstance(record.get("plate"), dict) else None
        out.append({"at": ev.stored_at.isoformat(), "kind": "event", "action": "event", "incident_id": ev.incident_id,
                    "type": ev.type, "type_label": term("type", ev.type), "camera": kind_label,
                    "confidence": ev.confidence, "plate": plate, "actor": "camera", "text": ""})
    for note, incident_department in session.execute(
            sa.select(IncidentNote, Incident.department_id).join(Incident, Incident.id == IncidentNote.incident_id)
            .where(Incident.department_id.in_(department_ids), IncidentNote.at.between(*window))
            .order_by(IncidentNote.at, IncidentNote.id).limit(limit + 1)):
        out.append({"at": note.at.isoformat(), "kind": "note", "action": "note", "incident_id": note.incident_id,
                    "actor": redactor.actor(note.author), "text": redactor.text(note.text),
                    "department_id": incident_department})
    out += _unit_changes(session, department_ids, start, end, limit)
    for change, external_id in session.execute(
            sa.select(CameraHealthChange, Camera.external_id).join(Camera, Camera.id == CameraHealthChange.camera_id)
            .where(Camera.department_id.in_(department_ids), CameraHealthChange.at.between(*window))
            .order_by(CameraHealthChange.at, CameraHealthChange.id).limit(limit + 1)):
        out.append({"at": change.at.isoformat(), "kind": "camera", "action": "health", "camera_id": change.camera_id,
                    "camera": external_id, "from_status": change.from_state, "to_status": change.to_state,
                    "actor": "system", "text": change.reason})
    out.sort(key=lambda c: (c["at"], KIND_ORDER[c["kind"]]))
    return out[:limit], len(out) > limit


def _departments_left(session: so.Session, transfers: list[IncidentHistory]) -> dict[int, int]:
    """For each transfer entry, the department the incident was in just before it."""
    left: dict[int, int] = {}
    for h in transfers:
        before = session.execute(
            sa.select(IncidentHistory.department_id, Incident.department_id)
            .join(Incident, Incident.id == IncidentHistory.incident_id)
            .where(IncidentHistory.incident_id == h.incident_id,
                   sa.or_(IncidentHistory.at < h.at, sa.and_(IncidentHistory.at == h.at, IncidentHistory.id < h.id)))
            .order_by(IncidentHistory.at.desc(), IncidentHistory.id.desc()).limit(1)).first()
        if before is not None:
            left[h.id] = before[0] or before[1]
    return left


def _unit_changes(session: so.Session, department_ids: set[int], start: datetime, end: datetime,
                  limit: int) -> list[dict[str, Any]]:
    """Units' status changes in the window (their moves are in the state, not the timeline)."""
    points = list(session.execute(
        sa.select(UnitPosition, Unit.call_sign).join(Unit, Unit.id == UnitPosition.unit_id)
        .where(UnitPosition.department_id.in_(department_ids), UnitPosition.at.between(start, end))
        .order_by(UnitPosition.unit_id, UnitPosition.at, UnitPosition.id)))
    if not points:
        return []
    first_ids = {p.unit_id for p, _ in points}
    before = {}
    for unit_id in first_ids:
        before[unit_id] = session.scalar(sa.select(UnitPosition.status).where(
            UnitPosition.unit_id == unit_id, UnitPosition.at < start).order_by(UnitPosition.at.desc(),
                                                                                UnitPosition.id.desc()).limit(1))
    last: dict[int, str | None] = defaultdict(lambda: None, before)
    out = []
    for point, call_sign in points:
        if last[point.unit_id] is not None and point.status != last[point.unit_id]:  # a track's start is no change
            out.append({"at": point.at.isoformat(), "kind": "unit", "action": "unit_status", "unit_id": point.unit_id,
                        "unit": call_sign, "from_status": last[point.unit_id], "to_status": point.status,
                        "lat": point.lat, "lon": point.lon, "actor": call_sign, "text": ""})
        last[point.unit_id] = point.status
    return out[:limit + 1]


def incident_at(session: so.Session, incident_id: int, at: datetime,
                redactor: Redactor | None = None) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """One incident as it stood at ``at`` (None if it was not open then) and its entries up to then."""
    redactor = redactor or Redactor(masked=False)
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None, []
    entries = list(session.scalars(sa.select(IncidentHistory).where(IncidentHistory.incident_id == incident_id,
                                                                    IncidentHistory.at <= at)
                                   .order_by(IncidentHistory.at, IncidentHistory.id)))
    history = [{"at": h.at.isoformat(), "action": h.action, "from_status": h.from_status, "to_status": h.to_status,
                "actor": redactor.actor(h.actor), "text": redactor.text(h.reason)} for h in entries]
    rows = [r for r in incidents_at(session, {entries[-1].department_id or incident.department_id}, at, redactor)
            if r["id"] == incident_id] if entries else []
    if not rows:
        return None, history
    row = dict(rows[0])
    row.update(caller_name=redactor.person(incident.caller_name), caller_phone=redactor.phone(incident.caller_phone))
    return row, history
