"""Camera health on a controlled clock: stale, offline, debounce, tamper, operator outages, recovery, uptime."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from click.testing import CliRunner
from flask.testing import FlaskClient

from services.cameras.health import MemoryLastSeen, RedisLastSeen, Thresholds, flush, sweep, uptime
from services.store.models import Camera, CameraHealthChange, Incident
from services.store.engine import Store
from tests.conftest import ALMALY_POINT, World, event, seed_world

T0 = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)
LIMITS = Thresholds(interval_s=30, offline_after_s=90, recover_after_s=30, outage_cameras=10)


@pytest.fixture(params=["memory", "redis"])
def store_and_beats(request: pytest.FixtureRequest, db: Store) -> Iterator[tuple[Store, World, object]]:
    world = seed_world(db)
    if request.param == "memory":
        beats: object = MemoryLastSeen()
    else:
        beats = RedisLastSeen(request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix"))
    yield db, world, beats


def _beat(beats: object, camera_id: int, at: datetime) -> None:
    beats.touch({camera_id: at})  # type: ignore[attr-defined]


def _tick(store: Store, beats: object, at: datetime) -> dict[str, str]:
    with store.session() as s:
        flush(s, beats)  # type: ignore[arg-type]
        sweep(s, at, LIMITS)
        return {c.external_id: c.health for c in s.scalars(sa.select(Camera))}


def _health_incidents(store: Store) -> list[tuple[str, str, int]]:
    with store.session() as s:
        return [(i.type, i.status, i.priority) for i in s.scalars(
            sa.select(Incident).where(Incident.source == "health").order_by(Incident.id))]


def test_stale_then_offline_on_time_then_debounced_recovery(store_and_beats: tuple) -> None:
    store, world, beats = store_and_beats
    cam = world.cameras["CAM-A"]
    _beat(beats, cam, T0)
    _beat(beats, world.cameras["CAM-B"], T0 + timedelta(seconds=200))
    assert _tick(store, beats, T0 + timedelta(seconds=59))["CAM-A"] == "online"
    assert _tick(store, beats, T0 + timedelta(seconds=61))["CAM-A"] == "stale"
    assert _tick(store, beats, T0 + timedelta(seconds=89))["CAM-A"] == "stale"
    assert _tick(store, beats, T0 + timedelta(seconds=91))["CAM-A"] == "offline"
    assert _health_incidents(store) == [("camera_offline", "new", 4)]
    _beat(beats, cam, T0 + timedelta(seconds=100))  # back...
    assert _tick(store, beats, T0 + timedelta(seconds=110))["CAM-A"] == "offline"  # ...but not for long enough yet
    for second in range(115, 135, 5):
        _beat(beats, cam, T0 + timedelta(seconds=second))
        _tick(store, beats, T0 + timedelta(seconds=second))
    assert _tick(store, beats, T0 + timedelta(seconds=131))["CAM-A"] == "online"
    assert _health_incidents(store) == [("camera_offline", "closed", 4)]
    with store.session() as s:
        closed = s.scalar(sa.select(Incident).where(Incident.source == "health"))
        assert "outage 0 min 39 s" in closed.outcome_note  # offline at 91 s, back for 30 s at 130 s


def test_a_camera_back_for_five_seconds_does_not_flap_the_incident(store_and_beats: tuple) -> None:
    store, world, beats = store_and_beats
    cam = world.cameras["CAM-A"]
    _beat(beats, cam, T0)
    _tick(store, beats, T0 + timedelta(seconds=95))
    _beat(beats, cam, T0 + timedelta(seconds=100))
    _beat(beats, cam, T0 + timedelta(seconds=105))  # five seconds of life, then silence
    for s in (110, 125, 140, 200, 260):
        state = _tick(store, beats, T0 + timedelta(seconds=s))["CAM-A"]
        assert state == "offline"
    assert _health_incidents(store) == [("camera_offline", "new", 4)]  # one incident, never closed and reopened


def test_many_cameras_of_one_operator_make_one_outage(store_and_beats: tuple) -> None:
    store, world, beats = store_and_beats
    with store.session() as s:
        for n in range(12):
            s.add(Camera(operator_id=world.operator_id, external_id=f"MASS-{n}", lat=ALMALY_POINT[0],
                         lon=ALMALY_POINT[1] + n * 0.0005, department_id=world.almaly_id))
    with store.session() as s:
        ids = s.scalars(sa.select(Camera.id).where(Camera.external_id.like("MASS-%"))).all()
    for cid in ids:
        _beat(beats, cid, T0)
    _tick(store, beats, T0 + timedelta(seconds=10))
    _tick(store, beats, T0 + timedelta(seconds=95))
    assert _health_incidents(store) == [("operator_outage", "new", 3)]
    for second in (100, 120, 140):  # the sweeper runs every few seconds while the cameras come back
        for cid in ids:
            _beat(beats, cid, T0 + timedelta(seconds=second))
        _tick(store, beats, T0 + timedelta(seconds=second + 1))
    assert _health_incidents(store) == [("operator_outage", "closed", 3)]


def test_tamper_takes_a_school_camera_down_at_once_with_high_priority(app: Flask, client: FlaskClient,
                                                                       world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.update(Camera).where(Camera.external_id == "CAM-A").values(mount_kind="school"))
    answer = client.post("/api/v1/events", json=event("CAM-A", "tamper", category="system"),
                         headers={"Authorization": f"Bearer {world.api_key}"})
    assert answer.get_json()["accepted"] == 1
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        camera = s.scalar(sa.select(Camera).where(Camera.external_id == "CAM-A"))
        incident = s.scalar(sa.select(Incident))
        assert camera.health == "offline" and (incident.type, incident.priority) == ("tamper", 1)


def test_heartbeats_for_another_operators_camera_are_answered_as_unknown(app: Flask, client: FlaskClient,
                                                                         world: World) -> None:
    answer = client.post("/api/v1/heartbeats", json={"heartbeats": [{"camera_id": "NOPE"}, {"camera_id": "CAM-B"}]},
                         headers={"Authorization": f"Bearer {world.other_key}"})
    assert answer.status_code == 202
    results = answer.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    # The same words for another operator's camera as for one nobody has: nothing leaks about who owns what.
    assert results[1]["reason"].replace("CAM-B", "X") == results[0]["reason"].replace("NOPE", "X")
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(Camera.last_seen_at).where(Camera.id == world.cameras["CAM-B"])) is None
    assert app.extensions["kuzet"].last_seen.take() == {}  # nothing of it touched CAM-B


def test_heartbeat_api_is_the_cheap_path(app: Flask, client: FlaskClient, world: World) -> None:
    now = datetime.now(timezone.utc).isoformat()
    answer = client.post("/api/v1/heartbeats", json={"heartbeats": [
        {"camera_id": "CAM-A", "at": now}, {"camera_id": "CAM-B"}, {"camera_id": "NOPE"},
        {"camera_id": "CAM-A", "at": "yesterday"}, {"camera_id": "CAM-B", "status": "video_loss"}]},
        headers={"Authorization": f"Bearer {world.api_key}"}).get_json()
    assert [r["status"] for r in answer["results"]] == ["accepted", "accepted", "rejected", "rejected", "accepted"]
    assert answer["results"][3]["errors"][0]["pointer"] == "/heartbeats/3/at"
    kuzet = app.extensions["kuzet"]
    assert kuzet.bus.pending("events", "workers") == 0
    kuzet.worker.drain()  # only the video_loss alarm rides the stream
    kuzet.worker.sweep_once()
    with kuzet.store.session() as s:
        seen = dict(s.execute(sa.select(Camera.external_id, Camera.last_seen_at)).all())
        assert seen["CAM-A"] is not None and seen["CAM-B"] is not None
        assert s.scalar(sa.select(Incident.type)) == "video_loss"
        assert s.scalar(sa.select(sa.func.count()).select_from(sa.text("events"))) == 1


def test_uptime_arithmetic_on_a_known_history(db: Store) -> None:
    world = seed_world(db)
    cam = world.cameras["CAM-A"]
    with db.session() as s:
        for at, frm, to in [(T0 - timedelta(hours=1), "unknown", "online"), (T0 + timedelta(hours=6), "online", "offline"),
                            (T0 + timedelta(hours=7), "offline", "online"), (T0 + timedelta(hours=20), "online", "stale"),
                            (T0 + timedelta(hours=20, minutes=1), "stale", "offline")]:
            s.add(CameraHealthChange(camera_id=cam, from_state=frm, to_state=to, reason="test", at=at))
    with db.session() as s:
        day = uptime(s, [cam], T0, T0 + timedelta(hours=24))
        both = uptime(s, [cam, world.cameras["CAM-B"]], T0, T0 + timedelta(hours=24))
    # Offline 1 h (06-07) and 3 h 59 min (20:01-24:00) of 24 h.
    assert day.outages == 2 and day.outage_minutes == 60 + 239
    assert day.uptime_pct == round(100 * (1 - 299 / 1440), 3)
    assert both.uptime_pct == round(100 * (1 - 299 / 2880), 3) and both.cameras == 2


def test_operator_and_camera_thresholds_override_the_defaults(store_and_beats: tuple, runner: CliRunner,
                                                               db_url: str) -> None:
    from dashboard.cli import main

    store, world, beats = store_and_beats
    result = runner.invoke(main, ["operators", "health", "--db", db_url, "Test Operator LLP", "--interval", "10",
                                  "--offline-after", "300"])
    assert result.exit_code == 0, result.output
    with store.session() as s:
        s.execute(sa.update(Camera).where(Camera.external_id == "CAM-B").values(expected_interval_s=120))
    _beat(beats, world.cameras["CAM-A"], T0)
    _beat(beats, world.cameras["CAM-B"], T0)
    states = _tick(store, beats, T0 + timedelta(seconds=25))
    assert states["CAM-A"] == "stale" and states["CAM-B"] == "online"  # 2 x 10 s missed vs 2 x 120 s
    states = _tick(store, beats, T0 + timedelta(seconds=250))
    assert states["CAM-A"] == "stale" and states["CAM-B"] == "stale"  # offline only after the operator's 300 s
    assert _tick(store, beats, T0 + timedelta(seconds=301))["CAM-A"] == "offline"


def test_tamper_stays_open_for_an_officer_when_the_camera_comes_back(store_and_beats: tuple) -> None:
    from services.cameras.health import camera_signal

    store, world, beats = store_and_beats
    cam = world.cameras["CAM-A"]
    with store.session() as s:
        camera_signal(s, s.get(Camera, cam), "tamper", T0)
    for second in range(5, 100, 5):  # beating again, long past the debounce
        _beat(beats, cam, T0 + timedelta(seconds=second))
        states = _tick(store, beats, T0 + timedelta(seconds=second))
    assert states["CAM-A"] == "online"
    assert _health_incidents(store) == [("tamper", "new", 2)]  # the camera is back; the tamper is not explained


def test_a_camera_with_a_short_interval_goes_stale_on_its_own_clock(store_and_beats: tuple) -> None:
    store, world, beats = store_and_beats
    with store.session() as s:
        s.execute(sa.update(Camera).where(Camera.external_id == "CAM-A").values(expected_interval_s=5))
    _beat(beats, world.cameras["CAM-A"], T0)
    _beat(beats, world.cameras["CAM-B"], T0)
    _tick(store, beats, T0 + timedelta(seconds=1))
    states = _tick(store, beats, T0 + timedelta(seconds=12))  # two 5 s beats missed; the default is 30 s
    assert states == {"CAM-A": "stale", "CAM-B": "online"}


def test_a_mass_outage_is_one_feed_row_per_department_listing_every_camera(store_and_beats: tuple) -> None:
    """The walls learn of thousands of cameras at once from a handful of rows; none of the cameras is left out."""
    from services.messages import Change

    store, world, beats = store_and_beats
    with store.session() as s:
        for n in range(30):
            department = world.almaly_id if n % 3 else world.bostandyk_id
            s.add(Camera(operator_id=world.operator_id, external_id=f"MASS-{n}", lat=ALMALY_POINT[0],
                         lon=ALMALY_POINT[1] + n * 0.0005, department_id=department))
    with store.session() as s:
        cameras = {cid: department for cid, department in s.execute(sa.select(Camera.id, Camera.department_id))}
    for cid in cameras:
        _beat(beats, cid, T0)
    _tick(store, beats, T0 + timedelta(seconds=10))
    seen: list[Change] = []
    store.subscribe(seen.extend)
    _tick(store, beats, T0 + timedelta(seconds=95))  # every camera silent past the offline threshold
    rows = [c for c in seen if c.entity == "cameras"]
    assert sorted(c.department_id for c in rows) == sorted({world.almaly_id, world.bostandyk_id})
    listed = {state["id"]: (row.department_id, state["health"]) for row in rows for state in row.data["cameras"]}
    assert listed == {cid: (department, "offline") for cid, department in cameras.items()}
