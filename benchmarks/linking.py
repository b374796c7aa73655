"""Nearby-incident linking against 100, 1,000 and 10,000 open incidents on PostgreSQL.

The indexed lookup (H3 cells, ix_incidents_cell) beside the box-only query it replaced (latitude and
longitude ranges no index covers), on the same rows in the same run: the first should stay flat.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from benchmarks.stats import _database

PROBES = 300
WITHIN_M, WINDOW = 300.0, timedelta(minutes=2)


def _box_only(session: so.Session, incident: object, within_m: float, window: timedelta) -> int:
    """The lookup before the cells: the candidates of a latitude/longitude box, no index on either."""
    from services.geo.distance import degrees_around
    from services.store.models import OPEN_STATUSES, Incident

    lat, lon = incident.lat, incident.lon  # type: ignore[attr-defined]
    dlat, dlon = degrees_around(lat, within_m)
    return len(session.scalars(sa.select(Incident.id).where(
        Incident.status.in_(OPEN_STATUSES), Incident.camera_id.is_not(None),
        Incident.last_seen_at >= incident.first_seen_at - window,  # type: ignore[attr-defined]
        Incident.lat.between(lat - dlat, lat + dlat), Incident.lon.between(lon - dlon, lon + dlon))).all())


def bench_linking(admin_url: str, sizes: tuple[int, ...] = (100, 1_000, 10_000, 30_000)) -> list[str]:
    """One line per number of open incidents: milliseconds per link, indexed and box-only."""
    from services.duty.incidents import link_related
    from services.geo.departments import seed_defaults, seed_departments
    from services.geo.distance import cell_of
    from services.store.engine import Store
    from services.store.models import Camera, Department, Incident, Operator, utcnow

    rng = random.Random(19)
    lines = []
    with _database(admin_url) as url:
        store = Store(url)
        store.upgrade()
        with store.session() as s:
            seed_defaults(s)
            seed_departments(s)
            department = s.scalar(sa.select(Department.id).where(Department.code == "almaty-almaly"))
            operator = Operator(name="Bench linking")
            s.add(operator)
            s.flush()
            cameras = []
            for n in range(200):
                camera = Camera(operator_id=operator.id, external_id=f"L-{n}", lat=43.2, lon=76.85,
                                department_id=department)
                s.add(camera)
                cameras.append(camera)
            s.flush()
            camera_ids = [c.id for c in cameras]
        now = utcnow()
        placed = 0
        for size in sizes:
            rows = []
            for _ in range(size - placed):
                lat, lon = 43.18 + rng.random() * 0.17, 76.80 + rng.random() * 0.25  # Almaty's extent
                rows.append({"department_id": department, "camera_id": rng.choice(camera_ids), "source": "camera",
                             "category": "public_order", "type": "fight", "priority": 2, "status": "new",
                             "lat": lat, "lon": lon, "cell": cell_of(lat, lon), "first_seen_at": now,
                             "last_seen_at": now, "created_at": now, "updated_at": now})
            with store.session() as s:
                if rows:
                    s.execute(sa.insert(Incident), rows)
            placed = size
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE incidents"))
            indexed, box, found = [], [], []
            with store.sessionmaker() as s:
                for _ in range(PROBES):
                    lat, lon = 43.18 + rng.random() * 0.17, 76.80 + rng.random() * 0.25
                    probe = Incident(department_id=department, camera_id=rng.choice(camera_ids), source="camera",
                                     category="public_order", type="crowd", priority=2, status="new", lat=lat,
                                     lon=lon, first_seen_at=now, last_seen_at=now, created_at=now, updated_at=now)
                    s.add(probe)
                    s.flush()
                    started = time.perf_counter()
                    found.append(len(link_related(s, [probe], WITHIN_M, WINDOW)) // 2)
                    indexed.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    _box_only(s, probe, WITHIN_M, WINDOW)
                    box.append(time.perf_counter() - started)
                s.rollback()
            # The related incidents found grow with the density of the load (more neighbours to link);
            # the lookup itself should not.
            lines.append(f"linking_open_incidents={size} indexed_ms_per_link={statistics.median(indexed) * 1000:.2f} "
                         f"box_only_ms_per_link={statistics.median(box) * 1000:.2f} "
                         f"related_found_per_new_incident={statistics.mean(found):.1f}")
        store.dispose()
    return lines
