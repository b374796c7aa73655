"""Shared fixtures: app, client, runner, db, redis, live_server, and a small seeded world.

PostgreSQL and Redis are real. Each test run gets its own PostgreSQL database and its own Redis
key prefix, so runs never collide with each other or with a demo left running. With CI=true an
unreachable service fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from services.store.models import Base
from services.store.engine import Store

RUN_ID = uuid.uuid4().hex[:8]
POSTGRES_ADMIN_URL = os.environ.get("KUZET_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_BASE_URL = os.environ.get("KUZET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ALMALY_POINT = (43.2567, 76.9286)
BOSTANDYK_POINT = (43.2220, 76.9200)


def pytest_configure(config: pytest.Config) -> None:
    """Hash passwords with argon2's cheapest parameters in this process, as Django's test settings use a fast hasher.

    The seeded world hashes seven passwords and most tests log in: at the production parameters (RFC 9106,
    64 MiB, asserted in tests/integration/test_auth.py) that is 1.5 s of every test's setup. The same
    library, code path and hash format run; servers started as processes keep the production parameters.
    """
    from argon2 import PasswordHasher, profiles

    from services.access import users

    users._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    users._DUMMY_HASH = users._hasher.hash("kuzet-dummy-password")


def _unavailable(what: str, error: Exception) -> None:
    if IN_CI:
        pytest.fail(f"{what} is unreachable in CI: {error}")
    pytest.skip(f"{what} unreachable here: {error}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped afterwards."""
    name = f"kuzet_test_{RUN_ID}"
    try:
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not reachable"
        _unavailable("PostgreSQL", exc)
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.upgrade()
    store.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The real Redis; the key prefix below keeps this run's keys apart."""
    import redis

    client = redis.Redis.from_url(REDIS_BASE_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable("Redis", exc)
    yield REDIS_BASE_URL
    for key in client.scan_iter(f"kuzet-test-{RUN_ID}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def redis_prefix(request: pytest.FixtureRequest) -> str:
    """A Redis key prefix unique to this test."""
    return f"kuzet-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"


def _truncate(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """The same tests on both backends: a fresh SQLite file, or this run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kuzet.db'}"
        store = Store(url)
        store.upgrade()
        store.dispose()
        return url
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Store]:
    """A migrated store on the parametrised backend."""
    store = Store(db_url)
    yield store
    store.dispose()


@dataclass
class World:
    """A small seeded world: Almaty's departments, two duty officers, an operator and its cameras."""

    almaly_id: int
    bostandyk_id: int
    api_key: str
    other_key: str
    operator_id: int
    cameras: dict[str, int]
    units: dict[str, int]


PASSWORD = "correct-horse-42"
# The seeded admin's authenticator (admins must have one); tests compute its codes with pyotp.
ADMIN_TOTP_SECRET = "KUZETTESTADMINTOTPSECRETBASE32AA"


def enrol_for_tests(session: Any, user: Any, secret: str = ADMIN_TOTP_SECRET) -> None:
    """Enrol a user's second factor with a known secret, through the service (confirming a code from it)."""
    from services.access import second_factor

    second_factor.begin_enrolment(session, user)
    user.totp_pending_secret = secret
    import pyotp

    second_factor.confirm_enrolment(session, user, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # enrolment used the current step; the first login in a test may use it again
    _steps_used.pop(secret, None)  # a fresh database has seen no code of this secret yet


def credentials(username: str, password: str = PASSWORD) -> dict[str, str]:
    """The body of POST /api/v1/auth/token for a seeded user: the admin adds a current code."""
    body = {"username": username, "password": password}
    return body | {"otp": totp_code()} if username == "admin" else body


_steps_used: dict[str, int] = {}


def totp_code(secret: str = ADMIN_TOTP_SECRET) -> str:
    """A code the server accepts now: the current step, or the next one when this run already used it.

    A server refuses a step once used (RFC 6238 5.2), so a second login in the same 30 s takes the
    next step, which the server accepts for clock drift; a third waits for the step to pass.
    """
    import time

    import pyotp

    now = int(time.time() // 30)
    used = _steps_used.get(secret, -1)
    step = now if used < now else used + 1
    if step > now + 1:
        time.sleep((step - 1) * 30 - time.time() + 0.05)
    _steps_used[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


def seed_world(store: Store, current: bool = True) -> World:
    """Seed departments from the real boundaries, users per role, one operator with two cameras.

    ``current=False`` leaves out the logins and the shipped procedures, for a database at an older
    revision than their models.
    """
    from services.store.models import Camera, Department, Operator, Unit
    from services.access.operators import create_operator, issue_key
    from services.geo.routing import Router
    from services.geo.departments import seed_defaults, seed_departments
    from services.access.users import create_user

    with store.session() as s:
        if current:
            seed_defaults(s)
        seed_departments(s)
        almaly = s.scalar(sa.select(Department).where(Department.code == "almaty-almaly"))
        bostandyk = s.scalar(sa.select(Department).where(Department.code == "almaty-bostandyk"))
        if current:
            create_user(s, "duty.a", PASSWORD, "duty_officer", "almaty-almaly")
            create_user(s, "duty.b", PASSWORD, "duty_officer", "almaty-bostandyk")
            create_user(s, "super.a", PASSWORD, "supervisor", "almaty-almaly")
            create_user(s, "chief", PASSWORD, "chief", "almaty-city")
            create_user(s, "trainer.a", PASSWORD, "trainer", "almaty-almaly")
            admin = create_user(s, "admin", PASSWORD, "admin", None)
            enrol_for_tests(s, admin)
        # Unsigned for brevity in most tests; signing has its own tests (tests/integration/test_signing.py).
        if current:
            operator = create_operator(s, "Test Operator LLP", signing_required=False)
            other = create_operator(s, "Other Operator LLP", signing_required=False)
        else:  # the columns an older revision has: the models' newer ones are not in its tables yet
            operator, other = (Operator(id=s.scalar(sa.text(
                "INSERT INTO operators (name, signing_required, created_at) VALUES (:n, false, :t) RETURNING id"),
                {"n": name, "t": datetime.now(timezone.utc)})) for name in ("Test Operator LLP", "Other Operator LLP"))
        key = issue_key(s, operator)
        other_key = issue_key(s, other)
        router = Router.from_session(s)
        cameras = {}
        for ext, (lat, lon) in {"CAM-A": ALMALY_POINT, "CAM-B": BOSTANDYK_POINT}.items():
            where = router.resolve(lat, lon)
            if current:
                cam = Camera(operator_id=operator.id, external_id=ext, lat=lat, lon=lon, mount_kind="street",
                             address=f"test {ext}", department_id=where.department_id, district_id=where.district_id)
                s.add(cam)
                s.flush()
                cameras[ext] = cam.id
                continue
            cameras[ext] = s.scalar(sa.text(
                "INSERT INTO cameras (operator_id, external_id, lat, lon, mount_kind, address, live_url, department_id,"
                " district_id, outside_boundaries, health, created_at) VALUES (:o, :e, :lat, :lon, 'street', :a, '',"
                " :d, :di, false, 'unknown', :t) RETURNING id"),
                {"o": operator.id, "e": ext, "lat": lat, "lon": lon, "a": f"test {ext}", "d": where.department_id,
                 "di": where.district_id, "t": datetime.now(timezone.utc)})
        units = {}
        # ALM-1 stands ~300 m from CAM-A, ALM-2 ~2 km away; BOS-1 in Bostandyk.
        for call_sign, dept, (lat, lon) in [("ALM-1", almaly.id, (43.2594, 76.9286)),
                                            ("ALM-2", almaly.id, (43.2567, 76.9530)),
                                            ("BOS-1", bostandyk.id, (43.2200, 76.9210))]:
            unit = Unit(call_sign=call_sign, department_id=dept, lat=lat, lon=lon)
            s.add(unit)
            s.flush()
            units[call_sign] = unit.id
        return World(almaly.id, bostandyk.id, key, other_key, operator.id, cameras, units)


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """The app on the parametrised backend, in-process bus, worker driven by the test."""
    from dashboard import create_app

    application = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True,
                              "WORKER_THREAD": False})
    yield application
    application.extensions["kuzet"].stop()


@pytest.fixture
def world(app: Flask) -> World:
    """The seeded world inside the app's database."""
    return seed_world(app.extensions["kuzet"].store)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask test client."""
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    """Runs the ``kuzet`` command in-process."""
    return CliRunner()


def event(camera: str = "CAM-A", event_type: str = "fight", **extra: Any) -> dict[str, Any]:
    """A valid v1 public-order event."""
    body: dict[str, Any] = {
        "spec": "kuzet.event/1", "event_id": f"ev-{uuid.uuid4().hex}", "camera_id": camera,
        "occurred_at": datetime.now(timezone.utc).isoformat(), "category": "public_order",
        "type": event_type, "confidence": 0.9,
    }
    body.update(extra)
    return body


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Log in through the real form, CSRF token included."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"username": username, "password": password, "csrf": token})
    if answer.status_code == 302 and answer.headers["Location"].endswith("/login/code"):
        page = client.get("/login/code").get_data(as_text=True)
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        answer = client.post("/login/code", data={"code": totp_code(), "csrf": token})
    return answer


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_in_thread(application: Flask) -> str:
    """Serve the app (HTTP and WebSockets) on a free 127.0.0.1 port in a daemon thread; returns its base URL."""
    port = free_port()
    threading.Thread(target=application.extensions["kuzet"].socketio.run, daemon=True,
                     kwargs={"app": application, "host": "127.0.0.1", "port": port, "allow_unsafe_werkzeug": True,
                             "log_output": False}).start()
    base = f"http://127.0.0.1:{port}"
    from dashboard.cli import wait_healthy

    wait_healthy(base, timeout_s=10)
    return base


@dataclass
class LiveServer:
    """A real Kuzet serving HTTP and WebSockets on 127.0.0.1, worker thread running."""

    url: str
    app: Flask
    world: World


@pytest.fixture
def live_server(tmp_path: Any) -> Iterator[LiveServer]:
    """Kuzet on a free port (SQLite, in-process bus), as `kuzet serve` runs it."""
    from dashboard import create_app

    url = f"sqlite:///{tmp_path / 'live.db'}"
    store = Store(url)
    store.upgrade()
    world = seed_world(store)
    store.dispose()
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "live-secret"})
    base = serve_in_thread(application)
    yield LiveServer(base, application, world)
    application.extensions["kuzet"].stop()
