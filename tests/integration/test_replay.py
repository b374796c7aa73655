"""Replay: the wall reconstructed at any moment from the records, scoped like the wall, masked for training."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.duty import actions
from services.replay.state import changes_between, state_at
from services.store.models import (AuditEntry, Camera, CameraHealthChange, IncidentHistory, Unit, UnitPosition, User,
                                   utcnow)
from tests.conftest import credentials, World, event

TINY = timedelta(microseconds=1)


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json=credentials(username)).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _user(s: sa.orm.Session, name: str) -> User:
    return s.scalar(sa.select(User).where(User.username == name))


def _opened(app: Flask, client: FlaskClient, world: World) -> int:
    answer = client.post("/api/v1/events", json=event("CAM-A", "fight"),
                         headers={"Authorization": f"Bearer {world.api_key}"})
    assert answer.status_code == 202
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.select(IncidentHistory.incident_id).where(IncidentHistory.action == "open")
                        .order_by(IncidentHistory.incident_id.desc()).limit(1))


def _story(app: Flask, incident_id: int, world: World) -> None:
    """Acknowledge, dispatch ALM-1, arrive, note, resolve, close: each its own transaction, as officers act."""
    store = app.extensions["kuzet"].store
    steps = [
        lambda s: actions.acknowledge(s, _user(s, "duty.a"), incident_id),
        lambda s: actions.dispatch(s, _user(s, "duty.a"), incident_id, unit_ids=[world.units["ALM-1"]]),
        lambda s: actions.arrive(s, _user(s, "duty.a"), incident_id),
        lambda s: actions.add_note(s, _user(s, "duty.a"), incident_id, text="свидетель, тел. +7 701 123 45 67"),
        lambda s: actions.resolve(s, _user(s, "super.a"), incident_id, outcome="warning", sop_override=True,
                                  reason="провели беседу"),
        lambda s: actions.close(s, _user(s, "duty.a"), incident_id),
    ]
    for step in steps:
        with store.session() as s:
            step(s)


def test_state_before_and_after_each_change_is_what_the_wall_showed(app: Flask, client: FlaskClient,
                                                                    world: World) -> None:
    incident_id = _opened(app, client, world)
    _story(app, incident_id, world)
    store = app.extensions["kuzet"].store
    with store.session() as s:
        history = list(s.scalars(sa.select(IncidentHistory).where(IncidentHistory.incident_id == incident_id)
                                 .order_by(IncidentHistory.at, IncidentHistory.id)))
        assert [h.action for h in history] == ["open", "acknowledge", "dispatch", "arrive", "resolve", "close"]
        assert all(h.department_id == world.almaly_id for h in history)
        before = state_at(s, world.almaly_id, history[0].at - TINY)
        assert incident_id not in {r["id"] for r in before.situation.incidents}
        for entry in history[:-2]:
            row = {r["id"]: r for r in state_at(s, world.almaly_id, entry.at).situation.incidents}[incident_id]
            assert row["status"] == entry.to_status and row["outcome"] is None
            if entry.from_status:
                earlier = {r["id"]: r for r in state_at(s, world.almaly_id, entry.at - TINY).situation.incidents}
                assert earlier[incident_id]["status"] == entry.from_status
        # Resolved and closed incidents leave the wall's queue; the counters follow.
        at_open = state_at(s, world.almaly_id, history[0].at)
        assert at_open.situation.counters["open"] == 1 and at_open.situation.counters["unacknowledged"] == 1
        after = state_at(s, world.almaly_id, history[4].at)
        assert after.situation.counters["open"] == 0
        # The unit: free, en route from the dispatch, on scene at arrival, free once resolved; state at each
        # point of its track shows that point, a moment before it the one before.
        unit = world.units["ALM-1"]
        status_at = lambda t: {u["id"]: u for u in state_at(s, world.almaly_id, t).situation.units}[unit]["status"]  # noqa: E731
        points = list(s.scalars(sa.select(UnitPosition).where(UnitPosition.unit_id == unit).order_by(UnitPosition.at)))
        assert [p.status for p in points] == ["en_route", "on_scene", "available"]
        assert status_at(points[0].at - TINY) == "available"  # before its first point: on patrol
        for previous, point in zip(points, points[1:]):
            assert status_at(point.at) == point.status and status_at(point.at - TINY) == previous.status
        assert history[2].at <= points[0].at < history[3].at  # sent with the dispatch, before the arrival


def test_a_transferred_incident_is_where_it_was_at_each_moment(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id = _opened(app, client, world)
    store = app.extensions["kuzet"].store
    with store.session() as s:
        actions.transfer(s, _user(s, "duty.a"), incident_id, department_id=world.bostandyk_id, reason="их район")
    with store.session() as s:
        moved = s.scalar(sa.select(IncidentHistory).where(IncidentHistory.action == "transfer"))
        assert moved.department_id == world.bostandyk_id
        assert incident_id in {r["id"] for r in state_at(s, world.almaly_id, moved.at - TINY).situation.incidents}
        assert incident_id not in {r["id"] for r in state_at(s, world.almaly_id, moved.at).situation.incidents}
        there = {r["id"]: r for r in state_at(s, world.bostandyk_id, moved.at).situation.incidents}
        assert there[incident_id]["status"] == "transferred" and there[incident_id]["department_id"] == world.bostandyk_id
        left, _ = changes_between(s, {world.almaly_id}, moved.at - timedelta(minutes=1), moved.at)
        assert [c["action"] for c in left if c["kind"] == "incident"] == ["open", "transfer"]
        assert left[-1]["from_department_id"] == world.almaly_id


def test_camera_health_at_a_moment_comes_from_its_changes(app: Flask, world: World) -> None:
    store = app.extensions["kuzet"].store
    now = utcnow()
    camera = world.cameras["CAM-A"]
    with store.session() as s:
        s.execute(sa.update(Camera).values(created_at=now - timedelta(hours=3)))
        s.add_all([CameraHealthChange(camera_id=camera, from_state="unknown", to_state="online", reason="heartbeat",
                                      at=now - timedelta(hours=2)),
                   CameraHealthChange(camera_id=camera, from_state="online", to_state="offline", reason="silent",
                                      at=now - timedelta(hours=1))])
    with store.session() as s:
        early = state_at(s, world.almaly_id, now - timedelta(minutes=90))
        late = state_at(s, world.almaly_id, now - timedelta(minutes=30))
        assert early.cameras_offline == [] and early.situation.counters["cameras_offline"] == 0
        assert [c["id"] for c in late.cameras_offline] == [camera] and late.situation.counters["cameras_offline"] == 1
        assert state_at(s, world.almaly_id, now - timedelta(hours=4)).situation.counters["cameras"] == 0
        changes, truncated = changes_between(s, {world.almaly_id}, now - timedelta(hours=3), now)
        assert [(c["kind"], c["to_status"]) for c in changes] == [("camera", "online"), ("camera", "offline")]
        assert truncated is False


def test_the_api_answers_state_and_changes_scoped_and_masked(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id = _opened(app, client, world)
    _story(app, incident_id, world)
    store = app.extensions["kuzet"].store
    with store.session() as s:
        opened = s.scalar(sa.select(IncidentHistory.at).where(IncidentHistory.action == "open"))
    at = (opened + timedelta(microseconds=1)).isoformat()
    window = {"department": world.almaly_id, "from": (opened - timedelta(minutes=1)).isoformat(),
              "to": (utcnow() + timedelta(minutes=1)).isoformat()}
    trainer = _token(client, "trainer.a")
    state = client.get("/api/v1/replay/state", query_string={"department": world.almaly_id, "at": at}, headers=trainer)
    assert state.status_code == 200
    body = state.get_json()
    assert [i["status"] for i in body["incidents"]] == ["new"] and body["counters"]["open"] == 1
    assert {"at", "incidents", "units", "cameras_offline", "counters"} <= set(body)
    changes = client.get("/api/v1/replay/changes", query_string=window, headers=trainer).get_json()["changes"]
    kinds = [(c["kind"], c["action"]) for c in changes]
    assert ("incident", "acknowledge") in kinds and ("note", "note") in kinds and ("unit", "unit_status") in kinds
    note = next(c for c in changes if c["kind"] == "note")
    assert "123 45 67" not in note["text"] and "[phone]" in note["text"]
    assert {c["actor"] for c in changes if c["kind"] == "incident"} <= {"system", "дежурный", "старший дежурный"}
    # Another department looks absent; a duty officer works the live wall, not the replay.
    other = client.get("/api/v1/replay/state", query_string={"department": world.bostandyk_id, "at": at},
                       headers=trainer)
    assert other.status_code == 404 and other.mimetype == "application/problem+json"
    duty = client.get("/api/v1/replay/state", query_string={"department": world.almaly_id, "at": at},
                      headers=_token(client, "duty.a"))
    assert duty.status_code == 403
    assert client.get("/api/v1/replay/state", query_string={"department": world.almaly_id, "at": at}).status_code == 401
    # Only an admin sees it unmasked, and that view is on the journal.
    refused = client.get("/api/v1/replay/changes", query_string={**window, "unmasked": "1"}, headers=trainer)
    assert refused.status_code == 403
    admin = client.get("/api/v1/replay/changes", query_string={**window, "unmasked": "1"},
                       headers=_token(client, "admin")).get_json()["changes"]
    assert "+7 701 123 45 67" in next(c for c in admin if c["kind"] == "note")["text"]
    with store.session() as s:
        assert s.scalar(sa.select(AuditEntry.actor).where(AuditEntry.action == "replay.view_unmasked")) == "admin"


def test_bad_replay_queries_get_a_problem_not_a_500(client: FlaskClient, world: World) -> None:
    headers = _token(client, "trainer.a")
    now = utcnow()
    for path, query in (
            ("/api/v1/replay/state", {"department": world.almaly_id}),
            ("/api/v1/replay/state", {"department": world.almaly_id, "at": "yesterday"}),
            ("/api/v1/replay/state", {"department": world.almaly_id, "at": "2026-12-01T00:00:00"}),
            ("/api/v1/replay/state", {"department": "9" * 30, "at": now.isoformat()}),
            ("/api/v1/replay/state", {"department": "abc", "at": now.isoformat()}),
            ("/api/v1/replay/state", {"department": world.almaly_id, "at": "x" * 5000}),
            ("/api/v1/replay/changes", {"department": world.almaly_id, "from": now.isoformat()}),
            ("/api/v1/replay/changes", {"department": world.almaly_id, "from": now.isoformat(),
                                        "to": (now - timedelta(hours=1)).isoformat()}),
            ("/api/v1/replay/changes", {"department": world.almaly_id, "from": (now - timedelta(days=30)).isoformat(),
                                        "to": now.isoformat()}),
            ("/api/v1/replay/changes", {"department": world.almaly_id, "from": now.isoformat(),
                                        "to": now.isoformat(), "limit": "0"}),
            ("/api/v1/replay/changes", {"department": world.almaly_id, "from": now.isoformat(),
                                        "to": now.isoformat(), "limit": "99999999999"})):
        answer = client.get(path, query_string=query, headers=headers)
        assert answer.status_code in (404, 422), (query, answer.status_code)
        assert answer.mimetype == "application/problem+json"


def test_a_trainer_sees_the_departments_an_admin_granted(app: Flask, client: FlaskClient, runner: object,
                                                         world: World, db_url: str) -> None:
    from dashboard.cli import main

    at = datetime.now().astimezone().isoformat()
    headers = _token(client, "trainer.a")
    query = {"department": world.bostandyk_id, "at": at}
    assert client.get("/api/v1/replay/state", query_string=query, headers=headers).status_code == 404
    granted = runner.invoke(main, ["users", "grant", "trainer.a", "--department", "almaty-bostandyk", "--db", db_url])
    assert granted.exit_code == 0, granted.output
    assert client.get("/api/v1/replay/state", query_string=query, headers=headers).status_code == 200
    refused = runner.invoke(main, ["users", "grant", "duty.a", "--department", "almaty-bostandyk", "--db", db_url])
    assert refused.exit_code != 0 and "trainers only" in refused.output
    revoked = runner.invoke(main, ["users", "grant", "trainer.a", "--department", "almaty-bostandyk", "--revoke",
                                   "--db", db_url])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert client.get("/api/v1/replay/state", query_string=query, headers=headers).status_code == 404
    with app.extensions["kuzet"].store.session() as s:
        actions_logged = set(s.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("admin.user.%"))))
        assert {"admin.user.grant_department", "admin.user.revoke_department"} <= actions_logged
        assert s.scalar(sa.select(sa.func.count(Unit.id))) == 3


def test_the_archive_filters_pages_and_masks_for_trainers(app: Flask, world: World) -> None:
    from services.replay.archive import search
    from services.errors import Invalid

    from services.geo.routing import Router

    store = app.extensions["kuzet"].store
    with store.session() as s:
        where = Router.from_session(s)
        for n in range(60):
            actions.create_call(s, _user(s, "duty.a"), where, lat=43.2567, lon=76.9286,
                                incident_type="fight" if n % 3 else "crowd", address=f"ул. Абая, {n}",
                                description=f"звонил +7 701 000 {n:02d} {n:02d}", caller_name="Петров Пётр")
    with store.session() as s:
        trainer, officer = _user(s, "trainer.a"), _user(s, "duty.a")
        first = search(s, trainer, {})
        assert first.total == 60 and len(first.rows) == 50 and first.pages == 2
        assert [r["id"] for r in first.rows] == sorted((r["id"] for r in first.rows), reverse=True)  # newest first
        assert len(search(s, trainer, {}, page=2).rows) == 10
        assert all("+7 701" not in r["description"] and "[phone]" in r["description"] for r in first.rows)
        assert "+7 701" in search(s, officer, {}).rows[0]["description"]  # officers work with the record
        assert search(s, trainer, {"type": "crowd"}).total == 20
        assert search(s, trainer, {"q": "Абая, 7"}).total == 1
        assert search(s, trainer, {"q": str(first.rows[0]["id"])}).total >= 1
        assert search(s, trainer, {"status": "new"}).total == 60 and search(s, trainer, {"status": "closed"}).total == 0
        assert search(s, trainer, {"department": str(world.bostandyk_id)}).total == 0  # outside the grant
        assert first.rows[0]["replay"] == f"/replay?incident={first.rows[0]['id']}"
        for bad in ({"type": "party"}, {"priority": "9"}, {"from": "yesterday"}, {"q": "x" * 500},
                    {"department": "9" * 20}, {"q": "a\x00b"}):
            try:
                search(s, trainer, bad)
            except Invalid:
                continue
            raise AssertionError(f"{bad} was accepted")


def test_merged_events_count_from_the_moment_they_were_stored(app: Flask, client: FlaskClient, world: World) -> None:
    from services.store.models import Event

    incident_id = _opened(app, client, world)
    answer = client.post("/api/v1/events", json=event("CAM-A", "fight"),
                         headers={"Authorization": f"Bearer {world.api_key}"})
    assert answer.status_code == 202
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        stored = list(s.scalars(sa.select(Event.stored_at).where(Event.incident_id == incident_id)
                                .order_by(Event.stored_at)))
        assert len(stored) == 2  # merged into the same incident
        count_at = lambda t: {r["id"]: r for r in state_at(s, world.almaly_id, t).situation.incidents}[incident_id]["event_count"]  # noqa: E731
        assert count_at(stored[1] - TINY) == 1 and count_at(stored[1]) == 2
        changes, _ = changes_between(s, {world.almaly_id}, stored[0] - timedelta(seconds=1), stored[1])
        assert [c["kind"] for c in changes if c["kind"] == "event"] == ["event", "event"]
