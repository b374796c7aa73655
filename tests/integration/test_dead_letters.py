"""Nothing an operator sent is lost: rejects are kept, shown to admins, and replayed after a fix."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from layouts import admin as ids
from services.store.models import DeadLetter, Event
from tests.conftest import ALMALY_POINT, World, event, login


def _filters(operator: str = ids.ALL, endpoint: str = ids.ALL, state: str = ids.ALL, days: str = ids.ALL,
             reason: str | None = None) -> list[dict[str, Any]]:
    return [{"id": ids.FILTER_OPERATOR, "property": "value", "value": operator},
            {"id": ids.FILTER_ENDPOINT, "property": "value", "value": endpoint},
            {"id": ids.FILTER_STATE, "property": "value", "value": state},
            {"id": ids.FILTER_DAYS, "property": "value", "value": days},
            {"id": ids.FILTER_REASON, "property": "value", "value": reason}]


def _chosen(client: FlaskClient, **filters: Any) -> list[dict[str, Any]]:
    """The dead letters the page lists for ``filters``, as its filter callback answers."""
    dash_app = client.application.extensions["dash"]
    key = next(k for k in dash_app.callback_map if k.startswith(f"{ids.DEAD_LETTERS}.rowData@"))
    answer = client.post("/_dash-update-component", json={
        "output": key, "outputs": {"id": ids.DEAD_LETTERS, "property": key.split(".", 1)[1]},
        "inputs": _filters(**filters), "state": [], "changedPropIds": [f"{ids.FILTER_REASON}.value"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.get_json()["response"][ids.DEAD_LETTERS]["rowData"]


def _replay(client: FlaskClient, letter_id: int) -> str:
    response = client.post("/_dash-update-component", json={
        "output": f"..{ids.FEEDBACK}.children...{ids.DEAD_LETTERS}.rowData..",
        "outputs": [{"id": ids.FEEDBACK, "property": "children"}, {"id": ids.DEAD_LETTERS, "property": "rowData"}],
        "inputs": [{"id": ids.REPLAY, "property": "n_clicks", "value": 1}],
        "state": [{"id": ids.DEAD_LETTERS, "property": "selectedRows", "value": [{"id": letter_id}]}] + _filters(),
        "changedPropIds": [f"{ids.REPLAY}.n_clicks"],
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_unknown_camera_event_is_replayed_after_the_camera_is_registered(app: Flask, client: FlaskClient,
                                                                         world: World) -> None:
    operator = {"Authorization": f"Bearer {world.api_key}"}
    lost = event("NEW-CAM")
    first = client.post("/api/v1/events", json=lost, headers=operator).get_json()
    assert first["results"][0]["status"] == "rejected"
    with app.extensions["kuzet"].store.session() as s:
        letter_id = s.scalar(sa.select(DeadLetter.id).where(DeadLetter.endpoint == "events"))
    login(client, "duty.a")
    assert "Нет доступа" in _replay(client, letter_id)  # admins only
    client.get("/logout")
    login(client, "admin")
    assert "rejected (unknown camera" in _replay(client, letter_id)  # not fixed yet: still refused, kept once
    assert client.put("/api/v1/cameras/NEW-CAM", json={"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1]},
                      headers=operator).status_code == 201
    assert "accepted" in _replay(client, letter_id)
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(Event.event_id)) == lost["event_id"]
        letter = s.get(DeadLetter, letter_id)
        assert letter.replayed_at is not None and letter.replay_result == "accepted"
        assert s.scalar(sa.select(sa.func.count(DeadLetter.id))) == 1  # replays add no new letters


def test_dead_letter_page_lists_newest_first_for_admins(app: Flask, client: FlaskClient, world: World) -> None:
    client.post("/api/v1/events", data=b"{broken", content_type="application/json",
                headers={"Authorization": f"Bearer {world.api_key}"})
    client.post("/api/v1/events", json=event("CAM-A", confidence=3), headers={"Authorization": f"Bearer {world.api_key}"})
    login(client, "admin")
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/admin/dead-letters"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    text = json.dumps(client.post("/_dash-update-component", json=body).get_json(), ensure_ascii=False)
    assert ids.DEAD_LETTERS in text, text[:300]
    assert "/confidence" in text, text[text.find("rowData"):][:600]
    assert "not valid JSON" in text
    assert text.index("/confidence") < text.index("not valid JSON")


def test_native_payload_for_an_unregistered_device_is_replayed_through_its_adapter(
        app: Flask, client: FlaskClient, world: World) -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "fixtures" / "adapters" / "dahua" / "motion_start.txt"
    operator = {"Authorization": f"Bearer {world.api_key}"}
    first = client.post("/api/v1/ingest/dahua?device=DH-NEW", data=sample.read_bytes(),
                        headers={**operator, "Content-Type": "text/plain"}).get_json()
    assert first["rejected"] == 1
    with app.extensions["kuzet"].store.session() as s:
        letter_id = s.scalar(sa.select(DeadLetter.id).where(DeadLetter.endpoint == "ingest/dahua"))
    client.put("/api/v1/cameras/ENTRANCE", json={"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1],
                                                 "vendor_ids": ["DH-NEW:1"]}, headers=operator)
    login(client, "admin")
    assert "accepted" in _replay(client, letter_id)
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_a_multipart_letter_is_replayed_with_its_content_type(app: Flask, client: FlaskClient, world: World) -> None:
    from pathlib import Path

    sample = (Path(__file__).resolve().parents[1] / "fixtures" / "adapters" / "hikvision-isapi"
              / "multipart_picture.bin").read_bytes().replace(b"fielddetection</eventType>", b"IO</eventType>")
    headers = {"Authorization": f"Bearer {world.api_key}", "Content-Type": "multipart/form-data; boundary=MIME_boundary"}
    first = client.post("/api/v1/ingest/hikvision-isapi", data=sample, headers=headers).get_json()
    assert first["unmapped"] and "IO" in first["unmapped"][0]
    with app.extensions["kuzet"].store.session() as s:
        letter = s.scalar(sa.select(DeadLetter).where(DeadLetter.endpoint == "ingest/hikvision-isapi"))
        assert letter.params["content_type"].startswith("multipart/form-data")
        letter_id = letter.id
    login(client, "admin")
    replayed = _replay(client, letter_id)
    # The multipart body is split again, so the replay meets the same unmapped event, not an unreadable body.
    assert "not translated" in replayed and "IO" in replayed and "refused again" not in replayed


def test_dead_letters_are_filtered_by_operator_state_and_reason(app: Flask, client: FlaskClient, world: World) -> None:
    client.post("/api/v1/events", data=b"{broken", content_type="application/json",
                headers={"Authorization": f"Bearer {world.api_key}"})
    client.post("/api/v1/events", json=event("CAM-A", confidence=3), headers={"Authorization": f"Bearer {world.api_key}"})
    client.post("/api/v1/events", data=b"{broken too", content_type="application/json",
                headers={"Authorization": f"Bearer {world.other_key}"})
    login(client, "admin")
    everything = _chosen(client)
    assert len(everything) == 3
    ours = _chosen(client, operator=str(world.operator_id))
    assert len(ours) == 2 and {r["operator"] for r in ours} == {"Test Operator LLP"}
    confidence = _chosen(client, reason="confidence")
    assert len(confidence) == 1 and "/confidence" in confidence[0]["reason"]
    assert _chosen(client, reason="100%_") == []  # LIKE's signs are words here, not patterns
    assert len(_chosen(client, state="waiting", days="1")) == 3 and _chosen(client, state="replayed") == []
    assert len(_chosen(client, operator="'; drop table", days="-5", state="x")) == 3  # forged filters filter nothing
    assert all("T" not in r["received"] and "." not in r["received"].split()[-1] for r in everything)
