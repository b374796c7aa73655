"""Operators register cameras; the centre, not the operator, decides the jurisdiction."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.store.models import Camera, DeadLetter
from tests.conftest import ALMALY_POINT, BOSTANDYK_POINT, World


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.api_key}"}


def test_put_creates_then_updates_and_resolves_the_department(app: Flask, client: FlaskClient, world: World) -> None:
    body = {"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1], "heading": 90.0, "field_of_view": 75.0,
            "mount_kind": "school", "address": "ул. Толе би, 59", "live_url": "https://op.example/live/s1.m3u8"}
    created = client.put("/api/v1/cameras/SCH-1", json=body, headers=_auth(world))
    assert created.status_code == 201 and created.get_json()["department_id"] == world.almaly_id
    moved = client.put("/api/v1/cameras/SCH-1", json={**body, "lat": BOSTANDYK_POINT[0], "lon": BOSTANDYK_POINT[1]},
                       headers=_auth(world))
    assert moved.status_code == 200 and moved.get_json()["status"] == "updated"
    assert moved.get_json()["department_id"] == world.bostandyk_id
    with app.extensions["kuzet"].store.session() as s:
        camera = s.scalar(sa.select(Camera).where(Camera.external_id == "SCH-1"))
        assert (camera.heading, camera.field_of_view, camera.mount_kind) == (90.0, 75.0, "school")


def test_operators_cannot_choose_the_jurisdiction_or_send_nonsense(app: Flask, client: FlaskClient,
                                                                   world: World) -> None:
    sneaky = client.put("/api/v1/cameras/X-1", json={"lat": 43.25, "lon": 76.92, "department_id": 1},
                        headers=_auth(world))
    assert sneaky.status_code == 422 and sneaky.get_json()["errors"][0]["pointer"] == "/department_id"
    outside = client.put("/api/v1/cameras/X-2", json={"lat": 60.0, "lon": 76.92}, headers=_auth(world))
    assert outside.status_code == 422 and outside.get_json()["errors"][0]["pointer"] == "/lat"
    assert client.put("/api/v1/cameras/X-3", data=b"{", headers={**_auth(world), "Content-Type": "application/json"}
                      ).status_code == 400
    assert client.put("/api/v1/cameras/X-4", json={"lat": 43.25, "lon": 76.92}).status_code == 401
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(DeadLetter.id))) >= 2


def test_bulk_geojson_registers_many_and_reports_each(app: Flask, client: FlaskClient, world: World) -> None:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [ALMALY_POINT[1] + i * 0.001,
                                                                                   ALMALY_POINT[0]]},
                 "properties": {"camera_id": f"B-{i}", "mount_kind": "road"}} for i in range(5)]
    features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.0, 10.0]},
                     "properties": {"camera_id": "B-bad"}})
    features.append({"type": "Feature", "geometry": None, "properties": {"camera_id": "B-none"}})
    response = client.post("/api/v1/cameras:bulk", json={"type": "FeatureCollection", "features": features},
                           headers=_auth(world))
    body = response.get_json()
    assert response.status_code == 200 and (body["created"], body["rejected"]) == (5, 2)
    assert body["results"][5]["errors"][0]["pointer"].startswith("/features/5/properties/")
    again = client.post("/api/v1/cameras:bulk", json={"type": "FeatureCollection", "features": features[:5]},
                        headers=_auth(world)).get_json()
    assert again["updated"] == 5
    assert client.post("/api/v1/cameras:bulk", json={"type": "Feature"}, headers=_auth(world)).status_code == 422


def test_registration_names_the_centres_id_and_checks_the_live_view(app: Flask, client: FlaskClient,
                                                                     world: World) -> None:
    from services.access.operators import set_video_access
    from services.store.models import Operator

    with app.extensions["kuzet"].store.session() as s:
        set_video_access(s, "test", s.get(Operator, world.operator_id), ["video.op.example"])
    here = {"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1]}
    hls = client.put("/api/v1/cameras/V-1", json={**here, "live_url": "https://video.op.example/v1/live.m3u8"},
                     headers=_auth(world)).get_json()
    with app.extensions["kuzet"].store.session() as s:
        camera = s.scalar(sa.select(Camera).where(Camera.external_id == "V-1"))
        assert hls["id"] == camera.id and camera.live_protocol == "hls"
        assert "warnings" not in hls
    assert client.get(f"/api/v1/cameras/{hls['id']}", headers={"Authorization": "Bearer nope"}).status_code == 401
    whep = client.put("/api/v1/cameras/V-2", json={**here, "live_url": "https://elsewhere.example/whep/cam2",
                                                   "live_protocol": "whep"}, headers=_auth(world)).get_json()
    assert whep["status"] == "created" and whep["warnings"][0]["code"] == "video-host-not-registered"
    refused = {
        "ftp://video.op.example/cam.m3u8": "/live_url",
        "https://user:secret@video.op.example/cam.m3u8": "/live_url",
        "https://video.op.example/cam/stream": "",  # neither a playlist nor said to be WHEP: the whole camera
    }
    for live_url, pointer in refused.items():
        answer = client.put("/api/v1/cameras/V-3", json={**here, "live_url": live_url}, headers=_auth(world))
        assert answer.status_code == 422, live_url
        errors = answer.get_json()["errors"]
        assert errors and errors[0]["pointer"] == pointer, (live_url, errors)
    no_url = client.put("/api/v1/cameras/V-4", json={**here, "live_protocol": "whep"}, headers=_auth(world))
    assert no_url.status_code == 422
    bulk = client.post("/api/v1/cameras:bulk", json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [ALMALY_POINT[1], ALMALY_POINT[0]]},
         "properties": {"camera_id": "V-5", "live_url": "https://video.op.example/v5/live.m3u8"}}]},
        headers=_auth(world)).get_json()
    assert isinstance(bulk["results"][0]["id"], int)
