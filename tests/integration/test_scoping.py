"""A duty officer sees only their own department, on every path: REST, page, callbacks, sockets."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from layouts import wall as ids
from services.store.models import Incident
from tests.conftest import credentials, World, event, login


def _incident_in(app: Flask, client: FlaskClient, world: World, camera: str) -> int:
    client.post("/api/v1/events", json=event(camera), headers={"Authorization": f"Bearer {world.api_key}"})
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.select(Incident.id).order_by(Incident.id.desc()).limit(1))


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json=credentials(username))
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_rest_lists_and_reads_only_own_department(app: Flask, client: FlaskClient, world: World) -> None:
    a = _incident_in(app, client, world, "CAM-A")
    b = _incident_in(app, client, world, "CAM-B")
    officer_b = _token(client, "duty.b")
    listed = client.get("/api/v1/incidents?status=open", headers=officer_b).get_json()["incidents"]
    assert [i["id"] for i in listed] == [b]
    assert client.get(f"/api/v1/incidents/{a}", headers=officer_b).status_code == 404
    refused = client.post(f"/api/v1/incidents/{a}/transitions", json={"action": "acknowledge"}, headers=officer_b)
    assert refused.status_code == 404
    camera_a = world.cameras["CAM-A"]
    assert client.get(f"/api/v1/cameras/{camera_a}", headers=officer_b).status_code == 404
    assert client.get(f"/api/v1/cameras/{world.cameras['CAM-B']}", headers=officer_b).status_code == 200
    chief = _token(client, "chief")
    assert {i["id"] for i in client.get("/api/v1/incidents", headers=chief).get_json()["incidents"]} == {a, b}


def test_wall_page_refuses_another_department(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "duty.b")
    layout = client.get("/_dash-layout").get_json()
    assert layout is not None
    page = client.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
                   {"id": "_pages_location", "property": "search", "value": f"?department={world.almaly_id}"}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })
    assert page.status_code == 200
    text = json.dumps(page.get_json(), ensure_ascii=False)
    assert "Нет доступа" in text and ids.QUEUE not in text
    own = client.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/wall"},
                   {"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })
    assert ids.QUEUE in json.dumps(own.get_json(), ensure_ascii=False)


def test_acknowledge_callback_cannot_touch_another_department(app: Flask, client: FlaskClient, world: World) -> None:
    a = _incident_in(app, client, world, "CAM-A")
    login(client, "duty.b")

    def ack(department: int, row_id: int) -> str:
        response = client.post("/_dash-update-component", json={
            "output": f"{ids.FEEDBACK}.children",
            "outputs": {"id": ids.FEEDBACK, "property": "children"},
            "inputs": [{"id": ids.ACK, "property": "n_clicks", "value": 1}],
            "state": [{"id": ids.QUEUE, "property": "selectedRows", "value": [{"id": row_id}]},
                      {"id": ids.DEPARTMENT, "property": "data", "value": department}],
            "changedPropIds": [f"{ids.ACK}.n_clicks"],
        })
        return json.dumps(response.get_json(), ensure_ascii=False)

    assert "Нет доступа" in ack(world.almaly_id, a)      # forged department
    assert "не найдено" in ack(world.bostandyk_id, a)    # own department, someone else's incident
    with app.extensions["kuzet"].store.session() as s:
        assert s.get(Incident, a).status == "new"


def test_dash_callbacks_need_a_login(client: FlaskClient, world: World) -> None:
    response = client.post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert response.status_code == 401
    assert client.get("/wall").status_code == 302


def test_socket_rooms_refuse_other_departments_and_push_own(app: Flask, client: FlaskClient, world: World) -> None:
    socketio = app.extensions["kuzet"].socketio
    login(client, "duty.a")
    intruder = socketio.test_client(app, flask_test_client=client, query_string=f"department={world.bostandyk_id}")
    assert not intruder.is_connected()
    own = socketio.test_client(app, flask_test_client=client, query_string=f"department={world.almaly_id}")
    assert own.is_connected()
    anonymous = socketio.test_client(app, query_string=f"department={world.almaly_id}")
    assert not anonymous.is_connected()
    _incident_in(app, client, world, "CAM-B")
    a = _incident_in(app, client, world, "CAM-A")
    pushed = [m for m in own.get_received() if m["name"] == "incidents"]
    assert [row["id"] for m in pushed for row in m["args"][0]["rows"]] == [a]
    own.disconnect()


def test_wall_transfer_hands_the_incident_to_the_neighbour(app: Flask, client: FlaskClient, world: World) -> None:
    a = _incident_in(app, client, world, "CAM-A")
    login(client, "duty.a")
    client.get("/_dash-layout")
    dash_app = app.extensions["dash"]
    output = next(k for k in dash_app.callback_map if ids.TRANSFER_MODAL in k and ids.FEEDBACK in k)

    def transfer(department: int, target: str) -> str:
        response = client.post("/_dash-update-component", json={
            "output": output,
            "outputs": [{"id": ids.FEEDBACK, "property": output.split("...")[0].strip(".").split(".", 1)[1]},
                        {"id": ids.TRANSFER_MODAL, "property": output.split("...")[1].strip(".").split(".", 1)[1]}],
            "inputs": [{"id": ids.TRANSFER_CONFIRM, "property": "n_clicks", "value": 1}],
            "state": [{"id": ids.QUEUE, "property": "selectedRows", "value": [{"id": a}]},
                      {"id": ids.DEPARTMENT, "property": "data", "value": department},
                      {"id": ids.TRANSFER_TARGET, "property": "value", "value": target},
                      {"id": ids.TRANSFER_REASON, "property": "value", "value": "the other side of the street"}],
            "changedPropIds": [f"{ids.TRANSFER_CONFIRM}.n_clicks"],
        })
        assert response.status_code == 200, response.get_data(as_text=True)
        return json.dumps(response.get_json(), ensure_ascii=False)

    assert "Нет доступа" in transfer(world.bostandyk_id, str(world.almaly_id))
    assert "передано" in transfer(world.almaly_id, str(world.bostandyk_id))
    with app.extensions["kuzet"].store.session() as s:
        incident = s.get(Incident, a)
        assert incident.department_id == world.bostandyk_id and incident.history[-1].action == "transfer"
        assert incident.history[-1].reason.endswith("the other side of the street")
