"""Forged requests as an attacker sends them: the door holds."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import credentials, PASSWORD, World


def _login_to(client: FlaskClient, next_path: str) -> tuple[int, str]:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post(f"/login?next={next_path}", data={"username": "duty.a", "password": PASSWORD,
                                                           "csrf": token})
    return answer.status_code, answer.headers.get("Location", "")


def test_next_sends_only_to_a_path_of_this_site(client: FlaskClient, world: World) -> None:
    for forged in ("/%09/evil.example/phish", "//evil.example", "/%5Cevil.example", "/%5C%5Cevil.example",
                   "https://evil.example/", "/%0a/evil.example", "/%0d%0aSet-Cookie:%20x=1", "%2F%2Fevil.example",
                   "/\\evil.example", "javascript:alert(1)"):
        status, location = _login_to(client, forged)
        assert status == 302, (forged, status)
        assert location == "/wall", (forged, location)
        client.get("/logout")
    status, location = _login_to(client, "/replay?incident=3")
    assert status == 302 and location == "/replay?incident=3"


def test_logout_ends_the_session_on_the_server_a_copied_cookie_included(app: object, client: FlaskClient,
                                                                        world: World) -> None:
    from tests.conftest import login

    login(client, "duty.a")
    assert client.get("/api/v1/incidents").status_code == 200
    stolen = client.get_cookie("session").value  # what an attacker copied before the officer left
    socketio = app.extensions["kuzet"].socketio  # type: ignore[attr-defined]
    socket = socketio.test_client(app, flask_test_client=client, query_string=f"department={world.almaly_id}")
    assert socket.is_connected()
    client.get("/logout")
    assert not socket.is_connected()  # the open socket of that login is cut
    replayed = app.test_client()  # type: ignore[attr-defined]
    replayed.set_cookie("session", stolen)
    assert replayed.get("/api/v1/incidents").status_code == 401
    assert replayed.get("/wall", follow_redirects=False).status_code in (302, 401)
    again = socketio.test_client(app, flask_test_client=replayed, query_string=f"department={world.almaly_id}")
    assert not again.is_connected()


def test_a_revoked_or_disabled_users_tokens_stop_working(app: object, client: FlaskClient, world: World,
                                                         db_url: str) -> None:
    from click.testing import CliRunner

    from dashboard.cli import main

    def token() -> dict[str, str]:
        answer = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD}).get_json()
        return {"Authorization": f"Bearer {answer['access_token']}"}

    first, second = token(), token()
    assert client.get("/api/v1/incidents", headers=first).status_code == 200
    assert client.post("/api/v1/auth/revoke", headers=first).status_code == 200
    assert client.get("/api/v1/incidents", headers=first).status_code == 401
    assert client.get("/api/v1/incidents", headers=second).status_code == 200  # another login goes on
    disabled = CliRunner().invoke(main, ["users", "disable", "duty.a", "--db", db_url])
    assert disabled.exit_code == 0 and "1 sessions and tokens ended" in disabled.output, disabled.output
    assert client.get("/api/v1/incidents", headers=second).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD}).status_code == 401


def test_parallel_guesses_get_no_more_checks_than_the_lockout_allows(live_server: object,
                                                                      monkeypatch: object) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from services.access import users

    checked: list[str] = []
    lock = threading.Lock()
    real = users._verify

    def counting(hashed: str, password: str) -> bool:
        if hashed != users._DUMMY_HASH:
            with lock:
                checked.append(password)
        return real(hashed, password)

    monkeypatch.setattr(users, "_verify", counting)  # type: ignore[attr-defined]  # counts, the real check runs
    url = f"{live_server.url}/api/v1/auth/token"  # type: ignore[attr-defined]
    guesses = [f"guess-{n:02d}-wrong" for n in range(40)]
    guesses[9] = PASSWORD  # the right one, tenth as in the attack that got through
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda p: requests.post(url, json={"username": "duty.a", "password": p},
                                                        timeout=60).status_code, guesses))
    assert len(checked) <= 5, len(checked)
    assert answers.count(200) <= (1 if PASSWORD in checked else 0)
    assert set(answers) <= {200, 401, 429}


def test_a_flood_from_one_address_is_cut_off_before_any_check(app: Flask, client: FlaskClient, world: World) -> None:
    app.extensions["kuzet"].guard.per_second = 10**6  # the address's limit here; the centre's is the next test
    answers = [client.post("/api/v1/auth/token", json={"username": f"nobody{n}", "password": "x" * 12}).status_code
               for n in range(40)]
    assert answers[:30] == [401] * 30 and set(answers[30:]) == {429}
    throttled = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


def test_the_centre_checks_no_more_passwords_a_second_than_its_limit_from_any_number_of_addresses(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from dashboard import create_app
    from tests.conftest import seed_world

    monkeypatch.setenv("KUZET_TRUSTED_PROXIES", "1")
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False,
                      "LOGIN_PER_SECOND": 20})
    try:
        seed_world(app.extensions["kuzet"].store)
        client = app.test_client()
        started = time.monotonic()
        answers = [client.post("/api/v1/auth/token", json={"username": f"x{n}", "password": "y" * 12},
                               headers={"X-Forwarded-For": f"10.0.{n // 250}.{n % 250}"}).status_code
                   for n in range(60)]  # a botnet: every guess from another address
        seconds = time.monotonic() - started
        assert set(answers) == {401, 429}
        assert answers.count(401) <= 20 * (int(seconds) + 1)  # 20 in each one-second window at most
    finally:
        app.extensions["kuzet"].stop()


def test_a_transfer_goes_only_to_a_neighbour_or_the_city(app: object, world: World) -> None:
    import sqlalchemy as sa

    from services.duty import actions
    from services.errors import Invalid
    from services.geo.routing import Router
    from services.store.models import Department, User

    store = app.extensions["kuzet"].store  # type: ignore[attr-defined]
    with store.session() as s:
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        elsewhere = Department(code="astana-test", name_ru="Тестовое УП Астаны", name_kk="Астана", name_en="Astana",
                               city="Астана")
        s.add(elsewhere)
        s.flush()
        far = elsewhere.id
        incident = actions.create_call(s, officer, Router.from_session(s), lat=43.2567, lon=76.9286,
                                       incident_type="fight")
        incident_id = incident.id
    with store.session() as s:
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        try:
            actions.transfer(s, officer, incident_id, department_id=far, reason="не наш")
            raise AssertionError("a transfer to Astana was taken")
        except Invalid as refused:
            assert refused.errors[0]["pointer"] == "/department_id"
    with store.session() as s:
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        moved = actions.transfer(s, officer, incident_id, department_id=world.bostandyk_id, reason="их район")
        assert moved.department_id == world.bostandyk_id


def test_csv_exports_keep_formulas_as_text(client: FlaskClient, world: World) -> None:
    import csv
    import io

    registered = client.put("/api/v1/cameras/CAM-F", headers={"Authorization": f"Bearer {world.api_key}"},
                            json={"lat": 43.2567, "lon": 76.9286, "address": '=HYPERLINK("https://evil.example","x")'})
    assert registered.status_code in (200, 201)
    from tests.conftest import login

    login(client, "chief")
    export = client.get("/coverage/export/cameras.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    addresses = [r[6] for r in rows[1:]]
    assert "'=HYPERLINK(\"https://evil.example\",\"x\")" in addresses
    assert not any(a.startswith(("=", "+", "-", "@")) for a in addresses)


def test_retention_masks_old_personal_data_and_keeps_the_register_whole(app: object, client: FlaskClient,
                                                                        world: World, db_url: str) -> None:
    from datetime import timedelta

    import sqlalchemy as sa
    from click.testing import CliRunner

    from dashboard.cli import main
    from services.duty import actions
    from services.geo.routing import Router
    from services.store.models import AuditEntry, Event, Incident, Offence, User, utcnow
    from tests.conftest import event

    answer = client.post("/api/v1/events", headers={"Authorization": f"Bearer {world.api_key}"}, json={"events": [
        event("CAM-A", "speeding", category="traffic", plate={"number": "123ABC02", "country": "KZ"}, speed_kmh=95.0,
              limit_kmh=60.0, media=[{"kind": "snapshot", "url": "https://op.example/s.jpg"}]),
        event("CAM-A", "speeding", category="traffic", plate={"number": "777KZA02", "country": "KZ"}, speed_kmh=90.0,
              limit_kmh=60.0)]})
    assert answer.status_code == 202
    app.extensions["kuzet"].worker.drain()  # type: ignore[attr-defined]
    store = app.extensions["kuzet"].store  # type: ignore[attr-defined]
    with store.session() as s:
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        call = actions.create_call(s, officer, Router.from_session(s), lat=43.2567, lon=76.9286, incident_type="fight",
                                   description="звонил +7 701 123 45 67", caller_name="Иванов Иван",
                                   caller_phone="+7 701 123 45 67")
        old = utcnow() - timedelta(days=400)
        first = s.scalar(sa.select(Offence.id).order_by(Offence.id))
        s.execute(sa.update(Offence).where(Offence.id == first).values(occurred_at=old))
        s.execute(sa.update(Event).where(Event.id == s.scalar(sa.select(Offence.event_id).where(Offence.id == first)))
                  .values(occurred_at=old))
        s.execute(sa.update(Incident).where(Incident.id == call.id).values(created_at=old))
        offences_before = s.scalar(sa.select(sa.func.count(Offence.id)))
    done = CliRunner().invoke(main, ["retention", "run", "--days", "365", "--db", db_url])
    assert done.exit_code == 0 and "1 offences" in done.output, done.output
    with store.session() as s:
        plates = dict(s.execute(sa.select(Offence.id, Offence.plate)).all())
        assert plates[first] == "*** *** 02" and "777KZA02" in plates.values()  # the recent one is untouched
        assert s.scalar(sa.select(sa.func.count(Offence.id))) == offences_before  # every row and id stays
        record = s.scalar(sa.select(Event.record).join(Offence, Offence.event_id == Event.id).where(Offence.id == first))
        assert record["plate"]["number"] == "*** *** 02" and "media" not in record
        masked = s.get(Incident, call.id)
        assert "123 45 67" not in masked.description and masked.caller_name == "[name]"
        assert masked.caller_phone == "[phone]"
        assert s.scalar(sa.select(AuditEntry.actor).where(AuditEntry.action == "retention.run")) == "cli"
    again = CliRunner().invoke(main, ["retention", "run", "--days", "365", "--db", db_url])
    assert again.exit_code == 0 and "0 offences" in again.output  # the watermark: nothing read twice


def test_the_findings_that_were_500s_on_postgresql_are_4xx(client: FlaskClient, world: World) -> None:
    token = client.post("/api/v1/auth/token", json=credentials("admin")).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for method, path, body in (
            ("put", "/api/v1/policy", {"incident_type": "fight", "priority": 1, "department_id": 999999}),
            ("put", "/api/v1/policy", {"incident_type": "fight", "priority": True}),
            ("put", "/api/v1/sop/fight", {"steps": [{"text": "a\x00b", "mandatory": True}]}),
            ("post", "/api/v1/incidents", {"lat": 43.2567, "lon": 76.9286, "type": "fight", "description": "a\x00b"}),
            ("post", "/api/v1/incidents/1/transitions", {"action": ["acknowledge"]})):
        answer = getattr(client, method)(path, json=body, headers=headers)
        assert 400 <= answer.status_code < 500, (path, body, answer.status_code)
        assert answer.mimetype == "application/problem+json"
    deep = client.post("/api/v1/auth/token", data="[" * 5000 + "]" * 5000, content_type="application/json")
    assert deep.status_code == 400


def test_behind_a_trusted_proxy_the_login_limits_count_the_clients_address(db_url: str,
                                                                          monkeypatch: object) -> None:
    from dashboard import create_app

    monkeypatch.setenv("KUZET_TRUSTED_PROXIES", "1")  # type: ignore[attr-defined]
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "t", "TESTING": True, "WORKER_THREAD": False,
                      "LOGIN_PER_SECOND": 1_000_000})  # the address's limit is tested here, not the centre's
    try:
        from tests.conftest import seed_world

        seed_world(app.extensions["kuzet"].store)
        client = app.test_client()
        flood = [client.post("/api/v1/auth/token", json={"username": f"x{n}", "password": "y" * 12},
                             headers={"X-Forwarded-For": "10.0.0.66"}).status_code for n in range(31)]
        assert flood[-1] == 429  # that client is cut off ...
        officer = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD},
                              headers={"X-Forwarded-For": "10.0.0.7"})
        assert officer.status_code == 200  # ... not everyone behind the same load balancer
    finally:
        app.extensions["kuzet"].stop()
