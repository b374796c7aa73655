"""Run the benchmarks: jurisdiction lookup and the ingest pipeline, each against a raw baseline.

Environment: KUZET_BENCH_POSTGRES_URL (admin URL; a fresh database is created and dropped), KUZET_BENCH_REDIS_URL
(a fresh key prefix, deleted after), KUZET_BENCH_SECONDS (in-process, 10), KUZET_BENCH_HTTP_SECONDS (60),
KUZET_BENCH_HEARTBEAT_SECONDS (20), KUZET_BENCH_VIDEO_SECONDS (15), KUZET_BENCH_WORKERS (worker processes of the end-to-end run, a list
such as 1,2: one run each, with the throughput per worker). Arguments name the benchmarks to run (all when
none), e.g. `make bench BENCH="http_ingest linking"`. Only 127.0.0.1.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely


def bench_jurisdiction(points: int = 1_000_000) -> str:
    """STRtree lookup of random points in Almaty vs. a brute-force contains over every polygon."""
    from geodata import ALMATY_DISTRICTS, JurisdictionIndex, load_boundaries

    boundaries = load_boundaries(ALMATY_DISTRICTS)
    index = JurisdictionIndex([b.geometry for b in boundaries], list(range(len(boundaries))))
    rng = np.random.default_rng(1)
    lats, lons = rng.uniform(43.15, 43.35, points), rng.uniform(76.75, 77.10, points)
    started = time.perf_counter()
    index.locate_many(lats, lons)
    rate = points / (time.perf_counter() - started)
    sample = 100_000
    started = time.perf_counter()
    for b in boundaries:
        shapely.contains_xy(b.geometry, lons[:sample], lats[:sample])
    brute = sample / (time.perf_counter() - started)
    return f"jurisdiction_points_per_s={rate:.0f} brute_contains_points_per_s={brute:.0f} ratio={rate / brute:.2f}"


def _raw_xadd_per_s(redis_url: str | None) -> float | None:
    if not redis_url or not shutil.which("redis-benchmark"):
        return None
    from urllib.parse import urlparse

    parsed = urlparse(redis_url)
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("benchmarks only talk to this machine")
    key = f"kuzet-bench-{uuid.uuid4().hex[:6]}"
    out = subprocess.run(["redis-benchmark", "-h", parsed.hostname, "-p", str(parsed.port or 6379), "-n", "50000",
                          "-c", "1", "-P", "1", "-q", "XADD", key, "*", "data", "x" * 200],
                         capture_output=True, text=True, check=True).stdout
    subprocess.run(["redis-cli", "-h", parsed.hostname, "-p", str(parsed.port or 6379), "DEL", key],
                   capture_output=True, check=False)
    match = re.search(r"([\d.]+) requests per second", out)
    return float(match.group(1)) if match else None


def bench_ingest(seconds: float) -> str:  # noqa: C901 - one scenario, read top to bottom
    """HTTP batch API -> validated -> bus -> stored by the worker, sustained for ``seconds``."""
    from dashboard import create_app
    from services.store.engine import Store
    from tests.conftest import event, seed_world

    tmp = tempfile.mkdtemp(prefix="kuzet-bench-")
    db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"  # in-process figure: embedded default only
    redis_url = None
    store = Store(db_url)
    store.upgrade()
    world = seed_world(store)
    store.dispose()
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": redis_url, "REDIS_PREFIX": f"kuzet-bench-{uuid.uuid4().hex[:6]}",
                      "SECRET_KEY": "bench", "WORKER_THREAD": False})
    kz = app.extensions["kuzet"]
    stop = threading.Event()
    stored = [0]

    def work() -> None:
        while not stop.is_set() or kz.bus.pending("events", "workers"):
            stored[0] += kz.worker.run_once(block_ms=200)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.api_key}"}
    accepted = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        # Mostly traffic offences, as in real life; a few public-order events open incidents.
        batch = [event("CAM-A", "speeding", category="traffic", plate={"number": "123ABC02", "country": "KZ"},
                       speed_kmh=92.0, limit_kmh=60.0) for _ in range(990)] + [event("CAM-B") for _ in range(10)]
        response = client.post("/api/v1/events", data=json.dumps({"events": batch}), content_type="application/json",
                               headers=headers)
        accepted += response.get_json()["accepted"]
    http_elapsed = time.perf_counter() - started
    stop.set()
    worker.join()
    total_elapsed = time.perf_counter() - started
    kz.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    backend = ("postgresql" if db_url.startswith("postgresql") else "sqlite") + ("+redis" if redis_url else "+inprocess")
    line = (f"ingest_backend={backend} ingest_accepted_per_s={accepted / http_elapsed:.0f} "
            f"ingest_stored_per_s={stored[0] / total_elapsed:.0f}")
    raw = _raw_xadd_per_s(redis_url)
    if raw:
        line += f" raw_xadd_per_s={raw:.0f} ratio={stored[0] / total_elapsed / raw:.2f}"
    return line


def bench_heartbeats(cameras: int = 20_000, seconds: float = 5.0) -> str:
    """Heartbeats over the HTTP API into the last-seen store, flushed to the database; then a full sweep."""
    from datetime import timedelta

    import sqlalchemy as sa

    from dashboard import create_app
    from services.cameras.health import flush, sweep
    from services.store.models import Camera, utcnow
    from services.store.engine import Store
    from tests.conftest import seed_world

    tmp = tempfile.mkdtemp(prefix="kuzet-bench-")
    url = f"sqlite:///{Path(tmp) / 'hb.db'}"
    store = Store(url)
    store.upgrade()
    world = seed_world(store)
    with store.session() as s:
        s.execute(sa.insert(Camera), [{"operator_id": world.operator_id, "external_id": f"HB-{n}", "lat": 43.25,
                                       "lon": 76.92, "department_id": world.almaly_id, "mount_kind": "street",
                                       "address": "", "live_url": "", "health": "unknown",
                                       "outside_boundaries": False, "created_at": utcnow()} for n in range(cameras)])
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WORKER_THREAD": False, "RATE_LIMIT_PER_S": 10**6})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.api_key}", "Content-Type": "application/json"}
    beats = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        offset = beats % cameras
        body = json.dumps({"heartbeats": [{"camera_id": f"HB-{(offset + n) % cameras}"} for n in range(10_000)]})
        beats += client.post("/api/v1/heartbeats", data=body, headers=headers).get_json()["accepted"]
    flush_started = time.perf_counter()
    with store.session() as s:
        touched = flush(s, app.extensions["kuzet"].last_seen)
    total = time.perf_counter() - started
    flush_s = time.perf_counter() - flush_started
    with store.session() as s:
        sweep(s, utcnow())  # first sight: every camera goes from unknown to online
    with store.session() as s:
        # A routine sweep: every camera just beat, so the last-seen index leaves nothing to transition.
        steady_started = time.perf_counter()
        steady = sweep(s, utcnow())
        steady_s = time.perf_counter() - steady_started
    with store.session() as s:
        sweep_started = time.perf_counter()
        result = sweep(s, utcnow() + timedelta(minutes=5))  # everyone silent for 5 min: all evaluated, all offline
        sweep_s = time.perf_counter() - sweep_started
    app.extensions["kuzet"].stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return (f"heartbeats_per_s={beats / total:.0f} flush_cameras_per_s={touched / flush_s:.0f} "
            f"sweep_steady_cameras_per_s={cameras / steady_s:.0f} sweep_steady_changes={len(steady.changes)} "
            f"sweep_all_offline_cameras_per_s={cameras / sweep_s:.0f} sweep_changes={len(result.changes)}")


def _guarded(name: str, run: Callable[[], str | list[str]]) -> None:
    """Print what a benchmark printed; a missing service or browser is reported, not hidden."""
    try:
        out = run()
    except Exception as exc:  # noqa: BLE001 - reported beside the other figures
        print(f"{name}=skipped reason={type(exc).__name__}: {exc}")
        return
    print("\n".join(out) if isinstance(out, list) else out)


def bench_http_ingest(admin_url: str, redis_url: str) -> list[str]:
    """The production pipeline end to end under a city's load, once per number of workers asked for."""
    from benchmarks.http_ingest import bench_http

    seconds = float(os.environ.get("KUZET_BENCH_HTTP_SECONDS", "60"))
    raw = _raw_xadd_per_s(redis_url)
    lines = []
    for workers in (int(n) for n in os.environ.get("KUZET_BENCH_WORKERS", "1").split(",")):
        line = bench_http(admin_url, redis_url, seconds, workers=workers)
        stored = float(line.split("ingest_events_per_s=")[1].split()[0])
        lines.append(line + (f" raw_xadd_per_s={raw:.0f} ratio={stored / raw:.2f}" if raw else ""))
    return lines


def main(argv: list[str]) -> int:
    """Run the benchmarks named in ``argv`` (all when none) and print one line each."""
    logging.basicConfig(level=logging.WARNING)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    admin_url = os.environ.get("KUZET_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("KUZET_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

    def imported(module: str, name: str, *args: Any) -> Callable[[], Any]:
        return lambda: getattr(importlib.import_module(f"benchmarks.{module}"), name)(*args)

    parts: dict[str, Callable[[], Any]] = {
        "jurisdiction": lambda: bench_jurisdiction(),
        "ingest": lambda: bench_ingest(float(os.environ.get("KUZET_BENCH_SECONDS", "10"))),
        "heartbeats": lambda: bench_heartbeats(),
        "linking": imported("linking", "bench_linking", admin_url),
        "stats": imported("stats", "bench_stats", admin_url),
        "replay": imported("replay", "bench_replay", admin_url),
        "settlement": imported("settlement", "bench_settlement", admin_url),
        "wall_render": imported("wall_render", "bench_wall_render"),
        "video_proxy": imported("video_proxy", "bench_video_proxy", admin_url, redis_url,
                                float(os.environ.get("KUZET_BENCH_VIDEO_SECONDS", "15"))),
        "http_ingest": lambda: bench_http_ingest(admin_url, redis_url),
        "http_heartbeats": imported("http_ingest", "bench_http_heartbeats", admin_url, redis_url,
                                    float(os.environ.get("KUZET_BENCH_HEARTBEAT_SECONDS", "20"))),
    }
    unknown = [name for name in argv if name not in parts]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from: {' '.join(parts)}", file=sys.stderr)
        return 2
    for name in argv or list(parts):
        _guarded(name, parts[name])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
