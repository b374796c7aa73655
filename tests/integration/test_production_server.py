"""`kuzet serve` is a production server (Gunicorn, threaded worker, WebSockets), and several of them share pushes.

Real processes on 127.0.0.1: two `kuzet serve` on their own ports, one PostgreSQL database, one Redis
message queue. A 102 call taken by one process reaches the walls connected to either.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ALMALY_POINT, PASSWORD, _truncate, free_port, seed_world

KUZET = str(Path(sys.executable).with_name("kuzet"))


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([KUZET, "serve", "--port", str(port)], env=env, stdout=out, stderr=out,
                                start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def _up(base: str, timeout_s: float = 40) -> requests.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            return requests.get(f"{base}/healthz", timeout=2)
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not come up")


@pytest.fixture
def two_servers(postgres_url: str, redis_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[tuple[str, str, object]]:
    from services.store.engine import Store

    _truncate(postgres_url)
    store = Store(postgres_url)
    world = seed_world(store)
    store.dispose()
    env = {**os.environ, "KUZET_DATABASE_URL": postgres_url, "KUZET_REDIS_URL": redis_url,
           "KUZET_REDIS_PREFIX": redis_prefix, "KUZET_REDIS_ALLOW_VOLATILE": "1", "KUZET_SECRET_KEY": "shared-secret"}
    ports = free_port(), free_port()
    log = tmp_path / "serve.log"
    processes = [_start(env, port, log) for port in ports]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            assert _up(base).status_code == 200, log.read_text()[-2000:]
        yield bases[0], bases[1], world
    finally:
        for process in processes:
            _stop(process)


def _session(base: str) -> requests.Session:
    web = requests.Session()
    page = web.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = web.post(f"{base}/login", data={"username": "duty.a", "password": PASSWORD, "csrf": token},
                      allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    return web


def test_a_push_reaches_walls_on_both_processes_and_the_server_is_not_werkzeug(two_servers: tuple) -> None:
    first, second, world = two_servers
    health = requests.get(f"{first}/healthz", timeout=10)
    server = health.headers.get("Server", "")
    assert "Werkzeug" not in server and "Python" not in server and not re.search(r"\d", server), server
    web = _session(first)  # one login: the same cookie opens the other process (shared secret and database)
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    got: dict[str, threading.Event] = {first: threading.Event(), second: threading.Event()}
    clients = []
    for base in (first, second):
        client = socketio.Client(reconnection=False)
        client.on("incidents", lambda data, base=base: got[base].set())
        client.connect(f"{base}?department={world.almaly_id}", headers={"Cookie": cookie}, transports=["websocket"],
                       wait_timeout=10)
        clients.append(client)
    try:
        token = requests.post(f"{first}/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD},
                              timeout=30).json()["access_token"]
        created = requests.post(f"{first}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                json={"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1], "type": "fight"})
        assert created.status_code == 201, created.text
        assert got[first].wait(10), "the process that took the call did not push it"
        assert got[second].wait(10), "the other process's wall never heard of it"
    finally:
        for client in clients:
            client.disconnect()


def test_logout_on_one_process_cuts_the_logins_socket_on_the_other(two_servers: tuple) -> None:
    first, second, world = two_servers
    web = _session(first)
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    client = socketio.Client(reconnection=False)
    client.connect(f"{second}?department={world.almaly_id}", headers={"Cookie": cookie}, transports=["websocket"],
                   wait_timeout=10)
    assert client.connected
    web.get(f"{first}/logout", timeout=10)
    deadline = time.monotonic() + 10
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not client.connected, "the other process kept the ended login's socket open"
