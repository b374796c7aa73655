"""Ingest end to end through the HTTP API, the in-process bus and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.messages import Change
from services.store.models import DeadLetter, Event, Incident, IncidentHistory
from tests.conftest import World, event


def post(client: FlaskClient, key: str, body: object) -> tuple[int, dict]:
    response = client.post("/api/v1/events", data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    return response.status_code, response.get_json()


def drain(app: Flask) -> int:
    return app.extensions["kuzet"].worker.drain()


def count(app: Flask, model: type, *where: object) -> int:
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_single_event_becomes_an_incident_in_the_cameras_department(app: Flask, client: FlaskClient, world: World) -> None:
    status, body = post(client, world.api_key, event("CAM-A", "weapon"))
    assert status == 202 and body["results"][0]["status"] == "accepted" and body["accepted"] == 1
    assert drain(app) == 1
    with app.extensions["kuzet"].store.session() as s:
        incident = s.scalar(sa.select(Incident))
        assert incident.department_id == world.almaly_id
        assert incident.type == "weapon" and incident.priority == 1 and incident.status == "new"
        assert s.scalar(sa.select(IncidentHistory.action).where(IncidentHistory.incident_id == incident.id)) == "open"
        stored = s.scalar(sa.select(Event))
        assert stored.incident_id == incident.id and stored.department_id == world.almaly_id


def test_repeats_within_cooldown_merge_and_later_ones_open_anew(app: Flask, client: FlaskClient, world: World) -> None:
    now = datetime.now(timezone.utc)
    first = event("CAM-A", "fight", occurred_at=(now - timedelta(seconds=300)).isoformat())
    second = event("CAM-A", "fight", occurred_at=(now - timedelta(seconds=250)).isoformat())
    third = event("CAM-A", "fight", occurred_at=now.isoformat())  # 250 s later: past the 120 s cooldown
    other_type = event("CAM-A", "crowd", occurred_at=now.isoformat())
    status, body = post(client, world.api_key, {"events": [first, second, third, other_type]})
    assert status == 202 and body["accepted"] == 4
    drain(app)
    with app.extensions["kuzet"].store.session() as s:
        counts = sorted(s.scalars(sa.select(Incident.event_count).order_by(Incident.id)))
    assert counts == [1, 1, 2]


def test_replayed_event_id_is_a_duplicate_and_stored_once(app: Flask, client: FlaskClient, world: World) -> None:
    ev = event("CAM-A")
    _, body = post(client, world.api_key, {"events": [ev, ev]})
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate"]
    drain(app)
    _, body = post(client, world.api_key, ev)
    assert body["results"][0]["status"] == "duplicate"
    drain(app)
    assert count(app, Event) == 1 and count(app, Incident) == 1


def test_a_batch_mixing_new_and_replayed_ids_accepts_only_the_new(app: Flask, client: FlaskClient,
                                                                   world: World) -> None:
    old = [event("CAM-A", "loitering") for _ in range(3)]
    post(client, world.api_key, {"events": [old[0], old[2]]})
    new = [event("CAM-A", "loitering") for _ in range(2)]
    _, body = post(client, world.api_key, {"events": [new[0], old[0], old[1], old[2], new[1]]})
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate", "accepted", "duplicate", "accepted"]
    assert (body["accepted"], body["duplicate"]) == (3, 2)
    drain(app)
    with app.extensions["kuzet"].store.session() as s:
        stored = sorted(s.scalars(sa.select(Event.event_id)))
    assert stored == sorted(e["event_id"] for e in old + new)  # each once


def test_when_the_stream_is_down_nothing_is_taken_and_a_resend_is_accepted(app: Flask, client: FlaskClient,
                                                                           world: World) -> None:
    from services.bus.redis_streams import RedisStreamBus

    ingest = app.extensions["kuzet"].ingest
    working = ingest.bus
    ingest.bus = RedisStreamBus("redis://127.0.0.1:1/0")  # nothing listens there: every publish fails for real
    ev = event("CAM-A")
    down = client.post("/api/v1/events", json={"events": [ev]}, headers={"Authorization": f"Bearer {world.api_key}"})
    assert down.status_code == 503 and down.mimetype == "application/problem+json"
    assert down.headers["Retry-After"] == "5" and down.get_json()["type"].endswith("/unavailable")
    ingest.bus = working
    _, body = post(client, world.api_key, {"events": [ev]})
    assert body["results"][0]["status"] == "accepted"  # its id was not left reserved by the failed attempt
    assert drain(app) == 1 and count(app, Event) == 1


def test_one_bad_item_never_sinks_the_batch_and_is_kept(app: Flask, client: FlaskClient, world: World) -> None:
    bad = {**event("CAM-A"), "location": {"lat": 91.0, "lon": 76.9}}
    unknown = event("NO-SUCH-CAM")
    status, body = post(client, world.api_key, {"events": [event("CAM-B"), bad, unknown]})
    assert status == 202
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected", "rejected"]
    assert body["results"][1]["errors"][0]["pointer"] == "/events/1/location/lat"
    assert "unknown camera 'NO-SUCH-CAM'" in body["results"][2]["reason"]
    assert body["results"][2]["errors"][0]["pointer"] == "/events/2/camera_id"
    assert count(app, DeadLetter) == 2
    with app.extensions["kuzet"].store.session() as s:
        raws = [json.loads(r) for r in s.scalars(sa.select(DeadLetter.raw))]
    assert {r["camera_id"] for r in raws} == {"CAM-A", "NO-SUCH-CAM"}


def test_another_operators_camera_is_answered_like_an_unknown_one(app: Flask, client: FlaskClient,
                                                                    world: World) -> None:
    registered = client.put("/api/v1/cameras/OTHER-1", json={"lat": 43.26, "lon": 76.93, "mount_kind": "street"},
                            headers={"Authorization": f"Bearer {world.other_key}"})
    assert registered.status_code in (200, 201)
    own = event("OTHER-1")
    headers = {"Authorization": f"Bearer {world.other_key}"}
    foreign = client.post("/api/v1/events", json={"events": [own, event("CAM-B"), event("NO-SUCH-CAM")]},
                          headers=headers)
    assert foreign.status_code == 202
    results = foreign.get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    # Nothing tells this operator that CAM-B is someone else's: the same words as for a camera nobody has.
    assert results[1]["reason"].replace("CAM-B", "X") == results[2]["reason"].replace("NO-SUCH-CAM", "X")
    assert results[1]["errors"][0]["detail"] == results[2]["errors"][0]["detail"]
    assert drain(app) == 1  # its own camera's event is taken
    with app.extensions["kuzet"].store.session() as s:
        kept = s.scalars(sa.select(DeadLetter).order_by(DeadLetter.id)).all()
    assert len(kept) == 2 and all("unknown camera" in letter.reason for letter in kept)
    beat = client.post("/api/v1/heartbeats", json={"camera_id": "CAM-B"}, headers=headers)
    nobody = client.post("/api/v1/heartbeats", json={"camera_id": "NO-SUCH-CAM"}, headers=headers)
    assert beat.status_code == nobody.status_code != 403
    assert beat.get_data(as_text=True).replace("CAM-B", "X") == nobody.get_data(as_text=True).replace("NO-SUCH-CAM", "X")


def test_camera_ids_match_whatever_unicode_form_they_are_sent_in(app: Flask, client: FlaskClient,
                                                                 world: World) -> None:
    composed, decomposed = "КАМ-\u0439", "КАМ-\u0438\u0306"  # "й" as one letter, and as "и" + breve
    registered = client.put(f"/api/v1/cameras/{decomposed}", json={"lat": 43.26, "lon": 76.93},
                            headers={"Authorization": f"Bearer {world.api_key}"})
    assert registered.status_code == 201 and registered.get_json()["camera_id"] == composed
    _, body = post(client, world.api_key, event(decomposed))
    assert body["results"][0]["status"] == "accepted"
    beats = client.post("/api/v1/heartbeats", json={"heartbeats": [{"camera_id": decomposed}]},
                        headers={"Authorization": f"Bearer {world.api_key}"}).get_json()
    assert beats["accepted"] == 1
    assert drain(app) == 1


def test_auth_and_malformed_bodies_get_problem_documents(app: Flask, client: FlaskClient, world: World) -> None:
    no_key = client.post("/api/v1/events", json=event())
    assert no_key.status_code == 401 and no_key.mimetype == "application/problem+json"
    assert no_key.get_json()["type"].endswith("/unauthorized")
    wrong = client.post("/api/v1/events", json=event(), headers={"Authorization": "Bearer kz_nope_nope"})
    assert wrong.status_code == 401
    broken = client.post("/api/v1/events", data=b'{"spec": ', content_type="application/json",
                         headers={"Authorization": f"Bearer {world.api_key}"})
    assert broken.status_code == 400 and broken.mimetype == "application/problem+json"
    assert broken.get_json()["detail"]
    huge = client.post("/api/v1/events", data=b"x" * (1024 * 1024 + 10), content_type="application/json",
                       headers={"Authorization": f"Bearer {world.api_key}"})
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"
    assert count(app, DeadLetter) == 2  # the malformed and the oversized body are kept for review


def test_worker_publishes_changes_to_the_departments_sink(app: Flask, client: FlaskClient, world: World) -> None:
    seen: list[Change] = []
    app.extensions["kuzet"].store.subscribe(seen.extend)
    post(client, world.api_key, {"events": [event("CAM-A"), event("CAM-B", "crowd")]})
    drain(app)
    by_department = {c.department_id: [c.data] for c in seen if c.entity == "incident"}
    assert set(by_department) == {world.almaly_id, world.bostandyk_id}
    assert {c.action for c in seen} == {"open"} and {c.actor for c in seen} == {"system"}
    assert by_department[world.almaly_id][0]["type"] == "fight"
    assert by_department[world.bostandyk_id][0]["camera"] == "CAM-B"
