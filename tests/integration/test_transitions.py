"""The incident lifecycle through the REST API: legal moves, clear refusals, who/when/why recorded."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.store.models import Incident
from tests.conftest import credentials, PASSWORD, World, event


def _setup(app: Flask, client: FlaskClient, world: World, username: str = "duty.a") -> tuple[int, dict[str, str]]:
    client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {world.api_key}"})
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        incident_id = s.scalar(sa.select(Incident.id))
    token = client.post("/api/v1/auth/token", json=credentials(username)).get_json()
    return incident_id, {"Authorization": f"Bearer {token['access_token']}"}


def test_full_lifecycle_records_every_step(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id, auth = _setup(app, client, world)
    url = f"/api/v1/incidents/{incident_id}/transitions"
    assert client.post(url, json={"action": "acknowledge"}, headers=auth).get_json()["status"] == "acknowledged"
    no_units = client.post(url, json={"action": "dispatch"}, headers=auth)
    assert no_units.status_code == 422 and no_units.get_json()["errors"][0]["pointer"] == "/unit_ids"
    body = client.post(url, json={"action": "dispatch", "nearest": True}, headers=auth).get_json()
    assert body["status"] == "dispatched" and [u["call_sign"] for u in body["units"]] == ["ALM-1"]
    assert body["units"][0]["status"] == "en_route"
    body = client.post(url, json={"action": "arrive"}, headers=auth).get_json()
    assert body["status"] == "on_scene" and body["units"][0]["status"] == "on_scene"
    refused = client.post(url, json={"action": "resolve"}, headers=auth)
    assert refused.status_code == 422 and "выберите итог" in refused.get_json()["detail"]
    unticked = client.post(url, json={"action": "resolve", "outcome": "detained"}, headers=auth)
    assert unticked.status_code == 409 and "Не выполнены обязательные шаги" in unticked.get_json()["detail"]
    for step in body["sop"]:
        client.post(f"/api/v1/incidents/{incident_id}/sop/{step['id']}", headers=auth)
    body = client.post(url, json={"action": "resolve", "outcome": "detained", "reason": "two detained",
                                  "case_number": "2611-0042"}, headers=auth).get_json()
    assert body["status"] == "resolved" and body["outcome"] == "detained" and body["case_number"] == "2611-0042"
    assert body["units"][0]["released_at"] is not None and body["units"][0]["status"] == "available"
    assert [h["action"] for h in body["history"]] == ["open", "acknowledge", "dispatch", "arrive", "resolve"]
    assert all(h["actor"] == "duty.a" for h in body["history"][1:])
    assert body["history"][-1]["reason"] == "two detained"


def test_illegal_transitions_name_the_allowed_ones(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id, auth = _setup(app, client, world)
    response = client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "close"}, headers=auth)
    assert response.status_code == 409
    detail = response.get_json()["detail"]
    assert "Нельзя закрыть происшествие: статус — «НОВОЕ»" in detail and "принять происшествие" in detail
    unknown = client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "explode"}, headers=auth)
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["pointer"] == "/action"
    dismiss = client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "dismiss"}, headers=auth)
    assert dismiss.status_code == 422 and "Укажите причину" in dismiss.get_json()["detail"]


def test_stale_version_is_refused_as_a_conflict(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id, auth = _setup(app, client, world)
    url = f"/api/v1/incidents/{incident_id}/transitions"
    version = client.get(f"/api/v1/incidents/{incident_id}", headers=auth).get_json()["version"]
    assert client.post(url, json={"action": "acknowledge", "version": version}, headers=auth).status_code == 200
    late = client.post(url, json={"action": "dispatch", "nearest": True, "version": version}, headers=auth)
    assert late.status_code == 409 and "изменил duty.a" in late.get_json()["detail"]


def test_trainers_only_watch_and_reopen_is_for_supervisors(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id, auth = _setup(app, client, world, "trainer.a")
    url = f"/api/v1/incidents/{incident_id}/transitions"
    response = client.post(url, json={"action": "acknowledge"}, headers=auth)
    assert response.status_code == 403 and "Роль «инструктор» не может принять происшествие" in response.get_json()["detail"]
    _, officer = _setup(app, client, world, "duty.a")
    client.post(url, json={"action": "dismiss", "reason": "false alarm: shadows"}, headers=officer)
    assert client.post(url, json={"action": "reopen", "reason": "x"}, headers=officer).status_code == 403
    _, supervisor = _setup(app, client, world, "super.a")
    body = client.post(url, json={"action": "reopen", "reason": "video shows a fight"}, headers=supervisor).get_json()
    assert body["status"] == "acknowledged"


def test_transfer_moves_the_incident_to_the_neighbour(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id, auth = _setup(app, client, world)
    body = client.post(f"/api/v1/incidents/{incident_id}/transitions",
                       json={"action": "transfer", "department_id": world.bostandyk_id, "reason": "across the street"},
                       headers=auth).get_json()
    assert body["department_id"] == world.bostandyk_id and body["status"] == "transferred"
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=auth).status_code == 404
    token = client.post("/api/v1/auth/token", json={"username": "duty.b", "password": PASSWORD}).get_json()
    other = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=other).status_code == 200
    taken = client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "acknowledge"},
                        headers=other).get_json()
    assert taken["status"] == "acknowledged"  # the receiving department takes it over
