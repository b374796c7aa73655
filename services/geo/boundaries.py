"""Boundary imports: districts and their departments from a file, and the cameras that move."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping

from geodata import load_boundaries
from services.store.models import Camera, Department, District, User
from services.geo.routing import Router

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportReport:
    """What an import changed."""

    districts_created: int
    districts_updated: int
    districts_removed: int
    departments_created: int
    cameras_checked: int
    cameras_moved: int

    def summary(self) -> str:
        """One line for the CLI and the audit trail."""
        return (f"districts: {self.districts_created} created, {self.districts_updated} updated, "
                f"{self.districts_removed} removed; departments created: {self.departments_created}; "
                f"cameras re-resolved: {self.cameras_checked}, moved to another department: {self.cameras_moved}")


@dataclass(frozen=True)
class CameraMove:
    """A camera an import would give to another department."""

    camera_id: int
    external_id: str
    operator: str
    from_department: str
    to_department: str


@dataclass(frozen=True)
class BoundaryPreview:
    """What an import would do, computed by doing it and rolling it back: the same code, so the same result."""

    report: ImportReport
    districts_created: list[str]
    districts_changed: list[str]
    districts_removed: list[str]
    moves: list[CameraMove]


def preview_boundaries(session: so.Session, path: Path, name_field: str, city: str,
                       local_field: str | None = None) -> BoundaryPreview:
    """The districts an import would create, change and remove, and every camera that would change department.

    Nothing is kept: the import runs inside a savepoint that is rolled back.
    """
    from services.store.models import Operator

    def departments() -> dict[int, int | None]:
        return dict(session.execute(sa.select(Camera.id, Camera.department_id)).all())

    def districts() -> dict[str, object]:
        return dict(session.execute(sa.select(District.name, District.geometry).where(
            District.city == city.strip().lower())).all())

    before, shapes = departments(), districts()
    savepoint = session.begin_nested()
    try:
        report = import_boundaries(session, path, name_field, city, local_field=local_field)
        after, new_shapes = departments(), districts()
        names = dict(session.execute(sa.select(Department.id, Department.name_ru)).all())
        moved = [cid for cid, dept in after.items() if before.get(cid) != dept]
        moves = [CameraMove(cid, ext, operator, names.get(before.get(cid) or -1, "—"), names.get(after[cid] or -1, "—"))
                 for cid, ext, operator in session.execute(
                     sa.select(Camera.id, Camera.external_id, Operator.name).join(Operator)
                     .where(Camera.id.in_(moved[:5000])).order_by(Camera.id))]
    finally:
        savepoint.rollback()
    return BoundaryPreview(report, sorted(set(new_shapes) - set(shapes)),
                           sorted(n for n in set(new_shapes) & set(shapes) if new_shapes[n] != shapes[n]),
                           sorted(set(shapes) - set(new_shapes)), moves)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9а-яёәғқңөұүһі]+", "-", text.lower()).strip("-")


def _city_department(session: so.Session, city: str) -> Department:
    code = f"{city}-city"
    dept = session.scalar(sa.select(Department).where(Department.code == code))
    if dept is None:
        title = city.capitalize()
        dept = Department(code=code, name_ru=f"Департамент полиции г. {title}",
                          name_kk=f"{title} қаласының Полиция департаменті", name_en=f"{title} City Police Department",
                          city=city)
        session.add(dept)
        session.flush()
    return dept


def reresolve_cameras(session: so.Session, router: Router) -> tuple[int, int]:
    """Recompute every camera's jurisdiction; returns (checked, moved to another department)."""
    cameras = list(session.scalars(sa.select(Camera)))
    if not cameras:
        return 0, 0
    places = router.resolve_many(np.array([c.lat for c in cameras]), np.array([c.lon for c in cameras]))
    moved = 0
    for camera, where in zip(cameras, places):
        if camera.department_id != where.department_id:
            moved += 1
        camera.department_id = where.department_id
        camera.district_id = where.district_id
        camera.outside_boundaries = where.outside_boundaries
    session.flush()
    return len(cameras), moved


def import_boundaries(session: so.Session, path: Path, name_field: str, city: str,
                      local_field: str | None = None, source: str = "") -> ImportReport:
    """Create or update the city's districts from a boundary file; re-resolve cameras.

    Districts of the city absent from the file are removed (their departments stay, without
    territory). Raises ValueError with a clear message for unusable files.
    """
    city = city.strip().lower()
    if not city:
        raise ValueError("--city must name the city, e.g. almaty or astana")
    boundaries = load_boundaries(path, name_field=name_field, local_field=local_field)
    if not boundaries:
        raise ValueError(f"{path.name}: no features")
    names = [b.name for b in boundaries]
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: duplicate names in {name_field!r}: {sorted({n for n in names if names.count(n) > 1})}")
    parent = _city_department(session, city)
    existing = {d.name: d for d in session.scalars(sa.select(District).where(District.city == city))}
    created = updated = departments_created = 0
    source = source or f"{path.name} (imported)"
    for boundary in boundaries:
        district = existing.pop(boundary.name, None)
        if district is None:
            code = f"{city}-{_slug(boundary.name)}"
            department = session.scalar(sa.select(Department).where(Department.code == code))
            if department is None:
                department = Department(code=code, name_ru=f"{boundary.name} — районное управление полиции",
                                        name_kk=f"{boundary.name_local} аудандық полиция басқармасы",
                                        name_en=f"{boundary.name} District Police Department", city=city,
                                        parent_id=parent.id)
                session.add(department)
                session.flush()
                departments_created += 1
            district = District(name=boundary.name, name_local=boundary.name_local, city=city,
                                department_id=department.id, geometry={}, area_km2=0.0, source=source)
            session.add(district)
            created += 1
        else:
            updated += 1
        district.geometry = mapping(boundary.geometry)
        district.area_km2 = round(boundary.area_km2, 2)
        district.name_local = boundary.name_local
        district.source = source
    session.flush()
    stale = list(existing.values())
    keep = [d for d in session.scalars(sa.select(District)) if d not in stale]
    checked, moved = reresolve_cameras(session, Router(keep))
    for district in stale:
        session.delete(district)
    session.flush()
    report = ImportReport(created, updated, len(stale), departments_created, checked, moved)
    logger.info("imported %s for %s: %s", path.name, city, report.summary())
    return report


def apply_boundaries(session: so.Session, actor: str, path: Path, name_field: str, city: str,
                     local_field: str | None = None) -> ImportReport:
    """Import a boundary file as ``actor`` (the CLI's "cli", an admin's name), journaled with what it changed."""
    from services.store import audit

    report = import_boundaries(session, path, name_field, city, local_field=local_field)
    audit.record(session, actor, "admin.geodata.import", path.name, city=city, summary=report.summary())
    return report


def preview_as(session: so.Session, actor: User, path: Path, name_field: str, city: str,
               local_field: str | None = None) -> BoundaryPreview:
    """An admin's look at what a boundary file would move, before anything moves."""
    from services.access.permissions import Action, require

    require(actor, Action.IMPORT_BOUNDARIES)
    return preview_boundaries(session, path, name_field, city, local_field=local_field)


def import_as(session: so.Session, actor: User, path: Path, name_field: str, city: str,
              local_field: str | None = None) -> ImportReport:
    """An admin's import of a boundary file, after its preview: journaled under the admin's name."""
    from services.access.permissions import Action, require

    require(actor, Action.IMPORT_BOUNDARIES)
    return apply_boundaries(session, actor.username, path, name_field, city, local_field=local_field)
