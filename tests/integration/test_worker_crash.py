"""A `kuzet worker` process killed with SIGKILL mid-stream: after a restart every accepted event is stored once.

Real processes, real PostgreSQL, real Redis Streams: nothing here is simulated but the operator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from services.bus.redis_streams import RedisStreamBus
from services.store.models import Event, Incident, Offence
from services.store.engine import Store
from tests.conftest import _truncate, event, seed_world

KUZET = str(Path(sys.executable).with_name("kuzet"))
BATCHES, PER_BATCH = 12, 500


@pytest.fixture
def pg_redis_app(postgres_url: str, redis_url: str, redis_prefix: str) -> Iterator[Flask]:
    """The web app on this run's PostgreSQL and a fresh Redis prefix; no worker inside it."""
    from dashboard import create_app

    _truncate(postgres_url)
    app = create_app({"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix,
                      "SECRET_KEY": "t", "TESTING": True, "RATE_LIMIT_PER_S": 10**6})
    yield app
    app.extensions["kuzet"].stop()


def _start_worker(postgres_url: str, redis_url: str, redis_prefix: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KUZET_DATABASE_URL": postgres_url, "KUZET_REDIS_URL": redis_url,
           "KUZET_REDIS_ALLOW_VOLATILE": "1",  # the test Redis keeps nothing on disk
           "KUZET_REDIS_PREFIX": redis_prefix}
    # The same consumer name on restart, as a service manager restarts it: its own pending messages come back.
    with log.open("ab") as out:
        return subprocess.Popen([KUZET, "worker", "--name", "crash-test"], env=env, stdout=out, stderr=out)


def _counts(store: Store) -> tuple[int, int, int]:
    with store.session() as s:
        return (s.scalar(sa.select(sa.func.count(Event.id))) or 0,
                s.scalar(sa.select(sa.func.count(Offence.id))) or 0,
                s.scalar(sa.select(sa.func.coalesce(sa.func.sum(Incident.event_count), 0))) or 0)


def test_sigkilled_worker_loses_nothing_and_stores_nothing_twice(pg_redis_app: Flask, postgres_url: str,
                                                                  redis_url: str, redis_prefix: str,
                                                                  tmp_path: Path) -> None:
    store = pg_redis_app.extensions["kuzet"].store
    world = seed_world(store)
    client = pg_redis_app.test_client()
    headers = {"Authorization": f"Bearer {world.api_key}"}
    accepted_ids: set[str] = set()
    for _ in range(BATCHES):
        # Mostly traffic offences; every tenth a fight on the same camera, which merges into one incident.
        batch = [event("CAM-A", "speeding", category="traffic", plate={"number": "777KZA02", "country": "KZ"},
                       speed_kmh=95.0, limit_kmh=60.0) if n % 10 else event("CAM-B", "fight")
                 for n in range(PER_BATCH)]
        answer = client.post("/api/v1/events", data=json.dumps({"events": batch}), content_type="application/json",
                             headers=headers).get_json()
        accepted_ids |= {r["event_id"] for r in answer["results"] if r["status"] == "accepted"}
    total = BATCHES * PER_BATCH
    assert len(accepted_ids) == total  # all of it durably on the stream before any worker runs

    log = tmp_path / "worker.log"
    bus = RedisStreamBus(redis_url, redis_prefix)
    worker = _start_worker(postgres_url, redis_url, redis_prefix, log)
    try:
        deadline = time.monotonic() + 60
        # Kill once something is stored and the worker holds a batch it has read but not acknowledged.
        while time.monotonic() < deadline and worker.poll() is None:
            if _counts(store)[0] >= PER_BATCH and bus.pending("events", "workers") > 0:
                break
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)  # no clean-up, no ack of whatever it was holding
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    stored_before_kill = _counts(store)[0]
    assert 0 < stored_before_kill < total, log.read_text()
    assert bus.pending("events", "workers") > 0  # it died holding unacknowledged messages

    restarted = _start_worker(postgres_url, redis_url, redis_prefix, log)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if _counts(store)[0] == total and bus.pending("events", "workers") == 0:
                break
            assert restarted.poll() is None, log.read_text()
            time.sleep(0.2)
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
        bus.close()

    events, offences, merged = _counts(store)
    assert events == total, log.read_text()
    with store.session() as s:
        stored_ids = set(s.scalars(sa.select(Event.event_id).where(Event.operator_id == world.operator_id)))
    assert stored_ids == accepted_ids  # exactly the accepted ones: none lost, none invented
    assert offences == total * 9 // 10  # one register entry per traffic event, none doubled
    assert merged == total // 10  # every fight counted once in its incident
