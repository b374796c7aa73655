"""Correlation settings: merge windows per incident type, and how near and how recent a related incident is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask

from services.duty.incidents import parse_cooldowns
from services.store.models import Camera, Incident, IncidentLink
from tests.conftest import ALMALY_POINT, event, seed_world


@pytest.fixture
def tuned(db_url: str) -> Iterator[Flask]:
    """An app whose crowds merge for 10 min, everything else for 60 s; related within 50 m and 30 s."""
    from dashboard import create_app

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False,
                      "INCIDENT_COOLDOWN_S": 60, "INCIDENT_COOLDOWNS": "crowd=600",
                      "RELATED_WITHIN_M": 50.0, "RELATED_WINDOW_S": 30})
    yield app
    app.extensions["kuzet"].stop()


def _send(app: Flask, key: str, *events: dict) -> None:
    answer = app.test_client().post("/api/v1/events", json={"events": list(events)},
                                    headers={"Authorization": f"Bearer {key}"}).get_json()
    assert answer["accepted"] == len(events), answer
    app.extensions["kuzet"].worker.drain()


def test_each_type_merges_within_its_own_window(tuned: Flask) -> None:
    world = seed_world(tuned.extensions["kuzet"].store)
    now = datetime.now(timezone.utc)
    at = [(now - timedelta(seconds=s)).isoformat() for s in (400, 100)]  # 300 s apart
    _send(tuned, world.api_key, *[event("CAM-A", "crowd", occurred_at=t) for t in at],
          *[event("CAM-B", "fight", occurred_at=t) for t in at])
    with tuned.extensions["kuzet"].store.session() as s:
        counts = dict(s.execute(sa.select(Incident.type, sa.func.count(Incident.id)).group_by(Incident.type)).all())
    assert counts == {"crowd": 1, "fight": 2}  # 300 s: inside crowd's 600 s, outside the default 60 s


def test_related_incidents_respect_the_configured_distance_and_window(tuned: Flask) -> None:
    world = seed_world(tuned.extensions["kuzet"].store)
    with tuned.extensions["kuzet"].store.session() as s:
        for ext, north_deg in (("NEAR", 0.0003), ("FAR", 0.001)):  # ~33 m and ~110 m north of CAM-A
            s.add(Camera(operator_id=world.operator_id, external_id=ext, lat=ALMALY_POINT[0] + north_deg,
                         lon=ALMALY_POINT[1], department_id=world.almaly_id))
    now = datetime.now(timezone.utc)
    _send(tuned, world.api_key, event("CAM-A", "fight", occurred_at=(now - timedelta(seconds=100)).isoformat()))
    _send(tuned, world.api_key, event("NEAR", "crowd", occurred_at=(now - timedelta(seconds=20)).isoformat()),
          event("FAR", "crowd", occurred_at=(now - timedelta(seconds=90)).isoformat()))
    with tuned.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(IncidentLink.id))) == 0  # NEAR came 80 s later: past 30 s
    _send(tuned, world.api_key, event("NEAR", "vandalism", occurred_at=(now - timedelta(seconds=85)).isoformat()))
    with tuned.extensions["kuzet"].store.session() as s:
        links = s.execute(sa.select(IncidentLink.distance_m)).scalars().all()
    assert len(links) == 2 and all(25 < d < 40 for d in links)  # both ways to CAM-A's fight; FAR never linked


def test_cooldown_settings_refuse_unknown_types_and_bad_numbers() -> None:
    assert parse_cooldowns(" crowd=300, loitering=600 ") == {"crowd": 300, "loitering": 600}
    with pytest.raises(ValueError, match="unknown type 'crowds'"):
        parse_cooldowns("crowds=300")
    with pytest.raises(ValueError, match="whole seconds"):
        parse_cooldowns("crowd=5m")


def test_incidents_opened_in_one_batch_link_each_pair_once(tuned: Flask) -> None:
    """The worker stores a batch's new incidents together: neighbours among them still link once, both ways."""
    world = seed_world(tuned.extensions["kuzet"].store)
    with tuned.extensions["kuzet"].store.session() as s:
        for ext, north_deg in (("N1", 0.0002), ("N2", 0.0001)):  # ~22 m and ~11 m north of CAM-A
            s.add(Camera(operator_id=world.operator_id, external_id=ext, lat=ALMALY_POINT[0] + north_deg,
                         lon=ALMALY_POINT[1], department_id=world.almaly_id))
    at = (datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat()
    _send(tuned, world.api_key, event("CAM-A", "fight", occurred_at=at), event("N1", "crowd", occurred_at=at),
          event("N2", "fall", occurred_at=at))
    with tuned.extensions["kuzet"].store.session() as s:
        pairs = s.execute(sa.select(IncidentLink.incident_id, IncidentLink.related_id)).all()
        ids = s.scalars(sa.select(Incident.id).order_by(Incident.id)).all()
    assert len(ids) == 3
    assert sorted(pairs) == sorted((a, b) for a in ids for b in ids if a != b)  # three pairs, each both ways, once
