"""GET /api/v1/stats: scoped like the page, refused to everyone else, bad input answered clearly."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, World
from tests.integration.test_stats import SHIFT, incident


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _seed(app: Flask, world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        for n in range(1, 5):
            incident(s, world, SHIFT.start + timedelta(minutes=n), taken=n * 10, dispatched=n * 20)
        incident(s, world, SHIFT.start + timedelta(minutes=9), taken=7, department_id=world.bostandyk_id)


def test_each_role_sees_its_own_scope_and_no_more(app: Flask, client: FlaskClient, world: World) -> None:
    _seed(app, world)
    window = {"from": SHIFT.start.isoformat(), "to": SHIFT.end.isoformat()}
    supervisor = client.get("/api/v1/stats", query_string=window, headers=_token(client, "super.a"))
    assert supervisor.status_code == 200
    body = supervisor.get_json()
    assert body["incidents"] == 4 and body["department_ids"] == [world.almaly_id]
    assert body["time_to_acknowledge_s"]["median"] == 25.0 and body["time_to_dispatch_s"]["target_s"] == 60
    assert set(body["by_priority"]) == {"2"} and body["by_officer"][0]["officer"] == "duty.a"
    other = client.get("/api/v1/stats", query_string={**window, "department": world.bostandyk_id},
                       headers=_token(client, "super.a"))
    assert other.status_code == 404  # another department looks absent
    city = client.get("/api/v1/stats", query_string=window, headers=_token(client, "chief")).get_json()
    assert city["incidents"] == 5 and world.bostandyk_id in city["department_ids"]
    one = client.get("/api/v1/stats", query_string={**window, "department": world.bostandyk_id},
                     headers=_token(client, "chief")).get_json()
    assert one["incidents"] == 1 and one["time_to_acknowledge_s"]["median"] == 7.0
    for role in ("duty.a", "trainer.a"):
        refused = client.get("/api/v1/stats", query_string=window, headers=_token(client, role))
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert client.get("/api/v1/stats").status_code == 401


def test_bad_periods_are_answered_with_a_problem_not_a_500(client: FlaskClient, world: World) -> None:
    headers = _token(client, "super.a")
    for query in ({"from": "yesterday", "to": "2026-12-01T00:00:00+05:00"},
                  {"from": "2026-12-01T00:00:00", "to": "2026-12-02T00:00:00"},  # no offset
                  {"from": "2026-12-02T00:00:00+05:00", "to": "2026-12-01T00:00:00+05:00"},
                  {"from": "2020-01-01T00:00:00+05:00", "to": "2026-12-01T00:00:00+05:00"},
                  {"from": "2026-12-01T00:00:00+05:00"}, {"period": "fortnight"}, {"at": "x" * 5000},
                  {"department": "1" * 30}, {"department": "abc"}):
        answer = client.get("/api/v1/stats", query_string=query, headers=headers)
        assert answer.status_code in (404, 422), (query, answer.status_code)
        assert answer.mimetype == "application/problem+json"
    current = client.get("/api/v1/stats", headers=headers).get_json()
    assert current["period"] == "shift" and current["label"]


def test_a_shift_pattern_moves_the_current_shift(client: FlaskClient, world: World) -> None:
    admin = _token(client, "admin")
    assert client.put(f"/api/v1/departments/{world.almaly_id}/shifts", json={"starts": ["25:00"]},
                      headers=admin).status_code == 422
    assert client.put(f"/api/v1/departments/{world.almaly_id}/shifts", json={"starts": ["07:00", "15:00", "23:00"]},
                      headers=admin).status_code == 200
    body = client.get("/api/v1/stats", query_string={"at": "2026-12-03T16:00:00+05:00"},
                      headers=_token(client, "super.a")).get_json()
    assert (body["from"], body["to"]) == ("2026-12-03T10:00:00+00:00", "2026-12-03T18:00:00+00:00")
