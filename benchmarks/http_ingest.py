"""Ingest end to end over real HTTP: `kuzet serve` + `kuzet worker` on PostgreSQL and Redis, several
signing client processes sending a city's load (2,000 cameras over the districts, varied offences and
plates, 3 % public-order events of varied types), a sustained window; printed beside PostgreSQL's raw COPY
of the same rows with their offences and redis-benchmark's raw XADD rate."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
KUZET = [sys.executable, "-m", "dashboard.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post_signed(http: requests.Session, url: str, key: str, body: bytes, counter: "multiprocessing.Value") -> None:
    """One signed POST, as an operator sends it; what the centre accepted is added to ``counter``."""
    from services.access.operators import sign

    stamp = str(int(time.time()))
    answer = http.post(url, data=body, timeout=30, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", "X-Kuzet-Timestamp": stamp,
        "X-Kuzet-Signature": sign(key, stamp, body)})
    if answer.status_code == 202:
        with counter.get_lock():
            counter.value += answer.json()["accepted"]


CITY_CAMERAS = 2_000
PUBLIC_ORDER_SHARE = 0.03  # the rest are traffic offences, as on a city's cameras
OFFENCES = ("speeding", "speeding", "speeding", "red_light", "red_light", "stop_line", "lane_violation", "bus_lane",
            "phone_use", "no_seatbelt", "wrong_way", "pedestrian_crossing")
DISTURBANCES = ("fight", "crowd", "intrusion", "loitering", "abandoned_object", "vandalism", "fall", "fire_smoke")
PLATE_LETTERS = "ABCDEFHKLMNOPRSTUXYZ"
REGIONS = ("02", "02", "02", "02", "05", "01", "17", "13")  # mostly Almaty plates, some from elsewhere


def city_load(rng: random.Random, cameras: list[str], roads: list[str], events: int) -> list[dict[str, Any]]:
    """``events`` v1 events as a city's cameras send them: offences with varied plates on road cameras,
    and a few per cent of public-order events of varied types on all the cameras."""
    from tests.conftest import event

    out = []
    for _ in range(events):
        if rng.random() < PUBLIC_ORDER_SHARE:
            out.append(event(rng.choice(cameras), rng.choice(DISTURBANCES)))
            continue
        kind = rng.choice(OFFENCES)
        plate = (f"{rng.randrange(1000):03d}{''.join(rng.choice(PLATE_LETTERS) for _ in range(3))}"
                 f"{rng.choice(REGIONS)}")
        extra: dict[str, Any] = {"plate": {"number": plate, "country": "KZ"}}
        if kind == "speeding":
            limit = rng.choice((40.0, 60.0, 60.0, 80.0))
            extra.update(speed_kmh=round(limit + rng.uniform(11, 60), 1), limit_kmh=limit)
        out.append(event(rng.choice(roads), kind, category="traffic", **extra))
    return out


def _client(url: str, key: str, seconds: float, counter: "multiprocessing.Value", start: Any,
            cameras: list[str], roads: list[str], seed: int) -> None:
    http = requests.Session()
    rng = random.Random(seed)
    # Bodies are built before the clock starts: the figure is the centre's, not the load generator's.
    bodies = [json.dumps({"events": city_load(rng, cameras, roads, 1000)}, separators=(",", ":")).encode()
              for _ in range(int(seconds * 10))]
    start.wait()  # every client has its bodies: the clock starts now
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and bodies:
        _post_signed(http, f"{url}/api/v1/events", key, bodies.pop(), counter)
    if not bodies:
        print("bench client ran out of bodies before the end: the figure is a lower bound", file=sys.stderr)


def register_city(store: Any, operator_id: int, count: int = CITY_CAMERAS, seed: int = 2026) -> tuple[list[str], list[str]]:
    """``count`` cameras of the operator at random points of Almaty's districts; (all ids, road camera ids)."""
    import numpy as np

    from services.geo.routing import Router
    from services.store.models import Camera

    rng = random.Random(seed)
    mounts = ("road",) * 12 + ("street",) * 5 + ("yard", "school", "transport")
    with store.session() as s:
        router = Router.from_session(s)
        lats = np.array([43.18 + rng.random() * 0.17 for _ in range(count * 2)])
        lons = np.array([76.80 + rng.random() * 0.25 for _ in range(count * 2)])
        placed = [(lat, lon, where) for lat, lon, where in zip(lats, lons, router.resolve_many(lats, lons))
                  if not where.outside_boundaries][:count]
        ids, roads = [], []
        for n, (lat, lon, where) in enumerate(placed):
            external, mount = f"CITY-{n:04d}", mounts[n % len(mounts)]
            s.add(Camera(operator_id=operator_id, external_id=external, lat=float(lat), lon=float(lon),
                         mount_kind=mount, department_id=where.department_id, district_id=where.district_id))
            ids.append(external)
            if mount == "road":
                roads.append(external)
    return ids, roads


def raw_copy_per_s(db_url: str, rows: int = 200_000) -> float:
    """PostgreSQL's own COPY rate for the rows just stored, events with their offences, into copies of the
    tables with the same indexes: the store's limit that the end-to-end figure is read against."""
    import psycopg

    conninfo = sa.make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
        conn.execute("CREATE TABLE raw_offences (LIKE offences INCLUDING ALL)")
        with conn.cursor() as cursor:
            events, offences = bytearray(), bytearray()
            with cursor.copy(f"COPY (SELECT * FROM events ORDER BY id LIMIT {rows}) TO STDOUT") as copy:
                for chunk in copy:
                    events += chunk
            with cursor.copy(f"COPY (SELECT o.* FROM offences o JOIN (SELECT id FROM events ORDER BY id LIMIT {rows}) e "
                             "ON e.id = o.event_id) TO STDOUT") as copy:
                for chunk in copy:
                    offences += chunk
            copied = conn.execute("SELECT count(*) FROM (SELECT id FROM events ORDER BY id LIMIT %s) e", (rows,)).fetchone()[0]
            started = time.perf_counter()
            with conn.transaction():
                with cursor.copy("COPY raw_events FROM STDIN") as copy:
                    copy.write(bytes(events))
                with cursor.copy("COPY raw_offences FROM STDIN") as copy:
                    copy.write(bytes(offences))
            elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE raw_events, raw_offences")
    return copied / elapsed


def _beats_client(url: str, key: str, seconds: float, cameras: int, counter: "multiprocessing.Value",
                  start: Any) -> None:

    http = requests.Session()
    bodies = [json.dumps({"heartbeats": [{"camera_id": f"HB-{(n * 10_000 + i) % cameras}"} for i in range(10_000)]},
                         separators=(",", ":")).encode() for n in range(max(2, cameras // 10_000))]
    start.wait()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        _post_signed(http, f"{url}/api/v1/heartbeats", key, bodies[n % len(bodies)], counter)
        n += 1


def bench_http_heartbeats(admin_url: str, redis_url: str, seconds: float = 20.0, clients: int = 2,
                          cameras: int = 40_000) -> str:
    """Heartbeats over real HTTP into the Redis last-seen hash, flushed to PostgreSQL by the worker's sweeper."""
    from services.store.models import Camera, utcnow

    with _pipeline(admin_url, redis_url) as (db_url, store, world, url):
        with store.session() as s:
            s.execute(sa.insert(Camera), [{"operator_id": world.operator_id, "external_id": f"HB-{n}", "lat": 43.25,
                                           "lon": 76.92, "department_id": world.almaly_id, "mount_kind": "street",
                                           "address": "", "live_url": "", "health": "unknown",
                                           "outside_boundaries": False, "created_at": utcnow()}
                                          for n in range(cameras)])
        started_at = utcnow()
        counter = multiprocessing.Value("q", 0)
        go = multiprocessing.Event()
        procs = [multiprocessing.Process(target=_beats_client, args=(url, world.api_key, seconds, cameras, counter, go))
                 for _ in range(clients)]
        for proc in procs:
            proc.start()
        time.sleep(3)  # bodies built
        began = time.monotonic()
        go.set()
        for proc in procs:
            proc.join()
        elapsed = time.monotonic() - began

        def flushed() -> int:
            with store.session() as s:
                return s.scalar(sa.select(sa.func.count(Camera.id)).where(Camera.last_seen_at >= started_at)) or 0

        deadline = time.monotonic() + 30
        while flushed() < cameras and time.monotonic() < deadline:
            time.sleep(0.5)  # the worker's sweeper flushes every few seconds
        seen = flushed()
    return (f"http_heartbeats_accepted_per_s={counter.value / elapsed:.0f} heartbeat_cameras={cameras} "
            f"cameras_flushed_to_db={seen} clients={clients} seconds={seconds:.0f}")


@contextmanager
def _pipeline(admin_url: str, redis_url: str, workers: int = 1) -> Iterator[tuple[str, Any, Any, str]]:
    """`kuzet serve` + ``workers`` `kuzet worker` processes on a fresh PostgreSQL database and Redis prefix,
    signing required; yields (database URL, store, seeded world, base URL) and removes everything afterwards."""
    from services.store.engine import Store
    from dashboard.cli import wait_healthy
    from tests.conftest import seed_world

    name = f"kuzet_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    prefix = f"kuzet-bench-{uuid.uuid4().hex[:6]}"
    procs: list[subprocess.Popen[bytes]] = []
    store = Store(db_url)
    try:
        store.upgrade()
        world = seed_world(store)
        with store.session() as s:
            s.execute(sa.text("UPDATE operators SET signing_required = true"))
        port = _free_port()
        env = {**os.environ, "KUZET_DATABASE_URL": db_url, "KUZET_REDIS_URL": redis_url, "KUZET_REDIS_PREFIX": prefix,
               "KUZET_REDIS_ALLOW_VOLATILE": "1",  # a bench Redis: a fresh prefix, thrown away after
               "KUZET_SECRET_KEY": "bench", "KUZET_RATE_LIMIT_PER_S": "100000", "PYTHONPATH": str(REPO)}
        procs.append(subprocess.Popen(KUZET + ["serve", "--port", str(port)], env=env, cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        log = open(os.environ.get("KUZET_BENCH_WORKER_LOG", os.devnull), "wb")  # noqa: SIM115 - lives with the process
        for n in range(1, workers + 1):
            procs.append(subprocess.Popen(KUZET + ["worker", "--name", f"bench-{n}"], env=env, cwd=REPO,
                                          stdout=log, stderr=log))
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, timeout_s=20)
        yield db_url, store, world, url
    finally:
        store.dispose()
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_http(admin_url: str, redis_url: str, seconds: float, clients: int = 3, workers: int = 1) -> str:
    """Run the pipeline with ``workers`` worker processes for ``seconds`` under a city's load; the figures line."""
    with _pipeline(admin_url, redis_url, workers) as (db_url, store, world, url):
        cameras, roads = register_city(store, world.operator_id)
        counter = multiprocessing.Value("q", 0)
        ready = multiprocessing.Barrier(clients + 1)
        senders = [multiprocessing.Process(target=_client, args=(url, world.api_key, seconds, counter, ready,
                                                                 cameras, roads, n))
                   for n in range(clients)]
        for sender in senders:
            sender.start()
        ready.wait()
        started = time.monotonic()
        for sender in senders:
            sender.join()
        http_elapsed = time.monotonic() - started
        accepted = counter.value

        def stored() -> int:
            with store.session() as s:
                return s.scalar(sa.select(sa.func.count()).select_from(sa.text("events"))) or 0

        while stored() < accepted and time.monotonic() - started < seconds * 4 + 60:
            time.sleep(0.5)
        total = time.monotonic() - started
        count = stored()
        with store.session() as s:
            incidents = s.scalar(sa.select(sa.func.count()).select_from(sa.text("incidents"))) or 0
        raw = raw_copy_per_s(db_url)
    # ingest_events_per_s is end to end: events accepted over HTTP and stored by the worker, over the
    # time from the first request until the last accepted event was stored.
    return (f"ingest_events_per_s={count / total:.0f} http_accepted_per_s={accepted / http_elapsed:.0f} "
            f"workers={workers} per_worker_events_per_s={count / total / workers:.0f} "
            f"events_stored={count} incidents_opened={incidents} cameras={len(cameras)} clients={clients} "
            f"seconds={seconds:.0f} raw_copy_events_with_offences_per_s={raw:.0f} "
            f"ratio_to_raw_copy={count / total / raw:.2f}")
