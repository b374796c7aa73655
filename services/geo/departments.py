"""First-run data every installation needs: the departments on real boundaries, the shipped policy and SOPs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping, shape

from geodata import ALMATY_DISTRICTS, ASTANA_DISTRICTS, KZ_REGIONS, SHYMKENT_DISTRICTS, area_km2, load_boundaries
from services.store.models import Department, District

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



def seed_defaults(session: so.Session) -> None:
    """Shipped defaults every installation needs: the priority policy, the SOP checklists, Almaty's street map."""
    from services.duty.policy import seed_default_policy
    from services.duty.sop import seed_default_sops
    from services.geo.basemap import seed_basemap

    seed_default_policy(session)
    seed_default_sops(session)
    seed_basemap(session, CITY)


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


def transfer_targets(session: so.Session, department_id: int) -> set[int]:
    """Where an incident of this department may be handed: its city's departments (the city's own among
    them) and the departments whose districts border its own, across a city line too."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    from services.store.models import Department, District

    department = session.get(Department, department_id)
    if department is None:
        return set()
    targets = set(session.scalars(sa.select(Department.id).where(Department.city == department.city)))
    own = [shape(d.geometry) for d in session.scalars(sa.select(District).where(District.department_id == department_id))]
    if own:
        area = unary_union(own).buffer(0.002)  # about 200 m: boundaries drawn by different hands do not meet exactly
        minx, miny, maxx, maxy = area.bounds
        for district in session.scalars(sa.select(District).where(District.department_id != department_id)):
            geometry = shape(district.geometry)
            bx = geometry.bounds
            if bx[0] <= maxx and bx[2] >= minx and bx[1] <= maxy and bx[3] >= miny and geometry.intersects(area):
                targets.add(district.department_id)
    targets.discard(department_id)
    return targets
