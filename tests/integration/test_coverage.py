"""Coverage for chiefs: figures per district, blind spots ranked, exports, and who may see them."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import h3
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.geo.coverage import H3_RESOLUTION, cells_seen, coverage
from services.store.models import Incident, utcnow
from tests.conftest import ALMALY_POINT, World, login

HOTSPOT = (43.2620, 76.9050)  # inside Almaly, well away from the test camera at ALMALY_POINT


def _incidents(app: Flask, world: World, point: tuple[float, float], n: int, source: str = "manual") -> None:
    now = utcnow()
    with app.extensions["kuzet"].store.session() as s:
        for i in range(n):
            at = now - timedelta(days=1, minutes=i)
            s.add(Incident(department_id=world.almaly_id, source=source, category="public_order", type="fight",
                           priority=1, status="closed", lat=point[0], lon=point[1], first_seen_at=at,
                           last_seen_at=at, created_at=at, updated_at=at))


def test_blind_spots_rank_incidents_where_no_camera_looks(app: Flask, world: World) -> None:
    _incidents(app, world, HOTSPOT, 4)
    _incidents(app, world, ALMALY_POINT, 6, source="camera")  # under the camera: covered, not a candidate
    with app.extensions["kuzet"].store.session() as s:
        report = coverage(s, {world.almaly_id, world.bostandyk_id})
    assert [c["incidents"] for c in report.candidates] == [4]
    assert report.candidates[0]["h3"] == h3.latlng_to_cell(*HOTSPOT, H3_RESOLUTION)
    assert report.candidates[0]["district"] == "Almaly"
    assert h3.latlng_to_cell(*ALMALY_POINT, H3_RESOLUTION) in report.covered_cells
    almaly = next(d for d in report.districts if d["department_id"] == world.almaly_id)
    assert almaly["cameras"] == 1 and almaly["incidents"] == 10 and almaly["manual_incidents"] == 4
    assert almaly["cameras_per_km2"] == round(1 / almaly["area_km2"], 2)


def test_view_radius_decides_which_cells_a_camera_covers() -> None:
    near = cells_seen(*ALMALY_POINT, radius_m=50)
    far = cells_seen(*ALMALY_POINT, radius_m=700)  # past the whole first ring (centres <= 546 m away)
    assert len(near) == 1 and len(far) > 7 and near < far


def test_only_chiefs_and_admins_open_coverage_and_exports(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    assert client.get("/coverage/export/cameras.csv").status_code == 403
    client.get("/logout")
    login(client, "chief")
    response = client.get("/coverage/export/cameras.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["camera_id"] for r in rows} == {"CAM-A", "CAM-B"}  # the whole city


def test_exports_carry_the_ranked_candidates(app: Flask, client: FlaskClient, world: World) -> None:
    _incidents(app, world, HOTSPOT, 3)
    login(client, "chief")
    rows = list(csv.DictReader(io.StringIO(client.get("/coverage/export/candidates.csv").get_data(as_text=True))))
    assert rows[0]["rank"] == "1" and rows[0]["incidents"] == "3"
    geo = json.loads(client.get("/coverage/export/candidates.geojson").get_data(as_text=True))
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["type"] == "Polygon"
    assert geo["features"][0]["properties"]["h3"] == rows[0]["h3"]
    other = client.get(f"/coverage/export/cameras.csv?operator={world.operator_id + 1}").get_data(as_text=True)
    assert other.strip().count("\n") == 0  # header only: the other operator has no cameras


def test_coverage_page_is_denied_to_duty_officers(client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/coverage"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    text = json.dumps(client.post("/_dash-update-component", json=body).get_json(), ensure_ascii=False)
    assert "Нет доступа" in text and "coverage-map" not in text
    client.get("/logout")
    login(client, "chief")
    text = json.dumps(client.post("/_dash-update-component", json=body).get_json(), ensure_ascii=False)
    assert "coverage-map" in text and "Almaly" in text and "Bostandyk" in text


def test_manual_incident_goes_to_the_department_of_its_point(app: Flask, client: FlaskClient, world: World) -> None:
    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": "correct-horse-42"}).get_json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    created = client.post("/api/v1/incidents", json={"lat": HOTSPOT[0], "lon": HOTSPOT[1], "type": "fight",
                                                      "description": "caller: fight at the bus stop",
                                                      "address": "Abay ave 10"}, headers=auth)
    assert created.status_code == 201
    body = created.get_json()
    assert body["department_id"] == world.almaly_id and body["source"] == "manual" and body["priority"] == 1
    assert body["description"] == "caller: fight at the bus stop"
    bad = client.post("/api/v1/incidents", json={"lat": "x", "type": "alien"}, headers=auth)
    assert bad.status_code == 422 and {e["pointer"] for e in bad.get_json()["errors"]} == {"/lat", "/lon"}
    unknown = client.post("/api/v1/incidents", json={"lat": 43.25, "lon": 76.9, "type": "alien"}, headers=auth)
    assert unknown.status_code == 422 and "Неизвестный тип происшествия" in unknown.get_json()["detail"]
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(Incident.id))) == 1


def test_a_call_at_a_known_address_needs_no_map_point(app: Flask, client: FlaskClient, world: World) -> None:
    from tests.conftest import BOSTANDYK_POINT

    token = client.post("/api/v1/auth/token", json={"username": "duty.a", "password": "correct-horse-42"}).get_json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    # CAM-B's address, typed by the officer in other case and spacing: it lies in Bostandyk, so it goes there.
    created = client.post("/api/v1/incidents", json={"address": "  TEST  cam-b ", "type": "fight"}, headers=auth)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["lat"], body["lon"]) == BOSTANDYK_POINT and body["department_id"] == world.bostandyk_id
    again = client.post("/api/v1/incidents", json={"address": "test cam-b", "type": "crowd"}, headers=auth)
    assert again.status_code == 201  # the first call's address is known now too
    unknown = client.post("/api/v1/incidents", json={"address": "ул. Несуществующая, 1", "type": "fight"},
                          headers=auth)
    assert unknown.status_code == 422 and unknown.get_json()["errors"] == [
        {"pointer": "/address", "detail": "not a known address"}]


def test_transfer_leaves_one_queue_and_enters_the_other_live(app: Flask, client: FlaskClient, world: World) -> None:
    socketio = app.extensions["kuzet"].socketio
    client_b = app.test_client()
    login(client, "duty.a")
    login(client_b, "duty.b")
    room_a = socketio.test_client(app, flask_test_client=client, query_string=f"department={world.almaly_id}")
    room_b = socketio.test_client(app, flask_test_client=client_b, query_string=f"department={world.bostandyk_id}")
    created = client.post("/api/v1/incidents", json={"lat": HOTSPOT[0], "lon": HOTSPOT[1], "type": "crowd"})
    incident_id = created.get_json()["id"]
    room_a.get_received(), room_b.get_received()
    moved = client.post(f"/api/v1/incidents/{incident_id}/transitions",
                        json={"action": "transfer", "department_id": world.bostandyk_id, "reason": "their street"})
    assert moved.status_code == 200
    a_rows = [r for m in room_a.get_received() for r in m["args"][0]["rows"]]
    b_rows = [r for m in room_b.get_received() for r in m["args"][0]["rows"]]
    assert [(r["id"], r["open"]) for r in a_rows] == [(incident_id, False)]
    assert [(r["id"], r["open"], r["status"]) for r in b_rows] == [(incident_id, True, "transferred")]


def test_coverage_radii_are_configurable_and_checked() -> None:
    from services.geo.coverage import parse_radii

    assert parse_radii("road=300, yard=20")["road"] == 300 and parse_radii("")["street"] == 100
    from services.i18n import speaking

    with pytest.raises(ValueError, match="неизвестный тип установки «roof»"):
        parse_radii("roof=10")
    with speaking("en"), pytest.raises(ValueError, match="must be metres"):
        parse_radii("road=far")


def test_a_district_chief_sees_only_the_district(app: Flask, client: FlaskClient, world: World) -> None:
    from services.access.users import create_user

    with app.extensions["kuzet"].store.session() as s:
        create_user(s, "chief.almaly", "correct-horse-42", "chief", "almaty-almaly")
    login(client, "chief.almaly")
    rows = list(csv.DictReader(io.StringIO(client.get("/coverage/export/cameras.csv").get_data(as_text=True))))
    assert {r["camera_id"] for r in rows} == {"CAM-A"}
