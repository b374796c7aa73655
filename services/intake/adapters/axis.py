"""Axis VAPIX events: `events:notify` JSON (WebSocket/HTTP) and MQTT-style JSON from AXIS OS."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from services.intake.adapters import Context, Translation, record

VENDOR = "axis"
# Topic fragment (case-insensitive) -> (category, v1 type); the first match wins.
TOPICS = (
    ("tampering", ("system", "tamper")), ("videosource/globalscenechange", ("system", "tamper")),
    ("loiteringguard", ("public_order", "loitering")), ("fenceguard", ("public_order", "intrusion")),
    ("crosslinedetection", ("public_order", "intrusion")), ("objectanalytics", ("public_order", "intrusion")),
    ("motionguard", ("public_order", "motion")), ("vmd", ("public_order", "motion")),
    ("motionalarm", ("public_order", "motion")), ("firealarm", ("public_order", "fire_smoke")),
    ("io/port", ("public_order", "panic_button")), ("storage/disruption", ("system", "storage_failure")),
)
ACTIVE_KEYS = ("active", "state", "triggered", "Active", "State")


def _notifications(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict) and document.get("method") == "events:notify":
        notification = (document.get("params") or {}).get("notification")
        return [notification] if isinstance(notification, dict) else []
    if isinstance(document, dict) and "topic" in document and "message" in document:
        return [document]
    if isinstance(document, list):
        return [n for d in document for n in _notifications(d)]
    return []


def translate(body: bytes, context: Context) -> Translation:
    """Axis notifications -> v1 records; an inactive state ends an alarm and opens nothing."""
    out = Translation()
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        out.refused = "not JSON"
        return out
    notifications = _notifications(document)
    if not notifications:
        out.unmapped.append("no events:notify or MQTT-style notification found")
    for n in notifications:
        topic = str(n.get("topic", ""))
        message = n.get("message") if isinstance(n.get("message"), dict) else {}
        source = message.get("source") if isinstance(message.get("source"), dict) else {}
        data = message.get("data") if isinstance(message.get("data"), dict) else {}
        serial = str(n.get("serial") or context.params.get("device") or "axis")
        channel = str(source.get("channel") or source.get("VideoSourceConfigurationToken") or source.get("port") or "1")
        camera = f"{serial}:{channel}"
        stamp = n.get("timestamp")
        at = datetime.fromtimestamp(stamp / 1000, tz=timezone.utc) if isinstance(stamp, (int, float)) \
            else context.received_at
        mapped = next((m for fragment, m in TOPICS if fragment in topic.lower()), None)
        if mapped is None:
            out.unmapped.append(f"topic {topic!r} has no Kuzet type")
            continue
        active = next((str(data[k]) for k in ACTIVE_KEYS if k in data), "1")
        if active.lower() in ("0", "false", "inactive"):
            out.ignored.append(f"{topic} inactive")
            continue
        category, kuzet_type = mapped
        out.events.append(record(VENDOR, f"{topic}|{at.isoformat()}", camera, at, category, kuzet_type,
                                 attributes={"vendor": "axis", "topic": topic[:200]}))
    return out
