"""The situation picture of one department: what its wall screen shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping, shape

from services.duty.incidents import open_queue
from services.store.models import Camera, CameraHealth, Department, District, IncidentStatus, Unit, UnitStatus

# About 30 m at Almaty's latitude: invisible at city zoom, and a tenth of the vertices to ship.
DISPLAY_TOLERANCE_DEG = 0.0003


@dataclass(frozen=True)
class Situation:
    """Everything a department's wall needs on first render."""

    department: dict[str, Any]
    districts: list[dict[str, Any]]
    cameras: list[dict[str, Any]]
    units: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    counters: dict[str, int]


def tally(incidents: list[dict[str, Any]], units_free: int, cameras_offline: int, cameras: int) -> dict[str, int]:
    """The top bar's figures from the queue and the unit and camera counts: the live wall and replay both use it."""
    return {
        "open": len(incidents),
        "unacknowledged": sum(1 for i in incidents if i["status"] in (IncidentStatus.NEW.value,
                                                                      IncidentStatus.TRANSFERRED.value)),
        "units_free": units_free,
        "cameras_offline": cameras_offline,
        "cameras": cameras,
    }


def counters(session: so.Session, department_id: int, incidents: list[dict[str, Any]]) -> dict[str, int]:
    """Top-bar figures: open, unacknowledged, units free, cameras offline."""
    units_free = session.scalar(sa.select(sa.func.count(Unit.id)).where(
        Unit.department_id == department_id, Unit.status == UnitStatus.AVAILABLE.value)) or 0
    offline = session.scalar(sa.select(sa.func.count(Camera.id)).where(
        Camera.department_id == department_id, Camera.health == CameraHealth.OFFLINE.value)) or 0
    cameras = session.scalar(sa.select(sa.func.count(Camera.id)).where(Camera.department_id == department_id)) or 0
    return tally(incidents, units_free, offline, cameras)


def situation_cameras(session: so.Session, department_id: int) -> list[dict[str, Any]]:
    """The department's cameras in a stable order (the map trace is patched by position)."""
    return [{"id": c.id, "external_id": c.external_id, "lat": c.lat, "lon": c.lon, "health": c.health,
             "mount_kind": c.mount_kind, "address": c.address,
             "last_seen_at": c.last_seen_at.isoformat() if c.last_seen_at else None}
            for c in session.scalars(sa.select(Camera).where(Camera.department_id == department_id)
                                     .order_by(Camera.id))]


def situation_units(session: so.Session, department_id: int) -> list[dict[str, Any]]:
    """The department's patrol units with status and position, by call sign."""
    return [{"id": u.id, "call_sign": u.call_sign, "status": u.status, "lat": u.lat, "lon": u.lon}
            for u in session.scalars(sa.select(Unit).where(Unit.department_id == department_id)
                                     .order_by(Unit.call_sign))]


def outlines(session: so.Session, department_id: int, city: str) -> list[dict[str, Any]]:
    """The city's districts for the map: the department's own bright, the neighbours for context."""
    districts = []
    for d in session.scalars(sa.select(District).where(District.city == city)):
        simplified = shape(d.geometry).simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True)
        districts.append({"id": d.id, "name": d.name, "name_local": d.name_local, "own": d.department_id == department_id,
                          "geometry": mapping(simplified), "bounds": shape(d.geometry).bounds})
    return districts


def department_card(department: Department) -> dict[str, Any]:
    """A department's id, code and names, as pages show it."""
    return {"id": department.id, "code": department.code, "name_ru": department.name_ru,
            "name_kk": department.name_kk, "name_en": department.name_en}


def situation(session: so.Session, department_id: int) -> Situation:
    """Build the department's picture: own districts outlined, neighbours for context."""
    department = session.get(Department, department_id)
    if department is None:
        raise LookupError(f"no department {department_id}")
    cameras = situation_cameras(session, department_id)
    units = situation_units(session, department_id)
    incidents = open_queue(session, {department_id})
    return Situation(department=department_card(department), districts=outlines(session, department_id, department.city),
                     cameras=cameras, units=units, incidents=incidents,
                     counters=counters(session, department_id, incidents))
