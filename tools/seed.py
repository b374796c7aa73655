"""Demo data: a cast of users, operators, cameras and units on the real districts, and a month of history."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store.models import Camera, District, Operator, Unit, User
from services.access.operators import create_operator, issue_key
from services.geo.routing import Router
from services.access.users import create_user
from services.geo.departments import ALMATY_DEPARTMENTS, CITY, CITY_CODE, seed_country, seed_defaults, seed_departments

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoUser:
    """A login printed when the demo starts."""

    username: str
    password: str
    role: str
    department: str | None


DEMO_USERS = (
    DemoUser("duty.almaly", "almaly-duty-2026", "duty_officer", "almaty-almaly"),
    DemoUser("duty.bostandyk", "bostandyk-duty-2026", "duty_officer", "almaty-bostandyk"),
    DemoUser("supervisor.almaly", "almaly-super-2026", "supervisor", "almaty-almaly"),
    DemoUser("chief.almaty", "almaty-chief-2026", "chief", CITY_CODE),
    DemoUser("trainer", "kuzet-trainer-2026", "trainer", "almaty-almaly"),
    DemoUser("admin", "kuzet-admin-2026", "admin", None),
)

DEMO_OPERATORS = ("AlmaVision LLP", "Qala Kamera JSC", "Tengri Secure LLP")
# How each demo operator's equipment talks: v1 JSON, Hikvision ISAPI alerts, or a Frigate NVR over MQTT.
DEMO_VENDORS = {"AlmaVision LLP": "json", "Qala Kamera JSC": "hikvision-isapi", "Tengri Secure LLP": "frigate"}
# Well-known Almaty streets for demo addresses; demo cameras are placed at random, so a street
# name here says nothing about where the camera really is.
DEMO_STREETS = ("пр. Абая", "пр. Достык", "ул. Толе би", "пр. Райымбека", "ул. Жибек Жолы", "ул. Фурманова",
                "пр. Аль-Фараби", "ул. Сатпаева", "ул. Тимирязева", "ул. Байзакова", "ул. Жандосова",
                "пр. Сейфуллина", "ул. Шевченко", "ул. Кабанбай батыра", "ул. Богенбай батыра", "ул. Айтеке би",
                "ул. Гоголя", "пр. Суюнбая", "ул. Розыбакиева", "ул. Момышулы")
MOUNTS = ("street", "street", "road", "road", "yard", "transport", "school", "kindergarten")


def _points_inside(geometry: shapely.Geometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    # Cameras cluster where people are: sample within a shrunken core of the district, not the mountains.
    core = geometry.buffer(-0.002) if geometry.area > 0.001 else geometry
    core = core if not core.is_empty else geometry
    minx, miny, maxx, maxy = core.bounds
    if geometry.area > 0.02:  # Medeu reaches into the mountains; keep cameras in the city part
        maxy = miny + (maxy - miny) * 0.35
    points: list[tuple[float, float]] = []
    shapely.prepare(core)
    while len(points) < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(core, lon, lat):
            points.append((lat, lon))
    return points


def seed_demo(session: so.Session, cameras_per_district: int = 40, units_per_district: int = 4,
              seed: int = 2026) -> dict[str, str]:
    """Demo cast on top of the departments: users, operators with keys, cameras, units.

    Returns a fresh API key per operator name (keys are only ever shown once).
    """
    rng = random.Random(seed)
    seed_defaults(session)
    seed_departments(session)
    seed_country(session)
    for user in DEMO_USERS:
        if session.scalar(sa.select(User.id).where(User.username == user.username)) is None:
            create_user(session, user.username, user.password, user.role, user.department)
    operators = []
    for name in DEMO_OPERATORS:
        operator = session.scalar(sa.select(Operator).where(Operator.name == name)) or create_operator(session, name)
        operators.append(operator)
    keys = {op.name: issue_key(session, op, label="demo simulator") for op in operators}

    if session.scalar(sa.select(sa.func.count(Camera.id))) == 0:
        router = Router.from_session(session)
        districts = list(session.scalars(sa.select(District).where(District.city == CITY).order_by(District.id)))
        for district in districts:
            geometry = shapely.geometry.shape(district.geometry)
            points = _points_inside(geometry, cameras_per_district, rng)
            lats = np.array([p[0] for p in points])
            lons = np.array([p[1] for p in points])
            for n, ((lat, lon), where) in enumerate(zip(points, router.resolve_many(lats, lons)), start=1):
                operator = operators[n % len(operators)]
                mount = MOUNTS[rng.randrange(len(MOUNTS))]
                session.add(Camera(operator_id=operator.id, external_id=f"{district.name[:3].upper()}-{n:03d}",
                                   lat=lat, lon=lon, mount_kind=mount,
                                   address=f"{DEMO_STREETS[rng.randrange(len(DEMO_STREETS))]}, "
                                           f"{rng.randrange(1, 240)}",
                                   live_url=f"http://127.0.0.1:8889/{district.name.lower()}-{n:03d}/index.m3u8",
                                   department_id=where.department_id, district_id=where.district_id,
                                   outside_boundaries=where.outside_boundaries))
            session.flush()
            prefix = ALMATY_DEPARTMENTS[district.name][2]
            for u, (lat, lon) in enumerate(_points_inside(geometry, units_per_district, rng), start=1):
                session.add(Unit(call_sign=f"{prefix}-{u:02d}", department_id=district.department_id,
                                 crew_size=2, lat=lat, lon=lon))
        session.flush()
        _demo_vendor_identities(session, operators)
        seed_history(session, rng)
    session.flush()
    return keys


def _demo_vendor_identities(session: so.Session, operators: list[Operator]) -> None:
    """Device names for the demo cameras of operators whose equipment speaks a vendor protocol."""
    from services.store.models import CameraAlias

    for operator in operators:
        vendor = DEMO_VENDORS.get(operator.name, "json")
        if vendor == "json":
            continue
        for n, camera in enumerate(session.scalars(sa.select(Camera).where(Camera.operator_id == operator.id)
                                                   .order_by(Camera.id))):
            alias = (f"44:19:b6:{n // 256:02x}:{n % 256:02x}:00:1" if vendor == "hikvision-isapi"
                     else f"tengri-nvr:{camera.external_id.lower()}")
            session.add(CameraAlias(operator_id=operator.id, alias=alias, camera_id=camera.id))


def seed_history(session: so.Session, rng: random.Random, days: int = 30) -> int:
    """A month of closed incidents: camera detections, and 102 calls clustered where no camera looks."""
    from datetime import timedelta

    from services.duty.policy import decide, default_rules
    from services.duty.incidents import OUTCOMES
    from services.store.models import Incident, IncidentStatus, utcnow

    now = utcnow()
    created = 0
    rules = default_rules()
    cameras = list(session.scalars(sa.select(Camera)))
    for district in session.scalars(sa.select(District).where(District.city == CITY)):
        geometry = shapely.geometry.shape(district.geometry)
        own = [c for c in cameras if c.district_id == district.id]
        places: list[tuple[float, float, int | None, str]] = [(c.lat, c.lon, c.id, "camera") for c in rng.sample(own, min(20, len(own)))]
        for lat, lon in _points_inside(geometry, 3, rng):  # hotspots the cameras do not see
            places += [(lat + rng.gauss(0, 0.0008), lon + rng.gauss(0, 0.0008), None, "manual")
                       for _ in range(rng.randrange(4, 10))]
        for lat, lon, camera_id, source in places:
            event_type = rng.choice(("fight", "crowd", "vandalism", "loitering", "intrusion", "fall"))
            at = now - timedelta(days=rng.uniform(1, days))
            session.add(Incident(
                department_id=district.department_id, camera_id=camera_id, source=source, category="public_order",
                type=event_type, priority=decide(rules, district.department_id, event_type, "street", None, at),
                status=IncidentStatus.CLOSED.value, lat=lat, lon=lon, address=f"{district.name_local}",
                description="вызов 102 (демо-история)" if source == "manual" else "", event_count=1,
                first_seen_at=at, last_seen_at=at, created_at=at, updated_at=at + timedelta(minutes=40),
                acknowledged_at=at + timedelta(seconds=rng.randrange(10, 90)), outcome=rng.choice(OUTCOMES)))
            created += 1
    session.flush()
    return created
