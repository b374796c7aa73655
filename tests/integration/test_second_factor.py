"""The TOTP second factor: required for admins, optional for the other roles, codes used once, recovery codes."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pyotp
import pytest
import requests
import socketio
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.cli import main
from services.access import second_factor
from services.access.sessions import disable_user
from services.access.users import create_user
from services.i18n import speaking
from services.store.models import AuditEntry, RecoveryCode, User
from tests.conftest import ADMIN_TOTP_SECRET, PASSWORD, LiveServer, World, credentials, login, totp_code


def _csrf(client: FlaskClient, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _password_step(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password, "csrf": _csrf(client, "/login")})


def _code_step(client: FlaskClient, code: str) -> Any:
    return client.post("/login/code", data={"code": code, "csrf": _csrf(client, "/login/code")})


def _not_a_code(secret: str = ADMIN_TOTP_SECRET) -> str:
    valid = {pyotp.TOTP(secret).at(time.time() + k * 30) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def _secret_on(page: str) -> str:
    return re.search(r'id="enrol-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_an_admins_password_alone_opens_nothing_the_code_does(app: Flask, client: FlaskClient, world: World) -> None:
    answer = _password_step(client, "admin")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/code")
    assert client.get("/wall").status_code == 302, "logged in before the second step"
    assert client.get("/api/v1/incidents").status_code == 401
    wrong = _code_step(client, _not_a_code())
    assert wrong.status_code == 401 and "Отказано" in wrong.get_data(as_text=True)
    right = _code_step(client, totp_code())
    assert right.status_code == 302 and right.headers["Location"].endswith("/wall")
    assert client.get("/wall").status_code == 200
    with app.extensions["kuzet"].store.session() as s:
        entry = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "login").order_by(AuditEntry.id.desc())).first()
        assert entry.actor == "admin" and entry.detail["factor"] == "totp"


def test_a_code_once_used_is_refused_for_the_rest_of_its_window(app: Flask, world: World) -> None:
    code = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
    first, second = app.test_client(), app.test_client()
    _password_step(first, "admin")
    _password_step(second, "admin")
    assert _code_step(first, code).status_code == 302
    assert _code_step(second, code).status_code == 401, "a code seen on the wire opened a second login"


def test_two_logins_with_one_code_at_once_get_one_login(app: Flask, world: World) -> None:
    store = app.extensions["kuzet"].store
    code = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
    results: list[str] = []
    start = threading.Barrier(4)

    def attempt() -> None:
        with store.session() as s:
            user = s.scalar(sa.select(User).where(User.username == "admin"))
            start.wait()
            try:
                results.append(second_factor.verify(s, user, code))
            except second_factor.SecondFactorRefused:
                results.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused", "refused", "refused", "totp"]


def test_wrong_codes_count_towards_the_lockout(client: FlaskClient, world: World) -> None:
    _password_step(client, "admin")
    for _ in range(5):
        assert _code_step(client, "12345x").status_code == 401
    assert _code_step(client, totp_code()).status_code == 401, "the right code after five wrong ones"


def test_the_second_step_expires(client: FlaskClient, world: World) -> None:
    _password_step(client, "admin")
    with client.session_transaction() as state:
        state["mfa"] = {**state["mfa"], "at": time.time() - 301}
    answer = client.get("/login/code")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")


def test_a_new_admin_enrols_with_a_qr_code_and_keeps_recovery_codes(app: Flask, client: FlaskClient,
                                                                    world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        create_user(s, "admin.two", PASSWORD, "admin", None)
    answer = _password_step(client, "admin.two")
    assert answer.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and 'id="enrol-qr"' in page
    secret = _secret_on(page)
    assert client.get("/wall").status_code == 302
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login/enrol", data={"code": _not_a_code(secret), "csrf": csrf}).status_code == 401
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf": csrf})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert client.get("/wall").status_code == 200
    client.get("/logout")
    # From now on the password asks for a code; a recovery code works once.
    assert _password_step(client, "admin.two").headers["Location"].endswith("/login/code")
    recovered = _code_step(client, codes[3].upper())
    assert recovered.status_code == 302 and recovered.headers["Location"].endswith("/account/security")
    assert "9" in client.get("/account/security").get_data(as_text=True)
    client.get("/logout")
    _password_step(client, "admin.two")
    assert _code_step(client, codes[3]).status_code == 401, "a recovery code worked twice"
    with app.extensions["kuzet"].store.session() as s:
        stored = s.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert stored and not any(code.replace("-", "") in h for h in stored for code in codes)


def test_other_roles_may_choose_a_second_factor_and_remove_it(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    page = client.get("/account/security").get_data(as_text=True)
    assert 'id="factor-status"' in page and "выключен" in page
    setup = client.post("/account/security/enrol", data={"csrf": _csrf(client, "/account/security")})
    secret = _secret_on(setup.get_data(as_text=True))
    confirm = client.post("/account/security/enrol", data={"code": pyotp.TOTP(secret).now(),
                                                           "csrf": _csrf(client, "/account/security")})
    assert confirm.status_code == 200 and "recovery-codes" in confirm.get_data(as_text=True)
    client.get("/logout")
    assert _password_step(client, "duty.a").headers["Location"].endswith("/login/code")
    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD})
    assert token.status_code == 401 and token.get_json()["type"].endswith("second-factor-required")
    later = pyotp.TOTP(secret).at(time.time() + 30)  # the enrolment used the current step
    assert _code_step(client, later).status_code == 302
    removed = client.post("/account/security/remove", data={"code": _not_a_code(secret),
                                                            "csrf": _csrf(client, "/account/security")})
    assert removed.status_code == 401
    with app.extensions["kuzet"].store.session() as s:
        user = s.scalar(sa.select(User).where(User.username == "duty.a"))
        user.totp_last_step = None  # the next accepted step is again the current one
    removed = client.post("/account/security/remove", data={"code": pyotp.TOTP(secret).now(),
                                                            "csrf": _csrf(client, "/account/security")})
    assert removed.status_code == 302
    client.get("/logout")
    assert login(client, "duty.a").headers["Location"].endswith("/wall")


def test_an_admin_may_not_switch_the_factor_off(client: FlaskClient, world: World) -> None:
    login(client, "admin")
    forged = client.post("/account/security/remove", data={"code": totp_code(),
                                                           "csrf": _csrf(client, "/account/security")})
    assert forged.status_code == 401 and "должна сохранить второй фактор" in forged.get_data(as_text=True)


def test_tokens_for_enrolled_users_need_the_code(app: Flask, client: FlaskClient, world: World) -> None:
    bare = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert bare.status_code == 401 and bare.get_json()["type"].endswith("second-factor-required")
    wrong = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD, "otp": "123"})
    assert wrong.status_code == 401 and "second" not in wrong.get_json()["type"]
    listed = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD, "otp": ["1"]})
    assert listed.status_code == 401
    good = client.post("/api/v1/auth/token", json=credentials("admin"))
    assert good.status_code == 200 and good.get_json()["access_token"]
    with app.extensions["kuzet"].store.session() as s:
        create_user(s, "admin.new", PASSWORD, "admin", None)
    unenrolled = client.post("/api/v1/auth/token", json={"username": "admin.new", "password": PASSWORD})
    assert unenrolled.status_code == 403 and unenrolled.get_json()["type"].endswith("enrolment-required")


def test_an_admin_resets_a_lost_phone_from_the_command_line(app: Flask, client: FlaskClient, world: World,
                                                            db_url: str) -> None:
    login(client, "admin")
    assert client.get("/wall").status_code == 200
    result = CliRunner().invoke(main, ["users", "reset-2fa", "admin", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "1 sessions" in result.output
    assert client.get("/wall").status_code == 302, "the reset left the login open"
    assert _password_step(client, "admin").headers["Location"].endswith("/login/enrol")
    with speaking("en"):  # the reason in English, whichever language the command line speaks by default
        missing = CliRunner().invoke(main, ["users", "reset-2fa", "nobody", "--db", db_url])
    assert missing.exit_code != 0 and "no user" in missing.output and "Traceback" not in missing.output


def test_the_roles_that_must_enrol_are_a_setting(db_url: str) -> None:
    from dashboard import create_app

    from tests.conftest import seed_world

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "s", "TESTING": True, "WORKER_THREAD": False,
                      "TOTP_REQUIRED_ROLES": "admin,supervisor"})
    try:
        seed_world(app.extensions["kuzet"].store)
        client = app.test_client()
        assert _password_step(client, "super.a").headers["Location"].endswith("/login/enrol")
        assert _password_step(app.test_client(), "duty.a").headers["Location"].endswith("/wall")
    finally:
        app.extensions["kuzet"].stop()
    with pytest.raises(ValueError, match="unknown roles"):
        create_app({"DATABASE_URL": db_url, "SECRET_KEY": "s", "TESTING": True, "WORKER_THREAD": False,
                    "TOTP_REQUIRED_ROLES": "admins"})


def test_disabling_from_a_shell_cuts_the_users_open_socket(live_server: LiveServer) -> None:
    web = requests.Session()
    page = web.get(f"{live_server.url}/login", timeout=10).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    web.post(f"{live_server.url}/login", data={"username": "duty.a", "password": PASSWORD, "csrf": token},
             allow_redirects=False, timeout=30)
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    client = socketio.Client(reconnection=False)
    client.connect(f"{live_server.url}?department={live_server.world.almaly_id}", headers={"Cookie": cookie},
                   transports=["websocket"], wait_timeout=10)
    assert client.connected
    # Another process (a shell's `kuzet users disable`): only the database tells the web process.
    with live_server.app.extensions["kuzet"].store.session() as s:
        assert len(disable_user(s, "cli", "duty.a")) == 1
    deadline = time.monotonic() + 10
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not client.connected, "the disabled user's wall kept its socket"
