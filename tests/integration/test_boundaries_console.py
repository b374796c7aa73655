"""The boundary import's callbacks as an attacker sends them: a duty officer's forged confirm moves nothing,
a confirm of another file than the previewed one is refused, and garbage gets a plain answer."""

from __future__ import annotations

import base64
import json
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from layouts import boundaries as ids
from services.store.models import District
from tests.conftest import World, login

SQUARE = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Square"},
                     "geometry": {"type": "Polygon", "coordinates": [[[76.85, 43.2], [77.0, 43.2], [77.0, 43.3],
                                                                      [76.85, 43.3], [76.85, 43.2]]]}}]}).encode()


def _upload(data: bytes) -> str:
    return "data:application/geo+json;base64," + base64.b64encode(data).decode()


def _form(contents: str, filename: str) -> list[dict[str, Any]]:
    return [{"id": ids.UPLOAD, "property": "contents", "value": contents},
            {"id": ids.UPLOAD, "property": "filename", "value": filename}]


def _fields() -> list[dict[str, Any]]:
    return [{"id": ids.CITY, "property": "value", "value": "almaty"},
            {"id": ids.NAME_FIELD, "property": "value", "value": "name"},
            {"id": ids.LOCAL_FIELD, "property": "value", "value": None}]


def _callback(client: FlaskClient, first_output: str) -> tuple[str, list[dict[str, str]]]:
    """The registered callback whose first output is ``first_output`` (ids with allow_duplicate carry a hash)."""
    dash_app = client.application.extensions["dash"]
    key = next(k for k in dash_app.callback_map if k.startswith((f"..{first_output}", first_output)))
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]} for part in key.strip(".").split("...")]
    return key, outputs


def _preview(client: FlaskClient, contents: str, filename: str = "a.geojson") -> dict[str, Any]:
    key, outputs = _callback(client, f"{ids.SUMMARY}.children")
    answer = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs,
        "inputs": [{"id": ids.PREVIEW, "property": "n_clicks", "value": 1}],
        "state": _form(contents, filename) + _fields(),
        "changedPropIds": [f"{ids.PREVIEW}.n_clicks"]})
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:300]
    return answer.get_json() or {}


def _confirm(client: FlaskClient, contents: str, previewed: Any, filename: str = "a.geojson") -> str:
    key, outputs = _callback(client, f"{ids.FEEDBACK}.children")
    answer = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs,
        "inputs": [{"id": ids.CONFIRM, "property": "n_clicks", "value": 1}],
        "state": _form(contents, filename) + [{"id": ids.PREVIEWED, "property": "data", "value": previewed}]
        + _fields(),
        "changedPropIds": [f"{ids.CONFIRM}.n_clicks"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return json.dumps(answer.get_json(), ensure_ascii=False)


def _squares(app: Flask) -> int:
    with app.extensions["kuzet"].store.session() as s:
        return int(s.scalar(sa.select(sa.func.count(District.id)).where(District.name == "Square")))


def test_a_duty_officer_forging_the_confirm_moves_nothing(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    import hashlib

    forged = {"sha256": hashlib.sha256(SQUARE).hexdigest(), "form": ["almaty", "name", None]}
    text = _confirm(client, _upload(SQUARE), forged)
    assert "Только для администраторов" in text and _squares(app) == 0


def test_only_the_previewed_file_is_imported(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "admin")
    found = _preview(client, _upload(SQUARE))
    previewed = found["response"][ids.PREVIEWED]["data"]
    assert previewed["form"] == ["almaty", "name", None] and _squares(app) == 0
    other = SQUARE.replace(b"Square", b"Quadra")
    text = _confirm(client, _upload(other), previewed)
    assert "изменились после предпросмотра" in text and _squares(app) == 0
    assert "Импортировано" in _confirm(client, _upload(SQUARE), previewed) and _squares(app) == 1


def test_garbage_gets_a_plain_answer(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "admin")
    for contents, filename in ((_upload(b"{not json"), "x.geojson"), (_upload(SQUARE), "x.exe"),
                               ("data:x;base64,@@@", "x.geojson"), ("", "x.geojson")):
        found = _preview(client, contents, filename)
        feedback = found["response"][ids.FEEDBACK]["children"]
        assert isinstance(feedback, str) and feedback and "Traceback" not in feedback, (filename, feedback)
        assert found["response"][ids.CONFIRM]["disabled"] is True
