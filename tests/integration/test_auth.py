"""Logins: argon2, lockout, tokens, cookie flags."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.store.models import User
from tests.conftest import PASSWORD, World, login


def test_login_sets_a_strict_httponly_session_and_opens_the_wall(client: FlaskClient, world: World) -> None:
    response = login(client, "duty.a")
    assert response.status_code == 302 and response.headers["Location"].endswith("/wall")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/wall").status_code == 200


def test_five_failures_lock_the_account_even_with_the_right_password(app: Flask, client: FlaskClient, world: World) -> None:
    for _ in range(5):
        assert login(client, "duty.a", "wrong-password").status_code == 401
    locked = login(client, "duty.a", PASSWORD)
    assert locked.status_code == 401 and "слишком много попыток" in locked.get_data(as_text=True)
    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD})
    assert token.status_code == 401
    # Unknown, wrong and locked answer alike: nothing tells an attacker which names exist.
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody.here", "password": "x" * 12})
    wrong = client.post("/api/v1/auth/token", json={"username": "duty.b", "password": "x" * 12})
    assert unknown.get_json()["detail"] == wrong.get_json()["detail"] == token.get_json()["detail"]
    with app.extensions["kuzet"].store.session() as s:
        user = s.scalar(sa.select(User).where(User.username == "duty.a"))
        assert user.password_hash.startswith("$argon2id$")


def test_passwords_are_hashed_with_the_rfc_9106_parameters(tmp_path: object) -> None:
    """What a centre stores (the tests' own process hashes cheaply, see tests/conftest.py)."""
    import subprocess
    import sys

    import argon2

    hashed = subprocess.run([sys.executable, "-c", "from services.access.users import hash_password; "
                             "print(hash_password('correct-horse-42'))"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert argon2.extract_parameters(hashed) == argon2.profiles.RFC_9106_LOW_MEMORY
    assert argon2.PasswordHasher().verify(hashed, "correct-horse-42")


def test_login_form_requires_its_csrf_token(client: FlaskClient, world: World) -> None:
    response = client.post("/login", data={"username": "duty.a", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 400


def test_cross_origin_state_changes_are_refused(client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    response = client.post("/_dash-update-component", json={}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403


def test_tokens_are_short_lived_and_checked(app: Flask, client: FlaskClient, world: World) -> None:
    good = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD}).get_json()
    assert good["token_type"] == "Bearer" and good["expires_in"] == app.extensions["kuzet"].settings.api_token_ttl_s
    ok = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {good['access_token']}"})
    assert ok.status_code == 200
    tampered = good["access_token"][:-2] + ("aa" if not good["access_token"].endswith("aa") else "bb")
    assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    assert client.get("/api/v1/incidents").status_code == 401
    bad = client.post("/api/v1/auth/token", data="nope", content_type="application/json")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


def test_login_page_does_not_redirect_off_site(client: FlaskClient, world: World) -> None:
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=//evil.example/x", data={"username": "duty.a", "password": PASSWORD,
                                                                  "csrf": token})
    assert response.headers["Location"].endswith("/wall")
