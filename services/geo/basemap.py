"""The street map under every Kuzet map: roads by class, named places and street labels, served by Kuzet itself.

A basemap is imported per city from an OpenStreetMap extract (``.osm.pbf`` through GDAL's OSM
driver, or GeoJSON with OSM's ``highway``/``name`` properties) and stored as ready-to-serve layers,
so pages fetch plain GeoJSON from the centre and no tile server is involved.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import shapely
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import LineString, MultiLineString, mapping, shape

from services.store.models import BasemapLayer, utcnow

logger = logging.getLogger(__name__)

# OSM highway tags by how a map draws them: 1 avenues (bold, named), 2 through streets, 3 the rest.
ROAD_CLASS: dict[str, int] = {
    **dict.fromkeys(("motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link"), 1),
    **dict.fromkeys(("secondary", "tertiary", "secondary_link", "tertiary_link"), 2),
    **dict.fromkeys(("residential", "unclassified", "living_street", "road", "service", "pedestrian"), 3),
}
ROAD_LAYERS = ("roads-1", "roads-2", "roads-3")
# names: every street, place and address by name, with a position for the places and addresses (the 102 field).
LAYERS = (*ROAD_LAYERS, "places", "labels", "names")
# OSM keys whose named features a duty officer steers by.
PLACE_KEYS = ("amenity", "shop", "tourism", "leisure", "railway", "public_transport", "office", "building", "place")
LABEL_EVERY_M = 1_400  # one street label per this many metres of a named avenue
LABEL_MIN_M = 500  # shorter named pieces get no label
SIMPLIFY_DEG = 0.00005  # about 5 m
M_PER_DEG_LAT = 111_320.0
SHIPPED_ALMATY = ("almaty_roads.geojson", "almaty_places.geojson", "almaty_addresses.geojson")
SHIPPED_SOURCE = "OpenStreetMap, almaty.osm.pbf (aliilyas/osm 48f4e9c7)"
SHIPPED_DATE = "2012"


class BasemapError(ValueError):
    """A file that is not a street map Kuzet can read, said plainly."""


@dataclass(frozen=True)
class Road:
    """One road line: its OSM class, its name (may be empty) and its geometry."""

    road_class: int
    name: str
    line: LineString


@dataclass(frozen=True)
class Place:
    """One named place: name, kind ("amenity=school") and point."""

    name: str
    kind: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Address:
    """One addressed building or entrance: "пр. Достык, 125", its point, and the name on it if any."""

    text: str
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class MapData:
    """What an extract holds for the map: roads, named places, addresses."""

    roads: list[Road]
    places: list[Place]
    addresses: list[Address]


@dataclass(frozen=True)
class BasemapReport:
    """What an import stored."""

    city: str
    roads: int
    named_roads: int
    places: int
    labels: int
    addresses: int = 0

    def summary(self) -> str:
        """One line for the CLI and the journal."""
        return (f"{self.city}: {self.roads} roads ({self.named_roads} named), {self.places} places, "
                f"{self.addresses} addresses, {self.labels} street labels")


def read(path: Path) -> MapData:
    """Roads, places and addresses of an extract: ``.osm.pbf``/``.osm`` through GDAL's OSM driver, else GeoJSON."""
    if not path.is_file():
        raise BasemapError(f"{path}: no such file")
    if path.name.endswith((".osm.pbf", ".pbf", ".osm")):
        return _read_osm(path)
    try:
        document = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BasemapError(f"{path}: not GeoJSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise BasemapError(f"{path}: not a GeoJSON FeatureCollection")
    return _from_features(document["features"])


def read_all(paths: list[Path]) -> MapData:
    """What several files hold together (an extract's roads, places and addresses may come apart)."""
    parts = [read(path) for path in paths]
    return MapData([r for p in parts for r in p.roads], [x for p in parts for x in p.places],
                   [a for p in parts for a in p.addresses])


def _from_features(features: Iterable[Any]) -> MapData:
    roads: list[Road] = []
    places: list[Place] = []
    addresses: list[Address] = []
    for feature in features:
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            continue
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        try:
            geometry = shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException):
            continue  # a geometry GEOS cannot build (a one-point line, a ring of two) is no road
        if geometry.is_empty:
            continue
        name = next((v.strip() for v in (props.get("name"), props.get("name_ru")) if isinstance(v, str)), "")
        road_class = ROAD_CLASS.get(str(props.get("highway") or ""))
        street, number = (props.get(k) for k in ("street", "housenumber"))
        if road_class and geometry.geom_type in ("LineString", "MultiLineString"):
            for line in getattr(geometry, "geoms", [geometry]):
                roads.append(Road(road_class, name, line))
        elif geometry.geom_type == "Point" and isinstance(street, str) and isinstance(number, str) \
                and street.strip() and number.strip():
            addresses.append(Address(f"{street.strip()}, {number.strip()}", name, geometry.x, geometry.y))
        elif geometry.geom_type == "Point" and name:
            kind = str(props.get("kind") or "")
            places.append(Place(name, kind, geometry.x, geometry.y))
    return MapData(roads, places, addresses)


def _read_osm(path: Path) -> tuple[list[Road], list[Place]]:
    import pyogrio

    try:
        lines = pyogrio.read_dataframe(path, layer="lines", columns=["name", "highway"])
        points = pyogrio.read_dataframe(path, layer="points", columns=["name", "other_tags"])
    except Exception as exc:  # noqa: BLE001 - GDAL raises its own types for a file it cannot read
        raise BasemapError(f"{path}: GDAL's OSM driver cannot read it ({exc})") from None
    # GDAL's empty fields come as NaN (a float, truthy): only strings are names and tags.
    features: list[dict[str, Any]] = [
        {"geometry": mapping(g), "properties": {"highway": h, "name": n if isinstance(n, str) else None}}
        for g, h, n in zip(lines.geometry, lines["highway"], lines["name"]) if g is not None and h in ROAD_CLASS]
    for g, n, tags in zip(points.geometry, points["name"], points["other_tags"]):
        tags = _tags(tags if isinstance(tags, str) else "")
        kind = next((f"{k}={tags[k]}" for k in PLACE_KEYS if k in tags), "")
        name = n if isinstance(n, str) else None
        if g is not None and tags.get("addr:street") and tags.get("addr:housenumber"):
            features.append({"geometry": mapping(g), "properties": {
                "name": name, "street": tags["addr:street"], "housenumber": tags["addr:housenumber"]}})
        elif g is not None and name and name.strip() and kind:
            features.append({"geometry": mapping(g), "properties": {"name": name, "kind": kind}})
    return _from_features(features)


def _tags(other_tags: str) -> dict[str, str]:
    """A point's other tags from GDAL's hstore text ('"amenity"=>"school","addr:street"=>"…"')."""
    return dict(re.findall(r'"([^"]+)"=>"([^"]*)"', other_tags))


def labels(roads: list[Road]) -> list[dict[str, Any]]:
    """Where street names stand along the named avenues and through streets: name, point and direction."""
    by_name: dict[str, list[LineString]] = {}
    rank: dict[str, int] = {}
    for road in roads:
        if road.name and road.road_class <= 2:
            by_name.setdefault(road.name, []).append(road.line)
            rank[road.name] = min(rank.get(road.name, 2), road.road_class)
    out = []
    for name, lines in sorted(by_name.items()):
        merged = shapely.line_merge(MultiLineString(lines))
        for line in getattr(merged, "geoms", [merged]):
            metres = _length_m(line)
            if metres < LABEL_MIN_M:
                continue
            steps = max(1, int(metres // LABEL_EVERY_M))
            for i in range(steps):
                share = (i + 0.5) / steps
                a, b = line.interpolate(max(share - 0.01, 0), normalized=True), line.interpolate(min(share + 0.01, 1), normalized=True)
                out.append({"n": name, "a": [round(a.x, 6), round(a.y, 6)], "b": [round(b.x, 6), round(b.y, 6)],
                            "c": rank[name]})
    return out


def _length_m(line: LineString) -> float:
    lat = math.radians(line.centroid.y)
    coords = list(line.coords)
    return sum(math.hypot((x2 - x1) * M_PER_DEG_LAT * math.cos(lat), (y2 - y1) * M_PER_DEG_LAT)
               for (x1, y1), (x2, y2) in zip(coords, coords[1:]))


def layers(data: MapData) -> dict[str, bytes]:
    """The stored, served layers: one GeoJSON per road class, the places, the street labels and the names (JSON)."""
    roads, places = data.roads, data.places
    out: dict[str, bytes] = {}
    for road_class, key in enumerate(ROAD_LAYERS, start=1):
        features = [{"type": "Feature", "properties": {"n": r.name} if r.name else {},
                     "geometry": mapping(r.line.simplify(SIMPLIFY_DEG))}
                    for r in roads if r.road_class == road_class]
        out[key] = _compact({"type": "FeatureCollection", "features": features})
    out["places"] = _compact({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": p.name, "k": p.kind},
         "geometry": {"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]}} for p in places]})
    out["labels"] = _compact(labels(roads))
    # Read on every wall load: kept ready here rather than parsed out of megabytes of roads each time.
    # A place or an address has a point a 102 call can take; a bare street (kilometres long) has none.
    named: dict[str, list[float] | None] = dict.fromkeys(sorted({r.name for r in roads if r.name}))
    for text, lon, lat in [(p.name, p.lon, p.lat) for p in places] + [(a.text, a.lon, a.lat) for a in data.addresses] \
            + [(a.name, a.lon, a.lat) for a in data.addresses if a.name]:
        named.setdefault(text, [round(lat, 6), round(lon, 6)])
    out["names"] = _compact(dict(sorted(named.items())))
    return out


def _compact(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def import_basemap(session: so.Session, city: str, paths: list[Path], *, source: str, data_date: str,
                   imported_by: str) -> BasemapReport:
    """Replace the city's street map with the roads and places of the files (all read before anything is stored)."""
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", data_date):
        raise BasemapError(f"date {data_date!r}: give the extract's date as YYYY, YYYY-MM or YYYY-MM-DD")
    if data_date > date.today().isoformat():
        raise BasemapError(f"date {data_date}: an extract cannot be from the future")
    data = read_all(paths)
    roads, places = data.roads, data.places
    if not roads:
        raise BasemapError("no roads in the files (OSM lines with a highway tag); nothing was replaced")
    built = layers(data)
    session.execute(sa.delete(BasemapLayer).where(BasemapLayer.city == city))
    now = utcnow()
    for key, body in built.items():
        session.add(BasemapLayer(city=city, layer=key, data=body, sha256=hashlib.sha256(body).hexdigest(),
                                 source=source[:300], data_date=data_date, imported_at=now, imported_by=imported_by))
    session.flush()
    report = BasemapReport(city, len(roads), sum(1 for r in roads if r.name), len(places), len(json.loads(built["labels"])),
                           len(data.addresses))
    logger.info("basemap imported: %s", report.summary())
    return report


@lru_cache(maxsize=1)
def _shipped_layers(data_dir: str) -> tuple[tuple[str, bytes], ...]:
    # The shipped files never change while the process runs: read and build them once, not once per seed.
    return tuple(layers(read_all([Path(data_dir) / name for name in SHIPPED_ALMATY])).items())


def seed_basemap(session: so.Session, city: str = "almaty") -> bool:
    """Store the shipped Almaty street map unless the city has one already (an imported one is kept)."""
    if session.scalar(sa.select(sa.func.count()).select_from(BasemapLayer).where(BasemapLayer.city == city)):
        return False
    from geodata import DATA_DIR

    now = utcnow()
    for key, data in _shipped_layers(str(DATA_DIR)):
        session.add(BasemapLayer(city=city, layer=key, data=data, sha256=hashlib.sha256(data).hexdigest(),
                                 source=SHIPPED_SOURCE, data_date=SHIPPED_DATE, imported_at=now, imported_by="seed"))
    session.flush()
    return True


def layer(session: so.Session, city: str, key: str) -> BasemapLayer | None:
    """One stored layer of the city's street map, or None."""
    return session.get(BasemapLayer, (city, key)) if key in LAYERS else None


def attribution(session: so.Session, city: str) -> str:
    """The map corner's credit: the boundaries' licence and the street map's source and extract date."""
    from geodata import ATTRIBUTION
    from services.i18n import _

    row = session.scalar(sa.select(BasemapLayer).where(BasemapLayer.city == city).limit(1))
    if row is None:
        return _("Map: %(boundaries)s", boundaries=ATTRIBUTION)
    return _("Map: %(boundaries)s · streets: OpenStreetMap, extract of %(date)s", boundaries=ATTRIBUTION,
             date=row.data_date)


def _names(session: so.Session, city: str) -> dict[str, list[float] | None]:
    row = layer(session, city, "names")
    names = json.loads(row.data) if row is not None else {}
    return dict.fromkeys(names) if isinstance(names, list) else names  # a map imported before names had points


def street_names(session: so.Session, city: str) -> list[str]:
    """Named streets, places and addresses of the city's map, for the 102 call's address field."""
    return list(_names(session, city))


def name_key(text: str) -> str:
    """How typed addresses compare: case, commas, dots and spacing aside ("пр.Абая,10" is "пр. абая 10")."""
    return " ".join(text.casefold().replace(",", " ").replace(".", ". ").split())


def locate(session: so.Session, city: str, text: str) -> tuple[float, float] | None:
    """The (lat, lon) of a place or an address of the city's map named ``text``, or None (a bare street has none)."""
    wanted = name_key(text)
    if not wanted:
        return None
    return next(((where[0], where[1]) for name, where in _names(session, city).items()
                 if where is not None and name_key(name) == wanted), None)
