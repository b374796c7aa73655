"""Dahua eventManager stream: `Code=…;action=Start|Stop|Pulse;index=N;data={…}` lines, multipart or plain."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from services.intake.adapters import Context, Translation, heartbeat, record

VENDOR = "dahua"
CODES = {
    "VideoMotion": ("public_order", "motion"), "CrossLineDetection": ("public_order", "intrusion"),
    "CrossRegionDetection": ("public_order", "intrusion"), "LeftDetection": ("public_order", "abandoned_object"),
    "WanderDetection": ("public_order", "loitering"), "RioterDetection": ("public_order", "crowd"),
    "FightDetection": ("public_order", "fight"), "FireWarning": ("public_order", "fire_smoke"),
    "SmokeDetection": ("public_order", "fire_smoke"), "VideoLoss": ("system", "video_loss"),
    "VideoBlind": ("system", "tamper"), "StorageFailure": ("system", "storage_failure"),
    "StorageNotExist": ("system", "storage_failure"), "AlarmLocal": ("public_order", "panic_button"),
}
LINE = re.compile(r"Code=(?P<code>[^;\r\n]+);action=(?P<action>[^;\r\n]+)(?:;index=(?P<index>-?\d+))?(?:;data=(?P<data>.*))?$")


def _lines(body: bytes) -> list[str]:
    """Event lines, with multipart `--myboundary` framing and part headers stripped."""
    text = body.decode("utf-8", errors="replace")
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--") or re.match(r"^(Content-Type|Content-Length):", stripped, re.I):
            continue
        lines.append(stripped)
    return lines


def _join_data(lines: list[str]) -> list[str]:
    """Re-join `data={…}` that a device pretty-printed over several lines; never split inside it."""
    joined: list[str] = []
    depth = 0
    for line in lines:
        if depth > 0:
            joined[-1] += line
        else:
            joined.append(line)
        depth += line.count("{") - line.count("}")
        depth = max(depth, 0)
    return joined


def translate(body: bytes, context: Context) -> Translation:
    """eventManager lines -> v1 records; `Heartbeat` keep-alives become heartbeats; Stop ends, opens nothing."""
    out = Translation()
    device = context.params.get("device", "dahua")
    for line in _join_data(_lines(body)):
        if line.lower() == "heartbeat":
            out.events.append(heartbeat(VENDOR, device, context.received_at, "dahua keep-alive", device=device))
            continue
        match = LINE.match(line)
        if match is None:
            out.unmapped.append(f"not an eventManager line: {line[:80]!r}")
            continue
        code, action = match["code"], match["action"]
        index = int(match["index"] or 0)
        data: dict[str, Any] = {}
        if match["data"]:
            try:
                data = json.loads(match["data"])
            except json.JSONDecodeError:
                out.unmapped.append(f"{code}: data is not JSON")
                continue
        camera = f"{device}:{index + 1}"  # Dahua counts channels from 0, people from 1
        at = context.received_at
        if isinstance(data.get("UTC"), (int, float)):
            at = datetime.fromtimestamp(data["UTC"], tz=timezone.utc)
        if action == "Stop":
            out.ignored.append(f"{code} stop on channel {index + 1}")
            continue
        if code == "VideoLoss" and action != "Start":
            out.events.append(heartbeat(VENDOR, camera, at, "dahua videoloss pulse"))
            continue
        mapped = CODES.get(code)
        if mapped is None:
            out.unmapped.append(f"Code {code!r} has no Kuzet type")
            continue
        category, kuzet_type = mapped
        attributes = {"vendor": "dahua", "code": code, "action": action, "index": index}
        if isinstance(data.get("Name"), str):
            attributes["rule"] = data["Name"][:100]
        out.events.append(record(VENDOR, f"{code}|{action}|{at.isoformat()}|{data.get('EventID', '')}", camera, at,
                                 category, kuzet_type, attributes=attributes))
    if not out.events and not out.ignored and not out.unmapped:
        out.unmapped.append("empty eventManager body")
    return out
