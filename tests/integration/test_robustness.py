"""Regressions from review: poison messages, racing officers, parallel guesses, odd ids and bodies."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.bus import EVENTS_STREAM, WORKER_GROUP
from services.bus.memory import InProcessBus
from services.duty.incidents import Conflict, transition
from services.messages import EventBatch, QueuedEvent
from services.store.models import DeadLetter, Event, Incident, Offence, User
from services.worker.consumer import Worker
from tests.conftest import PASSWORD, World, event


def _batch(world: World, records: list[dict], camera: str = "CAM-A") -> EventBatch:
    return EventBatch(operator_id=world.operator_id, received_at=datetime.now(timezone.utc).isoformat(),
                      events=[QueuedEvent(camera_pk=world.cameras[camera], late=False, record=r) for r in records])


def test_a_poison_message_is_dead_lettered_and_does_not_hold_the_batch(app: Flask, world: World) -> None:
    store = app.extensions["kuzet"].store
    bus = InProcessBus(claim_idle_ms=0)
    good = event("CAM-A")
    poison = {**event("CAM-A"), "occurred_at": "not a time"}  # cannot happen through ingest; can on a shared bus
    bus.publish(EVENTS_STREAM, [_batch(world, [good]), _batch(world, [poison])])
    worker = Worker(store, bus, max_deliveries=3)
    for _ in range(4):
        worker.run_once(block_ms=0)
    assert bus.pending(EVENTS_STREAM, WORKER_GROUP) == 0
    with store.session() as s:
        assert s.scalars(sa.select(Event.event_id)).all() == [good["event_id"]]
        letter = s.scalar(sa.select(DeadLetter))
        assert letter.endpoint == "worker" and poison["event_id"].encode() in letter.raw


def test_a_poison_event_in_a_batch_entry_costs_only_itself(app: Flask, world: World) -> None:
    store = app.extensions["kuzet"].store
    bus = InProcessBus(claim_idle_ms=0)
    good = [event("CAM-A", "speeding", category="traffic", speed_kmh=90.0, limit_kmh=60.0,
                  plate={"number": "123ABC02", "country": "KZ"}) for _ in range(5)]
    poison = {**event("CAM-A"), "occurred_at": "not a time"}
    bus.publish(EVENTS_STREAM, [_batch(world, good[:2] + [poison] + good[2:])])
    worker = Worker(store, bus, max_deliveries=3)
    handled = [worker.run_once(block_ms=0) for _ in range(4)]
    assert handled == [6, 6, 6, 0]  # delivered three times, then dead-lettered and acknowledged
    assert bus.pending(EVENTS_STREAM, WORKER_GROUP) == 0
    with store.session() as s:
        assert sorted(s.scalars(sa.select(Event.event_id))) == sorted(r["event_id"] for r in good)  # each once
        assert s.scalar(sa.select(sa.func.count(Offence.id))) == 5
        letter = s.scalar(sa.select(DeadLetter))
        assert letter.endpoint == "worker" and poison["event_id"].encode() in letter.raw
        assert good[0]["event_id"].encode() not in letter.raw  # the letter holds the culprit alone


def test_reads_are_stored_in_transactions_of_about_the_batch_size(app: Flask, world: World) -> None:
    store = app.extensions["kuzet"].store
    bus = InProcessBus()
    bus.publish(EVENTS_STREAM, [_batch(world, [event("CAM-A", "loitering") for _ in range(size)])
                                for size in (3, 3, 3, 7, 1)])
    worker = Worker(store, bus, batch=6)
    transactions: list[int] = []
    process = worker._process
    worker._process = lambda envs, recheck: transactions.append(len(envs)) or process(envs, recheck)  # type: ignore[method-assign]
    assert worker.drain() == 17
    assert transactions == [6, 3, 7, 1]  # an entry is never split; one bigger than the batch goes alone
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count(Event.id))) == 17


def test_two_officers_racing_get_one_success_and_one_conflict(app: Flask, client: FlaskClient, world: World) -> None:
    client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {world.api_key}"})
    app.extensions["kuzet"].worker.drain()
    store = app.extensions["kuzet"].store
    with store.sessionmaker() as first, store.sessionmaker() as second:
        a = first.scalar(sa.select(Incident))
        b = second.scalar(sa.select(Incident))
        officer_1 = first.scalar(sa.select(User).where(User.username == "duty.a"))
        officer_2 = second.scalar(sa.select(User).where(User.username == "super.a"))
        transition(first, a, "acknowledge", officer_1)
        first.commit()
        with pytest.raises(Conflict, match="одновременно изменил duty.a; обновите страницу"):
            transition(second, b, "dismiss", officer_2, reason="looked like a fight, was not")
        second.rollback()
    with store.session() as s:
        incident = s.scalar(sa.select(Incident))
        assert incident.status == "acknowledged" and [h.action for h in incident.history] == ["open", "acknowledge"]


def test_parallel_wrong_passwords_still_lock_the_account(app: Flask, world: World) -> None:
    def guess() -> None:
        app.test_client().post("/api/v1/auth/token", json={"username": "duty.a", "password": "guess-123"})

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    right = app.test_client().post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD})
    assert right.status_code == 401 and "слишком много попыток" in right.get_json()["detail"]


def test_old_events_do_not_merge_into_todays_incident(app: Flask, client: FlaskClient, world: World) -> None:
    old = (datetime.now(timezone.utc) - timedelta(hours=20)).isoformat()
    headers = {"Authorization": f"Bearer {world.api_key}"}
    client.post("/api/v1/events", json=event("CAM-A"), headers=headers)
    app.extensions["kuzet"].worker.drain()
    client.post("/api/v1/events", json=event("CAM-A", occurred_at=old), headers=headers)
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        assert sorted(s.scalars(sa.select(Incident.event_count))) == [1, 1]


@pytest.mark.parametrize("path", ["/api/v1/cameras/%C2%B2", "/api/v1/cameras/99999999999999999999999",
                                  "/api/v1/incidents/99999999999999999999999"])
def test_odd_ids_are_not_found_not_errors(client: FlaskClient, world: World, path: str) -> None:
    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD}).get_json()
    response = client.get(path, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_odd_bodies_get_422_not_500(app: Flask, client: FlaskClient, world: World) -> None:
    client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {world.api_key}"})
    app.extensions["kuzet"].worker.drain()
    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD}).get_json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    with app.extensions["kuzet"].store.session() as s:
        incident_id = s.scalar(sa.select(Incident.id))
    url = f"/api/v1/incidents/{incident_id}/transitions"
    for body in ({"action": "dismiss", "reason": None}, {"action": "transfer", "department_id": 2**70, "reason": "x"},
                 {"action": "resolve", "outcome": ["detained"]}):
        response = client.post(url, json=body, headers=auth)
        assert response.status_code == 422, (body, response.get_json())
    huge = client.post("/api/v1/incidents", data='{"lat": 1' + "0" * 400 + ', "lon": 76.9, "type": "fight"}',
                       content_type="application/json", headers=auth)
    assert huge.status_code == 422
    nul = client.post("/api/v1/events", json=event("CAM\u0000X"), headers={"Authorization": f"Bearer {world.api_key}"})
    assert nul.status_code == 202 and nul.get_json()["results"][0]["status"] == "rejected"
    login_nul = client.post("/api/v1/auth/token", json={"username": "duty\u0000a", "password": "x"})
    assert login_nul.status_code == 401


def test_login_without_a_session_token_is_refused(client: FlaskClient, world: World) -> None:
    response = client.post("/login", data={"username": "duty.a", "password": PASSWORD})
    assert response.status_code == 400
