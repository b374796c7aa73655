"""Small geometry helpers on WGS 84 coordinates."""

from __future__ import annotations

import math

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
