"""The incidents list reaches every incident a page at a time, and counts them all."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import World, event
from tests.integration.test_duty_work import _auth, _post

TYPES = ("fight", "crowd", "vandalism", "loitering", "motion", "intrusion", "fall")


def test_every_open_incident_is_reached_through_the_pages(app: Flask, client: FlaskClient, world: World) -> None:
    for kind in TYPES:  # different types at one camera open separate incidents
        _post(client, world, event("CAM-A", kind))
    app.extensions["kuzet"].worker.drain()
    headers = _auth(client)
    seen: list[dict] = []
    url: str | None = "/api/v1/incidents?status=open&limit=3"
    pages = 0
    while url:
        body = client.get(url, headers=headers).get_json()
        assert body["total"] == len(TYPES)
        seen += body["incidents"]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert len({i["id"] for i in seen}) == len(TYPES), "no incident twice, none missing"
    order = [(i["priority"], i["created_at"], i["id"]) for i in seen]
    assert order == sorted(order)


def test_a_forged_cursor_is_a_clear_400(client: FlaskClient, world: World) -> None:
    for cursor in ("x", "1.not-a-time.3", "..", "1.2026-12-06T10:00:00+00:00.abc",
                   "1.2024-01-01.99999999999999999999", "99999999999999999999.2024-01-01.1"):
        answer = client.get("/api/v1/incidents", query_string={"after": cursor}, headers=_auth(client))
        assert answer.status_code == 400, cursor
        assert answer.get_json()["title"] == "Неверный курсор"


def test_stray_query_words_do_not_break_the_next_link(app: Flask, client: FlaskClient, world: World) -> None:
    for kind in TYPES[:2]:
        _post(client, world, event("CAM-A", kind))
    app.extensions["kuzet"].worker.drain()
    answer = client.get("/api/v1/incidents", query_string={"limit": 1, "endpoint": "x", "_scheme": "x",
                                                           "_external": "1"}, headers=_auth(client))
    assert answer.status_code == 200
    assert answer.get_json()["next"].startswith("/api/v1/incidents?") and "endpoint" not in answer.get_json()["next"]
