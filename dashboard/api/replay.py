"""GET /api/v1/replay/state and /changes: a department's wall as it was, for trainers and reviewers."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, person
from dashboard.context import db
from services.replay import review


@api.get("/replay/state")
def get_replay_state() -> Response:
    """The wall of ``department`` at ``at``: incidents with their status then, units, offline cameras, counters."""
    user = person()
    moment = review.state(db(), user, request.args.get("department"), request.args.get("at"),
                          request.args.get("unmasked"))
    answer = moment.as_json()
    db().commit()  # an admin's unmasked view is on the journal
    return jsonify(answer)


@api.get("/replay/changes")
def get_replay_changes() -> Response:
    """What happened in ``department`` from ``from`` to ``to``, in order (at most a week, ``limit`` entries)."""
    user = person()
    args = request.args
    answer = review.changes(db(), user, args.get("department"), args.get("from"), args.get("to"),
                            args.get("unmasked"), args.get("limit"))
    db().commit()
    return jsonify(answer)
