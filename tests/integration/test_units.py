"""Units on an incident: who may send them, arrival per unit, going off duty, and who won a race."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import World, event
from tests.integration.test_duty_work import _auth, _post


def _open_incident(app: Flask, client: FlaskClient, world: World) -> int:
    _post(client, world, event("CAM-A", "fight"))
    app.extensions["kuzet"].worker.drain()
    return client.get("/api/v1/incidents", headers=_auth(client)).get_json()["incidents"][0]["id"]


def _act(client: FlaskClient, incident_id: int, who: str, **body: object) -> tuple[int, dict]:
    response = client.post(f"/api/v1/incidents/{incident_id}/transitions", json=body, headers=_auth(client, who))
    return response.status_code, response.get_json()


def test_read_only_roles_cannot_send_more_units_to_a_dispatched_incident(app: Flask, client: FlaskClient,
                                                                         world: World) -> None:
    incident_id = _open_incident(app, client, world)
    assert _act(client, incident_id, "duty.a", action="dispatch", unit_ids=[world.units["ALM-1"]])[0] == 200
    status, problem = _act(client, incident_id, "trainer.a", action="dispatch", unit_ids=[world.units["ALM-2"]])
    assert status == 403 and "Роль «инструктор» не может направить наряд" in problem["detail"]
    units = {u["call_sign"]: u["status"] for u in client.get("/api/v1/units", headers=_auth(client)).get_json()["units"]}
    assert units["ALM-2"] == "available"  # the refused dispatch moved nobody


def test_each_unit_reports_its_own_arrival(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id = _open_incident(app, client, world)
    both = [world.units["ALM-1"], world.units["ALM-2"]]
    assert _act(client, incident_id, "duty.a", action="dispatch", unit_ids=both)[0] == 200
    status, detail = _act(client, incident_id, "duty.a", action="arrive", unit_id=world.units["ALM-1"])
    assert status == 200 and detail["status"] == "on_scene"
    units = {u["call_sign"]: u["status"] for u in client.get("/api/v1/units", headers=_auth(client)).get_json()["units"]}
    assert units["ALM-1"] == "on_scene" and units["ALM-2"] == "en_route"
    arrival = [h for h in detail["history"] if h["action"] == "arrive"]
    # The journal names the unit that arrived, and keeps the account that reported it.
    assert len(arrival) == 1 and arrival[0]["actor"] == "наряд ALM-1" and "duty.a" in arrival[0]["reason"]


def test_off_duty_units_are_not_suggested_and_busy_ones_cannot_go_off_duty(app: Flask, client: FlaskClient,
                                                                           world: World) -> None:
    incident_id = _open_incident(app, client, world)
    auth = _auth(client)
    answer = client.post(f"/api/v1/units/{world.units['ALM-1']}/status", json={"status": "off_duty"}, headers=auth)
    assert answer.status_code == 200 and answer.get_json()["status"] == "off_duty"
    suggested = client.get(f"/api/v1/incidents/{incident_id}/suggestions", headers=auth).get_json()["units"]
    assert [u["call_sign"] for u in suggested] == ["ALM-2"]
    assert _act(client, incident_id, "duty.a", action="dispatch", nearest=True)[0] == 200
    busy = client.post(f"/api/v1/units/{world.units['ALM-2']}/status", json={"status": "off_duty"}, headers=auth)
    assert busy.status_code == 409 and "в пути" in busy.get_json()["detail"]
    bad = client.post(f"/api/v1/units/{world.units['ALM-1']}/status", json={"status": "on_scene"}, headers=auth)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "/status"
    other = client.post(f"/api/v1/units/{world.units['BOS-1']}/status", json={"status": "off_duty"}, headers=auth)
    assert other.status_code == 404  # another department's unit does not exist for this officer


def test_a_stale_view_is_told_who_changed_the_incident(app: Flask, client: FlaskClient, world: World) -> None:
    incident_id = _open_incident(app, client, world)
    version = client.get(f"/api/v1/incidents/{incident_id}", headers=_auth(client)).get_json()["version"]
    assert _act(client, incident_id, "super.a", action="acknowledge", version=version)[0] == 200
    status, problem = _act(client, incident_id, "duty.a", action="hold", reason="waiting", version=version)
    assert status == 409 and "изменил super.a" in problem["detail"]
