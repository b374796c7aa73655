"""Coverage: cameras per district, dead cameras, and where incidents happen with no camera watching."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import h3
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n import _
from services.tabular import safe_cell, safe_row
from services.geo.distance import distance_m
from services.store.models import Camera, CameraHealth, Department, District, Incident, Operator, utcnow

# Resolution 9: hexagons with ~200 m edges (~0.1 km²), about a city block or two.
H3_RESOLUTION = 9
# How far a camera of each mount kind usefully sees, in metres; configurable per call.
VIEW_RADIUS_M: dict[str, float] = {
    "road": 150, "street": 100, "yard": 60, "school": 80, "kindergarten": 80, "transport": 120,
    "prison": 100, "other": 80,
}


@dataclass(frozen=True)
class Coverage:
    """The chief's picture for a set of departments."""

    districts: list[dict[str, Any]]
    covered_cells: list[str]
    incident_cells: dict[str, int]
    candidates: list[dict[str, Any]]
    since: datetime

    def candidates_csv(self) -> str:
        """Candidate sites as CSV, best first."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["rank", "h3", "lat", "lon", "incidents", "district"])
        writer.writeheader()
        writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in self.candidates)
        return out.getvalue()

    def candidates_geojson(self) -> str:
        """Candidate sites as a GeoJSON FeatureCollection of hexagons."""
        features = [{"type": "Feature", "geometry": cell_polygon(c["h3"]),
                     "properties": {k: v for k, v in c.items()}} for c in self.candidates]
        return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def parse_radii(text: str) -> dict[str, float]:
    """View radii from "kind=metres,..." over the defaults; refuses unknown kinds and bad numbers."""
    radii = dict(VIEW_RADIUS_M)
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _sep, value = part.partition("=")
        kind = kind.strip()
        if kind not in VIEW_RADIUS_M:
            raise ValueError(_("unknown mount kind «%(kind)s» in coverage radii; kinds are %(kinds)s", kind=kind,
                               kinds=", ".join(VIEW_RADIUS_M)))
        try:
            metres = float(value)
        except ValueError:
            raise ValueError(_("coverage radius for «%(kind)s» must be metres, not «%(value)s»", kind=kind,
                               value=value)) from None
        if not 0 < metres <= 2000:
            raise ValueError(_("coverage radius for «%(kind)s» must be between 0 and 2000 m", kind=kind))
        radii[kind] = metres
    return radii


def cells_seen(lat: float, lon: float, radius_m: float, resolution: int = H3_RESOLUTION) -> set[str]:
    """Hexagons whose centre lies within a camera's view radius (its own cell always)."""
    home = h3.latlng_to_cell(lat, lon, resolution)
    edge = h3.average_hexagon_edge_length(resolution, "m")
    rings = max(1, math.ceil(radius_m / (edge * 1.5)))
    seen = {home}
    for cell in h3.grid_disk(home, rings):
        clat, clon = h3.cell_to_latlng(cell)
        if distance_m(lat, lon, clat, clon) <= radius_m:
            seen.add(cell)
    return seen


def cell_polygon(cell: str) -> dict[str, Any]:
    """GeoJSON polygon of a hexagon (lon, lat order, closed ring)."""
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def district_figures(session: so.Session, department_ids: set[int], operator_id: int | None,
                     since: datetime) -> list[dict[str, Any]]:
    """Per district: area, cameras, cameras per km², offline share, incidents since ``since``."""
    camera_filter = [Camera.department_id.in_(department_ids)]
    if operator_id is not None:
        camera_filter.append(Camera.operator_id == operator_id)
    cams = dict(session.execute(
        sa.select(Camera.district_id, sa.func.count(Camera.id)).where(*camera_filter).group_by(Camera.district_id)).all())
    offline = dict(session.execute(
        sa.select(Camera.district_id, sa.func.count(Camera.id))
        .where(*camera_filter, Camera.health == CameraHealth.OFFLINE.value).group_by(Camera.district_id)).all())
    incidents = dict(session.execute(
        sa.select(Incident.department_id, sa.func.count(Incident.id))
        .where(Incident.department_id.in_(department_ids), Incident.created_at >= since)
        .group_by(Incident.department_id)).all())
    manual = dict(session.execute(
        sa.select(Incident.department_id, sa.func.count(Incident.id))
        .where(Incident.department_id.in_(department_ids), Incident.created_at >= since, Incident.source == "manual")
        .group_by(Incident.department_id)).all())
    rows = []
    for district, dept_name in session.execute(
        sa.select(District, Department.name_ru).join(Department).where(District.department_id.in_(department_ids))
        .order_by(District.name)
    ):
        n = cams.get(district.id, 0)
        off = offline.get(district.id, 0)
        rows.append({
            "district_id": district.id, "district": district.name, "district_local": district.name_local,
            "department_id": district.department_id, "department": dept_name, "area_km2": round(district.area_km2, 1),
            "cameras": n, "cameras_per_km2": round(n / district.area_km2, 2) if district.area_km2 else 0.0,
            "offline": off, "offline_share": round(100 * off / n, 1) if n else 0.0,
            "incidents": incidents.get(district.department_id, 0), "manual_incidents": manual.get(district.department_id, 0),
        })
    return rows


def coverage(session: so.Session, department_ids: set[int], operator_id: int | None = None, days: int = 30,
             radii: dict[str, float] | None = None, now: datetime | None = None, top: int = 50) -> Coverage:
    """Camera coverage against incident density over the last ``days`` days, in the departments."""
    radii = radii or VIEW_RADIUS_M
    since = (now or utcnow()) - timedelta(days=days)
    covered: set[str] = set()
    query = sa.select(Camera.lat, Camera.lon, Camera.mount_kind).where(Camera.department_id.in_(department_ids))
    if operator_id is not None:
        query = query.where(Camera.operator_id == operator_id)
    for lat, lon, mount in session.execute(query):
        covered |= cells_seen(lat, lon, radii.get(mount, radii.get("other", 80)))
    incident_cells = Counter(
        h3.latlng_to_cell(lat, lon, H3_RESOLUTION) for lat, lon in session.execute(
            sa.select(Incident.lat, Incident.lon).where(Incident.department_id.in_(department_ids),
                                                         Incident.created_at >= since)))
    blind = sorted(((n, cell) for cell, n in incident_cells.items() if cell not in covered), key=lambda x: (-x[0], x[1]))
    district_of = _district_namer(session, department_ids)
    candidates = []
    for rank, (n, cell) in enumerate(blind[:top], start=1):
        lat, lon = h3.cell_to_latlng(cell)
        candidates.append({"rank": rank, "h3": cell, "lat": round(lat, 6), "lon": round(lon, 6), "incidents": n,
                           "district": district_of(lat, lon)})
    return Coverage(district_figures(session, department_ids, operator_id, since), sorted(covered),
                    dict(incident_cells), candidates, since)


def _district_namer(session: so.Session, department_ids: set[int]) -> Any:
    from services.geo.routing import Router

    districts = list(session.scalars(sa.select(District).where(District.department_id.in_(department_ids))))
    if not districts:
        return lambda lat, lon: ""
    router = Router(districts)
    names = {d.id: d.name for d in districts}
    return lambda lat, lon: names[router.resolve(lat, lon).district_id]


def operators(session: so.Session) -> list[dict[str, Any]]:
    """Operators for the filter."""
    return [{"value": str(i), "label": n} for i, n in session.execute(sa.select(Operator.id, Operator.name).order_by(Operator.name))]


def cameras_csv(session: so.Session, department_ids: set[int], operator_id: int | None = None) -> str:
    """The camera list of the departments as CSV (for the chief's export)."""
    query = (sa.select(Camera, Operator.name, Department.name_ru).join(Operator, Camera.operator_id == Operator.id)
             .join(Department, Camera.department_id == Department.id)
             .where(Camera.department_id.in_(department_ids)).order_by(Camera.department_id, Camera.external_id))
    if operator_id is not None:
        query = query.where(Camera.operator_id == operator_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["camera_id", "operator", "department", "lat", "lon", "mount_kind", "address", "health",
                     "last_seen_at", "outside_boundaries"])
    for cam, op_name, dept in session.execute(query):
        writer.writerow(safe_row([cam.external_id, op_name, dept, cam.lat, cam.lon, cam.mount_kind, cam.address,
                                  cam.health, cam.last_seen_at.isoformat() if cam.last_seen_at else "",
                                  cam.outside_boundaries]))
    return out.getvalue()
