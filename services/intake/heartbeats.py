"""Heartbeats: the cheap path for keep-alives. A beat refreshes last-seen; only a bad status becomes an event."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy.orm as so

from services.cameras.registry import registered_cameras, resolve_aliases
from services.errors import Rejected
from services.intake.event_format import RFC3339, SPEC
from services.intake.ingest import IngestService, decode_json
from services.store import deadletters

STATUSES = ("ok", "video_loss", "tamper", "storage_failure")
MAX_BEATS = 10_000
ENDPOINT = "heartbeats"


def take(session: so.Session, ingest: IngestService, operator_id: int, raw: bytes,
         now: datetime) -> dict[str, Any]:
    """Take one operator's heartbeats body: the answer holds a result per beat.

    Raises ``Rejected`` (and keeps the body as a dead letter) when the body is bad as a whole.
    """
    with IngestService.kept_if_refused(session, operator_id, ENDPOINT, raw):
        return _take(session, ingest, operator_id, raw, now)


def _take(session: so.Session, ingest: IngestService, operator_id: int, raw: bytes,
          now: datetime) -> dict[str, Any]:
    document = decode_json(raw)  # the same NFC and caps as events: a camera id is matched as normalised
    beats = document.get("heartbeats") if isinstance(document, dict) else document
    if not isinstance(beats, list):
        raise Rejected("validation", "Invalid body", "send {\"heartbeats\": [...]}",
                       errors=[{"pointer": "/heartbeats", "detail": "must be a list"}])
    if len(beats) > MAX_BEATS:
        raise Rejected("batch-too-large", "Too many heartbeats", f"at most {MAX_BEATS} per request")
    results: list[dict[str, Any]] = []
    good: list[tuple[int, str, datetime, str]] = []
    for i, beat in enumerate(beats):
        error = check(beat, now)
        if error:
            results.append({"index": i, "status": "rejected", "errors": [{"pointer": f"/heartbeats/{i}{error[0]}",
                                                                         "detail": error[1]}]})
        else:
            at = datetime.fromisoformat(beat["at"].replace("Z", "+00:00")) if "at" in beat else now
            good.append((i, beat["camera_id"], at, beat.get("status", "ok")))
    names = {name for _, name, _, _ in good}
    aliases = resolve_aliases(session, operator_id, names)
    cameras = registered_cameras(session, operator_id, {aliases.get(n, n) for n in names})
    seen: dict[int, datetime] = {}
    alarms = []
    for i, name, at, status in good:
        camera_pk = cameras.get(aliases.get(name, name))
        if camera_pk is None:
            results.append({"index": i, "status": "rejected", "reason": f"unknown camera {name!r}"})
            continue
        seen[camera_pk] = max(seen.get(camera_pk, at), at)
        results.append({"index": i, "status": "accepted"})
        if status != "ok":
            alarms.append({"spec": SPEC, "event_id": f"hb:{aliases.get(name, name)}:{status}:{int(at.timestamp())}",
                           "camera_id": aliases.get(name, name), "occurred_at": at.isoformat(), "category": "system",
                           "type": status})
    if ingest.last_seen is not None:
        ingest.last_seen.touch(seen)
    if alarms:
        ingest.submit_items(session, operator_id, alarms, True, now, endpoint=ENDPOINT)
    rejected = [r for r in results if r["status"] == "rejected"]
    if rejected:
        deadletters.keep(session, operator_id, ENDPOINT, f"{len(rejected)} heartbeats rejected",
                         json.dumps([beats[r["index"]] for r in rejected], default=str).encode())
    results.sort(key=lambda r: r["index"])
    return {"results": results, "accepted": len(results) - len(rejected), "rejected": len(rejected)}


def check(beat: Any, now: datetime) -> tuple[str, str] | None:
    """(pointer suffix, reason) of the first thing wrong with one beat, or None."""
    if not isinstance(beat, dict):
        return "", "must be an object"
    if set(beat) - {"camera_id", "at", "status"}:
        return f"/{sorted(set(beat) - {'camera_id', 'at', 'status'})[0]}", "unknown field"
    camera = beat.get("camera_id")
    if not isinstance(camera, str) or not 0 < len(camera) <= 128 or any(ord(c) < 32 for c in camera):
        return "/camera_id", "must be a camera id"
    if "at" in beat:
        if not isinstance(beat["at"], str) or not RFC3339.match(beat["at"]):
            return "/at", "must be an RFC 3339 timestamp with an offset"
        try:
            at = datetime.fromisoformat(beat["at"].replace("Z", "+00:00"))
        except ValueError:  # the right shape, but no such date or time (month 13, hour 99)
            return "/at", "not a real date and time"
        if at - now > timedelta(minutes=5):
            return "/at", "more than 5 minutes in the future"
    if beat.get("status", "ok") not in STATUSES:
        return "/status", f"must be one of {', '.join(STATUSES)}"
    return None
