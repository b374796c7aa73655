"""The embedded default (SQLite, no Redis) killed with SIGKILL right after its last 202: nothing accepted is lost.

A real `kuzet serve` process, real HTTP, a real SIGKILL; then a second `kuzet serve` on the same file
stores everything the first one answered `accepted` for, once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from services.store.engine import Store
from services.store.models import Event, QueuedBatch
from tests.conftest import event, free_port, seed_world

KUZET = str(Path(sys.executable).with_name("kuzet"))
BATCHES, PER_BATCH = 5, 1000


def _serve(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KUZET_DATABASE_URL": url, "KUZET_SECRET_KEY": "durability", "KUZET_RATE_LIMIT_PER_S": "100000"}
    env.pop("KUZET_REDIS_URL", None)
    with log.open("ab") as out:
        return subprocess.Popen([KUZET, "serve", "--port", str(port)], env=env, stdout=out, stderr=out,
                                start_new_session=True)


def _up(base: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code < 600:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not come up")


def test_sigkill_right_after_the_last_202_loses_no_accepted_event(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    store = Store(url)
    store.upgrade()
    world = seed_world(store)
    store.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    first = _serve(url, port, log)
    accepted: set[str] = set()
    try:
        _up(base)
        headers = {"Authorization": f"Bearer {world.api_key}"}
        for _ in range(BATCHES):
            batch = [event("CAM-A", "speeding", category="traffic", plate={"number": "777KZA02", "country": "KZ"},
                           speed_kmh=95.0, limit_kmh=60.0) if n % 20 else event("CAM-B", "fight")
                     for n in range(PER_BATCH)]
            answer = requests.post(f"{base}/api/v1/events", json={"events": batch}, headers=headers, timeout=30)
            assert answer.status_code == 202, answer.text
            accepted |= {r["event_id"] for r in answer.json()["results"] if r["status"] == "accepted"}
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # server and worker at once: no clean-up, no flush of anything held
        first.wait(timeout=10)
    assert len(accepted) == BATCHES * PER_BATCH

    second = _serve(url, port, log)
    store = Store(url)
    try:
        _up(base)
        deadline = time.monotonic() + 90
        stored = 0
        while time.monotonic() < deadline:
            with store.session() as s:
                stored = s.scalar(sa.select(sa.func.count(Event.id))) or 0
                waiting = s.scalar(sa.select(sa.func.count(QueuedBatch.id))) or 0
            if stored >= len(accepted) and waiting == 0:
                break
            time.sleep(0.5)
        with store.session() as s:
            ids = set(s.scalars(sa.select(Event.event_id)))
            assert s.scalar(sa.select(sa.func.count(Event.id))) == len(accepted)  # each once
        assert ids == accepted, log.read_text()[-2000:]
        # The lost ids were never "duplicate" for nothing: sending one again is a duplicate of a stored event.
        again = requests.post(f"{base}/api/v1/events", json=event("CAM-A", "fight", event_id=sorted(accepted)[0]),
                              headers={"Authorization": f"Bearer {world.api_key}"}, timeout=10).json()
        assert again["results"][0]["status"] == "duplicate"
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=15)
        store.dispose()
