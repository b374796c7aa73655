"""GET /api/v1/stats: the supervisor's shift statistics; PUT targets and shift patterns (admins)."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, json_object, person
from dashboard.context import db, perform
from services.supervision import shifts, stats


@api.get("/stats")
def get_stats() -> Response:
    """Statistics of ``department`` (a chief's city when omitted) for ``from``..``to``, or the ``period`` around ``at``."""
    user = person()
    args = request.args
    figures = stats.for_request(db(), user, args.get("department"), args.get("period"), args.get("at"),
                                args.get("from"), args.get("to"))
    return jsonify(figures.as_dict())


@api.put("/stats/targets")
def put_target() -> Response:
    """Set one interval's target: {interval, target_s, department_id?, priority?} (admin)."""
    user = person()
    body = json_object(request.get_json(silent=True))
    row = perform(lambda session: stats.set_target(session, user, body.get("interval"), body.get("target_s"),
                                                   body.get("department_id"), body.get("priority")))
    return jsonify({"interval": row.interval, "target_s": row.target_s, "department_id": row.department_id,
                    "priority": row.priority})


@api.put("/departments/<int:department_id>/shifts")
def put_shifts(department_id: int) -> Response:
    """Set when a department's shifts begin: {"starts": ["08:00", "20:00"]} (admin)."""
    user = person()
    body = json_object(request.get_json(silent=True))
    pattern = perform(lambda session: shifts.set_shift_pattern(session, user, department_id, body.get("starts")))
    return jsonify({"department_id": pattern.department_id, "starts": pattern.starts})
