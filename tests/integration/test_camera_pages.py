"""Camera list and operator scorecards: scoped, filtered, with uptime from recorded transitions."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from layouts import cameras as ids
from services.store.models import Camera, CameraHealthChange, utcnow
from tests.conftest import PASSWORD, World, login


def _page(client: FlaskClient, path: str) -> str:
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    return json.dumps(client.post("/_dash-update-component", json=body).get_json(), ensure_ascii=False)


def test_camera_list_is_scoped_and_quietest_first(app: Flask, client: FlaskClient, world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        s.add(Camera(operator_id=world.operator_id, external_id="CAM-A2", lat=43.2567, lon=76.93,
                     department_id=world.almaly_id, health="offline", last_seen_at=utcnow() - timedelta(hours=2)))
        s.execute(sa.update(Camera).where(Camera.external_id == "CAM-A").values(health="online",
                                                                                 last_seen_at=utcnow()))
    login(client, "duty.a")
    text = _page(client, "/cameras")
    assert ids.CAMERAS in text and "CAM-A2" in text and "CAM-B" not in text
    assert text.index("CAM-A2") < text.index('"CAM-A"')  # two hours quiet comes before just seen
    filtered = client.post("/_dash-update-component", json={
        "output": f"{ids.CAMERAS}.rowData", "outputs": {"id": ids.CAMERAS, "property": "rowData"},
        "inputs": [{"id": ids.OPERATOR, "property": "value", "value": "all"},
                   {"id": ids.DISTRICT, "property": "value", "value": "all"},
                   {"id": ids.HEALTH, "property": "value", "value": "offline"}],
        "changedPropIds": [f"{ids.HEALTH}.value"]}).get_json()
    rows = filtered["response"][ids.CAMERAS]["rowData"]
    assert [r["camera_id"] for r in rows] == ["CAM-A2"]


def test_scorecards_and_uptime_api_come_from_transitions(app: Flask, client: FlaskClient, world: World) -> None:
    now = utcnow()
    with app.extensions["kuzet"].store.session() as s:
        cam = world.cameras["CAM-A"]
        s.add(CameraHealthChange(camera_id=cam, from_state="unknown", to_state="online", reason="t",
                                 at=now - timedelta(days=40)))
        s.add(CameraHealthChange(camera_id=cam, from_state="online", to_state="offline", reason="t",
                                 at=now - timedelta(hours=12)))
        s.add(CameraHealthChange(camera_id=cam, from_state="offline", to_state="online", reason="t",
                                 at=now - timedelta(hours=6)))
    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD}).get_json()
    figures = client.get(f"/api/v1/operators/{world.operator_id}/uptime",
                         headers={"Authorization": f"Bearer {token['access_token']}"}).get_json()
    assert figures["day"]["uptime_pct"] == 75.0 and figures["day"]["outages"] == 1  # 6 h of 24 down
    assert figures["day"]["cameras"] == 1  # only the Almaly camera is in duty.a's scope
    assert figures["week"]["outage_minutes"] == 360.0
    one = client.get(f"/api/v1/cameras/{world.cameras['CAM-A']}",
                     headers={"Authorization": f"Bearer {token['access_token']}"}).get_json()
    assert one["uptime"]["day"]["uptime_pct"] == 75.0 and one["uptime"]["month"]["outages"] == 1
    login(client, "chief")
    text = _page(client, "/operators")
    assert ids.SCORECARDS in text and "Test Operator LLP" in text
