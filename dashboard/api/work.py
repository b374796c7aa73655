"""Working an incident over REST: suggestions, SOP ticks, notes, unit positions, exchange exports, policy."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from dashboard.api import api, json_object
from dashboard.api.incidents import _detail, _incident_in_scope, _person
from dashboard.context import db, kuzet
from dashboard.live import push_incident, push_unit
from services.store import audit
from services.duty.dispatch import set_duty, suggest, update_position
from services.duty.exchange import to_cap, to_eido
from services.intake.ingest import Problem
from services.store.models import Incident, IncidentNote, IncidentUnit, Offence, Operator, Role, Unit, User, utcnow
from services.duty.policy import load_rules, set_rule
from services.cameras.scorecards import operator_uptime
from services.access.scope import MAX_ID, visible_departments
from services.duty.sop import set_steps, tick

WORKERS = (Role.DUTY_OFFICER.value, Role.SUPERVISOR.value, Role.ADMIN.value)


def _require(user: User, roles: tuple[str, ...]) -> None:
    if user.role not in roles:
        raise Problem(403, "forbidden", "Not allowed", f"role {user.role} may not do this")


@api.get("/incidents/<int:incident_id>/suggestions")
def suggestions(incident_id: int) -> Response:
    """Nearest available units with distance (m) and ETA (s)."""
    incident = _incident_in_scope(_person(), incident_id)
    speed = kuzet().settings.city_speed_kmh
    return jsonify({"units": [s.__dict__ for s in suggest(db(), incident, speed_kmh=speed)], "speed_kmh": speed})


@api.post("/incidents/<int:incident_id>/sop/<int:step_id>")
def tick_step(incident_id: int, step_id: int) -> Response:
    """Tick one SOP step; recorded with who and when."""
    user = _person()
    _require(user, WORKERS)
    incident = _incident_in_scope(user, incident_id)
    try:
        tick(db(), incident, step_id, user)
    except ValueError as exc:
        raise Problem(404, "not-found", "No such step", str(exc)) from None
    db().commit()
    return jsonify(_detail(user, incident))


@api.post("/incidents/<int:incident_id>/notes")
def add_note(incident_id: int) -> tuple[Response, int]:
    """Add a note: {"text": ...}."""
    user = _person()
    _require(user, WORKERS)
    incident = _incident_in_scope(user, incident_id)
    text = json_object(request.get_json(silent=True)).get("text")
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise Problem(422, "validation", "Empty note", "text must be non-empty text",
                      [{"pointer": "/text", "detail": "must be non-empty text"}])
    db().add(IncidentNote(incident_id=incident.id, author=user.username, text=text.strip()[:4000], at=utcnow()))
    audit.record(db(), user.username, "incident.note", f"incident:{incident.id}")
    db().commit()
    push_incident(incident)
    return jsonify(_detail(user, incident)), 201


@api.get("/units")
def list_units() -> Response:
    """Units of the caller's departments with their current incident, if any."""
    user = _person()
    rows = db().execute(
        sa.select(Unit, IncidentUnit.incident_id, Incident.lat, Incident.lon)
        .outerjoin(IncidentUnit, sa.and_(IncidentUnit.unit_id == Unit.id, IncidentUnit.released_at.is_(None)))
        .outerjoin(Incident, Incident.id == IncidentUnit.incident_id)
        .where(Unit.department_id.in_(visible_departments(db(), user))).order_by(Unit.call_sign))
    return jsonify({"units": [{"id": u.id, "call_sign": u.call_sign, "department_id": u.department_id,
                               "status": u.status, "lat": u.lat, "lon": u.lon, "incident_id": iid,
                               "incident_lat": ilat, "incident_lon": ilon} for u, iid, ilat, ilon in rows]})


def _unit_in_scope(unit_id: int) -> tuple[User, Unit]:
    """The caller (a duty worker) and the unit, which must be in a department the caller sees."""
    user = _person()
    _require(user, WORKERS)
    unit = db().get(Unit, unit_id) if 0 < unit_id <= MAX_ID else None
    if unit is None or unit.department_id not in visible_departments(db(), user):
        raise Problem(404, "not-found", "No such unit", f"unit {unit_id} not found")
    return user, unit


def _unit_changed(unit: Unit) -> Response:
    """Commit, tell the department's walls, and answer with the unit as it is now."""
    db().commit()
    answer = {"id": unit.id, "call_sign": unit.call_sign, "lat": unit.lat, "lon": unit.lon, "status": unit.status}
    push_unit(unit.department_id, answer)
    return jsonify(answer)


@api.post("/units/<int:unit_id>/position")
def unit_position(unit_id: int) -> Response:
    """A unit reports its position: {"lat", "lon"}."""
    _user, unit = _unit_in_scope(unit_id)
    body = json_object(request.get_json(silent=True))
    lat, lon = body.get("lat"), body.get("lon")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) for v in (lat, lon)):
        raise Problem(422, "validation", "Bad position", "lat and lon must be numbers",
                      [{"pointer": "/lat", "detail": "number"}, {"pointer": "/lon", "detail": "number"}])
    try:
        update_position(db(), unit, float(lat), float(lon))
    except ValueError as exc:
        raise Problem(422, "validation", "Bad position", str(exc)) from None
    return _unit_changed(unit)


@api.post("/units/<int:unit_id>/status")
def unit_status(unit_id: int) -> Response:
    """A unit comes on or goes off duty: {"status": "available" | "off_duty"} (dispatch sets the rest)."""
    user, unit = _unit_in_scope(unit_id)
    status = json_object(request.get_json(silent=True)).get("status")
    try:
        set_duty(db(), unit, status, user)
    except ValueError as exc:
        raise Problem(422, "validation", "Bad unit status", str(exc),
                      [{"pointer": "/status", "detail": str(exc)}]) from None
    return _unit_changed(unit)


@api.get("/incidents/<int:incident_id>/cap")
def incident_cap(incident_id: int) -> Response:
    """The incident as an OASIS CAP 1.2 alert."""
    user = _person()
    incident = _incident_in_scope(user, incident_id)
    body = to_cap(db(), incident)
    audit.record(db(), user.username, "export.cap", f"incident:{incident.id}")
    db().commit()
    return Response(body, mimetype="application/cap+xml")


@api.get("/incidents/<int:incident_id>/eido")
def incident_eido(incident_id: int) -> Response:
    """The incident as NENA EIDO-style JSON."""
    user = _person()
    incident = _incident_in_scope(user, incident_id)
    body = to_eido(db(), incident)
    audit.record(db(), user.username, "export.eido", f"incident:{incident.id}")
    db().commit()
    return jsonify(body)


@api.get("/offences.csv")
def offences_csv() -> Response:
    """The offence register of the caller's departments, for the fines system (newest first, ?limit=)."""
    user = _person()
    limit = request.args.get("limit", "10000")
    limit_n = min(int(limit), 100_000) if limit.isascii() and limit.isdigit() else 10_000
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["offence_id", "occurred_at", "type", "plate", "country", "speed_kmh", "limit_kmh", "camera_id",
                     "operator_id", "department_id", "evidence"])
    for o in db().scalars(sa.select(Offence).where(Offence.department_id.in_(visible_departments(db(), user)))
                          .order_by(Offence.occurred_at.desc()).limit(limit_n)):
        writer.writerow([o.id, o.occurred_at.isoformat(), o.type, o.plate, o.plate_country, o.speed_kmh, o.limit_kmh,
                         o.camera_id, o.operator_id, o.department_id,
                         " ".join(m.get("url", "") for m in o.evidence.get("media", []))])
    audit.record(db(), user.username, "export.offences", "offences")
    db().commit()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kuzet-offences.csv"})


@api.get("/operators/<int:operator_id>/uptime")
def get_operator_uptime(operator_id: int) -> Response:
    """Uptime of an operator's cameras in the caller's departments: day, week, month."""
    user = _person()
    operator = db().get(Operator, operator_id) if 0 < operator_id <= MAX_ID else None
    if operator is None:
        raise Problem(404, "not-found", "No such operator", f"operator {operator_id} not found")
    figures = operator_uptime(db(), operator_id, department_ids=visible_departments(db(), user))
    return jsonify({name: u.__dict__ for name, u in figures.items()})


@api.get("/policy")
def get_policy() -> Response:
    """The priority policy table (shipped default until an admin changes it)."""
    _person()
    return jsonify({"rules": [r.__dict__ for r in load_rules(db())]})


@api.put("/policy")
def put_policy_rule() -> Response:
    """Admin: set one rule {"incident_type", "priority", "department_id"?, "mount_kind"?, "night_only"?,
    "min_confidence"?}."""
    user = _person()
    _require(user, (Role.ADMIN.value,))
    body = json_object(request.get_json(silent=True))
    department_id, mount, night = body.get("department_id"), body.get("mount_kind"), body.get("night_only", False)
    floor = body.get("min_confidence")
    if not isinstance(body.get("incident_type"), str) or not isinstance(body.get("priority"), int) \
            or (department_id is not None and not isinstance(department_id, int)) \
            or (mount is not None and not isinstance(mount, str)) or not isinstance(night, bool) \
            or (floor is not None and (isinstance(floor, bool) or not isinstance(floor, (int, float)))):
        raise Problem(422, "validation", "Bad rule", "send incident_type (text), priority (1-4), optional "
                      "department_id (id), mount_kind (text), night_only (bool), min_confidence (0-1)")
    try:
        rule = set_rule(db(), department_id, body["incident_type"], body["priority"], mount, night,
                        float(floor) if floor is not None else None)
    except ValueError as exc:
        raise Problem(422, "validation", "Bad rule", str(exc)) from None
    audit.record(db(), user.username, "admin.policy", body["incident_type"], rule=body)
    db().commit()
    return jsonify({"id": rule.id, "priority": rule.priority})


@api.put("/sop/<incident_type>")
def put_sop(incident_type: str) -> Response:
    """Admin: replace a type's checklist: {"steps": [{"text": ..., "mandatory": bool}, ...]}."""
    user = _person()
    _require(user, (Role.ADMIN.value,))
    steps: Any = json_object(request.get_json(silent=True)).get("steps")
    if not isinstance(steps, list) or not all(isinstance(s, dict) and isinstance(s.get("text"), str)
                                              and isinstance(s.get("mandatory", True), bool) for s in steps):
        raise Problem(422, "validation", "Bad procedure", "steps must be a list of {text, mandatory}")
    try:
        stored = set_steps(db(), incident_type, [(s["text"], s.get("mandatory", True)) for s in steps], user)
    except ValueError as exc:
        raise Problem(422, "validation", "Bad procedure", str(exc)) from None
    db().commit()
    return jsonify({"steps": [{"id": s.id, "position": s.position, "text": s.text, "mandatory": s.mandatory}
                              for s in stored if s.position < 1000]})
