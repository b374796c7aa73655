"""Training packs: a masked, self-contained window of one department, carried to a training instance.

``export_pack`` writes what replaying the window needs (the department's cameras and units, the
incidents open in it or opened during it with their whole history, events, notes, the camera health
changes and the units' track) with personal data masked by the rules of ``docs/masking.md``, and
operators' names, logins and evidence links left behind. ``import_pack`` loads it into another Kuzet,
under a training operator of its own, where ``services.replay.state`` replays it the same way.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.errors import Invalid
from services.i18n import _
from services.replay.redaction import Redactor
from services.replay.state import _spanning
from services.store import audit
from services.store.models import (Camera, CameraHealthChange, Department, Event, Incident, IncidentHistory,
                                   IncidentNote, IncidentUnit, Operator, Unit, UnitPosition, utcnow)

FORMAT = "kuzet.training-pack/1"
MAX_WINDOW = timedelta(days=7)
TRAINING_OPERATOR = "Учебный пакет · Training pack"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(_("%(field)s is not an ISO 8601 time", field=field), errors=[{"pointer": f"/{field}", "detail": "ISO 8601"}]) from None
    if parsed.tzinfo is None:
        raise Invalid(_("%(field)s has no offset", field=field), errors=[{"pointer": f"/{field}", "detail": "ISO 8601 with offset"}])
    return parsed


def export_pack(session: so.Session, actor: str, department_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """The masked pack of ``department_id`` from ``start`` to ``end``; the export is written to the journal."""
    department = session.get(Department, department_id)
    if department is None:
        raise Invalid(_("No department %(id)s", id=department_id), errors=[{"pointer": "/department", "detail": "no such department"}])
    if not start < end or end - start > MAX_WINDOW:
        raise Invalid(_("The window must run forward and last at most 7 days"),
                      errors=[{"pointer": "/to", "detail": "after from, at most 7 days later"}])
    redactor = Redactor.for_session(session)
    ids = {department_id}
    at_start = {i.id for i in session.scalars(_spanning(ids, start))}
    during = set(session.scalars(sa.select(IncidentHistory.incident_id).where(
        IncidentHistory.at.between(start, end),
        sa.func.coalesce(IncidentHistory.department_id, department_id) == department_id)))
    incidents = list(session.scalars(sa.select(Incident).where(Incident.id.in_(at_start | during))
                                     .order_by(Incident.id))) if at_start | during else []
    chosen = [i.id for i in incidents]
    cameras = list(session.scalars(sa.select(Camera).where(Camera.department_id == department_id,
                                                           Camera.created_at <= end).order_by(Camera.id)))
    camera_ids = {c.id for c in cameras} | {i.camera_id for i in incidents if i.camera_id is not None}
    health = list(session.scalars(sa.select(CameraHealthChange).where(
        CameraHealthChange.camera_id.in_(camera_ids), CameraHealthChange.at <= end)
        .order_by(CameraHealthChange.at, CameraHealthChange.id))) if camera_ids else []
    units = list(session.scalars(sa.select(Unit).where(Unit.department_id == department_id).order_by(Unit.id)))
    points = list(session.scalars(sa.select(UnitPosition).where(
        UnitPosition.unit_id.in_([u.id for u in units]), UnitPosition.at <= end)
        .order_by(UnitPosition.at, UnitPosition.id))) if units else []
    history = list(session.scalars(sa.select(IncidentHistory).where(IncidentHistory.incident_id.in_(chosen))
                                   .order_by(IncidentHistory.at, IncidentHistory.id))) if chosen else []
    events = list(session.scalars(sa.select(Event).where(Event.incident_id.in_(chosen))
                                  .order_by(Event.stored_at, Event.id))) if chosen else []
    notes = list(session.scalars(sa.select(IncidentNote).where(IncidentNote.incident_id.in_(chosen))
                                 .order_by(IncidentNote.at, IncidentNote.id))) if chosen else []
    assignments = list(session.scalars(sa.select(IncidentUnit).where(IncidentUnit.incident_id.in_(chosen))
                                       .order_by(IncidentUnit.id))) if chosen else []
    codes = dict(session.execute(sa.select(Department.id, Department.code)).all())
    # Only the latest change before the window matters for each camera and unit, then every one inside it.
    health = _from_start(health, start, lambda c: c.camera_id)
    points = _from_start(points, start, lambda p: p.unit_id)
    extra_cameras = camera_ids - {c.id for c in cameras}
    if extra_cameras:
        cameras += list(session.scalars(sa.select(Camera).where(Camera.id.in_(extra_cameras)).order_by(Camera.id)))
    pack = {
        "format": FORMAT, "exported_at": utcnow().isoformat(), "masked": True,
        "department": {"code": department.code, "name_ru": department.name_ru, "city": department.city},
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "cameras": [{"ref": c.id, "external_id": c.external_id, "lat": c.lat, "lon": c.lon, "mount_kind": c.mount_kind,
                     "address": c.address, "department": codes.get(c.department_id), "created_at": _iso(c.created_at),
                     "health": c.health} for c in cameras],
        "camera_health_changes": [{"camera": c.camera_id, "from": c.from_state, "to": c.to_state, "reason": c.reason,
                                   "at": _iso(c.at)} for c in health],
        "units": [{"ref": u.id, "call_sign": u.call_sign, "crew_size": u.crew_size, "status": u.status, "lat": u.lat,
                   "lon": u.lon} for u in units],
        "unit_positions": [{"unit": p.unit_id, "at": _iso(p.at), "lat": p.lat, "lon": p.lon, "status": p.status}
                           for p in points],
        "incidents": [{"ref": i.id, "department": codes.get(i.department_id), "camera": i.camera_id,
                       "source": i.source, "category": i.category, "type": i.type, "priority": i.priority,
                       "status": i.status, "lat": i.lat, "lon": i.lon, "address": i.address,
                       "description": redactor.text(i.description), "caller_name": redactor.person(i.caller_name),
                       "caller_phone": redactor.phone(i.caller_phone), "event_count": i.event_count,
                       "first_seen_at": _iso(i.first_seen_at), "last_seen_at": _iso(i.last_seen_at),
                       "created_at": _iso(i.created_at), "updated_at": _iso(i.updated_at),
                       "acknowledged_at": _iso(i.acknowledged_at), "acknowledged_by": redactor.actor(i.acknowledged_by),
                       "dispatched_at": _iso(i.dispatched_at), "arrived_at": _iso(i.arrived_at),
                       "resolved_at": _iso(i.resolved_at), "closed_at": _iso(i.closed_at), "outcome": i.outcome,
                       "case_number": i.case_number, "outcome_note": redactor.text(i.outcome_note)}
                      for i in incidents],
        "history": [{"incident": h.incident_id, "action": h.action, "from": h.from_status, "to": h.to_status,
                     "actor": redactor.actor(h.actor), "reason": redactor.text(h.reason), "at": _iso(h.at),
                     "department": codes.get(h.department_id) if h.department_id else None} for h in history],
        "events": [{"incident": e.incident_id, "camera": e.camera_id, "category": e.category, "type": e.type,
                    "occurred_at": _iso(e.occurred_at), "received_at": _iso(e.received_at),
                    "stored_at": _iso(e.stored_at), "confidence": e.confidence, "lat": e.lat, "lon": e.lon,
                    "record": redactor.record(e.record or {})} for e in events],
        "notes": [{"incident": n.incident_id, "author": redactor.actor(n.author), "text": redactor.text(n.text),
                   "at": _iso(n.at)} for n in notes],
        "assignments": [{"incident": a.incident_id, "unit": a.unit_id, "dispatched_by": redactor.actor(a.dispatched_by),
                         "dispatched_at": _iso(a.dispatched_at), "arrived_at": _iso(a.arrived_at),
                         "released_at": _iso(a.released_at), "distance_m": a.distance_m} for a in assignments],
    }
    audit.record(session, actor, "replay.export_pack", f"department:{department_id}", **{
        "from": start.isoformat(), "to": end.isoformat(), "incidents": len(incidents)})
    return pack


def _from_start(rows: list[Any], start: datetime, key: Any) -> list[Any]:
    """Rows at or after ``start``, plus each key's latest one before it (what the state at ``start`` needs)."""
    before: dict[Any, Any] = {}
    after = []
    for row in rows:
        if row.at < start:
            before[key(row)] = row
        else:
            after.append(row)
    return sorted(before.values(), key=lambda r: (r.at, r.id)) + after


def import_pack(session: so.Session, actor: str, pack: object) -> dict[str, int]:
    """Load a pack into this Kuzet under a training operator; returns how many rows of each kind it added."""
    if not isinstance(pack, dict) or pack.get("format") != FORMAT:
        raise Invalid(_("Not a training pack: the format must be %(format)s", format=repr(FORMAT)),
                      errors=[{"pointer": "/format", "detail": FORMAT}])
    try:
        return _load(session, actor, pack)
    except (KeyError, TypeError, ValueError) as bad:
        if isinstance(bad, Invalid):
            raise
        raise Invalid(_("The pack is damaged: %(problem)s", problem=repr(bad)[:250]), errors=[{"pointer": "", "detail": "malformed pack"}]) from None


def _load(session: so.Session, actor: str, pack: dict[str, Any]) -> dict[str, int]:
    codes = dict(session.execute(sa.select(Department.code, Department.id)).all())
    home = codes.get(pack["department"]["code"])
    if home is None:
        raise Invalid(_("This Kuzet has no department %(code)s: import the same city's boundaries first "
                        "(kuzet geodata import)", code=repr(pack["department"]["code"])),
                      errors=[{"pointer": "/department/code", "detail": "unknown department"}])
    # The pack's fingerprint and this load's own mark: the same pack may be loaded twice for two groups.
    digest = hashlib.sha256(json.dumps(pack, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:6] \
        + secrets.token_hex(2)
    operator = session.scalar(sa.select(Operator).where(Operator.name == TRAINING_OPERATOR))
    if operator is None:
        operator = Operator(name=TRAINING_OPERATOR, signing_required=True)
        session.add(operator)
        session.flush()

    def department(code: object) -> int:
        return codes.get(str(code), home) if code else home

    cameras: dict[int, int] = {}
    for c in pack["cameras"]:
        camera = Camera(operator_id=operator.id, external_id=f"{digest}-{c['external_id']}"[:64], lat=float(c["lat"]),
                        lon=float(c["lon"]), mount_kind=str(c["mount_kind"])[:32], address=str(c["address"])[:300],
                        department_id=department(c.get("department")), health=str(c.get("health") or "unknown")[:16],
                        created_at=_when(c["created_at"], "created_at") or utcnow())
        session.add(camera)
        session.flush()
        cameras[int(c["ref"])] = camera.id
    health = [{"camera_id": cameras[int(h["camera"])], "from_state": str(h["from"])[:16], "to_state": str(h["to"])[:16],
               "reason": str(h["reason"])[:64], "at": _when(h["at"], "at")} for h in pack["camera_health_changes"]
              if int(h["camera"]) in cameras]
    if health:  # an empty list would insert one row of defaults
        session.execute(sa.insert(CameraHealthChange), health)
    units: dict[int, int] = {}
    taken = set(session.scalars(sa.select(Unit.call_sign)))
    for u in pack["units"]:
        call_sign = str(u["call_sign"])[:24]
        while call_sign in taken:  # the training instance has units of its own: the pack's get a mark
            call_sign = f"{call_sign[:24]}-У{len(taken) % 100}"
        taken.add(call_sign)
        unit = Unit(call_sign=call_sign, department_id=home, crew_size=int(u.get("crew_size") or 2),
                    status=str(u["status"])[:16], lat=float(u["lat"]), lon=float(u["lon"]))
        session.add(unit)
        session.flush()
        units[int(u["ref"])] = unit.id
    points = [{"unit_id": units[int(p["unit"])], "department_id": home, "at": _when(p["at"], "at"),
               "lat": float(p["lat"]), "lon": float(p["lon"]), "status": str(p["status"])[:16]}
              for p in pack["unit_positions"] if int(p["unit"]) in units]
    if points:
        session.execute(sa.insert(UnitPosition), points)
    incidents: dict[int, int] = {}
    for i in pack["incidents"]:
        row = Incident(department_id=department(i.get("department")),
                       camera_id=cameras.get(int(i["camera"])) if i.get("camera") is not None else None,
                       source=str(i["source"])[:16], category=str(i["category"])[:16], type=str(i["type"])[:64],
                       priority=int(i["priority"]), status=str(i["status"])[:16], lat=float(i["lat"]),
                       lon=float(i["lon"]), address=str(i["address"])[:300], description=str(i["description"]),
                       caller_name=str(i.get("caller_name") or "")[:200],
                       caller_phone=str(i.get("caller_phone") or "")[:32], event_count=int(i["event_count"]),
                       outcome=i.get("outcome"), case_number=str(i.get("case_number") or "")[:64],
                       outcome_note=str(i.get("outcome_note") or ""),
                       acknowledged_by=(str(i["acknowledged_by"])[:64] if i.get("acknowledged_by") else None),
                       **{k: _when(i.get(k), k) for k in ("first_seen_at", "last_seen_at", "created_at", "updated_at",
                                                          "acknowledged_at", "dispatched_at", "arrived_at",
                                                          "resolved_at", "closed_at")})
        session.add(row)
        session.flush()
        incidents[int(i["ref"])] = row.id
    rows = {
        "history": [{"incident_id": incidents[int(h["incident"])], "action": str(h["action"])[:32],
                     "from_status": h.get("from"), "to_status": str(h["to"])[:16], "actor": str(h["actor"])[:100],
                     "reason": str(h.get("reason") or ""), "at": _when(h["at"], "at"),
                     "department_id": department(h.get("department"))} for h in pack["history"]],
        "events": [{"operator_id": operator.id, "event_id": f"pack-{digest}-{n}", "camera_id": cameras[int(e["camera"])],
                    "department_id": home, "incident_id": incidents[int(e["incident"])],
                    "category": str(e["category"])[:16], "type": str(e["type"])[:64],
                    "occurred_at": _when(e["occurred_at"], "occurred_at"), "received_at": _when(e["received_at"], "r"),
                    "stored_at": _when(e["stored_at"], "stored_at"), "late": False, "confidence": e.get("confidence"),
                    "lat": float(e["lat"]), "lon": float(e["lon"]), "record": e.get("record") or {}}
                   for n, e in enumerate(pack["events"])],
        "notes": [{"incident_id": incidents[int(n["incident"])], "author": str(n["author"])[:64], "text": str(n["text"]),
                   "at": _when(n["at"], "at")} for n in pack["notes"]],
        "assignments": [{"incident_id": incidents[int(a["incident"])], "unit_id": units[int(a["unit"])],
                         "dispatched_by": str(a["dispatched_by"])[:64], "dispatched_at": _when(a["dispatched_at"], "d"),
                         "arrived_at": _when(a.get("arrived_at"), "a"), "released_at": _when(a.get("released_at"), "r"),
                         "distance_m": float(a.get("distance_m") or 0)} for a in pack["assignments"]
                        if int(a["unit"]) in units],
    }
    for model, key in ((IncidentHistory, "history"), (Event, "events"), (IncidentNote, "notes"),
                       (IncidentUnit, "assignments")):
        if rows[key]:
            session.execute(sa.insert(model), rows[key])
    counts = {"cameras": len(cameras), "units": len(units), "incidents": len(incidents),
              **{key: len(value) for key, value in rows.items()}}
    audit.record(session, actor, "replay.import_pack", f"department:{home}", window=pack.get("window"), **counts)
    return counts
