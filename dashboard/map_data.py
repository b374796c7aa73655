"""Data the maps fetch by themselves, not through a figure: a city's street map layers, a wall's cameras."""

from __future__ import annotations

import gzip
import hashlib
import json

from flask import Blueprint, Response, abort, request

from dashboard.auth import logged_in
from dashboard.context import db
from services.access.scope import as_id, wall_departments
from services.duty.situation import camera_points
from services.geo import basemap

bp = Blueprint("map_data", __name__)


def _answer(body: bytes, etag: str, mimetype: str, cache_control: str) -> Response:
    """``body`` with its ETag (304 when the browser has it), gzipped when the browser takes gzip."""
    if etag in request.if_none_match:
        answer = Response(status=304)
    else:
        answer = Response(body, mimetype=mimetype)
        if "gzip" in request.accept_encodings:
            answer.set_data(gzip.compress(body, 5))  # megabytes of GeoJSON text go as a fifth of it
            answer.headers["Content-Encoding"] = "gzip"
    answer.set_etag(etag)
    answer.vary.add("Accept-Encoding")
    answer.headers["Cache-Control"] = cache_control
    return answer


@bp.get("/basemap/<city>/<key>.json")
def basemap_layer(city: str, key: str) -> Response:
    """One layer of a city's street map (roads of a class, places, labels), cached by its hash."""
    if logged_in() is None:
        abort(404)
    row = basemap.layer(db(), city, key)
    if row is None:
        abort(404)
    # Pages re-ask at most every ten minutes; an import changes the hash and so the answer.
    return _answer(row.data, row.sha256, "application/geo+json" if key != "labels" else "application/json",
                   "private, max-age=600")


@bp.get("/map/cameras.json")
def wall_cameras() -> Response:
    """The cameras of the wall of ``?department=`` in the user's scope (a city wall's: the city's), with health."""
    user = logged_in()
    department_id = as_id(request.args.get("department", ""))
    shown = wall_departments(db(), user, department_id) if user is not None and department_id else set()
    if not shown:
        abort(404)  # out of scope looks exactly like absent
    body = json.dumps(camera_points(db(), shown), separators=(",", ":"), ensure_ascii=False).encode()
    # Health changes by the minute: the browser always asks, and mostly hears 304.
    return _answer(body, hashlib.sha256(body).hexdigest()[:32], "application/geo+json", "private, no-cache")
