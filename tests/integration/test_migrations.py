"""The Alembic migrations create exactly what the models describe, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.store.models import Base
from services.store.engine import Store
from tests.conftest import POSTGRES_ADMIN_URL, seed_world


def test_migrated_schema_matches_the_models(db: Store) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    name = f"{sa.make_url(base).database}_upgrade"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_an_install_with_stored_offences_upgrades_and_keeps_them(empty_url: str) -> None:
    from services.store.models import Event, Offence, utcnow

    store = Store(empty_url)
    store.upgrade("0010")  # before the register kept one foreign key per row
    world = seed_world(store, current=False)
    now = utcnow()
    with store.session() as s:
        event_pk = s.scalar(sa.insert(Event).returning(Event.id).values(
            operator_id=world.operator_id, event_id="ev-old-1", camera_id=world.cameras["CAM-A"],
            department_id=world.almaly_id, category="traffic", type="speeding", occurred_at=now, received_at=now,
            stored_at=now, late=False, lat=43.25, lon=76.92, record={"event_id": "ev-old-1"}))
        s.execute(sa.insert(Offence).values(
            event_id=event_pk, operator_id=world.operator_id, camera_id=world.cameras["CAM-A"],
            department_id=world.almaly_id, type="speeding", plate="123ABC02", plate_country="KZ", occurred_at=now,
            evidence={"media": []}))
    store.upgrade()
    with store.session() as s:
        assert s.scalar(sa.select(Offence.plate).join(Event, Event.id == Offence.event_id)) == "123ABC02"
    keys = sa.inspect(store.engine).get_foreign_keys("offences")
    assert [(k["constrained_columns"], k["referred_table"]) for k in keys] == [(["event_id"], "events")]
    if empty_url.startswith("sqlite"):
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforced again afterwards
    store.dispose()


def test_an_install_with_incident_histories_gets_their_milestones_and_cells(empty_url: str) -> None:
    """0013 fills the milestone times from the history, 0014 the H3 cell of every open incident."""
    from datetime import timedelta

    from services.geo.distance import cell_of
    from services.store.models import Incident, utcnow

    store = Store(empty_url)
    store.upgrade("0012")
    world = seed_world(store, current=False)
    t0 = utcnow() - timedelta(hours=2)
    insert = sa.text("INSERT INTO incidents (department_id, camera_id, source, category, type, priority, status, lat, "
                     "lon, address, description, event_count, first_seen_at, last_seen_at, created_at, updated_at, "
                     "case_number, outcome_note, version) VALUES (:d, :c, 'camera', 'public_order', 'fight', 1, "
                     ":status, 43.2590, 76.9290, '', '', 1, :t, :t, :t, :t, '', '', 1) RETURNING id")
    history = sa.text("INSERT INTO incident_history (incident_id, action, from_status, to_status, actor, reason, at) "
                      "VALUES (:i, :a, NULL, :to, 'duty.a', '', :at)")
    with store.engine.begin() as conn:
        done = conn.execute(insert, {"d": world.almaly_id, "c": world.cameras["CAM-A"], "status": "closed",
                                     "t": t0}).scalar()
        open_ = conn.execute(insert, {"d": world.almaly_id, "c": world.cameras["CAM-A"], "status": "dispatched",
                                      "t": t0}).scalar()
        for incident, steps in ((done, [("dispatch", 40), ("arrive", 400), ("resolve", 1000), ("close", 1500)]),
                                (open_, [("acknowledge", 20), ("dispatch", 60)])):
            for action, seconds in steps:
                conn.execute(history, {"i": incident, "a": action, "to": action, "at": t0 + timedelta(seconds=seconds)})
        conn.execute(sa.text("INSERT INTO incident_units (incident_id, unit_id, dispatched_by, dispatched_at, arrived_at, "
                             "distance_m) VALUES (:i, :u, 'duty.a', :d, :a, 100)"),
                     {"i": done, "u": world.units["ALM-1"], "d": t0 + timedelta(seconds=40),
                      "a": t0 + timedelta(seconds=400)})
    store.upgrade()
    with store.session() as s:
        closed, current = s.get(Incident, done), s.get(Incident, open_)
        assert (closed.acknowledged_at - t0, closed.acknowledged_by) == (timedelta(seconds=40), "duty.a")
        assert closed.arrived_at - t0 == timedelta(seconds=400) and closed.closed_at - t0 == timedelta(seconds=1500)
        assert closed.resolved_at - t0 == timedelta(seconds=1000) and closed.cell is None
        assert current.acknowledged_at - t0 == timedelta(seconds=20) and current.closed_at is None
        assert current.cell == cell_of(43.2590, 76.9290)
    store.dispose()
