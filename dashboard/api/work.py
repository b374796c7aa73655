"""Working an incident over REST: suggestions, SOP ticks, notes, unit positions, exchange exports, policy."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from dashboard.api import api, json_object, person
from dashboard.api.incidents import _detail, _incident_in_scope
from dashboard.context import db, kuzet, perform
from services.tabular import safe_row
from services.duty import actions
from services.duty.changes import unit_row
from services.store import audit
from services.duty.dispatch import suggest
from services.duty.exchange import to_cap, to_eido
from dashboard.api.problems import Problem
from services.i18n import _
from services.store.models import Incident, IncidentUnit, Offence, Operator, Unit
from services.duty.policy import load_rules
from services.cameras.scorecards import operator_uptime
from services.access.scope import MAX_ID, visible_departments


@api.get("/incidents/<int:incident_id>/suggestions")
def suggestions(incident_id: int) -> Response:
    """Nearest available units with distance (m) and ETA (s)."""
    incident = _incident_in_scope(person(), incident_id)
    speed = kuzet().settings.city_speed_kmh
    return jsonify({"units": [s.__dict__ for s in suggest(db(), incident, speed_kmh=speed)], "speed_kmh": speed})


@api.post("/incidents/<int:incident_id>/sop/<int:step_id>")
def tick_step(incident_id: int, step_id: int) -> Response:
    """Tick one SOP step; recorded with who and when."""
    user = person()
    perform(actions.tick_sop_step, user, incident_id, step_id=step_id)
    return jsonify(_detail(user, _incident_in_scope(user, incident_id)))


@api.post("/incidents/<int:incident_id>/notes")
def add_note(incident_id: int) -> tuple[Response, int]:
    """Add a note: {"text": ...}."""
    user = person()
    perform(actions.add_note, user, incident_id, text=json_object(request.get_json(silent=True)).get("text"))
    return jsonify(_detail(user, _incident_in_scope(user, incident_id))), 201


@api.get("/units")
def list_units() -> Response:
    """Units of the caller's departments with their current incident, if any."""
    user = person()
    rows = db().execute(
        sa.select(Unit, IncidentUnit.incident_id, Incident.lat, Incident.lon)
        .outerjoin(IncidentUnit, sa.and_(IncidentUnit.unit_id == Unit.id, IncidentUnit.released_at.is_(None)))
        .outerjoin(Incident, Incident.id == IncidentUnit.incident_id)
        .where(Unit.department_id.in_(visible_departments(db(), user))).order_by(Unit.call_sign))
    return jsonify({"units": [{"id": u.id, "call_sign": u.call_sign, "department_id": u.department_id,
                               "status": u.status, "lat": u.lat, "lon": u.lon, "incident_id": iid,
                               "incident_lat": ilat, "incident_lon": ilon} for u, iid, ilat, ilon in rows]})


def _unit_answer(unit: Unit) -> Response:
    return jsonify(unit_row(unit))


@api.post("/units/<int:unit_id>/position")
def unit_position(unit_id: int) -> Response:
    """A unit reports its position: {"lat", "lon"}."""
    body = json_object(request.get_json(silent=True))
    return _unit_answer(perform(actions.set_unit_position, person(), unit_id, lat=body.get("lat"),
                                lon=body.get("lon")))


@api.post("/units/<int:unit_id>/status")
def unit_status(unit_id: int) -> Response:
    """A unit comes on or goes off duty: {"status": "available" | "off_duty"} (dispatch sets the rest)."""
    status = json_object(request.get_json(silent=True)).get("status")
    return _unit_answer(perform(actions.set_unit_status, person(), unit_id, status=status))


@api.get("/incidents/<int:incident_id>/cap")
def incident_cap(incident_id: int) -> Response:
    """The incident as an OASIS CAP 1.2 alert."""
    user = person()
    incident = _incident_in_scope(user, incident_id)
    body = to_cap(db(), incident)
    audit.record(db(), user.username, "export.cap", f"incident:{incident.id}")
    db().commit()
    return Response(body, mimetype="application/cap+xml")


@api.get("/incidents/<int:incident_id>/eido")
def incident_eido(incident_id: int) -> Response:
    """The incident as NENA EIDO-style JSON."""
    user = person()
    incident = _incident_in_scope(user, incident_id)
    body = to_eido(db(), incident)
    audit.record(db(), user.username, "export.eido", f"incident:{incident.id}")
    db().commit()
    return jsonify(body)


@api.get("/offences.csv")
def offences_csv() -> Response:
    """The offence register of the caller's departments, for the fines system (newest first, ?limit=)."""
    user = person()
    limit = request.args.get("limit", "10000")
    limit_n = min(int(limit), 100_000) if limit.isascii() and limit.isdigit() else 10_000
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["offence_id", "occurred_at", "type", "plate", "country", "speed_kmh", "limit_kmh", "camera_id",
                     "operator_id", "department_id", "evidence"])
    for o in db().scalars(sa.select(Offence).where(Offence.department_id.in_(visible_departments(db(), user)))
                          .order_by(Offence.occurred_at.desc()).limit(limit_n)):
        writer.writerow(safe_row([o.id, o.occurred_at.isoformat(), o.type, o.plate, o.plate_country, o.speed_kmh,
                                  o.limit_kmh, o.camera_id, o.operator_id, o.department_id,
                                  " ".join(m.get("url", "") for m in o.evidence.get("media", []))]))
    audit.record(db(), user.username, "export.offences", "offences")
    db().commit()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kuzet-offences.csv"})


@api.get("/operators/<int:operator_id>/uptime")
def get_operator_uptime(operator_id: int) -> Response:
    """Uptime of an operator's cameras in the caller's departments: day, week, month."""
    user = person()
    operator = db().get(Operator, operator_id) if 0 < operator_id <= MAX_ID else None
    if operator is None:
        raise Problem(404, "not-found", _("No such operator"),
                      _("Operator #%(id)s was not found.", id=operator_id))
    figures = operator_uptime(db(), operator_id, department_ids=visible_departments(db(), user))
    return jsonify({name: u.__dict__ for name, u in figures.items()})


@api.get("/policy")
def get_policy() -> Response:
    """The priority policy table (shipped default until an admin changes it)."""
    person()
    return jsonify({"rules": [r.__dict__ for r in load_rules(db())]})


@api.put("/policy")
def put_policy_rule() -> Response:
    """Admin: set one rule {"incident_type", "priority", "department_id"?, "mount_kind"?, "night_only"?,
    "min_confidence"?}."""
    body = json_object(request.get_json(silent=True))
    rule = perform(actions.set_policy_rule, person(), incident_type=body.get("incident_type"),
                   priority=body.get("priority"), department_id=body.get("department_id"),
                   mount_kind=body.get("mount_kind"), night_only=body.get("night_only", False),
                   min_confidence=body.get("min_confidence"))
    return jsonify({"id": rule.id, "priority": rule.priority})


@api.put("/sop/<incident_type>")
def put_sop(incident_type: str) -> Response:
    """Admin: replace a type's checklist: {"steps": [{"text": ..., "mandatory": bool}, ...]}."""
    steps: Any = json_object(request.get_json(silent=True)).get("steps")
    stored = perform(actions.set_sop, person(), incident_type, steps=steps)
    return jsonify({"steps": [{"id": s.id, "position": s.position, "text": s.text, "mandatory": s.mandatory}
                              for s in stored if s.position < 1000]})
