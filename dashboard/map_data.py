"""Data the maps fetch by themselves, not through a figure: a city's street map layers, a wall's cameras."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from dashboard.auth import logged_in
from dashboard.context import db
from services.access.scope import as_id, wall_departments
from services.duty.situation import camera_points, camera_points_version
from services.geo import basemap

bp = Blueprint("map_data", __name__)


def _answer(body: bytes, etag: str, mimetype: str, cache_control: str, zipped: bytes | None = None) -> Response:
    """``body`` with its ETag (304 when the browser has it), gzipped when the browser takes gzip."""
    if etag in request.if_none_match:
        answer = Response(status=304)
    else:
        answer = Response(body, mimetype=mimetype)
        if "gzip" in request.accept_encodings:
            # Megabytes of GeoJSON text go as a fifth of it.
            answer.set_data(zipped if zipped is not None else gzip.compress(body, 5))
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


@dataclass(frozen=True)
class Built:
    """One wall's cameras answer, encoded once: its body, gzipped body and ETag."""

    version: tuple[Any, ...]
    body: bytes
    zipped: bytes
    etag: str


class CameraAnswers:
    """This process's last built answers per wall scope: a city of 50,000 cameras costs a second to encode,
    and every wall that opens or hears "cameras changed" asks again. Rebuilt when the fingerprint moves."""

    def __init__(self, size: int = 64) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[frozenset[int], Built] = OrderedDict()
        self._size = size

    def answer(self, session: Any, shown: set[int]) -> Built:
        """The current answer for ``shown``, built only if its cameras changed since it was last built."""
        key, version = frozenset(shown), camera_points_version(session, shown)
        with self._lock:
            built = self._entries.get(key)
            if built is not None and built.version == version:
                self._entries.move_to_end(key)
                return built
        body = json.dumps(camera_points(session, shown), separators=(",", ":"), ensure_ascii=False).encode()
        built = Built(version, body, gzip.compress(body, 5), hashlib.sha256(body).hexdigest()[:32])
        with self._lock:
            self._entries[key] = built
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return built


ANSWERS = "kuzet.camera_answers"
bp.record_once(lambda state: state.app.extensions.setdefault(ANSWERS, CameraAnswers()))


@bp.get("/map/cameras.json")
def wall_cameras() -> Response:
    """The cameras of the wall of ``?department=`` (the user's own without it) in the user's scope, with health."""
    user = logged_in()
    raw = request.args.get("department")
    department_id = as_id(raw) if raw is not None else (user.department_id if user is not None else None)
    shown = wall_departments(db(), user, department_id) if user is not None and department_id else set()
    if not shown:
        abort(404)  # out of scope looks exactly like absent
    built = current_app.extensions[ANSWERS].answer(db(), shown)
    # Health changes by the minute: the browser always asks, and mostly hears 304.
    answer = _answer(built.body, built.etag, "application/geo+json", "private, no-cache", built.zipped)
    answer.headers["Kuzet-Department"] = str(department_id)  # which wall's cameras an early fetch received
    return answer
