"""Operators register their cameras: PUT one, or POST a GeoJSON FeatureCollection."""

from __future__ import annotations

import json
import unicodedata
import re
from typing import Any

from flask import Response, jsonify, request

from dashboard.api import api
from dashboard.api.events import current_operator
from dashboard.context import db, router
from services.store import audit
from services.cameras.registry import CAMERA_ID_PATTERN, CameraV1, register, validate_camera
from services.intake.ingest import IngestService, Problem, decode_json

MAX_BULK = 10_000


@api.put("/cameras/<path:camera_id>")
def put_camera(camera_id: str) -> Response:
    """Register or update one camera: {lat, lon, heading?, field_of_view?, mount_kind?, address?, live_url?}."""
    operator = current_operator()
    camera_id = unicodedata.normalize("NFC", camera_id)
    if not re.match(CAMERA_ID_PATTERN, camera_id):
        raise Problem(422, "validation", "Bad camera id", "camera ids are 1..64 printable characters without '/'")
    spec, errors = validate_camera(decode_json(request.get_data(cache=True)))
    if spec is None:
        IngestService.dead_letter(db(), operator.id, "cameras", f"camera {camera_id}: {errors}",
                                  request.get_data(cache=True))
        db().commit()
        raise Problem(422, "validation", "Invalid camera", "fix the fields listed in errors", errors)
    result = register(db(), router(), operator, [(camera_id, spec)])[0]
    audit.record(db(), f"operator:{operator.name}", "camera.register", camera_id, status=result.status)
    db().commit()
    response = jsonify(result.as_dict())
    response.status_code = 201 if result.status == "created" else 200
    return response


@api.post("/cameras:bulk")
def bulk_cameras() -> Response:
    """Register many cameras from a GeoJSON FeatureCollection of Points (properties: camera_id and the rest)."""
    operator = current_operator()
    # The events' decoding: NFC camera ids here too, or one registered decomposed would never match.
    document = decode_json(request.get_data(cache=True))
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise Problem(422, "validation", "Not a FeatureCollection", "send a GeoJSON FeatureCollection",
                      [{"pointer": "/type", "detail": "must be FeatureCollection with a features list"}])
    features = document["features"]
    if len(features) > MAX_BULK:
        raise Problem(413, "batch-too-large", "Too many cameras", f"{len(features)} features; at most {MAX_BULK}")
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, str, CameraV1]] = []
    for i, feature in enumerate(features):
        pointer = f"/features/{i}"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(props, dict) or not isinstance(geometry, dict) or geometry.get("type") != "Point" \
                or not isinstance(coords, list) or len(coords) < 2:
            results.append({"index": i, "status": "rejected",
                            "errors": [{"pointer": pointer, "detail": "must be a Feature with a Point geometry"}]})
            continue
        camera_id = props.get("camera_id")
        if not isinstance(camera_id, str) or not re.match(CAMERA_ID_PATTERN, camera_id):
            results.append({"index": i, "status": "rejected", "errors": [
                {"pointer": f"{pointer}/properties/camera_id", "detail": "1..64 printable characters without '/'"}]})
            continue
        spec, errors = validate_camera({**{k: v for k, v in props.items() if k != "camera_id"},
                                        "lon": coords[0], "lat": coords[1]}, f"{pointer}/properties")
        if spec is None:
            results.append({"index": i, "camera_id": camera_id, "status": "rejected", "errors": errors})
            continue
        valid.append((i, camera_id, spec))
    registered = register(db(), router(), operator, [(cid, spec) for _, cid, spec in valid])
    results += [{"index": i, **r.as_dict()} for (i, _, _), r in zip(valid, registered)]
    results.sort(key=lambda r: r["index"])
    for rejected in (r for r in results if r["status"] == "rejected"):
        IngestService.dead_letter(db(), operator.id, "cameras:bulk", json.dumps(rejected["errors"])[:2000],
                                  json.dumps(features[rejected["index"]], default=str).encode())
    audit.record(db(), f"operator:{operator.name}", "camera.bulk", f"{len(features)} features",
                 created=sum(r["status"] == "created" for r in results),
                 updated=sum(r["status"] == "updated" for r in results),
                 rejected=sum(r["status"] == "rejected" for r in results))
    db().commit()
    counts = {s: sum(r["status"] == s for r in results) for s in ("created", "updated", "rejected")}
    return jsonify({"results": results, **counts})
