"""A month's statement for a big operator: 1,000,000 offences and 600,000 fine payments on PostgreSQL.

Built inside PostgreSQL (generate_series): one operator with 2,000 cameras of varied mounts, a month of
offences of eleven types with their events, a decision for 92 % of them (about 600,000 paid in the month,
half of those within 7 days at half price, some cancelled or appealed), 20,000 incidents resolved in the
month with varied outcomes, and a few thousand camera outages. The fines are posted to the ledger by
the same function an import uses, then the statement is built (posting the month's fees and penalty
first) and built again; beside them, the raw baseline of the same run: one bare SUM over the month's
payments, the least any statement must read.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

import sqlalchemy as sa

from benchmarks.stats import _database, city_store, run_all

OFFENCES = 1_000_000
CAMERAS = 2_000
INCIDENTS = 20_000
MONTH = "2026-11"
START = "2026-10-31 19:00:00+00"  # 1 November, Almaty time
TYPES = "ARRAY['speeding','speeding','speeding','red_light','red_light','no_seatbelt','phone_use','stop_line'," \
        "'bus_lane','parking','lane_violation']"


def build_month(url: str) -> None:
    """The operator, its contract and cameras, a month of offences, fines, incidents and outages."""
    store = city_store(url)
    from services.settlement.contracts import Terms, add_contract

    with store.session() as s:
        s.execute(sa.text("INSERT INTO operators (name, signing_required, created_at) "
                          "VALUES ('Bench Operator', false, now())"))
        add_contract(s, "bench", "Bench Operator", Terms(
            number="B-1", valid_from=date(2026, 1, 1), fine_share_pct="25", fine_share_by_type={"red_light": "30"},
            incident_fee_kzt="5000", incident_fees_kzt={"fight:school": "15000"}, uptime_target_pct="98",
            penalty_pct_per_point="2", cap_kzt="900000000"))
    statements = [
        f"INSERT INTO cameras (operator_id, external_id, lat, lon, mount_kind, address, live_url, department_id, "
        f"health, outside_boundaries, created_at) "
        f"SELECT (SELECT id FROM operators), 'CAM-' || g, 43.2 + random() * 0.1, 76.85 + random() * 0.15, "
        f"(ARRAY['road','road','street','school','yard','transport'])[1 + g % 6], '', '', d.id, 'online', false, "
        f"TIMESTAMPTZ '2026-01-01' FROM generate_series(1, {CAMERAS}) g JOIN LATERAL (SELECT id FROM departments "
        f"WHERE code LIKE 'almaty-%' AND code <> 'almaty-city' ORDER BY id OFFSET g % 8 LIMIT 1) d ON true",
        f"CREATE TEMP TABLE draw AS SELECT g AS n, (SELECT min(id) FROM cameras) + (g::bigint * 7919) % {CAMERAS} "
        f"AS camera_id, TIMESTAMPTZ '{START}' + random() * INTERVAL '30 days' AS at, "
        f"({TYPES})[1 + floor(random() * 11)::int] AS kind, random() AS roll, random() AS delay "
        f"FROM generate_series(1, {OFFENCES}) g",
        "INSERT INTO events (operator_id, event_id, camera_id, department_id, category, type, occurred_at, "
        "received_at, stored_at, late, lat, lon, record) SELECT c.operator_id, 'bench-' || d.n, d.camera_id, "
        "c.department_id, 'traffic', d.kind, d.at, d.at + INTERVAL '3 seconds', d.at, false, c.lat, c.lon, '{}' "
        "FROM draw d JOIN cameras c ON c.id = d.camera_id ORDER BY d.n",
        "INSERT INTO offences (event_id, operator_id, camera_id, department_id, type, plate, plate_country, "
        "occurred_at, evidence) SELECT e.id, e.operator_id, e.camera_id, e.department_id, e.type, "
        "lpad((e.id % 1000)::text, 3, '0') || 'ABC02', 'KZ', e.occurred_at, '{}' FROM events e ORDER BY e.id",
        "INSERT INTO fine_imports (source, actor, filename, sha256, rows, created, updated, unchanged, status, errors, "
        "raw, at) VALUES ('bench', 'bench', '', '', 0, 0, 0, 0, 'applied', '[]', '', now())",
        # A decision for 92 %; 66 % of those paid in the month (about 600,000), half within 7 days at half price.
        "INSERT INTO fines (decision_no, offence_id, operator_id, camera_id, issued_at, amount_tiyn, status, paid_at, "
        "paid_amount_tiyn, updated_at, import_id) SELECT 'PP-' || o.id, o.id, o.operator_id, o.camera_id, "
        "o.occurred_at + INTERVAL '1 day', 2162500, "
        "CASE WHEN d.roll < 0.61 THEN 'paid' WHEN d.roll < 0.66 THEN 'cancelled' WHEN d.roll < 0.69 THEN 'appealed' "
        "ELSE 'issued' END, "
        "CASE WHEN d.roll < 0.61 THEN LEAST(o.occurred_at + INTERVAL '1 day' + d.delay * INTERVAL '12 days', "
        f"TIMESTAMPTZ '{START}' + INTERVAL '30 days' - INTERVAL '1 second') END, "
        "CASE WHEN d.roll < 0.305 THEN 1081250 WHEN d.roll < 0.61 THEN 2162500 END, now(), "
        "(SELECT id FROM fine_imports) FROM offences o JOIN events e ON e.id = o.event_id "
        "JOIN draw d ON d.n = substr(e.event_id, 7)::int WHERE d.roll < 0.92",
        f"INSERT INTO incidents (department_id, camera_id, source, category, type, priority, status, lat, lon, "
        f"address, description, event_count, first_seen_at, last_seen_at, created_at, updated_at, resolved_at, "
        f"closed_at, outcome, case_number, outcome_note, version) SELECT c.department_id, c.id, 'camera', "
        f"'public_order', (ARRAY['fight','crowd','vandalism'])[1 + g % 3], 2, 'closed', c.lat, c.lon, '', '', 1, "
        f"t.at, t.at, t.at, t.at, t.at + INTERVAL '1 hour', t.at + INTERVAL '2 hours', "
        f"(ARRAY['detained','administrative_protocol','warning','false_alarm','no_offence'])[1 + g % 5], '', '', 1 "
        f"FROM generate_series(1, {INCIDENTS}) g JOIN cameras c ON c.id = (SELECT min(id) FROM cameras) + g % {CAMERAS} "
        f"CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '{START}' + (g % 29) * INTERVAL '1 day' + (g % 17) * INTERVAL '1 hour'"
        f" AS at) t",
        f"INSERT INTO camera_health_changes (camera_id, from_state, to_state, reason, at) "
        f"SELECT c.id, x.f, x.t, 'bench', TIMESTAMPTZ '{START}' + (c.id % 25) * INTERVAL '1 day' + x.h * INTERVAL "
        f"'1 hour' FROM cameras c CROSS JOIN (VALUES ('online', 'offline', 0), ('offline', 'online', 20)) "
        f"x(f, t, h) WHERE c.id % 3 = 0",
    ]
    run_all(store, statements)


def bench_settlement(admin_url: str) -> str:
    """Post the month's payments, build its statement twice, and compare with a bare SUM of the same payments."""
    from services.settlement import ledger, statements
    from services.store.engine import Store
    from services.store.models import Fine, Operator

    with _database(admin_url) as url:
        started = time.perf_counter()
        build_month(url)
        built_s = time.perf_counter() - started
        store = Store(url)
        now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
        with store.session() as s:
            operator = s.scalar(sa.select(Operator).where(Operator.name == "Bench Operator"))
            paid_ids = list(s.scalars(sa.select(Fine.id).where(Fine.status == "paid")))
            started = time.perf_counter()
            posted = ledger.post_fines(s, paid_ids, now)
            post_s = time.perf_counter() - started
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        timings = []
        for _ in range(2):
            with store.session() as s:
                operator = s.get(Operator, operator.id)
                started = time.perf_counter()
                content = statements.build(s, operator, MONTH, now)
                timings.append(time.perf_counter() - started)
        with store.engine.connect() as conn:
            started = time.perf_counter()
            raw_total = conn.execute(sa.text(
                "SELECT sum(paid_amount_tiyn) FROM fines WHERE operator_id = :o AND paid_at >= :a AND paid_at < :b"),
                {"o": operator.id, "a": START, "b": "2026-11-30 19:00:00+00"}).scalar()
            raw_s = time.perf_counter() - started
        offences = content["reconciliation"]["offences_registered"]
        payments = next(line["count"] for line in content["lines"] if line["code"] == "fine_share")
        store.dispose()
        assert raw_total and payments == posted
        return (f"settlement_offences={offences} settlement_payments={payments} settlement_build_s={built_s:.0f} "
                f"settlement_post_payments_per_s={posted / post_s:.0f} settlement_statement_first_s={timings[0]:.2f} "
                f"settlement_statement_again_s={timings[1]:.2f} raw_sum_payments_s={raw_s:.3f} "
                f"ratio={timings[1] / raw_s:.1f} target_statement_s=10 total_kzt={content['total_kzt']}")
