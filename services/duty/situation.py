"""The situation picture of one department: what its wall screen shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping, shape

from services.duty.changes import unit_rows
from services.duty.incidents import open_queue
from services.store.models import (OPEN_STATUSES, Camera, CameraHealth, Department, District, Incident, IncidentStatus,
                                   Unit, UnitStatus)

UNACKNOWLEDGED = (IncidentStatus.NEW.value, IncidentStatus.TRANSFERRED.value)

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
    # Each department's figures (department_figures): the page's starting point for the pushed ones.
    figures: dict[int, dict[str, int]] = field(default_factory=dict)
    # The departments on a city wall, each with its own open and unacknowledged counts (empty on one department's).
    departments: list[dict[str, Any]] = field(default_factory=list)


def tally(incidents: list[dict[str, Any]], units_free: int, cameras_offline: int, cameras: int) -> dict[str, int]:
    """The top bar's figures from a replayed moment's incidents (all of them) and its unit and camera counts."""
    return {
        "open": len(incidents),
        "unacknowledged": sum(1 for i in incidents if i["status"] in UNACKNOWLEDGED),
        "units_free": units_free,
        "cameras_offline": cameras_offline,
        "cameras": cameras,
    }


FIGURES = ("open", "unacknowledged", "units_free", "cameras_offline", "cameras")


def department_figures(session: so.Session, department_ids: set[int]) -> dict[int, dict[str, int]]:
    """Each department's top-bar figures counted in the store: open, unacknowledged, free units, cameras offline, all.

    Three grouped queries whatever the number of departments: the push publisher counts every committed batch's
    departments once, and the walls add up their own (no wall asks the store per push).
    """
    figures = {d: dict.fromkeys(FIGURES, 0) for d in department_ids}
    unack = sa.func.sum(sa.case((Incident.status.in_(UNACKNOWLEDGED), 1), else_=0))
    for department_id, open_, unacknowledged in session.execute(
            sa.select(Incident.department_id, sa.func.count(Incident.id), unack)
            .where(Incident.department_id.in_(department_ids), Incident.status.in_(OPEN_STATUSES))
            .group_by(Incident.department_id)):
        figures[department_id].update(open=open_, unacknowledged=unacknowledged or 0)
    for department_id, free in session.execute(
            sa.select(Unit.department_id, sa.func.count(Unit.id))
            .where(Unit.department_id.in_(department_ids), Unit.status == UnitStatus.AVAILABLE.value)
            .group_by(Unit.department_id)):
        figures[department_id]["units_free"] = free
    offline = sa.func.sum(sa.case((Camera.health == CameraHealth.OFFLINE.value, 1), else_=0))
    for department_id, offline_, cameras in session.execute(
            sa.select(Camera.department_id, offline, sa.func.count(Camera.id))
            .where(Camera.department_id.in_(department_ids)).group_by(Camera.department_id)):
        figures[department_id].update(cameras_offline=offline_ or 0, cameras=cameras)
    return figures


def total(figures: dict[int, dict[str, int]]) -> dict[str, int]:
    """Departments' figures added up: a city wall's top bar."""
    return {key: sum(f[key] for f in figures.values()) for key in FIGURES}


def counters(session: so.Session, department_ids: set[int]) -> dict[str, int]:
    """Top-bar figures counted in the store (never in what a page holds): the departments' figures added up."""
    return total(department_figures(session, department_ids))


def department_counts(session: so.Session, department_ids: set[int],
                      figures: dict[int, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    """Each department's card with its open and unacknowledged counts, for a city wall's chips."""
    figures = figures if figures is not None else department_figures(session, department_ids)
    departments = session.scalars(sa.select(Department).where(Department.id.in_(department_ids))
                                  .order_by(Department.parent_id.is_not(None), Department.name_ru))
    return [{**department_card(d), "open": figures[d.id]["open"], "unacknowledged": figures[d.id]["unacknowledged"]}
            for d in departments]


HEALTH_CODES = {CameraHealth.ONLINE.value: 0, CameraHealth.STALE.value: 1, CameraHealth.OFFLINE.value: 2}


def camera_points(session: so.Session, department_ids: set[int]) -> dict[str, Any]:
    """The departments' cameras as compact GeoJSON for a wall's map: id, external id, health code, last seen (epoch s).

    Health codes: 0 online, 1 stale, 2 offline, 3 unknown. Tens of thousands of cameras: one lean query.
    """
    rows = session.execute(sa.select(Camera.id, Camera.external_id, Camera.lat, Camera.lon, Camera.health,
                                     Camera.last_seen_at).where(Camera.department_id.in_(department_ids))
                           .order_by(Camera.id))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
         "properties": {"i": key, "e": external, "h": HEALTH_CODES.get(health, 3),
                        "t": int(seen.timestamp()) if seen else None}}
        for key, external, lat, lon, health, seen in rows]}


def camera_points_version(session: so.Session, department_ids: set[int]) -> tuple[Any, ...]:
    """A fingerprint of what camera_points answers, from one aggregate: it changes when a camera is added or
    removed, moves, changes health or is seen again (each sighting raises the latest last-seen time).

    Health enters weighted by a hash of the camera id, so two cameras swapping states change it too
    (two changes cancelling out would need ids whose weighted codes sum to zero: about one in a million).
    """
    code = sa.case(*((Camera.health == health, value) for health, value in HEALTH_CODES.items()), else_=3)
    row = session.execute(sa.select(
        sa.func.count(Camera.id), sa.func.coalesce(sa.func.sum(Camera.id), 0), sa.func.max(Camera.last_seen_at),
        sa.func.coalesce(sa.func.sum(((Camera.id * 7919) % 1000003) * (code + 1)), 0),
        sa.func.coalesce(sa.func.sum(Camera.lat * 3 + Camera.lon), 0.0))
        .where(Camera.department_id.in_(department_ids))).one()
    return tuple(row)


def situation_units(session: so.Session, department_ids: set[int]) -> list[dict[str, Any]]:
    """The departments' patrol units with status and position, by call sign."""
    return unit_rows(session, session.scalars(sa.select(Unit).where(Unit.department_id.in_(department_ids))
                                              .order_by(Unit.call_sign)))


def outlines(session: so.Session, department_id: int | set[int], city: str) -> list[dict[str, Any]]:
    """The city's districts for the map: the department's (or departments') own bright, the neighbours for context."""
    own = department_id if isinstance(department_id, set) else {department_id}
    districts = []
    for d in session.scalars(sa.select(District).where(District.city == city)):
        simplified = shape(d.geometry).simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True)
        districts.append({"id": d.id, "name": d.name, "name_local": d.name_local, "own": d.department_id in own,
                          "geometry": mapping(simplified), "bounds": shape(d.geometry).bounds})
    return districts


def department_card(department: Department) -> dict[str, Any]:
    """A department's id, code and names, as pages show it."""
    return {"id": department.id, "code": department.code, "name_ru": department.name_ru,
            "name_kk": department.name_kk, "name_en": department.name_en, "city": department.city}


def situation(session: so.Session, department_id: int, department_ids: set[int] | None = None) -> Situation:
    """Build the wall's picture: one department's, or a city wall's over ``department_ids`` (own districts outlined).

    Its cameras are not in it: the wall's map fetches them itself (/map/cameras.json), tens of thousands of them.
    """
    department = session.get(Department, department_id)
    if department is None:
        raise LookupError(f"no department {department_id}")
    ids = department_ids or {department_id}
    figures = department_figures(session, ids)
    return Situation(department=department_card(department), districts=outlines(session, ids, department.city),
                     cameras=[], units=situation_units(session, ids), incidents=open_queue(session, ids),
                     counters=total(figures), figures=figures,
                     departments=department_counts(session, ids, figures) if len(ids) > 1 else [])
