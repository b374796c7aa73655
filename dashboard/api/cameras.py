"""Operators register their cameras: PUT one, or POST a GeoJSON FeatureCollection (services.cameras.registration)."""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api
from dashboard.api.events import current_operator
from dashboard.context import db, router
from services.cameras import registration
from services.errors import Refused


@api.put("/cameras/<path:camera_id>")
def put_camera(camera_id: str) -> Response:
    """Register or update one camera: {lat, lon, heading?, field_of_view?, mount_kind?, address?, live_url?}."""
    operator = current_operator()
    try:
        result = registration.register_one(db(), router(), operator, camera_id, request.get_data(cache=True))
    except Refused:
        db().commit()  # a refused description is kept for review all the same
        raise
    db().commit()
    response = jsonify(result.as_dict())
    response.status_code = 201 if result.status == "created" else 200
    return response


@api.post("/cameras:bulk")
def bulk_cameras() -> Response:
    """Register many cameras from a GeoJSON FeatureCollection of Points (properties: camera_id and the rest)."""
    operator = current_operator()
    answer = registration.register_collection(db(), router(), operator, request.get_data(cache=True))
    db().commit()
    return jsonify(answer.as_dict())

