"""Scoped read API and lifecycle transitions for incidents and cameras."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request, url_for

from dashboard.api import api, json_object, person
from dashboard.context import db, perform, router as kuzet_router
from services.access.permissions import Action
from services.cameras.scorecards import camera_uptime
from services.duty import actions
from services.duty.dispatch import assigned_units
from services.duty.incidents import ACTIONS, allowed_actions, rows_for
from services.errors import Invalid
from services.duty.sop import checklist
from dashboard.api.problems import Problem
from services.i18n import _
from services.replay.redaction import Redactor
from services.store.models import OPEN_STATUSES, Incident, IncidentStatus, Operator, User
from services.access.scope import as_id, camera_in_scope, incident_in_scope, visible_departments
from services.video.views import live_view_path


def _incident_in_scope(user: User, incident_id: int) -> Incident:
    incident = incident_in_scope(db(), user, incident_id)
    if incident is None:
        raise Problem(404, "not-found", _("No such incident"),
                      _("Incident #%(id)s was not found.", id=incident_id))
    return incident


def _detail(user: User, incident: Incident) -> dict[str, Any]:
    # A trainer reads past incidents masked, here as on the pages (docs/masking.md).
    redactor = Redactor.for_viewer(db(), user)
    row = rows_for(db(), [incident])[0]
    row["case_number"] = incident.case_number
    row["outcome_note"] = incident.outcome_note
    row["caller_name"], row["caller_phone"] = incident.caller_name, incident.caller_phone
    row = redactor.row(row)
    sop = checklist(db(), incident)
    row["sop"] = [{"id": s.id, "position": s.position, "text": s.text, "mandatory": s.mandatory,
                   "ticked_by": sop.ticked[s.id].actor if s.id in sop.ticked else None} for s in sop.steps]
    row["units"] = assigned_units(db(), incident.id)
    row["history"] = [
        {"action": h.action, "from": h.from_status, "to": h.to_status, "actor": redactor.actor(h.actor),
         "reason": redactor.text(h.reason), "at": h.at.isoformat()} for h in incident.history
    ]
    row["allowed_actions"] = allowed_actions(incident.status, user.role)
    return row


def _cursor(incident: Incident) -> str:
    """An opaque page cursor: the last row's place in the order (priority, time opened, id)."""
    return f"{incident.priority}.{incident.created_at.isoformat()}.{incident.id}"


def _after(cursor: str) -> tuple[int, datetime, int]:
    head, _dot, key = cursor.rpartition(".")
    priority, _dot, created = head.partition(".")
    try:
        number, moment, last = int(priority), datetime.fromisoformat(created), as_id(key)
        if last is None or not 0 <= number <= 99:
            raise ValueError(cursor)
        return number, moment, last
    except ValueError:
        raise Problem(400, "validation", _("Bad cursor"),
                      _("“after” must be the “next” cursor of an earlier page.")) from None


@api.get("/incidents")
def list_incidents() -> Response:
    """Incidents of the caller's departments, a page at a time (``limit``, ``after``); ``status`` filters."""
    user = person()
    query = sa.select(Incident).where(Incident.department_id.in_(visible_departments(db(), user)))
    status = request.args.get("status")
    if status == "open":
        query = query.where(Incident.status.in_(OPEN_STATUSES))
    elif status:
        if status not in {s.value for s in IncidentStatus}:
            raise Problem(400, "validation", _("Unknown status"),
                          _("The status %(status)s is not a lifecycle state.", status=repr(status)))
        query = query.where(Incident.status == status)
    try:
        limit = min(max(int(request.args.get("limit", 200)), 1), 1000)
    except ValueError:
        raise Problem(400, "validation", _("Bad limit"), _("“limit” must be an integer.")) from None
    total = db().scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    after = request.args.get("after")
    if after:
        priority, created, key = _after(after)
        query = query.where(sa.tuple_(Incident.priority, Incident.created_at, Incident.id) > (priority, created, key))
    incidents = list(db().scalars(query.order_by(Incident.priority, Incident.created_at, Incident.id).limit(limit + 1)))
    more, incidents = len(incidents) > limit, incidents[:limit]
    redactor = Redactor.for_viewer(db(), user)
    cursor = _cursor(incidents[-1]) if more else None
    return jsonify({"incidents": [redactor.row(r) for r in rows_for(db(), incidents)], "total": total,
                    "next": cursor and url_for(".list_incidents", **{k: request.args[k] for k in ("status", "limit")
                                                                     if k in request.args}, after=cursor)})


@api.get("/incidents/<int:incident_id>")
def get_incident(incident_id: int) -> Response:
    """One incident with its history and the actions the caller may take."""
    user = person()
    return jsonify(_detail(user, _incident_in_scope(user, incident_id)))


@api.post("/incidents/<int:incident_id>/transitions")
def post_transition(incident_id: int) -> Response:
    """Apply a lifecycle action: {"action", "version"?, "reason"?, "outcome"?, "case_number"?, "department_id"?,
    "unit_ids"? or "nearest"?, "unit_id"?, "sop_override"?}."""
    user = person()
    body = json_object(request.get_json(silent=True))
    action, version = body.get("action"), body.get("version")
    if action == Action.DISPATCH:
        incident = perform(actions.dispatch, user, incident_id, version=version, unit_ids=body.get("unit_ids"),
                           nearest=body.get("nearest") is True).incident
    elif action == Action.ARRIVE:
        incident = perform(actions.arrive, user, incident_id, version=version, unit_id=body.get("unit_id"))
    elif action == Action.RESOLVE:
        incident = perform(actions.resolve, user, incident_id, version=version, outcome=body.get("outcome"),
                           case_number=body.get("case_number", ""), reason=body.get("reason", ""),
                           sop_override=body.get("sop_override") is True)
    elif action == Action.RECORD_OUTCOME:
        incident = perform(actions.record_outcome, user, incident_id, version=version,
                           outcome=body.get("outcome"),
                           case_number=body.get("case_number", ""), reason=body.get("reason", ""))
    elif action == Action.TRANSFER:
        incident = perform(actions.transfer, user, incident_id, version=version,
                           department_id=body.get("department_id"), reason=body.get("reason", ""))
    elif action in (Action.HOLD, Action.DISMISS, Action.REOPEN):
        incident = perform(actions.LIFECYCLE[Action(action)], user, incident_id, version=version,
                           reason=body.get("reason", ""))
    elif action in (Action.ACKNOWLEDGE, Action.RESUME, Action.CLOSE):
        incident = perform(actions.LIFECYCLE[Action(action)], user, incident_id, version=version)
    else:
        names = [*ACTIONS, Action.RECORD_OUTCOME.value]
        raise Invalid(_("The action must be one of: %(actions)s.", actions=", ".join(names)),
                      errors=[{"pointer": "/action", "detail": "unknown action"}])
    # After a transfer the incident may lie outside the caller's scope: the answer shows it as it left.
    return jsonify(_detail(user, incident))


@api.post("/incidents")
def create_incident() -> tuple[Response, int]:
    """A manual incident from a 102 call: {"lat", "lon", "type", "description"?, "address"?}.

    Without lat/lon, an address the centre already knows (a camera's, an earlier call's) gives the position.
    """
    user = person()
    body = json_object(request.get_json(silent=True))
    incident = perform(actions.create_call, user, kuzet_router(), lat=body.get("lat"), lon=body.get("lon"),
                       incident_type=body.get("type"), description=body.get("description", ""),
                       address=body.get("address", ""), caller_name=body.get("caller_name", ""),
                       caller_phone=body.get("caller_phone", ""))
    return jsonify(rows_for(db(), [incident])[0]), 201


@api.get("/cameras/<camera_id>")
def get_camera(camera_id: str) -> Response:
    """A camera by numeric id, if it stands in the caller's departments."""
    camera = camera_in_scope(db(), person(), camera_id)
    if camera is None:
        raise Problem(404, "not-found", _("No such camera"),
                      _("Camera #%(id)s was not found.", id=camera_id))
    operator = db().get(Operator, camera.operator_id)
    return jsonify({
        "id": camera.id, "external_id": camera.external_id, "operator": operator.name if operator else None,
        "lat": camera.lat, "lon": camera.lon, "mount_kind": camera.mount_kind, "address": camera.address,
        # The live view through the centre; the operator's own address stays on the server.
        "live_protocol": camera.live_protocol or None,
        "live_view": live_view_path(camera.id, camera.live_protocol),
        "department_id": camera.department_id, "district_id": camera.district_id,
        "outside_boundaries": camera.outside_boundaries, "health": camera.health,
        "last_seen_at": camera.last_seen_at.isoformat() if camera.last_seen_at else None,
        "uptime": {name: u.__dict__ for name, u in camera_uptime(db(), camera.id).items()},
    })
