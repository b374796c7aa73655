"""Vendors' native payloads over HTTP: translated, mapped to registered cameras, stored; the rest kept."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.store.models import Camera, DeadLetter, Event, Incident
from tests.conftest import ALMALY_POINT, World

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "adapters"


def _auth(world: World, content_type: str = "application/xml") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.api_key}", "Content-Type": content_type}


def test_hikvision_alert_reaches_the_department_through_the_vendor_identity(app: Flask, client: FlaskClient,
                                                                          world: World) -> None:
    registered = client.put("/api/v1/cameras/ALM-GATE", json={
        "lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1], "mount_kind": "school",
        "vendor_ids": ["44:19:b6:7a:21:0c:3", "44:19:b6:7a:21:0c:1"]}, headers=_auth(world, "application/json"))
    assert registered.status_code == 201
    body = (CORPUS / "hikvision-isapi" / "line_ver20_nvr.xml").read_bytes()
    answer = client.post("/api/v1/ingest/hikvision-isapi", data=body, headers=_auth(world))
    assert answer.status_code == 202 and answer.get_json()["accepted"] == 1, answer.get_json()
    again = client.post("/api/v1/ingest/hikvision-isapi", data=body, headers=_auth(world)).get_json()
    assert again["duplicate"] == 1  # the camera resent the same alert
    beat = client.post("/api/v1/ingest/hikvision-isapi",
                       data=(CORPUS / "hikvision-isapi" / "videoloss_idle.xml").read_bytes(), headers=_auth(world))
    assert beat.get_json()["accepted"] == 1
    app.extensions["kuzet"].worker.drain()
    app.extensions["kuzet"].worker.sweep_once()
    with app.extensions["kuzet"].store.session() as s:
        incident = s.scalar(sa.select(Incident).where(Incident.type == "intrusion"))
        assert incident.department_id == world.almaly_id
        assert incident.priority == 1  # intrusion at a school: raised by the policy
        camera = s.scalar(sa.select(Camera).where(Camera.external_id == "ALM-GATE"))
        # The idle-videoloss keep-alive (14:05+05:00) is the latest sign of life; it is not stored as an event.
        assert camera.last_seen_at == datetime(2026, 11, 25, 9, 5, tzinfo=timezone.utc)
        assert s.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_unsafe_xml_is_400_and_kept(app: Flask, client: FlaskClient, world: World) -> None:
    for sample in ("xxe.xml", "billion_laughs.xml"):
        response = client.post("/api/v1/ingest/hikvision-isapi",
                               data=(CORPUS / "hikvision-isapi" / sample).read_bytes(), headers=_auth(world))
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        assert "unsafe XML" in response.get_json()["detail"]
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(DeadLetter.id)).where(DeadLetter.endpoint == "ingest/hikvision-isapi")) == 2


def test_unmapped_parts_and_unknown_cameras_are_dead_lettered(app: Flask, client: FlaskClient, world: World) -> None:
    junk = client.post("/api/v1/ingest/dahua?device=DH-SN1",
                       data=(CORPUS / "dahua" / "tamper_and_junk.txt").read_bytes(), headers=_auth(world, "text/plain"))
    body = junk.get_json()
    assert junk.status_code == 202 and len(body["unmapped"]) == 2
    assert body["results"][0]["status"] == "rejected" and "unknown camera 'DH-SN1:1'" in body["results"][0]["reason"]
    with app.extensions["kuzet"].store.session() as s:
        endpoints = s.scalars(sa.select(DeadLetter.endpoint)).all()
    assert endpoints.count("ingest/dahua") == 2  # the unreadable lines, and the event for an unknown camera
    assert client.post("/api/v1/ingest/milestone", data=b"x", headers=_auth(world)).status_code == 404
    assert client.post("/api/v1/ingest/axis", data=b"x", headers=_auth(world, "application/json")).status_code == 400


def test_device_keep_alives_count_for_every_channel_of_the_device(app: Flask, client: FlaskClient,
                                                                 world: World) -> None:
    for camera, vendor_ids in {"NVR-GATE": ["DH-SN1:1", "nvr1:gate"], "NVR-YARD": ["DH-SN1:2", "nvr1:yard"],
                               "ELSEWHERE": ["DH-SN10:1"]}.items():
        assert client.put(f"/api/v1/cameras/{camera}", json={"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1],
                                                             "vendor_ids": vendor_ids},
                          headers=_auth(world, "application/json")).status_code == 201

    def last_seen() -> dict[str, datetime | None]:
        app.extensions["kuzet"].worker.sweep_once()  # flushes the last-seen store
        with app.extensions["kuzet"].store.session() as s:
            return {c.external_id: c.last_seen_at for c in s.scalars(sa.select(Camera).where(
                Camera.external_id.in_(["NVR-GATE", "NVR-YARD", "ELSEWHERE"])))}

    dahua = client.post("/api/v1/ingest/dahua?device=DH-SN1", data=b"Heartbeat\r\n", headers=_auth(world, "text/plain"))
    assert dahua.status_code == 202 and dahua.get_json()["accepted"] == 2, dahua.get_json()
    seen = last_seen()
    assert seen["NVR-GATE"] and seen["NVR-YARD"] and seen["ELSEWHERE"] is None  # DH-SN10 is another device
    frigate = client.post("/api/v1/ingest/frigate?device=nvr1&topic=frigate/available", data=b"online",
                          headers=_auth(world, "text/plain"))
    assert frigate.get_json()["accepted"] == 2 and not frigate.get_json()["unmapped"]
    unknown = client.post("/api/v1/ingest/dahua?device=DH-OTHER", data=b"Heartbeat\r\n",
                          headers=_auth(world, "text/plain")).get_json()
    assert unknown["accepted"] == 0 and unknown["rejected"] == 1  # nothing registered under that device: kept
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(DeadLetter.id)).where(DeadLetter.endpoint == "ingest/dahua")) == 1
