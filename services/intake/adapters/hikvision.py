"""Hikvision ISAPI: EventNotificationAlert XML (ver10, ver20 and isapi.org namespaces), also multipart with a picture."""

from __future__ import annotations

import hashlib
from email.parser import BytesParser
from email.policy import default as default_policy
from xml.etree.ElementTree import Element

from services.intake.adapters import Context, Translation, heartbeat, parse_time, parse_xml, record

VENDOR = "hik"
# eventType -> (category, v1 type). Hikvision names from the ISAPI event notification documentation.
EVENT_TYPES = {
    "vmd": ("public_order", "motion"), "linedetection": ("public_order", "intrusion"),
    "fielddetection": ("public_order", "intrusion"), "regionentrance": ("public_order", "intrusion"),
    "regionexiting": ("public_order", "intrusion"), "loitering": ("public_order", "loitering"),
    "unattendedbaggage": ("public_order", "abandoned_object"), "attendedbaggage": ("public_order", "abandoned_object"),
    "peoplegathering": ("public_order", "crowd"), "fighting": ("public_order", "fight"),
    "violentmotion": ("public_order", "fight"), "firedetection": ("public_order", "fire_smoke"),
    "smokedetection": ("public_order", "fire_smoke"), "falldown": ("public_order", "fall"),
    "shelteralarm": ("system", "tamper"), "tamperdetection": ("system", "tamper"),
    "videoloss": ("system", "video_loss"), "hdfull": ("system", "storage_failure"),
    "hderror": ("system", "storage_failure"),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(root: Element, name: str) -> str | None:
    for element in root.iter():
        if _local(element.tag) == name and element.text and element.text.strip():
            return element.text.strip()
    return None


def _parts(body: bytes, content_type: str) -> tuple[list[bytes], list[bytes]]:
    """XML documents and pictures of a (possibly multipart) upload."""
    if "multipart/" not in content_type.lower():
        return [body], []
    message = BytesParser(policy=default_policy).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    xml, pictures = [], []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True) or b""
        kind = part.get_content_type()
        if kind.startswith("image/"):
            pictures.append(payload)
        elif "xml" in kind or payload.lstrip().startswith(b"<"):
            xml.append(payload)
    return xml, pictures


def translate(body: bytes, context: Context) -> Translation:
    """EventNotificationAlert(s) -> v1 records; idle videoloss (activePostCount 0) is a heartbeat."""
    out = Translation()
    xml_parts, pictures = _parts(body, context.content_type)
    for raw in xml_parts:
        root, refused = parse_xml(raw)
        if root is None:
            out.refused = refused
            return out
        if _local(root.tag) != "EventNotificationAlert":
            out.unmapped.append(f"root element {_local(root.tag)!r}, not EventNotificationAlert")
            continue
        device = _text(root, "serialNumber") or _text(root, "macAddress") or _text(root, "ipAddress") or "unknown"
        # dynChannelID is the NVR's channel for an IP camera; channelID is the device's own input.
        channel = _text(root, "dynChannelID") or _text(root, "channelID") or "1"
        camera = context.params.get("camera") or f"{device}:{channel}"
        event_type = (_text(root, "eventType") or "").strip()
        state = (_text(root, "eventState") or "active").lower()
        posts = _text(root, "activePostCount") or "1"
        at = parse_time(_text(root, "dateTime"), context.received_at)
        if event_type.lower() == "videoloss" and (state == "inactive" or posts == "0"):
            out.events.append(heartbeat(VENDOR, camera, at, "hikvision idle videoloss"))
            continue
        mapped = EVENT_TYPES.get(event_type.lower())
        if mapped is None:
            out.unmapped.append(f"eventType {event_type!r} has no Kuzet type")
            continue
        if state == "inactive":
            out.ignored.append(f"{event_type} inactive (end of alarm)")
            continue
        attributes = {"vendor": "hikvision", "eventType": event_type, "channel": channel,
                      "description": (_text(root, "eventDescription") or "")[:200]}
        for n, picture in enumerate(pictures[:3]):
            attributes[f"picture{n}_sha256"] = hashlib.sha256(picture).hexdigest()
        category, kuzet_type = mapped
        out.events.append(record(VENDOR, f"{event_type}|{at.isoformat()}|{posts}", camera, at, category, kuzet_type,
                                 attributes=attributes))
    if not xml_parts:
        out.unmapped.append("no XML part in the upload")
    return out

