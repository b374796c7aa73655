"""Frigate NVR over MQTT: `frigate/events` (new/update/end), `frigate/reviews`, and `frigate/available`."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from services.intake.adapters import Context, Translation, heartbeat, record

VENDOR = "frigate"
# A person in a zone is an intrusion, loitering when Frigate flags it so; other labels are motion.
LABELS = {"person": "intrusion", "car": "motion", "motorcycle": "motion", "bicycle": "motion", "dog": "motion",
          "fire": "fire_smoke", "smoke": "fire_smoke", "knife": "weapon", "gun": "weapon"}


def _envelope(body: bytes, context: Context) -> tuple[str, Any]:
    """(topic, payload): an MQTT bridge posts the payload with ?topic=…, or {"topic", "payload"}."""
    text = body.decode("utf-8")
    topic = context.params.get("topic", "")
    try:
        document = json.loads(text)
    except ValueError:
        return topic, text.strip()  # frigate/available sends plain "online"/"offline"
    if not topic and isinstance(document, dict) and "topic" in document and "payload" in document:
        return str(document["topic"]), document["payload"]
    return topic, document


def _time(value: Any, fallback: datetime) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc) if isinstance(value, (int, float)) else fallback


def translate(body: bytes, context: Context) -> Translation:
    """Frigate messages -> v1 records: `new` events and `alert` reviews open; updates and ends only refresh."""
    out = Translation()
    try:
        topic, payload = _envelope(body, context)
    except UnicodeDecodeError:
        out.refused = "not UTF-8"
        return out
    server = context.params.get("device", "frigate")
    if topic.endswith("/available"):
        if payload == "online":
            out.events.append(heartbeat(VENDOR, f"{server}:server", context.received_at, "frigate available",
                                        device=server))
        else:
            out.ignored.append(f"frigate reports {payload!r}")
        return out
    if not isinstance(payload, dict) or "after" not in payload or not isinstance(payload["after"], dict):
        out.unmapped.append(f"topic {topic or '?'}: payload without 'after'")
        return out
    kind, after = payload.get("type"), payload["after"]
    camera = f"{server}:{after.get('camera', 'unknown')}"
    if topic.endswith("/events"):
        at = _time(after.get("start_time"), context.received_at)
        if kind != "new":
            # update/end: the same object again; the camera is alive, the incident already exists.
            out.events.append(heartbeat(VENDOR, camera, _time(after.get("end_time") or after.get("frame_time"), at),
                                        f"frigate event {kind}"))
            return out
        label = str(after.get("label", ""))
        kuzet_type = "loitering" if after.get("loitering") else LABELS.get(label)
        if kuzet_type is None:
            out.unmapped.append(f"label {label!r} has no Kuzet type")
            return out
        score = after.get("top_score") or after.get("score")
        out.events.append(record(VENDOR, f"event|{after.get('id')}", camera, at, "public_order", kuzet_type,
                                 confidence=round(float(score), 3) if isinstance(score, (int, float)) and 0 <= score <= 1
                                 else None,
                                 attributes={"vendor": "frigate", "label": label, "frigate_id": str(after.get("id"))[:100],
                                             "zones": [str(z)[:50] for z in after.get("current_zones", [])][:10]}))
        return out
    if topic.endswith("/reviews"):
        at = _time(after.get("start_time"), context.received_at)
        data = after.get("data") if isinstance(after.get("data"), dict) else {}
        objects = [str(o) for o in data.get("objects", [])]
        if kind != "new" or after.get("severity") != "alert":
            out.events.append(heartbeat(VENDOR, camera, at, f"frigate review {kind} {after.get('severity')}"))
            return out
        kuzet_type = next((LABELS[o] for o in objects if o in LABELS), "motion")
        out.events.append(record(VENDOR, f"review|{after.get('id')}", camera, at, "public_order", kuzet_type,
                                 attributes={"vendor": "frigate", "review": str(after.get("id"))[:100],
                                             "objects": objects[:10], "zones": [str(z)[:50] for z in
                                                                                data.get("zones", [])][:10]}))
        return out
    out.unmapped.append(f"topic {topic!r} is not frigate/events, frigate/reviews or frigate/available")
    return out
