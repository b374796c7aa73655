"""Video through the centre: playlists rewritten, segments streamed, scope, credentials, allow-list, hashes, stalls."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import m3u8
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.access.operators import set_video_access
from services.store import audit
from services.store.models import AuditEntry, Camera, EvidenceCheck, Operator, VideoView
from services.video.views import end_idle_views
from tests.conftest import World, credentials, event

SECRET = "Bearer operator-video-secret"
SEGMENT = bytes(range(256)) * 400  # 100 KiB, streamed through
SNAPSHOT = b"\xff\xd8\xff\xe0" + b"jpeg-body" * 100


class Upstream:
    """A stand-in operator video server: fixed answers per path, requires the operator's credential."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, float]] = {}
        self.seen: list[tuple[str, str | None]] = []
        self.secret = SECRET
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.seen.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != server.secret:
                    self.send_response(401)
                    self.end_headers()
                    return
                status, kind, body, delay = server.routes.get(self.path, (404, "text/plain", b"no", 0.0))
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Set-Cookie", "operator=tracks-you")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"http://{self.host}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    master = ("#EXTM3U\n#EXT-X-VERSION:3\n"
              '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.42e01e"\n'
              "low/index.m3u8\n")
    media = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
             '#EXT-X-KEY:METHOD=AES-128,URI="/keys/k1.bin"\n'
             "#EXTINF:2.0,\nseg7.ts\n#EXTINF:2.0,\n" + server.url + "/cam/low/seg8.ts\n")
    server.routes.update({
        "/cam/live.m3u8": (200, "application/vnd.apple.mpegurl", master.encode(), 0.0),
        "/cam/low/index.m3u8": (200, "application/vnd.apple.mpegurl", media.encode(), 0.0),
        "/cam/low/seg7.ts": (200, "video/mp2t", SEGMENT, 0.0),
        "/cam/low/seg8.ts": (200, "video/mp2t", SEGMENT[::-1], 0.0),
        "/keys/k1.bin": (200, "application/octet-stream", b"0123456789abcdef", 0.0),
        "/snap/good.jpg": (200, "image/jpeg", SNAPSHOT, 0.0),
        "/snap/tampered.jpg": (200, "image/jpeg", SNAPSHOT + b"edited", 0.0),
        "/slow/live.m3u8": (200, "application/vnd.apple.mpegurl", master.encode(), 3.0),
    })
    yield server
    server.close()


def _setup(app: Flask, world: World, upstream: Upstream, live: str = "/cam/live.m3u8") -> int:
    """CAM-A streams from the stand-in server; the operator's host and credential registered by the centre."""
    with app.extensions["kuzet"].store.session() as s:
        operator = s.get(Operator, world.operator_id)
        set_video_access(s, "test", operator, [upstream.host], SECRET)
        camera = s.get(Camera, world.cameras["CAM-A"])
        camera.live_url, camera.live_protocol = upstream.url + live, "hls"
    return world.cameras["CAM-A"]


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json=credentials(username))
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def test_the_playlist_comes_rewritten_and_segments_stream_through_the_centre(
        app: Flask, client: FlaskClient, world: World, upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    officer = _token(client, "duty.a")
    master = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    assert master.status_code == 200, master.get_data(as_text=True)
    assert master.mimetype == "application/vnd.apple.mpegurl"
    text = master.get_data(as_text=True)
    assert upstream.host not in text and "operator-video-secret" not in text
    variant = m3u8.loads(text).playlists[0]
    assert variant.uri.startswith(f"/video/{camera}/s/") and variant.uri.endswith("/index.m3u8")
    token = variant.uri.split("/")[4]
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"127.0.0.1" not in decoded and b"/cam/" not in decoded  # the ticket hides the operator's address
    assert variant.stream_info.codecs == "avc1.42e01e"  # what the player needs to know survives
    media_answer = client.get(variant.uri, headers=officer)
    assert media_answer.status_code == 200
    media = m3u8.loads(media_answer.get_data(as_text=True))
    assert media.media_sequence == 7 and media.target_duration == 2
    uris = [s.uri for s in media.segments] + [media.keys[0].uri]
    assert all(u.startswith(f"/video/{camera}/s/") for u in uris), uris
    first = client.get(media.segments[0].uri, headers=officer)
    assert first.status_code == 200 and first.mimetype == "video/mp2t"
    assert first.get_data() == SEGMENT
    assert "Set-Cookie" not in first.headers  # nothing of the operator's answer but the media itself
    assert client.get(media.segments[1].uri, headers=officer).get_data() == SEGMENT[::-1]  # absolute URI too
    assert client.get(media.keys[0].uri, headers=officer).get_data() == b"0123456789abcdef"
    assert {auth for _, auth in upstream.seen} == {SECRET}  # the credential went to the operator, from the server


def test_a_view_is_on_record_from_when_to_when(app: Flask, client: FlaskClient, world: World,
                                               upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    officer = _token(client, "duty.a")
    first = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    again = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    assert first.headers["X-Kuzet-View"] == again.headers["X-Kuzet-View"]  # a reload continues the view
    # ... and names every resource the same way: a player matches segments across reloads by their URIs.
    assert first.get_data() == again.get_data()
    view_id = int(first.headers["X-Kuzet-View"])
    assert client.post(f"/video/{camera}/views/{view_id}/end", headers=officer).status_code == 204
    store = app.extensions["kuzet"].store
    with store.session() as s:
        view = s.get(VideoView, view_id)
        assert view.ended_at is not None and view.ended_at >= view.started_at
        entries = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("video.%")).order_by(AuditEntry.id)))
        assert [(e.actor, e.action) for e in entries] == [("duty.a", "video.view"), ("duty.a", "video.view_ended")]
        assert entries[0].detail["camera"] == camera and entries[1].detail["reason"] == "closed"
        assert audit.verify(s).intact
    # The ended view's tickets are spent.
    segment_uri = m3u8.loads(first.get_data(as_text=True)).playlists[0].uri
    assert client.get(segment_uri, headers=officer).status_code == 404
    chief = _token(client, "chief")
    listed = client.get(f"/api/v1/cameras/{camera}/views", headers=chief).get_json()["views"]
    assert [(v["user"], v["view"], v["kind"]) for v in listed] == [("duty.a", view_id, "live")]
    assert listed[0]["ended_at"] is not None
    by_user = client.get("/api/v1/users/duty.a/views", headers=chief).get_json()["views"]
    assert [v["camera_id"] for v in by_user] == [camera]
    assert client.get(f"/api/v1/cameras/{camera}/views", headers=officer).status_code == 403


def test_a_view_nobody_keeps_alive_ends_at_its_last_request(app: Flask, client: FlaskClient, world: World,
                                                            upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    view_id = int(client.get(f"/video/{camera}/live.m3u8", headers=_token(client, "duty.a")).headers["X-Kuzet-View"])
    store = app.extensions["kuzet"].store
    with store.session() as s:
        assert end_idle_views(s, datetime.now(timezone.utc)) == 0
        assert end_idle_views(s, datetime.now(timezone.utc) + timedelta(minutes=5)) == 1
    with store.session() as s:
        view = s.get(VideoView, view_id)
        assert view.ended_at == view.last_seen_at
        ended = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "video.view_ended"))
        assert ended.actor == "system" and ended.detail["reason"] == "idle"


def test_another_department_a_trainer_and_a_stranger_get_no_video(app: Flask, client: FlaskClient, world: World,
                                                                  upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    own = client.get(f"/video/{camera}/live.m3u8", headers=_token(client, "duty.a"))
    variant = m3u8.loads(own.get_data(as_text=True)).playlists[0].uri
    other = _token(client, "duty.b")
    assert client.get(f"/video/{camera}/live.m3u8", headers=other).status_code == 404
    assert client.get(variant, headers=other).status_code == 404  # a ticket is the viewer's own
    assert client.get(f"/video/{camera}/live.m3u8", headers=_token(client, "trainer.a")).status_code == 403
    assert client.get(f"/video/{camera}/live.m3u8").status_code == 401
    assert client.get(variant).status_code == 401
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(VideoView.id))) == 1


def test_a_forged_or_altered_ticket_fetches_nothing(app: Flask, client: FlaskClient, world: World,
                                                    upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    officer = _token(client, "duty.a")
    own = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    uri = m3u8.loads(own.get_data(as_text=True)).playlists[0].uri
    token = uri.split("/")[4]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    before = len(upstream.seen)
    for path in (f"/video/{camera}/s/{tampered}/index.m3u8", f"/video/{camera}/s/not-a-ticket/x.ts",
                 f"/video/{world.cameras['CAM-B']}/s/{token}/index.m3u8"):
        answer = client.get(path, headers=officer)
        assert answer.status_code == 404, path
        assert answer.mimetype == "application/problem+json"
    assert len(upstream.seen) == before  # none of them reached the operator


def test_only_the_operators_registered_hosts_are_fetched(app: Flask, client: FlaskClient, world: World,
                                                         upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    officer = _token(client, "duty.a")
    # The operator registers a live URL on a host the centre never registered for it (an internal address).
    with app.extensions["kuzet"].store.session() as s:
        s.get(Camera, camera).live_url = "http://127.0.0.1:9/latest/meta-data/live.m3u8"
    refused = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    assert refused.status_code == 403 and "not among the video hosts registered" in refused.get_json()["detail"]
    # A playlist on the registered host that points a segment elsewhere is refused whole.
    upstream.routes["/cam/evil.m3u8"] = (200, "application/vnd.apple.mpegurl",
                                         b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://169.254.169.254/seg.ts\n",
                                         0.0)
    with app.extensions["kuzet"].store.session() as s:
        s.get(Camera, camera).live_url = upstream.url + "/cam/evil.m3u8"
    leaked = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    assert leaked.status_code == 502 and "registered" in leaked.get_json()["detail"]
    assert "169.254" not in leaked.get_data(as_text=True)  # no address of anyone's is named to the viewer
    assert "169.254.169.254" not in [p for p, _ in upstream.seen]


def test_a_stalled_operator_server_gets_a_clear_error_within_the_limit(
        db_url: str, upstream: Upstream) -> None:
    from dashboard import create_app
    from tests.conftest import seed_world

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True, "WORKER_THREAD": False,
                      "VIDEO_READ_TIMEOUT_S": 0.5})
    try:
        world = seed_world(app.extensions["kuzet"].store)
        client = app.test_client()
        camera = _setup(app, world, upstream, live="/slow/live.m3u8")
        started = time.monotonic()
        answer = client.get(f"/video/{camera}/live.m3u8", headers=_token(client, "duty.a"))
        took = time.monotonic() - started
        assert answer.status_code == 502 and answer.mimetype == "application/problem+json"
        assert "did not answer within 0.5 s" in answer.get_json()["detail"]
        assert upstream.host not in answer.get_data(as_text=True)
        assert took < 2.5
    finally:
        app.extensions["kuzet"].stop()


def _event_with_media(app: Flask, client: FlaskClient, world: World, media: list[dict[str, Any]]) -> int:
    sent = client.post("/api/v1/events", json=event("CAM-A", media=media),
                       headers={"Authorization": f"Bearer {world.api_key}"})
    assert sent.status_code == 202, sent.get_json()
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.text("SELECT max(id) FROM events"))


def test_evidence_hashes_are_checked_and_a_mismatch_is_recorded(app: Flask, client: FlaskClient, world: World,
                                                                 upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    good = hashlib.sha256(SNAPSHOT).hexdigest()
    event_pk = _event_with_media(app, client, world, [
        {"kind": "snapshot", "url": upstream.url + "/snap/good.jpg", "sha256": good},
        {"kind": "snapshot", "url": upstream.url + "/snap/tampered.jpg", "sha256": good},
        {"kind": "snapshot", "url": upstream.url + "/snap/good.jpg"}])
    officer = _token(client, "duty.a")
    shown = client.get(f"/video/{camera}/snapshot/{event_pk}/0", headers=officer)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and shown.get_data() == SNAPSHOT
    assert shown.headers["X-Kuzet-Evidence"] == "match"
    tampered = client.get(f"/video/{camera}/snapshot/{event_pk}/1", headers=officer)
    assert tampered.headers["X-Kuzet-Evidence"] == "mismatch"
    verdict = client.get(f"/video/{camera}/check/{event_pk}/1", headers=officer).get_json()
    assert verdict["verdict"] == "mismatch" and verdict["declared"] == good
    assert verdict["actual"] == hashlib.sha256(SNAPSHOT + b"edited").hexdigest()
    assert client.get(f"/video/{camera}/check/{event_pk}/2", headers=officer).get_json()["verdict"] == "undeclared"
    for bad in ("3", "-1", "x", "99999999999"):
        assert client.get(f"/video/{camera}/snapshot/{event_pk}/{bad}", headers=officer).status_code == 404
    assert client.get(f"/video/{camera}/snapshot/{event_pk}/0", headers=_token(client, "duty.b")).status_code == 404
    with app.extensions["kuzet"].store.session() as s:
        checks = {c.position: c.verdict for c in s.scalars(sa.select(EvidenceCheck))}
        assert checks == {0: "match", 1: "mismatch", 2: "undeclared"}
        mismatch = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "evidence.hash_mismatch")))
        assert len(mismatch) == 1 and mismatch[0].detail["position"] == 1 and mismatch[0].actor == "duty.a"


def test_a_clip_plays_by_ranges_under_one_view(app: Flask, client: FlaskClient, world: World,
                                               upstream: Upstream) -> None:
    camera = _setup(app, world, upstream)
    upstream.routes["/clips/c1.mp4"] = (200, "video/mp4", SEGMENT, 0.0)
    event_pk = _event_with_media(app, client, world, [
        {"kind": "clip", "url": upstream.url + "/clips/c1.mp4", "sha256": hashlib.sha256(SEGMENT).hexdigest()}])
    officer = _token(client, "duty.a")
    opened = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer)
    assert opened.status_code == 303 and opened.headers["Location"].startswith(f"/video/{camera}/s/")
    again = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer)
    assert again.status_code == 303  # the player's second request continues the same view (counted below)
    played = client.get(opened.headers["Location"], headers=officer)
    assert played.status_code == 200 and played.get_data() == SEGMENT and played.mimetype == "video/mp4"
    assert client.get(f"/video/{camera}/check/{event_pk}/0", headers=officer).get_json()["verdict"] == "match"
    with app.extensions["kuzet"].store.session() as s:
        views = list(s.scalars(sa.select(VideoView)))
        assert [(v.kind, v.protocol, v.event_id) for v in views] == [("clip", "mp4", event_pk)]


def test_a_camera_can_have_its_own_credential_set_from_the_cli(app: Flask, client: FlaskClient, world: World,
                                                               upstream: Upstream, db_url: str) -> None:
    from click.testing import CliRunner

    from dashboard.cli import main

    camera = _setup(app, world, upstream)
    upstream.secret = "Basic Y2FtLWE6b3du"  # this camera's recorder wants its own
    officer = _token(client, "duty.a")
    assert client.get(f"/video/{camera}/live.m3u8", headers=officer).status_code == 502  # the operator's is refused
    done = CliRunner().invoke(main, ["operators", "video", "Test Operator LLP", "--camera", "CAM-A",
                                     "--auth", upstream.secret, "--db", db_url])
    assert done.exit_code == 0, done.output
    assert client.get(f"/video/{camera}/live.m3u8", headers=officer).status_code == 200
    assert upstream.seen[-1][1] == upstream.secret
    unknown = CliRunner().invoke(main, ["operators", "video", "Test Operator LLP", "--camera", "NOPE", "--auth", "x",
                                        "--db", db_url])
    assert unknown.exit_code != 0 and "no camera 'NOPE'" in unknown.output
    with app.extensions["kuzet"].store.session() as s:
        entry = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "admin.camera.video"))
        assert entry.detail["credential"] == "own" and upstream.secret not in str(entry.detail)
