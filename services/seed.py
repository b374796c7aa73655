"""Demo and first-run data: Almaty's district police departments on real boundaries, and a demo cast."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping, shape

from geodata import ALMATY_DISTRICTS, ASTANA_DISTRICTS, KZ_REGIONS, SHYMKENT_DISTRICTS, area_km2, load_boundaries
from services.models import Camera, Department, District, Operator, Unit, User
from services.operators import create_operator, issue_key
from services.routing import Router
from services.users import create_user

logger = logging.getLogger(__name__)

CITY = "almaty"
CITY_CODE = "almaty-city"
SOURCE = "OpenStreetMap contributors, ODbL 1.0 (geodata/data/SOURCES.md)"

# English district name -> (Russian department name, Kazakh department name, call-sign prefix)
ALMATY_DEPARTMENTS: dict[str, tuple[str, str, str]] = {
    "Alatau": ("Алатауское РУП", "Алатау АПБ", "ALT"),
    "Almaly": ("Алмалинское РУП", "Алмалы АПБ", "ALM"),
    "Auezov": ("Ауэзовское РУП", "Әуезов АПБ", "AUE"),
    "Bostandyk": ("Бостандыкское РУП", "Бостандық АПБ", "BOS"),
    "Jetysu": ("Жетысуское РУП", "Жетісу АПБ", "JET"),
    "Medeu": ("Медеуское РУП", "Медеу АПБ", "MED"),
    "Nauryzbai": ("Наурызбайское РУП", "Наурызбай АПБ", "NAU"),
    "Turksib": ("Турксибское РУП", "Түрксіб АПБ", "TUR"),
}


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


def seed_defaults(session: so.Session) -> None:
    """Shipped defaults every installation needs: the priority policy and the SOP checklists."""
    from services.policy import seed_default_policy
    from services.sop import seed_default_sops

    seed_default_policy(session)
    seed_default_sops(session)


def seed_departments(session: so.Session) -> int:
    """Create Almaty's city police department and one department per district; idempotent."""
    if session.scalar(sa.select(Department).where(Department.code == CITY_CODE)):
        return 0
    city = Department(code=CITY_CODE, name_ru="Департамент полиции г. Алматы",
                      name_kk="Алматы қаласының Полиция департаменті", name_en="Almaty City Police Department",
                      city=CITY)
    session.add(city)
    session.flush()
    created = 0
    for boundary in load_boundaries(ALMATY_DISTRICTS):
        name_ru, name_kk, _ = ALMATY_DEPARTMENTS[boundary.name]
        department = Department(code=f"{CITY}-{boundary.name.lower()}", name_ru=name_ru, name_kk=name_kk,
                                name_en=f"{boundary.name} District Police Department", city=CITY, parent_id=city.id)
        session.add(department)
        session.flush()
        session.add(District(name=boundary.name, name_local=boundary.name_local, city=CITY,
                             department_id=department.id, geometry=mapping(boundary.geometry),
                             area_km2=round(boundary.area_km2, 2), source=SOURCE))
        created += 1
    session.flush()
    return created


# The data's English names are missing or transliterated oddly for some districts.
SHYMKENT_ENGLISH = {"Енбекшинский район": "Enbekshi", "Каратауский район": "Karatau",
                    "Аль-Фарабийский район": "Al-Farabi", "Абайский район": "Abai"}


def _russian_genitive(name: str) -> str:
    """"Акмолинская область" -> "Акмолинской области"; "Енбекшинский район" -> "Енбекшинского района"."""
    words = name.split()
    out = []
    for word in words:
        for ending, genitive in (("ская", "ской"), ("ая", "ой"), ("ский", "ского"), ("область", "области"),
                                 ("район", "района")):
            if word.endswith(ending):
                word = word[: -len(ending)] + genitive
                break
        out.append(word)
    return " ".join(out)


def _add_department(session: so.Session, code: str, names: tuple[str, str, str], city: str,
                    parent: Department | None, district: tuple[str, str, dict[str, Any]] | None) -> Department:
    """One department (and, when given, the single district it serves: name, local name, geometry)."""
    department = Department(code=code, name_ru=names[0], name_kk=names[1], name_en=names[2], city=city,
                            parent_id=parent.id if parent else None)
    session.add(department)
    session.flush()
    if district is not None:
        name, local, geometry = district
        session.add(District(name=name, name_local=local, city=city, department_id=department.id, geometry=geometry,
                             area_km2=round(area_km2(shape(geometry)), 2), source=SOURCE))
    return department


def _features(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def seed_country(session: so.Session) -> int:
    """Astana's and Shymkent's district departments, and a regional department for each of the 17 regions.

    A region's department serves the whole region until its district boundaries are imported, so no
    camera in Kazakhstan is routed to another region's police. Idempotent; returns departments created.
    """
    created = 0
    if session.scalar(sa.select(Department.id).where(Department.code == "astana-city")) is None:
        city = _add_department(session, "astana-city", ("Департамент полиции г. Астаны",
                               "Астана қаласының Полиция департаменті", "Astana City Police Department"),
                               "astana", None, None)
        for feature in _features(ASTANA_DISTRICTS):
            props, names = feature["properties"], feature["properties"].get("osm_names", {})
            english = names.get("name:en", props["name"]).replace(" district", "").replace(" District", "")
            # District named as in the file's `name` field, so `kuzet geodata import` of a newer file updates it.
            _add_department(session, f"astana-{props['osm_id']}",
                            (f"УП района {props['name']}", f"{names.get('name', props['name'])} ПБ",
                             f"{english} District Police Department"), "astana", city,
                            (props["name"], names.get("name", props["name"]), feature["geometry"]))
            created += 1
        created += 1
    if session.scalar(sa.select(Department.id).where(Department.code == "shymkent-city")) is None:
        city = _add_department(session, "shymkent-city", ("Департамент полиции г. Шымкент",
                               "Шымкент қаласының Полиция департаменті", "Shymkent City Police Department"),
                               "shymkent", None, None)
        for feature in _features(SHYMKENT_DISTRICTS):
            props = feature["properties"]
            if props.get("unit_kind") != "district":
                continue
            names = props["names_common"]
            english = SHYMKENT_ENGLISH.get(names["ru"]) or names.get("en", names["ru"]).removesuffix(" District")
            _add_department(session, f"shymkent-{english.lower()}",
                            (f"УП {_russian_genitive(names['ru'])}", f"{names['kk']} ПБ",
                             f"{english} District Police Department"), "shymkent", city,
                            (english, names["kk"], feature["geometry"]))
            created += 1
        created += 1
    for feature in _features(KZ_REGIONS):
        props = feature["properties"]
        if not props["name_ru"].endswith("область"):
            continue  # Astana, Almaty and Shymkent are cities: their districts come from their own files
        code = f"region-{props['id']}"
        if session.scalar(sa.select(Department.id).where(Department.code == code)) is not None:
            continue
        english = props["name"].replace(" region", " Region")
        _add_department(session, code, (f"Департамент полиции {_russian_genitive(props['name_ru'])}",
                                        f"{props['local_name']} Полиция департаменті", f"{english} Police Department"),
                        code, None, (english, props["local_name"], feature["geometry"]))
        created += 1
    session.flush()
    return created


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
    from services.models import CameraAlias

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

    from services.policy import decide, default_rules
    from services.incidents import OUTCOMES
    from services.models import Incident, IncidentStatus, utcnow

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
