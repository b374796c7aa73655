"""Vendor adapters: a vendor's native payload in, Kuzet Event Format v1 records out.

Each adapter is one module with a pure ``translate(body, context) -> Translation``; adding a vendor
touches one file (and its fixtures and tests) plus the name in ``adapter_names``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import import_module
from typing import Any
from xml.etree.ElementTree import Element

from services.intake.event_format import SPEC

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What comes with a native payload besides its bytes."""

    content_type: str = ""
    params: dict[str, str] = field(default_factory=dict)
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class Translation:
    """An adapter's answer: v1 records, messages deliberately not forwarded, and what it could not read."""

    events: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    refused: str | None = None  # the whole payload is unsafe or unreadable (answered 400)


Translate = Callable[[bytes, Context], Translation]

ADAPTER_MODULES = {"hikvision-isapi": "hikvision", "dahua": "dahua", "axis": "axis", "onvif": "onvif",
                   "frigate": "frigate"}


def adapter_names() -> list[str]:
    """The adapters this centre offers."""
    return sorted(ADAPTER_MODULES)


def get(name: str) -> Translate:
    """The translate function of an adapter, or KeyError."""
    module = import_module(f"services.intake.adapters.{ADAPTER_MODULES[name]}")
    return module.translate  # type: ignore[no-any-return]


def translate(name: str, body: bytes, context: Context) -> Translation:
    """Run an adapter so that no vendor quirk escapes as an exception: what it cannot read is unmapped."""
    adapter = get(name)  # an unknown name is the caller's KeyError, not the payload's fault
    try:
        return adapter(body, context)
    except Exception as exc:  # noqa: BLE001 - one odd payload must never become a 500
        logger.warning("adapter %s could not read a payload: %r", name, exc)
        return Translation(unmapped=[f"adapter could not read the payload ({type(exc).__name__})"])


def record(vendor: str, key: str, camera_id: str, occurred_at: datetime, category: str, event_type: str,
           **fields: Any) -> dict[str, Any]:
    """A v1 record with a deterministic event id, so a resent notification is a duplicate, not a new event."""
    digest = hashlib.sha256(f"{vendor}|{camera_id}|{key}".encode()).hexdigest()[:32]
    event: dict[str, Any] = {"spec": SPEC, "event_id": f"{vendor}:{digest}", "camera_id": camera_id[:64],
                             "occurred_at": occurred_at.astimezone(timezone.utc).isoformat(),
                             "category": category, "type": event_type}
    event.update({k: v for k, v in fields.items() if v is not None})
    return event


DEVICE_ATTRIBUTE = "device"  # on a device-wide keep-alive: the device whose every channel is alive


def heartbeat(vendor: str, camera_id: str, at: datetime, why: str, device: str | None = None) -> dict[str, Any]:
    """A keep-alive as a v1 system record (feeds camera health, opens nothing).

    ``device`` marks a keep-alive of a whole recorder or camera: it counts for each of its channels.
    """
    attributes = {"source": why, **({DEVICE_ATTRIBUTE: device} if device else {})}
    return record(vendor, f"heartbeat|{at.isoformat()}", camera_id, at, "system", "heartbeat",
                  attributes=attributes)


MAX_XML = 256 * 1024


def parse_xml(raw: bytes) -> tuple[Element | None, str | None]:
    """(root, None) for safe, well-formed XML; (None, why) otherwise. Entities and DTDs are refused."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    if len(raw) > MAX_XML:
        return None, f"XML over {MAX_XML} bytes"
    try:
        return SafeET.fromstring(raw), None
    except DefusedXmlException as exc:
        return None, f"unsafe XML refused ({type(exc).__name__}: entities and DTDs are not accepted)"
    except SafeET.ParseError:
        return None, "not well-formed XML"


def parse_time(value: str | None, fallback: datetime) -> datetime:
    """A vendor timestamp; without an offset it is taken as Asia/Almaty, unreadable ones fall back."""
    if not value:
        return fallback
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return fallback
    if parsed.tzinfo is None:
        from datetime import timedelta

        parsed = parsed.replace(tzinfo=timezone(timedelta(hours=5)))
    return parsed
