"""/map/cameras.json: a wall's cameras in scope, built once per change, revalidated by ETag."""

from __future__ import annotations

import gzip
import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from dashboard.map_data import ANSWERS
from services.cameras.health import set_state
from services.duty.situation import camera_points_version
from services.store.models import Camera, utcnow
from tests.conftest import World, login


def _features(answer: object) -> dict[str, dict[str, object]]:
    body = answer.data  # type: ignore[attr-defined]
    if answer.headers.get("Content-Encoding") == "gzip":  # type: ignore[attr-defined]
        body = gzip.decompress(body)
    return {f["properties"]["e"]: f["properties"] for f in json.loads(body)["features"]}


def test_a_wall_gets_its_own_cameras_only_and_others_look_absent(app: Flask, client: FlaskClient, world: World) -> None:
    assert client.get(f"/map/cameras.json?department={world.almaly_id}").status_code in (302, 404)  # not logged in
    assert login(client, "duty.a").status_code == 302
    own = client.get(f"/map/cameras.json?department={world.almaly_id}")
    assert own.status_code == 200 and own.headers["Kuzet-Department"] == str(world.almaly_id)
    assert "CAM-A" in _features(own) and "CAM-B" not in _features(own)
    # Without ?department= the officer's own wall, as the wall's early fetch asks before Dash has drawn the page.
    default = client.get("/map/cameras.json")
    assert default.status_code == 200 and default.headers["Kuzet-Department"] == str(world.almaly_id)
    assert default.headers["ETag"] == own.headers["ETag"]
    for wrong in (f"?department={world.bostandyk_id}", "?department=abc", "?department=99999", "?department="):
        assert client.get(f"/map/cameras.json{wrong}").status_code == 404, wrong


def test_the_answer_is_built_once_and_rebuilt_when_a_camera_changes(app: Flask, client: FlaskClient,
                                                                    world: World) -> None:
    login(client, "duty.a")
    url = f"/map/cameras.json?department={world.almaly_id}"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and _features(first)["CAM-A"]["h"] != 2
    answers = app.extensions[ANSWERS]
    store = app.extensions["kuzet"].store
    with store.session() as s:
        built = answers.answer(s, {world.almaly_id})
        assert answers.answer(s, {world.almaly_id}) is built  # nothing changed: not encoded again
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    with store.session() as s:
        set_state(s, s.get(Camera, world.cameras["CAM-A"]), "offline", "silent", utcnow())
        s.commit()
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert _features(changed)["CAM-A"]["h"] == 2


def test_the_fingerprint_moves_when_two_cameras_swap_health(app: Flask, world: World) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        a = s.get(Camera, world.cameras["CAM-A"])
        b = s.get(Camera, world.cameras["CAM-B"])
        s.execute(sa.update(Camera).where(Camera.id == b.id).values(department_id=a.department_id))
        set_state(s, a, "online", "back", utcnow())
        set_state(s, b, "offline", "silent", utcnow())
        s.commit()
        before = camera_points_version(s, {a.department_id})
        set_state(s, a, "offline", "silent", utcnow())
        set_state(s, b, "online", "back", utcnow())
        s.commit()
        assert camera_points_version(s, {a.department_id}) != before
