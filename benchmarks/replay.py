"""Replay on a busy day: the state of one department at any moment of a 24 h window with 5,000 incidents.

Built inside PostgreSQL (generate_series) beside two months of older city history (so the queries must
find the window through their indexes, not by reading everything): 8 Almaty departments, 2,000 cameras
with health flaps, 12 units per department with their tracks, and in Almaly's busiest day 5,000
incidents, each taken, dispatched, reached, resolved and closed after lognormal delays, 12 % dismissed,
with 1-4 camera events each. Then the state at 60 random moments of the window and the window's
changes, beside the raw baseline of the same run: one bare query of each incident's latest status then.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from benchmarks.stats import _LOGNORMAL, _database, city_store, run_all

WINDOW_INCIDENTS = 5_000
BACKGROUND_INCIDENTS = 200_000
CAMERAS = 2_000
MOMENTS = 60


def build_day(url: str, day_start: datetime) -> None:
    """Departments, cameras, units, two months of history, and the busy day in Almaly."""
    store = city_store(url)
    ln = _LOGNORMAL.format
    day = f"TIMESTAMPTZ '{day_start.isoformat()}'"
    statements = [
        "INSERT INTO operators (name, signing_required, created_at) "
        "SELECT 'Bench Operator ' || g, false, now() FROM generate_series(1, 5) g",
        f"INSERT INTO cameras (operator_id, external_id, lat, lon, mount_kind, address, live_url, department_id, "
        f"health, outside_boundaries, created_at) "
        f"SELECT (SELECT min(id) FROM operators) + g % 5, 'CAM-' || g, 43.2 + random() * 0.1, 76.85 + random() * 0.15, "
        f"(ARRAY['road','street','yard','school','transport'])[1 + g % 5], 'ул. ' || g, '', d.id, 'online', false, "
        f"{day} - INTERVAL '90 days' FROM generate_series(1, {CAMERAS}) g JOIN LATERAL (SELECT id FROM departments "
        f"WHERE code LIKE 'almaty-%' AND code <> 'almaty-city' ORDER BY id OFFSET g % 8 LIMIT 1) d ON true",
        "INSERT INTO units (call_sign, department_id, crew_size, status, lat, lon, updated_at) "
        "SELECT 'U-' || d.id || '-' || g, d.id, 2, 'available', 43.25 + g * 0.001, 76.92, now() "
        "FROM departments d CROSS JOIN generate_series(1, 12) g WHERE d.code LIKE 'almaty-%' AND d.code <> 'almaty-city'",
        # Health: every camera flaps now and then over the two months and the day.
        f"INSERT INTO camera_health_changes (camera_id, from_state, to_state, reason, at) "
        f"SELECT c.id, CASE WHEN k % 2 = 0 THEN 'online' ELSE 'offline' END, "
        f"CASE WHEN k % 2 = 0 THEN 'offline' ELSE 'online' END, 'bench', "
        f"{day} - INTERVAL '60 days' + (k * INTERVAL '61 days' / 24) + random() * INTERVAL '2 hours' "
        f"FROM cameras c CROSS JOIN generate_series(0, 23) k",
        # The stories: background incidents over two months in every department, then the busy day.
        f"CREATE TEMP TABLE story AS SELECT g AS n, c.id AS camera_id, c.department_id, c.operator_id, "
        f"random() < 0.12 AS dismissed, {day} - INTERVAL '60 days' + random() * INTERVAL '59 days' AS created_at, "
        f"1 + floor(random() * 3)::int AS priority, "
        f"(ARRAY['fight','crowd','vandalism','loitering','intrusion','fall'])[1 + floor(random() * 6)::int] AS kind, "
        f"{ln(base=25, spread=0.6)} AS ack_s, {ln(base=40, spread=0.5)} AS dispatch_s, "
        f"{ln(base=540, spread=0.45)} AS travel_s, {ln(base=1200, spread=0.5)} AS scene_s, "
        f"{ln(base=900, spread=0.7)} AS close_s, 1 + floor(random() * 4)::int AS events "
        f"FROM generate_series(1, {BACKGROUND_INCIDENTS}) g "
        f"JOIN cameras c ON c.id = (SELECT min(id) FROM cameras) + (g::bigint * 7919) % {CAMERAS}",
        f"INSERT INTO story SELECT {BACKGROUND_INCIDENTS} + g, c.id, c.department_id, c.operator_id, random() < 0.12, "
        f"{day} + random() * INTERVAL '24 hours', 1 + floor(random() * 3)::int, "
        f"(ARRAY['fight','crowd','vandalism','loitering','intrusion','fall'])[1 + floor(random() * 6)::int], "
        f"{ln(base=25, spread=0.6)}, {ln(base=40, spread=0.5)}, {ln(base=540, spread=0.45)}, "
        f"{ln(base=1200, spread=0.5)}, {ln(base=900, spread=0.7)}, 1 + floor(random() * 4)::int "
        f"FROM generate_series(1, {WINDOW_INCIDENTS}) g JOIN LATERAL (SELECT * FROM cameras WHERE department_id = "
        f"(SELECT id FROM departments WHERE code = 'almaty-almaly') ORDER BY id OFFSET g % 250 LIMIT 1) c ON true",
        "ALTER TABLE story ADD COLUMN incident_id integer",
        "ALTER TABLE story ADD COLUMN unit_id integer",
        "UPDATE story SET unit_id = (SELECT min(id) FROM units u WHERE u.department_id = story.department_id) + n % 12",
        "INSERT INTO incidents (department_id, camera_id, source, category, type, priority, status, lat, lon, address, "
        "description, event_count, first_seen_at, last_seen_at, created_at, updated_at, acknowledged_at, "
        "acknowledged_by, dispatched_at, arrived_at, resolved_at, closed_at, outcome, case_number, outcome_note, "
        "version, caller_name, caller_phone) "
        "SELECT department_id, camera_id, 'camera', 'public_order', kind, priority, "
        "CASE WHEN dismissed THEN 'dismissed' ELSE 'closed' END, 43.25, 76.92, 'ул. Абая, ' || n, "
        "'звонил +7 701 ' || (1000000 + n % 8999999), events, created_at, created_at, created_at, "
        "created_at + (ack_s + dispatch_s + CASE WHEN dismissed THEN 0 ELSE travel_s + scene_s + close_s END) "
        "* INTERVAL '1 second', created_at + ack_s * INTERVAL '1 second', 'duty.' || department_id, "
        "CASE WHEN NOT dismissed THEN created_at + (ack_s + dispatch_s) * INTERVAL '1 second' END, "
        "CASE WHEN NOT dismissed THEN created_at + (ack_s + dispatch_s + travel_s) * INTERVAL '1 second' END, "
        "CASE WHEN NOT dismissed THEN created_at + (ack_s + dispatch_s + travel_s + scene_s) * INTERVAL '1 second' END, "
        "created_at + (ack_s + dispatch_s + CASE WHEN dismissed THEN 0 ELSE travel_s + scene_s + close_s END) "
        "* INTERVAL '1 second', CASE WHEN dismissed THEN NULL ELSE 'warning' END, '', '', 1, '', '' "
        "FROM story ORDER BY n",
        "UPDATE story SET incident_id = i.id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM incidents) i "
        "WHERE i.n = story.n",
        "INSERT INTO incident_history (incident_id, department_id, action, from_status, to_status, actor, reason, at) "
        "SELECT incident_id, department_id, a.action, a.from_status, a.to_status, a.actor, '', a.at FROM story "
        "CROSS JOIN LATERAL (VALUES ('open', NULL, 'new', 'system', created_at), "
        "('acknowledge', 'new', 'acknowledged', 'duty.' || department_id, created_at + ack_s * INTERVAL '1 second'), "
        "(CASE WHEN dismissed THEN 'dismiss' ELSE 'dispatch' END, 'acknowledged', "
        " CASE WHEN dismissed THEN 'dismissed' ELSE 'dispatched' END, 'duty.' || department_id, "
        " created_at + (ack_s + dispatch_s) * INTERVAL '1 second')) a(action, from_status, to_status, actor, at)",
        "INSERT INTO incident_history (incident_id, department_id, action, from_status, to_status, actor, reason, at) "
        "SELECT incident_id, department_id, a.action, a.from_status, a.to_status, 'duty.' || department_id, '', a.at "
        "FROM story CROSS JOIN LATERAL (VALUES "
        "('arrive', 'dispatched', 'on_scene', created_at + (ack_s + dispatch_s + travel_s) * INTERVAL '1 second'), "
        "('resolve', 'on_scene', 'resolved', created_at + (ack_s + dispatch_s + travel_s + scene_s) * INTERVAL '1 second'), "
        "('close', 'resolved', 'closed', created_at + (ack_s + dispatch_s + travel_s + scene_s + close_s) "
        " * INTERVAL '1 second')) a(action, from_status, to_status, at) WHERE NOT dismissed",
        "INSERT INTO events (operator_id, event_id, camera_id, department_id, incident_id, category, type, occurred_at, "
        "received_at, stored_at, late, confidence, lat, lon, record) "
        "SELECT operator_id, 'bench-' || n || '-' || k, camera_id, department_id, incident_id, 'public_order', kind, "
        "created_at + k * INTERVAL '20 seconds', created_at + k * INTERVAL '20 seconds', "
        "created_at + k * INTERVAL '20 seconds', false, 0.9, 43.25, 76.92, '{}'::json "
        "FROM story CROSS JOIN LATERAL generate_series(0, events - 1) k",
        # The units' track: out, four points on the way, on scene, free again (what units_changed keeps).
        "INSERT INTO unit_positions (unit_id, department_id, at, lat, lon, status) "
        "SELECT unit_id, department_id, created_at + (ack_s + dispatch_s + travel_s * k / 5) * INTERVAL '1 second', "
        "43.25 + k * 0.002, 76.92 + k * 0.002, CASE WHEN k < 5 THEN 'en_route' ELSE 'on_scene' END "
        "FROM story CROSS JOIN generate_series(0, 5) k WHERE NOT dismissed",
        "INSERT INTO unit_positions (unit_id, department_id, at, lat, lon, status) "
        "SELECT unit_id, department_id, created_at + (ack_s + dispatch_s + travel_s + scene_s) * INTERVAL '1 second', "
        "43.26, 76.93, 'available' FROM story WHERE NOT dismissed",
    ]
    run_all(store, statements)


def bench_replay(admin_url: str) -> str:
    """Build the day, then time the state at random moments and the day's changes against the raw baseline."""
    from services.replay.redaction import Redactor
    from services.replay.state import changes_between, state_at
    from services.store.engine import Store
    from services.store.models import Department

    day_start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(7)
    with _database(admin_url) as url:
        started = time.perf_counter()
        build_day(url, day_start)
        build_s = time.perf_counter() - started
        store = Store(url)
        with store.session() as s:
            almaly = s.scalar(sa.select(Department.id).where(Department.code == "almaty-almaly"))
            in_window = s.scalar(sa.text("SELECT count(*) FROM incidents WHERE department_id = :d AND created_at >= :a "
                                         "AND created_at < :b"), {"d": almaly, "a": day_start,
                                                                   "b": day_start + timedelta(days=1)})
            total = s.scalar(sa.text("SELECT count(*) FROM incidents"))
            moments = [day_start + timedelta(seconds=rng.uniform(0, 86400)) for _ in range(MOMENTS)]
            redactor = Redactor.for_session(s)
            state_at(s, almaly, moments[0], redactor)  # warm the caches
            times, open_counts = [], []
            for at in moments:
                begun = time.perf_counter()
                moment = state_at(s, almaly, at, redactor)
                times.append(time.perf_counter() - begun)
                open_counts.append(moment.situation.counters["open"])
            raw = sa.text(
                "SELECT DISTINCT ON (h.incident_id) h.incident_id, h.to_status FROM incident_history h "
                "JOIN incidents i ON i.id = h.incident_id WHERE i.department_id = :d AND i.created_at <= :t "
                "AND i.updated_at > :t AND h.at <= :t ORDER BY h.incident_id, h.at DESC")
            raw_times = []
            for at in moments:
                begun = time.perf_counter()
                s.execute(raw, {"d": almaly, "t": at}).all()
                raw_times.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            changes, truncated = changes_between(s, {almaly}, day_start, day_start + timedelta(hours=2), redactor)
            changes_s = time.perf_counter() - begun
        store.dispose()
    median, p95 = statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]
    raw_median = statistics.median(raw_times)
    return (f"replay_incidents_total={total} replay_window_incidents={in_window} replay_build_s={build_s:.0f} "
            f"replay_open_at_moment_median={statistics.median(open_counts):.0f} "
            f"replay_state_ms_median={median * 1000:.0f} replay_state_ms_p95={p95 * 1000:.0f} (target < 300) "
            f"replay_changes_2h={len(changes)} replay_changes_2h_ms={changes_s * 1000:.0f} "
            f"raw_latest_status_ms_median={raw_median * 1000:.1f} ratio_state_to_raw={median / raw_median:.1f}")
