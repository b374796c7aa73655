"""Small geometry helpers on WGS 84 coordinates."""

from __future__ import annotations

import math

import h3

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degrees_around(lat: float, metres: float) -> tuple[float, float]:
    """Half-widths in degrees (lat, lon) of a box of ``metres`` around a latitude, for index pre-filters."""
    dlat = metres / 111_320.0
    return dlat, dlat / max(math.cos(math.radians(lat)), 0.01)


CELL_RESOLUTION = 9  # H3: hexagons of about 0.1 km² (edge about 174 m), the index for "incidents nearby"


def cell_of(lat: float, lon: float) -> str:
    """The H3 cell of a point, as stored on incidents for the nearby lookup."""
    return h3.latlng_to_cell(lat, lon, CELL_RESOLUTION)


def cells_within(lat: float, lon: float, metres: float) -> list[str]:
    """Every H3 cell that may hold a point within ``metres`` of this one (a superset: check the distance)."""
    edge = h3.average_hexagon_edge_length(CELL_RESOLUTION, "m")
    # Cell centres are about sqrt(3) * edge apart ring to ring and a point lies up to an edge from its
    # centre; cells differ in size by some tens of per cent, hence the margins.
    rings = math.ceil((metres + 2 * 1.25 * edge) / (math.sqrt(3) * 0.8 * edge))
    return list(h3.grid_disk(cell_of(lat, lon), rings))
