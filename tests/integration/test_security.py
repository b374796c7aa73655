"""Forged requests as an attacker sends them: the door holds."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import PASSWORD, World


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
