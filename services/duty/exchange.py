"""Incident exchange with other agencies: OASIS CAP 1.2 alerts and NENA EIDO-style JSON."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree as ET

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.intake.catalogue import TYPE_LABELS_RU
from services.duty.dispatch import assigned_units
from services.store.models import Department, Incident, IncidentNote

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ALMATY = timezone(timedelta(hours=5))
# CAP 1.2 enumerations used below (OASIS CAP 1.2, section 3.2).
CAP_SEVERITY = {1: "Extreme", 2: "Severe", 3: "Moderate", 4: "Minor"}
CAP_URGENCY = {1: "Immediate", 2: "Immediate", 3: "Expected", 4: "Future"}
CAP_CATEGORY = {"fire_smoke": "Fire", "fall": "Health", "panic_button": "Security"}
CLOSED = ("resolved", "closed", "dismissed")


def cap_time(at: datetime) -> str:
    """CAP date-time: seconds precision, numeric offset (never 'Z'), here Asia/Almaty."""
    return at.astimezone(ALMATY).replace(microsecond=0).isoformat()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def cap_identifier(incident_id: int, version: int) -> str:
    """The CAP identifier of one version of an incident."""
    return f"kuzet-incident-{incident_id}-v{version}"


def to_cap(session: so.Session, incident: Incident, sender: str = "kuzet.kz") -> bytes:
    """The incident as a CAP 1.2 alert (msgType Alert while open, Cancel once closed or dismissed)."""
    department = session.get(Department, incident.department_id)
    ET.register_namespace("", CAP_NS)
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    # One alert per incident version, sent when that version came about, so an Update or Cancel can
    # reference the first alert exactly as CAP 1.2 asks ("sender,identifier,sent").
    sender_address = f"{department.code if department else 'unknown'}@{sender}"
    msg_type = "Cancel" if incident.status == "dismissed" else "Alert" if incident.version == 1 else "Update"
    _sub(alert, "identifier", cap_identifier(incident.id, incident.version))
    _sub(alert, "sender", sender_address)
    _sub(alert, "sent", cap_time(incident.updated_at if incident.version > 1 else incident.created_at))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", msg_type)
    _sub(alert, "scope", "Restricted")
    _sub(alert, "restriction", "Law enforcement and emergency services only")
    _sub(alert, "note", f"Kuzet incident #{incident.id}, status {incident.status}")
    if msg_type != "Alert":
        _sub(alert, "references", f"{sender_address},{cap_identifier(incident.id, 1)},{cap_time(incident.created_at)}")
    info = _sub(alert, "info")
    _sub(info, "language", "ru-KZ")
    _sub(info, "category", CAP_CATEGORY.get(incident.type, "Security"))
    _sub(info, "event", TYPE_LABELS_RU.get(incident.type, incident.type))
    _sub(info, "responseType", "Monitor" if incident.status in CLOSED else "Execute")
    _sub(info, "urgency", "Past" if incident.status in CLOSED else CAP_URGENCY[incident.priority])
    _sub(info, "severity", CAP_SEVERITY[incident.priority])
    _sub(info, "certainty", "Observed")
    _sub(info, "onset", cap_time(incident.first_seen_at))
    _sub(info, "senderName", department.name_ru if department else "Kuzet")
    _sub(info, "headline", f"P{incident.priority} {TYPE_LABELS_RU.get(incident.type, incident.type)}: {incident.address}"[:160])
    if incident.description:
        _sub(info, "description", incident.description)
    area = _sub(info, "area")
    _sub(area, "areaDesc", incident.address or f"{incident.lat:.5f}, {incident.lon:.5f}")
    _sub(area, "circle", f"{incident.lat:.6f},{incident.lon:.6f} 0.1")  # WGS 84 point, radius 0.1 km
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


def to_eido(session: so.Session, incident: Incident) -> dict[str, Any]:
    """The incident as NENA EIDO-style JSON: incident, location, agency, units and notes components."""
    department = session.get(Department, incident.department_id)
    location_id = f"urn:kuzet:location:{incident.id}"
    agency_id = f"urn:kuzet:agency:{department.code if department else 'unknown'}"
    notes = session.scalars(sa.select(IncidentNote).where(IncidentNote.incident_id == incident.id)
                            .order_by(IncidentNote.id))
    return {
        "$schema": "https://kuzet.kz/schemas/eido-style/1.json",
        "eidoMessageIdentifier": f"urn:uuid:{uuid.uuid4()}",
        "lastUpdateTimeStamp": incident.updated_at.isoformat(),
        "incidentComponent": {
            "componentIdentifier": f"urn:kuzet:incident:{incident.id}",
            "incidentTrackingIdentifier": f"kuzet-{incident.id}",
            "lastUpdateTimeStamp": incident.updated_at.isoformat(),
            "incidentTypeCommonRegistryText": incident.type,
            "incidentTypeLocalRegistryText": TYPE_LABELS_RU.get(incident.type, incident.type),
            "incidentStatusCommonRegistryText": incident.status,
            "incidentPriority": incident.priority,
            "incidentCreationTimeStamp": incident.created_at.isoformat(),
            "incidentDispositionText": incident.outcome,
            "locationReference": location_id,
            "agencyReference": agency_id,
        },
        "locationComponent": [{
            "componentIdentifier": location_id,
            "locationByValue": {"type": "Point", "coordinates": [incident.lon, incident.lat]},
            "civicAddressText": incident.address,
        }],
        "agencyComponent": [{
            "componentIdentifier": agency_id,
            "agencyName": department.name_ru if department else "",
            "agencyNameEnglish": department.name_en if department else "",
        }],
        "vehicleComponent": [{"componentIdentifier": f"urn:kuzet:unit:{u['call_sign']}", "unitCallSign": u["call_sign"],
                              "unitStatusText": u["status"], "dispatchTimeStamp": u["dispatched_at"],
                              "arrivalTimeStamp": u["arrived_at"]} for u in assigned_units(session, incident.id)],
        "notesComponent": [{"componentIdentifier": f"urn:kuzet:note:{n.id}", "noteDateTimeStamp": n.at.isoformat(),
                            "noteAuthor": n.author, "noteText": n.text} for n in notes],
    }
