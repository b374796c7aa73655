"""Shift statistics on a real year: 1,000,000 incidents with their histories on PostgreSQL.

The year is built inside PostgreSQL (generate_series), so building it takes seconds, not the bench:
8 Almaty departments, 2,000 cameras of 5 operators, 72 % camera incidents and 28 % 102 calls, each
taken, dispatched, reached, resolved and closed after lognormal delays, 12 % dismissed, a few with
times out of order. Then the figures a chief (a city month) and a supervisor (one department's
shift) open, beside the raw baseline of the same run: one bare percentile_cont over the month.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from services.store.engine import Store

INCIDENTS = 1_000_000
CAMERAS = 2_000

# Durations in seconds: base * exp(0.5 * N(0, 1)), with N from Box-Muller (PostgreSQL 15 has no random_normal).
_LOGNORMAL = "({base} * exp({spread} * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))"


@contextmanager
def _database(admin_url: str) -> Iterator[str]:
    name = f"kuzet_bench_stats_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def city_store(url: str) -> "Store":
    """The bench database migrated, with the country's departments on the real boundaries."""
    from services.geo.departments import seed_defaults, seed_departments
    from services.store.engine import Store

    store = Store(url)
    store.upgrade()
    with store.session() as s:
        seed_defaults(s)
        seed_departments(s)
    return store


def run_all(store: "Store", statements: list[str]) -> None:
    """Run the building statements in one transaction, then analyse as autovacuum would."""
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))  # what autovacuum does to a table a year old
    store.dispose()


def build_year(url: str, now: datetime) -> None:
    """Departments, cameras, units, and a year of incidents with histories, unit rows and events."""
    store = city_store(url)
    lognormal = _LOGNORMAL.format
    statements = [
        "INSERT INTO operators (name, signing_required, created_at) "
        "SELECT 'Bench Operator ' || g, false, now() FROM generate_series(1, 5) g",
        f"INSERT INTO cameras (operator_id, external_id, lat, lon, mount_kind, address, live_url, department_id, "
        f"health, outside_boundaries, expected_interval_s, created_at) "
        f"SELECT (SELECT min(id) FROM operators) + g % 5, 'CAM-' || g, 43.2 + random() * 0.1, 76.85 + random() * 0.15, "
        f"(ARRAY['road','street','yard','school','transport'])[1 + g % 5], '', '', d.id, 'online', false, NULL, now() "
        f"FROM generate_series(1, {CAMERAS}) g JOIN LATERAL (SELECT id FROM departments WHERE code LIKE 'almaty-%' "
        f"AND code <> 'almaty-city' ORDER BY id OFFSET g % 8 LIMIT 1) d ON true",
        "INSERT INTO units (call_sign, department_id, crew_size, status, lat, lon, updated_at) "
        "SELECT 'U-' || d.id || '-' || g, d.id, 2, 'available', 43.25, 76.92, now() "
        "FROM departments d CROSS JOIN generate_series(1, 12) g WHERE d.code LIKE 'almaty-%' AND d.code <> 'almaty-city'",
        # Each incident's story, drawn once: which camera, when, and how long each step took.
        f"CREATE TEMP TABLE story AS SELECT g AS n, c.id AS camera_id, c.department_id, c.operator_id, "
        f"random() < 0.72 AS from_camera, random() < 0.12 AS dismissed, "
        f"TIMESTAMPTZ '{now.isoformat()}' - random() * INTERVAL '365 days' AS created_at, "
        f"1 + floor(random() * 3)::int AS priority, "
        f"(ARRAY['fight','crowd','vandalism','loitering','intrusion','fall'])[1 + floor(random() * 6)::int] AS kind, "
        f"{lognormal(base=25, spread=0.6)} AS ack_s, {lognormal(base=40, spread=0.5)} AS dispatch_s, "
        f"{lognormal(base=540, spread=0.45)} AS travel_s, {lognormal(base=1200, spread=0.5)} AS scene_s, "
        f"{lognormal(base=900, spread=0.7)} AS close_s, random() < 0.005 AS early_arrival "
        f"FROM generate_series(1, {INCIDENTS}) g "
        f"JOIN cameras c ON c.id = (SELECT min(id) FROM cameras) + (g::bigint * 7919) % {CAMERAS}",
        "ALTER TABLE story ADD COLUMN incident_id integer",
        "INSERT INTO incidents (department_id, camera_id, source, category, type, priority, status, lat, lon, address, "
        "description, event_count, first_seen_at, last_seen_at, created_at, updated_at, acknowledged_at, "
        "acknowledged_by, dispatched_at, arrived_at, resolved_at, closed_at, outcome, case_number, outcome_note, "
        "version) "
        "SELECT department_id, CASE WHEN from_camera THEN camera_id END, CASE WHEN from_camera THEN 'camera' "
        "ELSE 'manual' END, 'public_order', kind, priority, CASE WHEN dismissed THEN 'dismissed' ELSE 'closed' END, "
        "43.25, 76.92, '', '', 1, created_at, created_at, created_at, created_at + INTERVAL '3 hours', "
        "created_at + ack_s * INTERVAL '1 second', 'duty.' || department_id, "
        "CASE WHEN NOT dismissed THEN created_at + (ack_s + dispatch_s) * INTERVAL '1 second' END, "
        "CASE WHEN NOT dismissed THEN created_at + (ack_s + dispatch_s + CASE WHEN early_arrival THEN -120 "
        "ELSE travel_s END) * INTERVAL '1 second' END, "
        "CASE WHEN NOT dismissed THEN created_at + (ack_s + dispatch_s + travel_s + scene_s) * INTERVAL '1 second' END, "
        "created_at + (ack_s + dispatch_s + CASE WHEN dismissed THEN 0 ELSE travel_s + scene_s + close_s END) "
        "* INTERVAL '1 second', "
        "CASE WHEN dismissed THEN NULL ELSE (ARRAY['warning','administrative_protocol','detained','no_offence',"
        "'false_alarm','handed_over'])[1 + n % 6] END, '', '', 1 FROM story ORDER BY n",
        # Incident ids were drawn in story order: number them back.
        "UPDATE story SET incident_id = i.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM incidents) i "
        "WHERE i.n = story.n",
        "INSERT INTO incident_history (incident_id, action, from_status, to_status, actor, reason, at) "
        "SELECT incident_id, a.action, a.from_status, a.to_status, a.actor, '', a.at FROM story CROSS JOIN LATERAL (VALUES "
        "('open', NULL, 'new', 'system', created_at), "
        "('acknowledge', 'new', 'acknowledged', 'duty.' || department_id, created_at + ack_s * INTERVAL '1 second'), "
        "(CASE WHEN dismissed THEN 'dismiss' ELSE 'dispatch' END, 'acknowledged', "
        " CASE WHEN dismissed THEN 'dismissed' ELSE 'dispatched' END, 'duty.' || department_id, "
        " created_at + (ack_s + dispatch_s) * INTERVAL '1 second')) a(action, from_status, to_status, actor, at)",
        "INSERT INTO incident_history (incident_id, action, from_status, to_status, actor, reason, at) "
        "SELECT incident_id, a.action, a.from_status, a.to_status, 'duty.' || department_id, '', a.at "
        "FROM story CROSS JOIN LATERAL (VALUES "
        "('arrive', 'dispatched', 'on_scene', created_at + (ack_s + dispatch_s + travel_s) * INTERVAL '1 second'), "
        "('resolve', 'on_scene', 'resolved', created_at + (ack_s + dispatch_s + travel_s + scene_s) * INTERVAL '1 second'), "
        "('close', 'resolved', 'closed', created_at + (ack_s + dispatch_s + travel_s + scene_s + close_s) "
        " * INTERVAL '1 second')) a(action, from_status, to_status, at) WHERE NOT dismissed",
        "INSERT INTO incident_units (incident_id, unit_id, dispatched_by, dispatched_at, arrived_at, released_at, distance_m) "
        "SELECT incident_id, (SELECT min(id) FROM units u WHERE u.department_id = story.department_id) + n % 12, "
        "'duty.' || department_id, created_at + (ack_s + dispatch_s) * INTERVAL '1 second', "
        "created_at + (ack_s + dispatch_s + CASE WHEN early_arrival THEN -120 ELSE travel_s END) * INTERVAL '1 second', "
        "created_at + (ack_s + dispatch_s + travel_s + scene_s) * INTERVAL '1 second', 1500 "
        "FROM story WHERE NOT dismissed",
        "INSERT INTO events (operator_id, event_id, camera_id, department_id, incident_id, category, type, occurred_at, "
        "received_at, stored_at, late, confidence, lat, lon, record) "
        "SELECT operator_id, 'bench-' || n, camera_id, department_id, incident_id, 'public_order', kind, "
        "created_at - (1 + random() * 6) * INTERVAL '1 second', created_at, created_at, false, 0.9, 43.25, 76.92, "
        "'{}'::json FROM story WHERE from_camera",
    ]
    run_all(store, statements)


def _timed(fn: object, rounds: int = 5) -> float:
    """Median seconds of ``rounds`` calls (the first warms the caches and is not counted)."""
    fn()  # type: ignore[operator]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_stats(admin_url: str) -> str:
    """Build the year, then time a city month and one department's shift against the raw baseline."""
    from services.store.engine import Store
    from services.store.models import Department
    from services.supervision.shifts import ALMATY, DEFAULT_STARTS, PeriodKind, parse_starts, period_of, shift_at, step
    from services.supervision.stats import compute

    now = datetime.now(timezone.utc)
    with _database(admin_url) as url:
        started = time.perf_counter()
        build_year(url, now)
        build_s = time.perf_counter() - started
        store = Store(url)
        starts = parse_starts(DEFAULT_STARTS)
        month = step(period_of(PeriodKind.MONTH, starts, now), starts, -1)
        shift = step(shift_at(starts, now - timedelta(days=10)), starts, -1)
        with store.session() as s:
            city = list(s.scalars(sa.select(Department.id).where(Department.code.like("almaty-%"))))
            department = min(d for d in city if s.get(Department, d).code != "almaty-city")
            counted = s.scalar(sa.text("SELECT count(*) FROM incidents")) or 0
            in_month = compute(s, city, month).incidents
            in_shift = compute(s, [department], shift).incidents
            month_s = _timed(lambda: compute(s, city, month))
            shift_s = _timed(lambda: compute(s, [department], shift))
            raw = sa.text("SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM "
                          "acknowledged_at - created_at)) FROM incidents WHERE department_id = ANY(:d) "
                          "AND created_at >= :a AND created_at < :b")
            raw_s = _timed(lambda: s.execute(raw, {"d": city, "a": month.start, "b": month.end}).one())
        store.dispose()
    label = month.start.astimezone(ALMATY).strftime("%Y-%m")
    return (f"stats_incidents={counted} stats_build_s={build_s:.0f} stats_city_month={label} "
            f"stats_city_month_incidents={in_month} stats_city_month_s={month_s:.3f} (target < 2) "
            f"stats_department_shift_incidents={in_shift} stats_department_shift_ms={shift_s * 1000:.0f} (target < 300) "
            f"raw_percentile_month_ms={raw_s * 1000:.0f} ratio_month_to_raw={month_s / raw_s:.1f}")
