"""Who watched which camera: the video views on record, for chiefs and admins."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, person
from dashboard.context import db
from services.access.scope import as_id
from services.video.views import list_views


def _limit() -> int:
    return as_id(request.args.get("limit", "200")) or 200


@api.get("/cameras/<camera_id>/views")
def camera_views(camera_id: str) -> Response:
    """The live views and clip views of a camera, newest first (?limit=, at most 1000)."""
    return jsonify({"views": list_views(db(), person(), camera_id=camera_id, limit=_limit())})


@api.get("/users/<username>/views")
def user_views(username: str) -> Response:
    """What a user watched, newest first, within the reader's departments."""
    return jsonify({"views": list_views(db(), person(), username=username, limit=_limit())})
