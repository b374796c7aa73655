"""Scoped read API and lifecycle transitions for incidents and cameras."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from dashboard.api import api, json_object
from dashboard.auth import current_person
from dashboard.context import db, router as kuzet_router
from dashboard.live import push_incident
from services.duty.dispatch import arrive, assigned_units, dispatch, dispatch_nearest
from services.cameras.scorecards import camera_uptime
from services.duty.incidents import (ACTIONS, Conflict, TransitionRefused, allowed_actions, create_manual,
                                locate_address, rows_for, transition)
from services.duty.sop import checklist
from services.intake.ingest import Problem
from services.store.models import OPEN_STATUSES, Camera, Incident, IncidentStatus, Operator, User
from services.access.scope import MAX_ID, as_id, city_departments, incident_in_scope, visible_departments


def _person() -> User:
    user = current_person()
    if user is None:
        raise Problem(401, "unauthorized", "Login required",
                      "send a session cookie or Authorization: Bearer <token from /api/v1/auth/token>")
    return user


def _incident_in_scope(user: User, incident_id: int) -> Incident:
    incident = incident_in_scope(db(), user, incident_id)
    if incident is None:
        raise Problem(404, "not-found", "No such incident", f"incident {incident_id} not found")
    return incident


def _detail(user: User, incident: Incident) -> dict[str, Any]:
    row = rows_for(db(), [incident])[0]
    row["case_number"] = incident.case_number
    row["outcome_note"] = incident.outcome_note
    sop = checklist(db(), incident)
    row["sop"] = [{"id": s.id, "position": s.position, "text": s.text, "mandatory": s.mandatory,
                   "ticked_by": sop.ticked[s.id].actor if s.id in sop.ticked else None} for s in sop.steps]
    row["units"] = assigned_units(db(), incident.id)
    row["history"] = [
        {"action": h.action, "from": h.from_status, "to": h.to_status, "actor": h.actor, "reason": h.reason,
         "at": h.at.isoformat()} for h in incident.history
    ]
    row["allowed_actions"] = allowed_actions(incident.status, user.role)
    return row


@api.get("/incidents")
def list_incidents() -> Response:
    """Incidents of the caller's departments; ``status=open`` or a status name filters."""
    user = _person()
    query = sa.select(Incident).where(Incident.department_id.in_(visible_departments(db(), user)))
    status = request.args.get("status")
    if status == "open":
        query = query.where(Incident.status.in_(OPEN_STATUSES))
    elif status:
        if status not in {s.value for s in IncidentStatus}:
            raise Problem(400, "validation", "Unknown status", f"status {status!r} is not a lifecycle state")
        query = query.where(Incident.status == status)
    try:
        limit = min(max(int(request.args.get("limit", 200)), 1), 1000)
    except ValueError:
        raise Problem(400, "validation", "Bad limit", "limit must be an integer") from None
    incidents = list(db().scalars(query.order_by(Incident.priority, Incident.created_at).limit(limit)))
    return jsonify({"incidents": rows_for(db(), incidents)})


@api.get("/incidents/<int:incident_id>")
def get_incident(incident_id: int) -> Response:
    """One incident with its history and the actions the caller may take."""
    user = _person()
    return jsonify(_detail(user, _incident_in_scope(user, incident_id)))


@api.post("/incidents/<int:incident_id>/transitions")
def post_transition(incident_id: int) -> Response:
    """Apply a lifecycle action: {"action": ..., "reason"?, "outcome"?, "version"?}."""
    user = _person()
    incident = _incident_in_scope(user, incident_id)
    body = json_object(request.get_json(silent=True))
    action = body.get("action")
    if action not in ACTIONS:
        raise Problem(422, "validation", "Unknown action", f"action must be one of: {', '.join(ACTIONS)}",
                      [{"pointer": "/action", "detail": "unknown action"}])
    version = body.get("version")
    # Transfers go to neighbours outside the caller's scope, so only the target's existence is checked.
    target = body.get("department_id")
    if target is not None and (not isinstance(target, int) or isinstance(target, bool) or not 0 < target <= MAX_ID):
        raise Problem(422, "validation", "Bad department", "department_id must be a department's id",
                      [{"pointer": "/department_id", "detail": "must be a department id"}])
    reason = body.get("reason", "")
    if not isinstance(reason, str) or "\x00" in reason:
        raise Problem(422, "validation", "Bad reason", "reason must be text",
                      [{"pointer": "/reason", "detail": "must be a string"}])
    outcome = body.get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        raise Problem(422, "validation", "Bad outcome", "outcome must be one of the outcome names",
                      [{"pointer": "/outcome", "detail": "must be a string"}])
    case_number = body.get("case_number", "")
    if not isinstance(case_number, str) or "\x00" in case_number:
        raise Problem(422, "validation", "Bad case number", "case_number must be text",
                      [{"pointer": "/case_number", "detail": "must be a string"}])
    unit_ids = body.get("unit_ids", [])
    if not isinstance(unit_ids, list) or not all(isinstance(u, int) and not isinstance(u, bool) and 0 < u <= MAX_ID
                                                 for u in unit_ids):
        raise Problem(422, "validation", "Bad units", "unit_ids must be a list of unit ids",
                      [{"pointer": "/unit_ids", "detail": "must be a list of unit ids"}])
    expected = version if isinstance(version, int) and not isinstance(version, bool) else None
    department_before = incident.department_id
    try:
        if action == "dispatch" and (unit_ids or body.get("nearest") is True):
            if unit_ids:
                dispatch(db(), incident, unit_ids, user, expected_version=expected)
            else:
                dispatch_nearest(db(), incident, user, expected_version=expected)
        elif action == "dispatch":
            raise TransitionRefused("dispatch needs unit_ids (see GET .../suggestions) or \"nearest\": true")
        elif action == "arrive":
            unit_id = body.get("unit_id")
            if unit_id is not None and (not isinstance(unit_id, int) or isinstance(unit_id, bool)):
                raise Problem(422, "validation", "Bad unit", "unit_id must be a unit's id",
                              [{"pointer": "/unit_id", "detail": "must be a unit id"}])
            arrive(db(), incident, user, unit_id=unit_id, expected_version=expected)
        else:
            transition(db(), incident, action, user, expected_version=expected, reason=reason, outcome=outcome,
                       target_department_id=target, case_number=case_number,
                       sop_override=body.get("sop_override") is True)
        db().commit()
    except Conflict as conflict:
        db().rollback()
        raise Problem(409, "conflict", "Changed by someone else", str(conflict)) from None
    except TransitionRefused as refused:
        db().rollback()
        raise Problem(409, "illegal-transition", "Transition refused", str(refused)) from None
    push_incident(incident, department_before)
    return jsonify(_detail(user, incident))


def _finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


@api.post("/incidents")
def create_incident() -> tuple[Response, int]:
    """A manual incident from a 102 call: {"lat", "lon", "type", "description"?, "address"?}.

    Without lat/lon, an address the centre already knows (a camera's, an earlier call's) gives the position.
    """
    user = _person()
    body = json_object(request.get_json(silent=True))
    if "lat" not in body and "lon" not in body and isinstance(body.get("address"), str) and "\x00" not in body["address"]:
        where = locate_address(db(), city_departments(db(), user), body["address"])
        if where is None:
            raise Problem(422, "validation", "Unknown address",
                          "no position is known for this address: send lat and lon (a point on the map)",
                          [{"pointer": "/address", "detail": "not a known address"}])
        body = {**body, "lat": where[0], "lon": where[1]}
    errors = [{"pointer": f"/{k}", "detail": "must be a number"} for k in ("lat", "lon")
              if not _finite_number(body.get(k))]
    if not isinstance(body.get("type"), str):
        errors.append({"pointer": "/type", "detail": "must be an incident type"})
    for key in ("description", "address"):
        if key in body and (not isinstance(body[key], str) or "\x00" in body[key]):
            errors.append({"pointer": f"/{key}", "detail": "must be a string"})
    if errors:
        raise Problem(422, "validation", "Invalid incident", "fix the fields listed in errors", errors)
    try:
        incident = create_manual(db(), kuzet_router(), user, float(body["lat"]), float(body["lon"]), body["type"],
                                 body.get("description", ""), body.get("address", ""))
        db().commit()
    except TransitionRefused as refused:
        db().rollback()
        raise Problem(422, "validation", "Incident refused", str(refused)) from None
    push_incident(incident)
    return jsonify(rows_for(db(), [incident])[0]), 201


@api.get("/cameras/<camera_id>")
def get_camera(camera_id: str) -> Response:
    """A camera by numeric id, if it stands in the caller's departments."""
    user = _person()
    key = as_id(camera_id)
    camera = db().get(Camera, key) if key is not None else None
    if camera is None or camera.department_id not in visible_departments(db(), user):
        raise Problem(404, "not-found", "No such camera", f"camera {camera_id} not found")
    operator = db().get(Operator, camera.operator_id)
    return jsonify({
        "id": camera.id, "external_id": camera.external_id, "operator": operator.name if operator else None,
        "lat": camera.lat, "lon": camera.lon, "mount_kind": camera.mount_kind, "address": camera.address,
        "live_url": camera.live_url, "department_id": camera.department_id, "district_id": camera.district_id,
        "outside_boundaries": camera.outside_boundaries, "health": camera.health,
        "last_seen_at": camera.last_seen_at.isoformat() if camera.last_seen_at else None,
        "uptime": {name: u.__dict__ for name, u in camera_uptime(db(), camera.id).items()},
    })
