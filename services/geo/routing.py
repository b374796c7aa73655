"""Jurisdiction: which district and department a position belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import shape

from geodata import JurisdictionIndex
from services.store.models import District


@dataclass(frozen=True)
class Jurisdiction:
    """Where a point belongs."""

    district_id: int
    department_id: int
    outside_boundaries: bool


class Router:
    """Resolves positions against the districts stored in the database, built once."""

    def __init__(self, districts: list[District]) -> None:
        if not districts:
            raise ValueError("no districts stored: seed or import boundaries first")
        # Smallest first: where polygons overlap (a city's imported districts inside the regional
        # department's whole-region polygon) the more specific one wins, as the index prefers earlier ones.
        districts = sorted(districts, key=lambda d: (d.area_km2 or 0.0, d.id))
        self._department_of = {d.id: d.department_id for d in districts}
        self._index = JurisdictionIndex([shape(d.geometry) for d in districts], [d.id for d in districts])

    @classmethod
    def from_session(cls, session: so.Session) -> "Router":
        """Build the index from every stored district."""
        return cls(list(session.scalars(sa.select(District))))

    def resolve(self, lat: float, lon: float) -> Jurisdiction:
        """Jurisdiction of one point; outside all districts means the nearest one."""
        district_id, outside = self._index.locate(lat, lon)
        return Jurisdiction(district_id, self._department_of[district_id], outside)

    def resolve_many(self, lats: np.ndarray, lons: np.ndarray) -> list[Jurisdiction]:
        """Jurisdictions of many points at once (bulk registration)."""
        keys, outside = self._index.locate_many(lats, lons)
        return [Jurisdiction(int(k), self._department_of[int(k)], bool(o)) for k, o in zip(keys, outside)]


def boundaries_stamp(session: so.Session) -> tuple[Any, ...]:
    """A cheap fingerprint of the stored districts: it changes when an import adds, removes or redraws one."""
    return tuple(session.execute(sa.select(sa.func.count(District.id), sa.func.max(District.id),
                                           sa.func.sum(District.area_km2))).one())
