"""The ingest gateway under abuse: gzip, gzip bombs, rate limits, and the sizes it refuses."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from services.intake.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.conftest import World, event, seed_world


def _headers(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.api_key}", "Content-Type": "application/json"}


def test_gzip_bodies_are_accepted(app: Flask, world: World) -> None:
    body = gzip.compress(json.dumps({"events": [event("CAM-A") for _ in range(50)]}).encode())
    response = app.test_client().post("/api/v1/events", data=body, headers={**_headers(world), "Content-Encoding": "gzip"})
    assert response.status_code == 202 and response.get_json()["accepted"] == 50


@pytest.mark.parametrize("body, encoding, status, slug", [
    (gzip.compress(b"[" + b" " * (5 * 1024 * 1024) + b"]"), "gzip", 413, "payload-too-large"),  # 5 MiB of air
    (b"\x1f\x8b\x08\x00garbage", "gzip", 400, "malformed-body"),
    (b"{}", "br", 415, "unsupported-encoding"),
])
def test_bad_encodings_get_problem_documents(app: Flask, world: World, body: bytes, encoding: str, status: int,
                                             slug: str) -> None:
    response = app.test_client().post("/api/v1/events", data=body,
                                      headers={**_headers(world), "Content-Encoding": encoding})
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith(slug)


@pytest.mark.parametrize("body, encoding, status", [
    (b'{"events": [' + b" " * (2 * 1024 * 1024) + b"]}", None, 413),  # 2 MiB, over the 1 MiB cap
    (b"\x1f\x8b\x08\x00garbage", "gzip", 400),
    (b'{"spec": "kuzet.event/1"}', "br", 415),
], ids=["too-large", "bad-gzip", "unknown-encoding"])
def test_bodies_refused_at_the_gate_are_kept_for_a_known_operator_only(app: Flask, world: World, body: bytes,
                                                                       encoding: str | None, status: int) -> None:
    import sqlalchemy as sa

    from services.store.models import DeadLetter

    extra = {"Content-Encoding": encoding} if encoding else {}
    client = app.test_client()
    anonymous = client.post("/api/v1/events", data=body, headers={"Content-Type": "application/json", **extra})
    assert anonymous.status_code == status
    answer = client.post("/api/v1/events", data=body, headers={**_headers(world), **extra})
    assert answer.status_code == status and answer.mimetype == "application/problem+json"
    with app.extensions["kuzet"].store.session() as s:
        letters = s.scalars(sa.select(DeadLetter)).all()
        assert [(d.operator_id, d.endpoint) for d in letters] == [(world.operator_id, "events")]  # not the anonymous
        assert letters[0].reason.startswith(answer.get_json()["title"])
        assert letters[0].raw == body[:64 * 1024]  # as sent, capped


def test_refused_bodies_count_against_the_key_rate_and_stop_being_kept(limited_app: Flask) -> None:
    import sqlalchemy as sa

    from services.store.models import DeadLetter

    world = seed_world(limited_app.extensions["kuzet"].store)
    client = limited_app.test_client()
    statuses = [client.post("/api/v1/events", data=b"{}", headers={**_headers(world), "Content-Encoding": "br"}).status_code
                for _ in range(6)]
    assert statuses[:3] == [415] * 3 and 429 in statuses[3:]
    with limited_app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(DeadLetter.id))) == statuses.count(415)


def test_batches_over_a_thousand_are_refused(app: Flask, world: World) -> None:
    body = json.dumps({"events": [event("CAM-A") for _ in range(1001)]})
    response = app.test_client().post("/api/v1/events", data=body, headers=_headers(world))
    assert response.status_code == 413 and response.get_json()["type"].endswith("batch-too-large")


@pytest.fixture
def limited_app(db_url: str) -> Iterator[Flask]:
    from dashboard import create_app

    application = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False,
                              "RATE_LIMIT_PER_S": 3})
    yield application
    application.extensions["kuzet"].stop()


def test_rate_limit_answers_429_with_retry_after(limited_app: Flask) -> None:
    world = seed_world(limited_app.extensions["kuzet"].store)
    client = limited_app.test_client()
    statuses = []
    for _ in range(6):
        statuses.append(client.post("/api/v1/events", json=event("CAM-A"), headers=_headers(world)))
        if statuses[-1].status_code == 429:
            break
    limited = statuses[-1]
    if limited.status_code != 429:  # the 1 s window rolled over mid-loop; one more burst must hit it
        limited = [client.post("/api/v1/events", json=event("CAM-A"), headers=_headers(world)) for _ in range(5)][-1]
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.get_json()["type"].endswith("rate-limited")
    time.sleep(1.05)
    assert client.post("/api/v1/events", json=event("CAM-A"), headers=_headers(world)).status_code == 202


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_limiters_count_per_key_per_second(kind: str, request: pytest.FixtureRequest) -> None:
    if kind == "memory":
        limiter = MemoryRateLimiter(per_second=2)
    else:
        limiter = RedisRateLimiter(request.getfixturevalue("redis_url"), 2, request.getfixturevalue("redis_prefix"))
    while time.time() % 1 > 0.7:  # keep the three hits inside one window
        time.sleep(0.05)
    assert [limiter.hit("a") for _ in range(2)] == [0.0, 0.0]
    assert 0 < limiter.hit("a") <= 1.0
    assert limiter.hit("b") == 0.0


def test_gzip_bodies_are_signed_as_sent_and_may_inflate_past_the_wire_cap(app: Flask, world: World) -> None:
    import sqlalchemy as sa

    from services.store.models import Operator
    from services.access.operators import sign

    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.update(Operator).where(Operator.id == world.operator_id).values(signing_required=True))
    # ~2 MiB inflated (over the 1 MiB wire cap), far less compressed: 1,000 events with bulky attributes.
    batch = [event("CAM-A", attributes={"note": "x" * 2000}) for _ in range(1000)]
    raw = json.dumps({"events": batch}).encode()
    body = gzip.compress(raw)
    assert len(raw) > 2 * 1024 * 1024 > 1024 * 1024 > len(body)
    stamp = str(int(time.time()))
    headers = {**_headers(world), "Content-Encoding": "gzip", "X-Kuzet-Timestamp": stamp}
    client = app.test_client()
    signed_as_sent = client.post("/api/v1/events", data=body,
                                 headers={**headers, "X-Kuzet-Signature": sign(world.api_key, stamp, body)})
    assert signed_as_sent.status_code == 202 and signed_as_sent.get_json()["accepted"] == 1000
    signed_inflated = client.post("/api/v1/events", data=body,
                                  headers={**headers, "X-Kuzet-Signature": sign(world.api_key, stamp, raw)})
    assert signed_inflated.status_code == 401  # the signature is over what travelled, as the guide says
