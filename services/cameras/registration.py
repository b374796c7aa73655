"""Operators register cameras: one camera's description, or a GeoJSON FeatureCollection of many."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy.orm as so

from services.cameras.registry import CAMERA_ID_PATTERN, CameraV1, Registered, register, validate_camera
from services.errors import Invalid, Rejected
from services.geo.routing import Router
from services.intake.ingest import decode_json
from services.store import audit, deadletters
from services.store.models import Operator

MAX_BULK = 10_000


@dataclass(frozen=True)
class BulkAnswer:
    """A result per feature, in the order sent, and the counts."""

    results: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """The JSON answer of ``POST /cameras:bulk``."""
        counts = {s: sum(r["status"] == s for r in self.results) for s in ("created", "updated", "rejected")}
        return {"results": self.results, **counts}


def register_one(session: so.Session, router: Router, operator: Operator, camera_id: str, raw: bytes) -> Registered:
    """Register or update one camera from its JSON description; a bad one is kept and refused."""
    camera_id = unicodedata.normalize("NFC", camera_id)
    if not re.match(CAMERA_ID_PATTERN, camera_id):
        raise Invalid("camera ids are 1..64 printable characters without '/'",
                      errors=[{"pointer": "", "detail": "bad camera id"}])
    spec, errors = validate_camera(decode_json(raw))
    if spec is None:
        deadletters.keep(session, operator.id, "cameras", f"camera {camera_id}: {errors}", raw)
        raise Invalid("fix the fields listed in errors", errors=errors)
    result = register(session, router, operator, [(camera_id, spec)])[0]
    audit.record(session, f"operator:{operator.name}", "camera.register", camera_id, status=result.status)
    return result


def register_collection(session: so.Session, router: Router, operator: Operator, raw: bytes) -> BulkAnswer:
    """Register the Point features of a GeoJSON FeatureCollection (properties: camera_id and the rest).

    Good features are registered, bad ones answered and kept as dead letters, one by one; a body that
    is not a FeatureCollection, or holds more than ``MAX_BULK`` features, is refused as a whole.
    """
    # The events' decoding: NFC camera ids here too, or one registered decomposed would never match.
    document = decode_json(raw)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise Rejected("validation", "Not a FeatureCollection", "send a GeoJSON FeatureCollection",
                       errors=[{"pointer": "/type", "detail": "must be FeatureCollection with a features list"}])
    features = document["features"]
    if len(features) > MAX_BULK:
        raise Rejected("batch-too-large", "Too many cameras", f"{len(features)} features; at most {MAX_BULK}")
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, str, CameraV1]] = []
    for i, feature in enumerate(features):
        parsed = _feature(i, feature)
        if isinstance(parsed, dict):
            results.append(parsed)
        else:
            valid.append((i, *parsed))
    registered = register(session, router, operator, [(cid, spec) for _, cid, spec in valid])
    results += [{"index": i, **r.as_dict()} for (i, _, _), r in zip(valid, registered)]
    results.sort(key=lambda r: r["index"])
    for rejected in (r for r in results if r["status"] == "rejected"):
        deadletters.keep(session, operator.id, "cameras:bulk", json.dumps(rejected["errors"])[:2000],
                         json.dumps(features[rejected["index"]], default=str).encode())
    audit.record(session, f"operator:{operator.name}", "camera.bulk", f"{len(features)} features",
                 created=sum(r["status"] == "created" for r in results),
                 updated=sum(r["status"] == "updated" for r in results),
                 rejected=sum(r["status"] == "rejected" for r in results))
    return BulkAnswer(results)


def _feature(i: int, feature: Any) -> tuple[str, CameraV1] | dict[str, Any]:
    """One feature as (camera id, description), or its rejected result."""
    pointer = f"/features/{i}"
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    props = feature.get("properties") if isinstance(feature, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(props, dict) or not isinstance(geometry, dict) or geometry.get("type") != "Point" \
            or not isinstance(coords, list) or len(coords) < 2:
        return {"index": i, "status": "rejected",
                "errors": [{"pointer": pointer, "detail": "must be a Feature with a Point geometry"}]}
    camera_id = props.get("camera_id")
    if not isinstance(camera_id, str) or not re.match(CAMERA_ID_PATTERN, camera_id):
        return {"index": i, "status": "rejected", "errors": [
            {"pointer": f"{pointer}/properties/camera_id", "detail": "1..64 printable characters without '/'"}]}
    spec, errors = validate_camera({**{k: v for k, v in props.items() if k != "camera_id"},
                                    "lon": coords[0], "lat": coords[1]}, f"{pointer}/properties")
    if spec is None:
        return {"index": i, "camera_id": camera_id, "status": "rejected", "errors": errors}
    return camera_id, spec
