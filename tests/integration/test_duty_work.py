"""Correlation, policy, dispatch, SOPs, the offence register, and exchange formats."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from datetime import datetime, timezone

import defusedxml.ElementTree as SafeET
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.store.models import Camera, Incident, IncidentLink
from tests.conftest import credentials, ALMALY_POINT, World, event

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
# Element order and enumerations of CAP 1.2 (OASIS Standard, 1 July 2010, sections 3.2.1-3.2.4).
CAP_ALERT_ORDER = ["identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction",
                   "addresses", "code", "note", "references", "incidents", "info"]
CAP_INFO_ORDER = ["language", "category", "event", "responseType", "urgency", "severity", "certainty", "audience",
                  "eventCode", "effective", "onset", "expires", "senderName", "headline", "description",
                  "instruction", "web", "contact", "parameter", "resource", "area"]
CAP_ENUMS = {
    "status": {"Actual", "Exercise", "System", "Test", "Draft"},
    "msgType": {"Alert", "Update", "Cancel", "Ack", "Error"},
    "scope": {"Public", "Restricted", "Private"},
    "category": {"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                 "CBRNE", "Other"},
    "responseType": {"Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"},
    "urgency": {"Immediate", "Expected", "Future", "Past", "Unknown"},
    "severity": {"Extreme", "Severe", "Moderate", "Minor", "Unknown"},
    "certainty": {"Observed", "Likely", "Possible", "Unlikely", "Unknown"},
}
CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _auth(client: FlaskClient, username: str = "duty.a") -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json=credentials(username)).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _post(client: FlaskClient, world: World, *events: dict) -> None:
    response = client.post("/api/v1/events", json={"events": list(events)},
                           headers={"Authorization": f"Bearer {world.api_key}"})
    assert response.get_json()["accepted"] == len(events)


def _order_ok(children: list[str], order: list[str]) -> bool:
    positions = [order.index(c) for c in children]
    return positions == sorted(positions)


def test_cap_alert_follows_the_cap_12_structure(app: Flask, client: FlaskClient, world: World) -> None:
    _post(client, world, event("CAM-A", "weapon"))
    app.extensions["kuzet"].worker.drain()
    auth = _auth(client)
    incident_id = client.get("/api/v1/incidents", headers=auth).get_json()["incidents"][0]["id"]
    response = client.get(f"/api/v1/incidents/{incident_id}/cap", headers=auth)
    assert response.status_code == 200 and response.mimetype == "application/cap+xml"
    alert = SafeET.fromstring(response.data)
    assert alert.tag == f"{CAP}alert"
    children = [c.tag.removeprefix(CAP) for c in alert]
    assert _order_ok(children, CAP_ALERT_ORDER) and {"identifier", "sender", "sent", "status", "msgType",
                                                      "scope"} <= set(children)
    assert CAP_TIME.match(alert.find(f"{CAP}sent").text)
    info = alert.find(f"{CAP}info")
    info_children = [c.tag.removeprefix(CAP) for c in info]
    assert _order_ok(info_children, CAP_INFO_ORDER)
    assert {"category", "event", "urgency", "severity", "certainty"} <= set(info_children)
    for element in alert.iter():
        name = element.tag.removeprefix(CAP)
        if name in CAP_ENUMS:
            assert element.text in CAP_ENUMS[name], (name, element.text)
    assert info.find(f"{CAP}severity").text == "Extreme"  # weapon: P1
    lat_lon, radius = info.find(f"{CAP}area/{CAP}circle").text.split()
    lat, lon = map(float, lat_lon.split(","))
    assert abs(lat - ALMALY_POINT[0]) < 1e-5 and abs(lon - ALMALY_POINT[1]) < 1e-5 and float(radius) > 0
    assert alert.find(f"{CAP}restriction") is not None  # Restricted scope requires a restriction


def test_eido_json_references_hold_together(app: Flask, client: FlaskClient, world: World) -> None:
    _post(client, world, event("CAM-A", "fight"))
    app.extensions["kuzet"].worker.drain()
    auth = _auth(client)
    incident_id = client.get("/api/v1/incidents", headers=auth).get_json()["incidents"][0]["id"]
    url = f"/api/v1/incidents/{incident_id}"
    client.post(f"{url}/transitions", json={"action": "dispatch", "nearest": True}, headers=auth)
    client.post(f"{url}/notes", json={"text": "caller says two men"}, headers=auth)
    eido = client.get(f"{url}/eido", headers=auth).get_json()
    incident = eido["incidentComponent"]
    assert incident["incidentTrackingIdentifier"] == f"kuzet-{incident_id}"
    assert incident["incidentTypeCommonRegistryText"] == "fight" and incident["incidentStatusCommonRegistryText"] == "dispatched"
    locations = {loc["componentIdentifier"]: loc for loc in eido["locationComponent"]}
    assert incident["locationReference"] in locations
    point = locations[incident["locationReference"]]["locationByValue"]
    assert point["type"] == "Point" and point["coordinates"] == [ALMALY_POINT[1], ALMALY_POINT[0]]
    assert incident["agencyReference"] in {a["componentIdentifier"] for a in eido["agencyComponent"]}
    assert [v["unitCallSign"] for v in eido["vehicleComponent"]] == ["ALM-1"]
    assert eido["notesComponent"][0]["noteText"] == "caller says two men"
    datetime.fromisoformat(eido["lastUpdateTimeStamp"])


def test_nearby_cameras_link_their_incidents(app: Flask, client: FlaskClient, world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        s.add(Camera(operator_id=world.operator_id, external_id="CAM-A2", lat=ALMALY_POINT[0] + 0.001,
                     lon=ALMALY_POINT[1], department_id=world.almaly_id))  # ~110 m north
    _post(client, world, event("CAM-A", "fight"))
    app.extensions["kuzet"].worker.drain()
    _post(client, world, event("CAM-A2", "crowd"), event("CAM-B", "crowd"))
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        links = s.execute(sa.select(IncidentLink.incident_id, IncidentLink.related_id, IncidentLink.distance_m)).all()
    assert len(links) == 2 and all(100 < d < 125 for _, _, d in links)


def test_traffic_events_fill_the_offence_register_and_only_wanted_vehicles_open_incidents(
        app: Flask, client: FlaskClient, world: World) -> None:
    plate = {"number": "123ABC02", "country": "KZ"}
    _post(client, world, event("CAM-A", "speeding", category="traffic", plate=plate, speed_kmh=97.0, limit_kmh=60.0),
          event("CAM-A", "wanted_vehicle", category="traffic", plate=plate))
    app.extensions["kuzet"].worker.drain()
    auth = _auth(client)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/offences.csv", headers=auth).get_data(as_text=True))))
    assert sorted(r["type"] for r in rows) == ["speeding", "wanted_vehicle"]
    assert {r["plate"] for r in rows} == {"123ABC02"}
    speeding = next(r for r in rows if r["type"] == "speeding")
    assert float(speeding["speed_kmh"]) == 97.0 and float(speeding["limit_kmh"]) == 60.0
    incidents = client.get("/api/v1/incidents", headers=auth).get_json()["incidents"]
    assert [i["type"] for i in incidents] == ["wanted_vehicle"]
    other = _auth(client, "duty.b")
    assert client.get("/api/v1/offences.csv", headers=other).get_data(as_text=True).count("\n") == 1


def test_policy_table_decides_priority_and_admins_edit_it(app: Flask, client: FlaskClient, world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.update(Camera).where(Camera.external_id == "CAM-B").values(mount_kind="school"))
    _post(client, world, event("CAM-A", "vandalism"), event("CAM-B", "vandalism"))
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        by_camera = dict(s.execute(sa.select(Incident.camera_id, Incident.priority)).all())
    assert by_camera[world.cameras["CAM-A"]] == 3 and by_camera[world.cameras["CAM-B"]] == 2  # school raised
    refused = client.put("/api/v1/policy", json={"incident_type": "vandalism", "priority": 1}, headers=_auth(client))
    assert refused.status_code == 403
    admin = _auth(client, "admin")
    changed = client.put("/api/v1/policy", json={"incident_type": "vandalism", "priority": 1,
                                                 "department_id": world.almaly_id}, headers=admin)
    assert changed.status_code == 200
    assert client.put("/api/v1/policy", json={"incident_type": "vandalism", "priority": 9},
                      headers=admin).status_code == 422
    _post(client, world, event("CAM-A", "vandalism", occurred_at=datetime.now(timezone.utc).isoformat()))
    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.update(Incident).values(status="closed"))
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        newest = s.scalar(sa.select(Incident).order_by(Incident.id.desc()).limit(1))
    assert newest.priority == 1


def test_suggestions_are_nearest_first_with_eta_and_positions_update(app: Flask, client: FlaskClient,
                                                                      world: World) -> None:
    _post(client, world, event("CAM-A"))
    app.extensions["kuzet"].worker.drain()
    auth = _auth(client)
    incident_id = client.get("/api/v1/incidents", headers=auth).get_json()["incidents"][0]["id"]
    units = client.get(f"/api/v1/incidents/{incident_id}/suggestions", headers=auth).get_json()["units"]
    assert [u["call_sign"] for u in units] == ["ALM-1", "ALM-2"]  # BOS-1 is another department's
    assert 250 < units[0]["distance_m"] < 350 and units[0]["eta_s"] == round(units[0]["distance_m"] / (40 / 3.6))
    moved = client.post(f"/api/v1/units/{world.units['ALM-2']}/position", json={"lat": ALMALY_POINT[0],
                                                                               "lon": ALMALY_POINT[1]}, headers=auth)
    assert moved.status_code == 200
    units = client.get(f"/api/v1/incidents/{incident_id}/suggestions", headers=auth).get_json()["units"]
    assert units[0]["call_sign"] == "ALM-2" and units[0]["distance_m"] == 0
    assert client.post(f"/api/v1/units/{world.units['BOS-1']}/position", json={"lat": 43.2, "lon": 76.9},
                       headers=auth).status_code == 404


def test_resolving_with_unticked_steps_needs_a_supervisor_override(app: Flask, client: FlaskClient,
                                                                   world: World) -> None:
    _post(client, world, event("CAM-A", "weapon"))
    app.extensions["kuzet"].worker.drain()
    officer, supervisor = _auth(client), _auth(client, "super.a")
    incident_id = client.get("/api/v1/incidents", headers=officer).get_json()["incidents"][0]["id"]
    url = f"/api/v1/incidents/{incident_id}/transitions"
    client.post(url, json={"action": "acknowledge"}, headers=officer)
    denied = client.post(url, json={"action": "resolve", "outcome": "warning", "sop_override": True}, headers=officer)
    assert denied.status_code == 403 and "Только руководитель может" in denied.get_json()["detail"]
    body = client.post(url, json={"action": "resolve", "outcome": "warning", "sop_override": True,
                                  "reason": "unit already there"}, headers=supervisor).get_json()
    assert body["status"] == "resolved"
    assert body["history"][-1]["reason"].startswith("SOP override by super.a (3 steps unticked)")


def test_admins_configure_procedures(app: Flask, client: FlaskClient, world: World) -> None:
    admin = _auth(client, "admin")
    steps = [{"text": "Call the school director", "mandatory": True}, {"text": "Check cameras", "mandatory": False}]
    response = client.put("/api/v1/sop/intrusion", json={"steps": steps}, headers=admin)
    assert response.status_code == 200
    assert [(s["text"], s["mandatory"]) for s in response.get_json()["steps"]] == [
        ("Call the school director", True), ("Check cameras", False)]
    assert client.put("/api/v1/sop/intrusion", json={"steps": steps}, headers=_auth(client)).status_code == 403
    assert client.put("/api/v1/sop/intrusion", json={"steps": []}, headers=admin).status_code == 422


def test_cap_updates_and_cancels_reference_the_first_alert(app: Flask, client: FlaskClient, world: World) -> None:
    _post(client, world, event("CAM-A", "loitering"))
    app.extensions["kuzet"].worker.drain()
    auth = _auth(client)
    incident_id = client.get("/api/v1/incidents", headers=auth).get_json()["incidents"][0]["id"]

    def alert() -> tuple[str, str, str, str | None]:
        root = SafeET.fromstring(client.get(f"/api/v1/incidents/{incident_id}/cap", headers=auth).data)
        refs = root.find(f"{CAP}references")
        assert _order_ok([c.tag.removeprefix(CAP) for c in root], CAP_ALERT_ORDER)
        return (root.find(f"{CAP}msgType").text, root.find(f"{CAP}identifier").text, root.find(f"{CAP}sender").text
                + "," + root.find(f"{CAP}identifier").text + "," + root.find(f"{CAP}sent").text,
                refs.text if refs is not None else None)

    msg_type, first_id, first_ref, refs = alert()
    assert (msg_type, refs) == ("Alert", None)
    assert alert()[2] == first_ref  # the same version exported twice is the same message
    client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "acknowledge"}, headers=auth)
    msg_type, update_id, _, refs = alert()
    assert msg_type == "Update" and update_id != first_id and refs == first_ref
    client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "dismiss", "reason": "a courier"},
                headers=auth)
    msg_type, _, _, refs = alert()
    assert msg_type == "Cancel" and refs == first_ref
    sender, identifier, sent = refs.split(",")
    assert "@" in sender and identifier == first_id and CAP_TIME.match(sent)


def test_a_confidence_floor_in_the_policy_raises_only_sure_detections(app: Flask, client: FlaskClient,
                                                                      world: World) -> None:
    admin = _auth(client, "admin")
    rule = {"incident_type": "loitering", "priority": 2, "department_id": world.almaly_id, "min_confidence": 0.9}
    assert client.put("/api/v1/policy", json=rule, headers=admin).status_code == 200
    assert client.put("/api/v1/policy", json={**rule, "min_confidence": 1.5}, headers=admin).status_code == 422
    assert client.put("/api/v1/policy", json={**rule, "min_confidence": "high"}, headers=admin).status_code == 422
    listed = client.get("/api/v1/policy", headers=admin).get_json()["rules"]
    assert any(r["min_confidence"] == 0.9 and r["priority"] == 2 for r in listed)
    _post(client, world, event("CAM-A", "loitering", confidence=0.95))
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.update(Incident).values(status="closed"))  # so the next one opens anew
    _post(client, world, event("CAM-A", "loitering", confidence=0.7))
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        priorities = s.scalars(sa.select(Incident.priority).order_by(Incident.id)).all()
    from services.intake.catalogue import DEFAULT_PRIORITY
    from services.duty.policy import is_night

    usual = DEFAULT_PRIORITY["loitering"] - (1 if is_night(datetime.now(timezone.utc)) else 0)
    assert priorities == [2, usual]  # 0.95 meets the floor; 0.7 falls back to the shipped rule


def test_dispatching_ticks_the_procedures_dispatch_steps(app: Flask, client: FlaskClient, world: World) -> None:
    """A fight's "dispatch a unit" is ticked by the dispatch; a weapon's "2+ units" only with the second unit."""
    headers = _auth(client, "duty.a")

    def opened(kind: str) -> int:
        client.post("/api/v1/events", json=event(event_type=kind), headers={"Authorization": f"Bearer {world.api_key}"})
        app.extensions["kuzet"].worker.drain()
        found = [i for i in client.get("/api/v1/incidents", headers=headers).get_json()["incidents"] if i["type"] == kind]
        client.post(f"/api/v1/incidents/{found[0]['id']}/transitions", json={"action": "acknowledge"}, headers=headers)
        return found[0]["id"]

    def steps(incident_id: int) -> dict[str, Any]:
        return {s["text"]: s for s in client.get(f"/api/v1/incidents/{incident_id}", headers=headers).get_json()["sop"]}

    def send(incident_id: int, unit: str) -> None:
        answer = client.post(f"/api/v1/incidents/{incident_id}/transitions",
                             json={"action": "dispatch", "unit_ids": [world.units[unit]]}, headers=headers)
        assert answer.status_code == 200, answer.get_json()

    weapon = opened("weapon")
    send(weapon, "ALM-1")
    assert not steps(weapon)["Направить не менее 2 нарядов · Dispatch 2+ units"]["ticked_by"], "ticked with one unit"
    send(weapon, "ALM-2")
    assert steps(weapon)["Направить не менее 2 нарядов · Dispatch 2+ units"]["ticked_by"] == "duty.a"
    assert not steps(weapon)["Открыть живое видео камеры · View the live camera"]["ticked_by"]
