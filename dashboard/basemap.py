"""The street map's layers as plain files from the centre itself (no tile server), for every page with a map."""

from __future__ import annotations

import gzip

from flask import Blueprint, Response, abort, request

from dashboard.auth import logged_in
from dashboard.context import db
from services.geo import basemap

bp = Blueprint("basemap", __name__, url_prefix="/basemap")


@bp.get("/<city>/<key>.json")
def layer(city: str, key: str) -> Response:
    """One layer of a city's street map (roads of a class, places, labels), cached by its hash."""
    if logged_in() is None:
        abort(404)  # what lies behind the login is not probed from outside
    row = basemap.layer(db(), city, key)
    if row is None:
        abort(404)
    etag = row.sha256
    if etag in request.if_none_match:
        answer = Response(status=304)
    else:
        answer = Response(row.data, mimetype="application/geo+json" if key != "labels" else "application/json")
        if "gzip" in request.accept_encodings:
            answer.set_data(gzip.compress(row.data, 6))  # the minor streets are half a megabyte as text
            answer.headers["Content-Encoding"] = "gzip"
        answer.vary.add("Accept-Encoding")
    answer.set_etag(etag)
    # Pages re-ask at most every ten minutes; an import changes the hash and so the answer.
    answer.headers["Cache-Control"] = "private, max-age=600"
    return answer
