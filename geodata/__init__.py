"""Boundary files and the code that loads, validates and indexes them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
ALMATY_DISTRICTS = DATA_DIR / "almaty_districts.geojson"
ASTANA_DISTRICTS = DATA_DIR / "astana_districts.geojson"
SHYMKENT_DISTRICTS = DATA_DIR / "shymkent_districts.geojson"
KZ_REGIONS = DATA_DIR / "kz_regions.geojson"
ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
NEAREST_TOLERANCE_DEG = 0.0005  # about 50 m


@dataclass(frozen=True)
class Boundary:
    """One district polygon as read from a boundary file."""

    name: str
    name_local: str
    geometry: BaseGeometry
    area_km2: float


def area_km2(geometry: BaseGeometry) -> float:
    """Area in km² on an equal-area projection."""
    return _area_km2(geometry)


def _area_km2(geometry: BaseGeometry) -> float:
    import geopandas as gpd

    series = gpd.GeoSeries([geometry], crs="EPSG:4326")
    # An equal-area projection gives honest km²; degrees² would shrink northern districts.
    return float(series.to_crs("+proj=cea +datum=WGS84").area.iloc[0] / 1e6)


def _polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    """The polygon parts of a repaired geometry, or None if nothing areal is left."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if not merged.is_empty else None


def load_boundaries(path: Path, name_field: str = "name", local_field: str | None = "osm_name") -> list[Boundary]:
    """Read a boundary file (GeoJSON, GeoPackage, Shapefile), reproject to WGS 84, repair geometry."""
    import geopandas as gpd

    if not path.exists():
        raise ValueError(f"{path}: no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise ValueError(f"{path.name}: cannot read as GeoJSON, GeoPackage or Shapefile: {exc}") from None
    if name_field not in frame.columns:
        raise ValueError(f"{path.name}: no column {name_field!r}; columns are {sorted(c for c in frame.columns if c != 'geometry')}")
    if frame.crs is None:
        logger.warning("%s declares no CRS; assuming WGS 84 longitude/latitude", path.name)
    elif frame.crs.to_epsg() != 4326:
        logger.info("reprojecting %s from %s to WGS 84", path.name, frame.crs.to_string())
        frame = frame.to_crs("EPSG:4326")
    boundaries = []
    for _, row in frame.iterrows():
        geometry = row.geometry
        if geometry is None or geometry.is_empty:
            raise ValueError(f"{path.name}: feature {row[name_field]!r} has no geometry")
        if not geometry.is_valid:
            logger.warning("repairing invalid geometry of %s", row[name_field])
            geometry = _polygonal(shapely.make_valid(geometry))
            if geometry is None:
                raise ValueError(f"{path.name}: feature {row[name_field]!r} has invalid geometry that cannot be "
                                 "repaired into a polygon")
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError(f"{path.name}: feature {row[name_field]!r} is a {geometry.geom_type}, not a polygon")
        local = str(row[local_field]) if local_field and local_field in frame.columns else str(row[name_field])
        boundaries.append(Boundary(str(row[name_field]), local.split(",")[0].strip(), geometry, _area_km2(geometry)))
    return boundaries


class JurisdictionIndex:
    """Point -> district lookup over an STRtree, vectorised for bulk registration."""

    def __init__(self, geometries: list[BaseGeometry], keys: list[int]) -> None:
        if len(geometries) != len(keys):
            raise ValueError("one key per geometry")
        self._geometries = np.array(geometries, dtype=object)
        self._keys = np.array(keys)
        shapely.prepare(self._geometries)
        self._tree = shapely.STRtree(self._geometries)
        # "Nearest department" needs tens of metres, not every vertex: the edges of a simplified copy,
        # each its own small geometry, so the tree's nearest search measures a few segments, not polygons.
        segments, owners = [], []
        for position, geometry in enumerate(shapely.simplify(self._geometries, NEAREST_TOLERANCE_DEG)):
            for ring in shapely.get_parts(shapely.boundary(geometry)):
                coords = shapely.get_coordinates(ring)
                segments.extend(shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1)))
                owners.extend([position] * (len(coords) - 1))
        self._edges = shapely.STRtree(segments)
        self._edge_owner = np.array(owners)

    def _assign_first_listed(self, result: np.ndarray, point_idx: np.ndarray, geom_idx: np.ndarray) -> None:
        # Where a point has several polygons the earliest listed wins: writing in descending index order
        # leaves it written last (the tree gives no order of candidates within a point).
        order = np.argsort(-geom_idx, kind="stable")
        result[point_idx[order]] = self._keys[geom_idx[order]]

    def locate_many(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys of the containing (or nearest) polygon per point, and a flag for points outside all."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        points = shapely.points(lons, lats)
        result = np.full(len(points), -1, dtype=np.int64)
        # The tree narrows candidates by bounding box; the exact test then runs on the prepared
        # polygons, vectorised (the tree's own predicate would prepare the points instead).
        point_idx, geom_idx = self._tree.query(points)
        inside = shapely.contains_xy(self._geometries[geom_idx], lons[point_idx], lats[point_idx])
        self._assign_first_listed(result, point_idx[inside], geom_idx[inside])
        # Points exactly on a shared border belong to the lowest-indexed polygon they touch; the
        # candidate pairs are already known, so only the unresolved ones get the exact test.
        open_pair = result[point_idx] == -1
        if open_pair.any():
            p_idx, g_idx = point_idx[open_pair], geom_idx[open_pair]
            touching = shapely.intersects_xy(self._geometries[g_idx], lons[p_idx], lats[p_idx])
            self._assign_first_listed(result, p_idx[touching], g_idx[touching])
        outside = result == -1
        if outside.any():
            result[outside] = self._keys[self._edge_owner[self._edges.nearest(points[outside])]]
        return result, outside

    def locate(self, lat: float, lon: float) -> tuple[int, bool]:
        """Key of the district holding the point, and whether it lay outside all of them."""
        keys, outside = self.locate_many(np.array([lat]), np.array([lon]))
        return int(keys[0]), bool(outside[0])
