"""Faults a centre meets: Redis restarted empty, Redis or PostgreSQL unreachable. Nothing accepted is lost,
nothing is answered 500, and /healthz says what is wrong."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from services.store.models import Event
from tests.conftest import _truncate, event, free_port, seed_world


@pytest.fixture
def pg_redis_app(postgres_url: str, redis_url: str, redis_prefix: str) -> Iterator[Flask]:
    """The web app on this run's PostgreSQL and a fresh Redis prefix; the test drives the worker."""
    from dashboard import create_app

    _truncate(postgres_url)
    app = create_app({"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix,
                      "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False, "RATE_LIMIT_PER_S": 10**6})
    yield app
    app.extensions["kuzet"].stop()


def _send(app: Flask, key: str, n: int) -> set[str]:
    batch = [event("CAM-A", "speeding", category="traffic", plate={"number": "777KZA02", "country": "KZ"},
                   speed_kmh=95.0, limit_kmh=60.0) for _ in range(n)]
    answer = app.test_client().post("/api/v1/events", data=json.dumps({"events": batch}),
                                    content_type="application/json", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202
    return {r["event_id"] for r in answer.get_json()["results"] if r["status"] == "accepted"}


def test_a_redis_restarted_empty_gets_its_group_back_and_loses_nothing(pg_redis_app: Flask, redis_url: str,
                                                                       redis_prefix: str,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    kz = pg_redis_app.extensions["kuzet"]
    world = seed_world(kz.store)
    before = _send(pg_redis_app, world.api_key, 50)
    kz.worker.drain()
    # What a restart without persistence leaves: no stream, no group, while the worker keeps running.
    redis.Redis.from_url(redis_url).delete(f"{redis_prefix}:stream:events")
    after = _send(pg_redis_app, world.api_key, 100)
    with caplog.at_level(logging.ERROR, logger="services.bus.redis_streams"):
        kz.worker.drain()
    assert any("re-creating" in r.getMessage() for r in caplog.records)
    with kz.store.session() as s:
        assert set(s.scalars(sa.select(Event.event_id))) == before | after


def test_with_redis_unreachable_ingest_answers_503_with_retry_after_and_healthz_says_so(
        postgres_url: str, redis_prefix: str) -> None:
    from dashboard import create_app

    _truncate(postgres_url)
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app({"DATABASE_URL": postgres_url, "REDIS_URL": nowhere, "REDIS_PREFIX": redis_prefix,
                      "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False})
    try:
        world = seed_world(app.extensions["kuzet"].store)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {world.api_key}"}
        for method, path, body in (("post", "/api/v1/events", event("CAM-A", "fight")),
                                   ("post", "/api/v1/heartbeats", {"camera_id": "CAM-A"}),
                                   ("put", "/api/v1/cameras/CAM-NEW", {"lat": 43.2567, "lon": 76.9286})):
            answer = getattr(client, method)(path, json=body, headers=headers)
            assert answer.status_code == 503, (path, answer.status_code, answer.get_data(as_text=True)[:300])
            assert answer.headers["Retry-After"] == "5" and answer.mimetype == "application/problem+json"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["redis"] == "down"
        with app.extensions["kuzet"].store.session() as s:
            assert s.scalar(sa.select(sa.func.count(Event.id))) == 0
    finally:
        app.extensions["kuzet"].stop()


def test_with_postgresql_unreachable_ingest_answers_503_and_healthz_says_so() -> None:
    from dashboard import create_app

    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kuzet"
    app = create_app({"DATABASE_URL": nowhere, "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False})
    try:
        client = app.test_client()
        answer = client.post("/api/v1/events", json=event("CAM-A", "fight"), headers={"Authorization": "Bearer k"})
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert answer.mimetype == "application/problem+json"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["database"] == "down"
    finally:
        app.extensions["kuzet"].stop()


def test_healthz_reports_the_backlog_when_all_is_well(app: Flask, world: object) -> None:
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["stream"]["waiting"] == 0
    _send(app, world.api_key, 10)  # type: ignore[attr-defined]
    waiting = client.get("/healthz").get_json()["stream"]
    assert waiting["waiting"] == 1 and waiting["oldest_waiting_s"] is not None
    app.extensions["kuzet"].worker.drain()
    assert client.get("/healthz").get_json()["stream"]["waiting"] == 0


def test_serve_and_worker_refuse_a_redis_without_aof_unless_told(redis_url: str) -> None:
    import click

    from dashboard.cli.common import require_durable_redis
    from services.settings import Settings

    client = redis.Redis.from_url(redis_url)
    original = client.config_get("appendonly")["appendonly"]
    try:
        client.config_set("appendonly", "no")
        with pytest.raises(click.ClickException, match="AOF"):
            require_durable_redis(Settings(redis_url=redis_url))
        require_durable_redis(Settings(redis_url=redis_url, redis_allow_volatile=True))  # told: starts
        client.config_set("appendonly", "yes")
        require_durable_redis(Settings(redis_url=redis_url))  # durable: starts
    finally:
        client.config_set("appendonly", original)
        client.close()


def test_the_session_cookie_is_secure_when_configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import create_app
    from tests.conftest import login

    monkeypatch.setenv("KUZET_SESSION_COOKIE_SECURE", "1")
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False})
    try:
        seed_world(app.extensions["kuzet"].store)
        answer = login(app.test_client(), "duty.a")
        cookies = [v for k, v in answer.headers.items() if k.lower() == "set-cookie"]
        assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies if c.startswith("session="))
        assert any(c.startswith("session=") for c in cookies)
    finally:
        app.extensions["kuzet"].stop()


def test_metrics_tell_monitoring_what_the_duty_room_would_notice_later(app: Flask, world: object,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import login

    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    login(client, "duty.a")
    assert client.get("/metrics").status_code == 403  # not for officers
    accepted = _send(app, world.api_key, 3)  # type: ignore[attr-defined]
    app.test_client().post("/api/v1/events", json=event("NO-SUCH-CAM", "fight"),
                           headers={"Authorization": f"Bearer {world.api_key}"})  # type: ignore[attr-defined]
    app.test_client().post("/api/v1/auth/token", json={"username": "duty.a", "password": "wrong-password-1"})
    admin = app.test_client()
    login(admin, "admin")
    text = admin.get("/metrics").get_data(as_text=True)
    assert 'kuzet_events_total{operator="Test Operator LLP",reason="",result="accepted"} 3.0' in text
    assert 'kuzet_events_total{operator="Test Operator LLP",reason="unknown_camera",result="rejected"} 1.0' in text
    assert 'kuzet_logins_refused_total{why="refused"} 1.0' in text
    assert "kuzet_stream_waiting 1.0" in text and "kuzet_stream_oldest_waiting_seconds" in text
    assert 'kuzet_cameras{health="unknown"} 2.0' in text
    app.extensions["kuzet"].worker.drain()
    text = admin.get("/metrics").get_data(as_text=True)
    assert "kuzet_worker_batch_seconds_count 1.0" in text and "kuzet_stream_waiting 0.0" in text
    assert "kuzet_push_latency_seconds_count" in text
    assert len(accepted) == 3
    # The centre's Prometheus scrapes with its own token, no user needed.
    app.extensions["kuzet"].settings = app.extensions["kuzet"].settings.with_overrides(metrics_token="scrape-me")
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 401
