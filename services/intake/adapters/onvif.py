"""ONVIF events: wsnt:Notify with tt:Message items (SimpleItem / SimpleItemValue, PropertyOperation)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from services.intake.adapters import Context, Translation, heartbeat, parse_time, parse_xml, record

VENDOR = "onvif"
# Topic (without prefixes) -> (state item that must be true, category, v1 type)
TOPICS = {
    "RuleEngine/CellMotionDetector/Motion": ("IsMotion", "public_order", "motion"),
    "VideoSource/MotionAlarm": ("State", "public_order", "motion"),
    "RuleEngine/FieldDetector/ObjectsInside": ("IsInside", "public_order", "intrusion"),
    "RuleEngine/LineDetector/Crossed": (None, "public_order", "intrusion"),
    "RuleEngine/LoiteringDetector/ObjectIsLoitering": ("IsLoitering", "public_order", "loitering"),
    "VideoSource/GlobalSceneChange/ImagingService": ("State", "system", "tamper"),
    "VideoSource/ImageTooBlurry/ImagingService": ("State", "system", "tamper"),
    "VideoSource/SignalLoss": ("State", "system", "video_loss"),
    "Device/HardwareFailure/StorageFailure": ("Failed", "system", "storage_failure"),
}
PLATE_TOPIC = "LicensePlateDetector"
WATCH_LISTS = ("black", "blacklist", "wanted", "stolen", "watch")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _items(message: Element, section: str) -> dict[str, str]:
    """Name -> Value of SimpleItem (and SimpleItemValue, which some cameras send) in Source/Key/Data."""
    out: dict[str, str] = {}
    for part in _children(message, section):
        for item in part.iter():
            if _local(item.tag) in ("SimpleItem", "SimpleItemValue") and "Name" in item.attrib:
                out[item.attrib["Name"]] = item.attrib.get("Value", (item.text or "").strip())
    return out


def _topic(notification: Element) -> str:
    topic = next(iter(_children(notification, "Topic")), None)
    text = (topic.text or "").strip() if topic is not None else ""
    # Strip namespace prefixes such as tns1: and tnsaxis: from each step.
    return "/".join(step.split(":", 1)[-1] for step in text.split("/"))


def translate(body: bytes, context: Context) -> Translation:
    """NotificationMessages -> v1 records; `Initialized` state and false states are liveness, not alarms."""
    out = Translation()
    root, refused = parse_xml(body)
    if root is None:
        out.refused = refused
        return out
    notifications = _children(root, "NotificationMessage")
    if not notifications:
        out.unmapped.append("no wsnt:NotificationMessage")
    device = context.params.get("device", "onvif")
    for notification in notifications:
        topic = _topic(notification)
        message = next((m for m in _children(notification, "Message") if "UtcTime" in m.attrib), None)
        if message is None:
            out.unmapped.append(f"{topic or 'notification'} without a tt:Message")
            continue
        at = parse_time(message.attrib.get("UtcTime"), context.received_at)
        operation = message.attrib.get("PropertyOperation", "")
        source = _items(message, "Source")
        data = _items(message, "Data")
        token = source.get("VideoSourceConfigurationToken") or source.get("VideoSourceToken") or \
            source.get("Source") or "1"
        camera = f"{device}:{token}"
        if PLATE_TOPIC in topic:
            plate = (data.get("PlateNumber") or data.get("LicensePlate") or "").upper().replace(" ", "")
            listed = (data.get("List") or data.get("Category") or "").lower()
            if not any(w in listed for w in WATCH_LISTS):
                out.ignored.append(f"plate read {plate or '?'} without a watch-list hit")
                continue
            out.events.append(record(VENDOR, f"{topic}|{at.isoformat()}|{plate}", camera, at, "traffic",
                                     "wanted_vehicle", plate={"number": plate[:16], "country":
                                                              (data.get("Country") or "KZ")[:2].upper()},
                                     attributes={"vendor": "onvif", "topic": topic, "list": listed[:50]}))
            continue
        rule = TOPICS.get(topic)
        if rule is None:
            out.unmapped.append(f"topic {topic!r} has no Kuzet type")
            continue
        state_item, category, kuzet_type = rule
        active = True if state_item is None else data.get(state_item, "").lower() in ("true", "1")
        if operation == "Initialized" or operation == "Deleted" or not active:
            # The current state on subscription, a removed property, or an alarm ending: the camera is alive.
            out.events.append(heartbeat(VENDOR, camera, at, f"onvif {operation or 'state'} {topic}"))
            continue
        out.events.append(record(VENDOR, f"{topic}|{at.isoformat()}|{operation}", camera, at, category, kuzet_type,
                                 attributes={"vendor": "onvif", "topic": topic, "rule": source.get("Rule", "")[:100]}))
    return out
