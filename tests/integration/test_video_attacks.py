"""Attacks on /video/<camera id>/...: forged requests, hostile operator servers, and what the centre must still do.

Each test asserts the safe behaviour: it passes when the code is safe. Nothing leaves 127.0.0.1: the stand-in
operator servers listen there, and a guard on urllib3's connections refuses (and records) any other address,
so even a vulnerable build sends nothing to 169.254.169.254 or anywhere else.

Attackers considered: a viewer with a valid login forging paths, tickets and bodies; an officer of another
department, a trainer, an operator's login, an API key, nobody; and an operator whose server (or whose events'
evidence URLs) is hostile or broken: redirects, playlists pointing elsewhere, content types, headers, cookies,
compression, sizes, trickles.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import m3u8
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.access.operators import set_video_access
from services.store.models import AuditEntry, Camera, EvidenceCheck, Incident, Operator, VideoView
from services.video.proxy import VideoProxy
from services.video.views import end_idle_views
from tests.conftest import PASSWORD, World, credentials, event, login

CREDENTIAL_MARK = "attack-suite-operator-credential"
SECRET = f"Bearer {CREDENTIAL_MARK}"
OTHER_SECRET = "Bearer other-operator-credential-xyz"
SEGMENT = bytes(range(256)) * 400  # 100 KiB
SNAPSHOT = b"\xff\xd8\xff\xe0" + b"jpeg-body" * 100
OFFER = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
ANSWER = b"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=answer\r\nt=0 0\r\n"
# What an operator's server says about itself; none of it may reach a viewer.
NOISE = {"Set-Cookie": "operator-session=tracks-you; Path=/", "X-Operator-Internal": "10.20.30.40 node-7",
         "X-Powered-By": "OperatorStreamer/9.9"}
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                "application/javascript", "text/javascript", "application/ecmascript", "text/xsl")


@dataclass
class Reply:
    """One canned answer of a stand-in server."""

    status: int = 200
    type: str = "application/octet-stream"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0  # seconds between single bytes of the body
    length: int | None = None  # Content-Length declared: None = the body's, -1 = none (the close ends it)
    cut: int | None = None  # send only this many bytes of the body, then close


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Origin:
    """A stand-in operator video server on 127.0.0.1: canned replies by path, every request recorded."""

    def __init__(self, credential: str | None = SECRET) -> None:
        self.routes: dict[str, Reply | Callable[[Hit], Reply]] = {}
        self.seen: list[Hit] = []
        self.written: dict[str, int] = {}  # body bytes the peer accepted, per path, once the answer is over
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                hit = Hit(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(size) if size else b"")
                origin.seen.append(hit)
                route = origin.routes.get(self.path) or origin.routes.get(self.path.split("?")[0])
                reply = route(hit) if callable(route) else route
                if reply is None:
                    reply = Reply(404, "text/plain", b"no such thing")
                if credential is not None and hit.headers.get("authorization") != credential:
                    reply = Reply(401, "text/plain", b"who are you")
                try:
                    time.sleep(reply.delay)
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.type)
                    length = len(reply.body) if reply.length is None else reply.length
                    if length >= 0:
                        self.send_header("Content-Length", str(length))
                    for name, value in {**NOISE, **reply.headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    body = reply.body if reply.cut is None else reply.body[:reply.cut]
                    if reply.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(reply.trickle)
                    else:
                        sent = 0
                        try:
                            for at in range(0, len(body), 1 << 16):
                                self.wfile.write(body[at:at + (1 << 16)])
                                sent += len(body[at:at + (1 << 16)])
                        finally:
                            origin.written[self.path] = sent
                except OSError:
                    pass  # the centre hung up (a limit, a timeout): that is its right

            do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


MASTER = ("#EXTM3U\n#EXT-X-VERSION:3\n"
          '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.42e01e"\n'
          "low/index.m3u8\n")
MEDIA = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
         "#EXTINF:2.0,\nseg7.ts\n#EXTINF:2.0,\nseg8.ts\n")
PLAYLIST = "application/vnd.apple.mpegurl"


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every connection urllib3 opens in this process, recorded; any but 127.0.0.1 refused before a packet leaves."""
    import urllib3.util.connection as connection

    original = connection.create_connection
    attempts: list[tuple[str, int]] = []

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        attempts.append((address[0], int(address[1])))
        if address[0] not in ("127.0.0.1", "localhost"):
            raise OSError(f"test guard: no traffic to {address[0]}")
        return original(address, *args, **kwargs)

    monkeypatch.setattr(connection, "create_connection", guarded)
    return attempts


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = Origin()
    server.routes.update({
        "/cam/live.m3u8": Reply(type=PLAYLIST, body=MASTER.encode()),
        "/cam/low/index.m3u8": Reply(type=PLAYLIST, body=MEDIA.encode()),
        "/cam/low/seg7.ts": Reply(type="video/mp2t", body=SEGMENT),
        "/cam/low/seg8.ts": Reply(type="video/mp2t", body=SEGMENT[::-1]),
        "/snap/good.jpg": Reply(type="image/jpeg", body=SNAPSHOT),
        "/clips/c1.mp4": Reply(type="video/mp4", body=SEGMENT),
    })
    yield server
    server.close()


@pytest.fixture
def evil() -> Iterator[Origin]:
    """An address the centre must never fetch from: on 127.0.0.1, but registered for nobody."""
    server = Origin(credential=None)
    server.routes["/"] = Reply(type=PLAYLIST, body=MASTER.encode())
    yield server
    server.close()


@pytest.fixture
def served(app: Flask) -> Flask:
    """The app answering an unexpected exception with a 500, as in production, instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _setup(app: Flask, world: World, origin: Origin, live: str = "/cam/live.m3u8", protocol: str = "hls") -> int:
    with app.extensions["kuzet"].store.session() as s:
        set_video_access(s, "test", s.get(Operator, world.operator_id), [origin.host], SECRET)
        camera = s.get(Camera, world.cameras["CAM-A"])
        camera.live_url, camera.live_protocol = origin.url + live, protocol
    return world.cameras["CAM-A"]


def _live_url(app: Flask, camera: int, url: str, protocol: str = "hls") -> None:
    with app.extensions["kuzet"].store.session() as s:
        cam = s.get(Camera, camera)
        cam.live_url, cam.live_protocol = url, protocol


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json=credentials(username))
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def _limits(app: Flask, **changes: Any) -> None:
    upstream = app.extensions["kuzet"].video.upstream
    upstream.limits = dataclasses.replace(upstream.limits, **changes)


def _event(app: Flask, client: FlaskClient, world: World, media: list[dict[str, Any]], camera: str = "CAM-A") -> int:
    sent = client.post("/api/v1/events", json=event(camera, media=media),
                       headers={"Authorization": f"Bearer {world.api_key}"})
    assert sent.status_code == 202, sent.get_json()
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.text("SELECT max(id) FROM events"))


def _counts(app: Flask) -> tuple[int, int]:
    """(video views, video.* and evidence.* journal entries)."""
    with app.extensions["kuzet"].store.session() as s:
        return (s.scalar(sa.select(sa.func.count(VideoView.id))),
                s.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
                    sa.or_(AuditEntry.action.like("video.%"), AuditEntry.action.like("evidence.%")))))


def _consume(answer: Any) -> tuple[bytes, bool]:
    """The body as the viewer gets it, and whether the transfer was aborted (the iterator raised)."""
    data = bytearray()
    try:
        for chunk in answer.response:
            data += chunk
    except Exception:  # noqa: BLE001 - an aborted stream is how a WSGI server signals a cut transfer
        return bytes(data), True
    finally:
        answer.close()
    return bytes(data), False


def _leaks(answer: Any, *secrets: str) -> list[str]:
    """What of the operator's a response carries: its credential, its cookie and headers, a stack trace."""
    text = answer.get_data().decode("utf-8", "replace")
    headers = "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
    found = []
    for secret in (CREDENTIAL_MARK, "operator-video-secret", *secrets):
        if secret in text or secret in headers:
            found.append(f"{secret!r} in the response")
    if "Traceback (most recent call last)" in text or 'File "/' in text:
        found.append("a stack trace in the body")
    for marker in ("tracks-you", "session=stolen", "10.20.30.40", "OperatorStreamer", "BaseHTTP"):
        if marker in headers:
            found.append(f"the operator's header ({marker}) passed on")
    return found


def _judge(answer: Any, label: str, bad: list[str], *secrets: str) -> Any:
    """No 5xx but a 502 problem document; nothing of the operator's leaked."""
    if answer.status_code >= 500 and not (answer.status_code == 502 and answer.mimetype == "application/problem+json"):
        bad.append(f"{label}: {answer.status_code} {answer.get_data(as_text=True)[:200]!r}")
    bad.extend(f"{label}: {leak}" for leak in _leaks(answer, *secrets))
    return answer


def _variant(client: FlaskClient, camera: int, who: dict[str, str]) -> str:
    master = client.get(f"/video/{camera}/live.m3u8", headers=who)
    assert master.status_code == 200, master.get_data(as_text=True)
    return m3u8.loads(master.get_data(as_text=True)).playlists[0].uri


def _segments(client: FlaskClient, camera: int, who: dict[str, str]) -> list[str]:
    media = client.get(_variant(client, camera, who), headers=who)
    assert media.status_code == 200, media.get_data(as_text=True)
    return [s.uri for s in m3u8.loads(media.get_data(as_text=True)).segments]


# -- SSRF ---------------------------------------------------------------------------------------------------------
def test_redirects_and_evidence_urls_never_reach_an_unregistered_address(
        served: Flask, client: FlaskClient, world: World, origin: Origin, evil: Origin,
        loopback_only: list[tuple[str, int]]) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    p, e = origin.port, evil.port
    targets = [
        "http://169.254.169.254/latest/meta-data/iam/", f"http://127.0.0.1:{e}/", f"//127.0.0.1:{e}/x",
        "file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", f"ftp://127.0.0.1:{e}/",
        f"http://127.0.0.1:{p}@127.0.0.1:{e}/",  # registered.host@evil
        f"http://127.0.0.1:{e}#@127.0.0.1:{p}/",  # evil#@registered.host
        f"http://127.0.0.1:{e}\\@127.0.0.1:{p}/", f"http://127.0.0.1:{p}\\@127.0.0.1:{e}/",
        f"http://user:pw@127.0.0.1:{p}/cam/live.m3u8",  # userinfo on the registered host itself
        f"http://[::ffff:127.0.0.1]:{p}/", f"http://[::1]:{e}/", f"http://2130706433:{p}/", f"http://0x7f000001:{p}/",
        f"http://127.1:{p}/", f"http://127.0.0.1.:{p}/", f"http://localhost:{p}/", f"http://LOCALHOST:{e}/",
        f"http://127.0.0.1:{p + 1 if p + 1 != e else p + 2}/",
        f"https://127.0.0.1:{e}/", f"http://127.0.0.1:{e}/%2e%2e/",
    ]
    bad: list[str] = []
    views_before = _counts(served)
    for number, target in enumerate(targets):
        # The registered live URL answers a redirect to the target (each status a browser would follow).
        status = (301, 302, 303, 307, 308)[number % 5]
        origin.routes[f"/hop/{number}.m3u8"] = Reply(status, "text/plain", b"", {"Location": target})
        _live_url(served, camera, f"{origin.url}/hop/{number}.m3u8")
        answer = _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), f"redirect to {target}", bad)
        if answer.status_code == 200:
            bad.append(f"redirect to {target}: followed (200)")
    # A segment that redirects, a snapshot and a clip whose evidence URLs point elsewhere.
    _live_url(served, camera, origin.url + "/cam/live.m3u8")
    origin.routes["/cam/low/seg7.ts"] = Reply(302, "text/plain", b"", {"Location": f"http://127.0.0.1:{e}/seg.ts"})
    segment = _segments(client, camera, officer)[0]
    if _judge(client.get(segment, headers=officer), "segment redirect", bad).status_code == 200:
        bad.append("segment redirect: followed")
    evidence = [f"http://127.0.0.1:{e}/x.jpg", "http://169.254.169.254/latest/meta-data/x.jpg",
                f"http://127.0.0.1:{p}@127.0.0.1:{e}/x.jpg", f"http://127.0.0.1:{e}#@127.0.0.1:{p}/x.jpg"]
    event_pk = _event(served, client, world, [{"kind": "snapshot", "url": u} for u in evidence[:2]]
                      + [{"kind": "clip", "url": u} for u in evidence[2:]])
    for n in range(4):
        kind = "snapshot" if n < 2 else "clip"
        answer = _judge(client.get(f"/video/{camera}/{kind}/{event_pk}/{n}", headers=officer), f"{kind} {n}", bad)
        if kind == "clip" and answer.status_code == 303:
            answer = _judge(client.get(answer.headers["Location"], headers=officer), f"clip {n} played", bad)
        if answer.status_code == 200:
            bad.append(f"{kind} {n} at {evidence[n]}: fetched")
        _judge(client.get(f"/video/{camera}/check/{event_pk}/{n}", headers=officer), f"check {n}", bad)
    assert not bad, "\n".join(bad)
    assert evil.seen == [], [h.path for h in evil.seen]
    assert {a for a in loopback_only} <= {("127.0.0.1", p)}, set(loopback_only)  # nothing but the registered server
    with served.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(EvidenceCheck.id))) == 0
    assert _counts(served)[0] <= views_before[0] + 2  # the segment's live view and the clips' views, no more


def test_a_redirect_body_is_not_read_whole_before_the_next_hop(served: Flask, client: FlaskClient, world: World,
                                                               origin: Origin) -> None:
    """requests' Session.send prepares the next hop even with allow_redirects=False, reading the 3xx body whole."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    fat = 16 << 20  # 16 MiB: 16 times the playlist limit
    origin.routes["/hop/fat.m3u8"] = Reply(302, "text/plain", b"r" * fat, {"Location": "/cam/live.m3u8"})
    _live_url(served, camera, origin.url + "/hop/fat.m3u8")
    answer = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    deadline = time.monotonic() + 3
    while "/hop/fat.m3u8" not in origin.written and time.monotonic() < deadline:
        time.sleep(0.05)
    taken = origin.written.get("/hop/fat.m3u8", 0)
    assert taken < 8 << 20, (f"the centre took {taken >> 20} MiB of a redirect's body into memory for a playlist "
                             f"limited to 1 MiB (then answered {answer.status_code})")


def test_playlist_uris_elsewhere_refuse_the_whole_playlist(served: Flask, client: FlaskClient, world: World,
                                                           origin: Origin, evil: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    p, e = origin.port, evil.port
    away = f"http://127.0.0.1:{e}"
    head = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"
    playlists = {
        "segment": head + f"#EXTINF:2,\n{away}/seg.ts\n",
        "protocol-relative": head + f"#EXTINF:2,\n//127.0.0.1:{e}/seg.ts\n",
        "key": head + f'#EXT-X-KEY:METHOD=AES-128,URI="{away}/k.bin"\n#EXTINF:2,\nseg.ts\n',
        "data key": head + '#EXT-X-KEY:METHOD=AES-128,URI="data:text/plain;base64,AAAA"\n#EXTINF:2,\nseg.ts\n',
        "map": head + f'#EXT-X-MAP:URI="{away}/init.mp4"\n#EXTINF:2,\nseg.m4s\n',
        "variant": f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{away}/v.m3u8\n",
        "rendition": f'#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="{away}/a.m3u8"\n'
                     '#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO="a"\nv.m3u8\n',
        "i-frames": f'#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="{away}/i.m3u8"\n'
                    "#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
        "session key": f'#EXTM3U\n#EXT-X-SESSION-KEY:METHOD=AES-128,URI="{away}/k"\n'
                       "#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
        "session data": f'#EXTM3U\n#EXT-X-SESSION-DATA:DATA-ID="com.x",URI="{away}/d.json"\n'
                        "#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
        "part": head + f'#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-PART:DURATION=0.5,URI="{away}/p.m4s"\n'
                       "#EXTINF:2,\nseg.m4s\n",
        "preload hint": head + f'#EXT-X-PART-INF:PART-TARGET=0.5\n#EXTINF:2,\nseg.m4s\n'
                               f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{away}/h.m4s"\n',
        "rendition report": head + f'#EXTINF:2,\nseg.ts\n#EXT-X-RENDITION-REPORT:URI="{away}/r.m3u8",LAST-MSN=1\n',
        "userinfo": head + f"#EXTINF:2,\nhttp://127.0.0.1:{p}@127.0.0.1:{e}/seg.ts\n",
        "fragment trick": head + f"#EXTINF:2,\nhttp://127.0.0.1:{e}#@127.0.0.1:{p}/seg.ts\n",
        "interstitial asset": head + '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n#EXT-X-DATERANGE:ID="ad",'
                              f'CLASS="com.apple.hls.interstitial",START-DATE="2026-01-01T00:00:00Z",'
                              f'X-ASSET-URI="{away}/ad.m3u8"\n#EXTINF:2,\nseg.ts\n',
    }
    bad: list[str] = []
    for name, text in playlists.items():
        origin.routes["/cam/evil.m3u8"] = Reply(type=PLAYLIST, body=text.encode())
        _live_url(served, camera, origin.url + "/cam/evil.m3u8")
        answer = _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), name, bad)
        if name == "interstitial asset" and answer.status_code == 200:
            # Dropped rather than refused: interstitials are not the centre's to pass on.
            if f"127.0.0.1:{e}" in answer.get_data(as_text=True) or "DATERANGE" in answer.get_data(as_text=True):
                bad.append(f"{name}: the interstitial reached the viewer")
            continue
        if answer.status_code != 502:
            bad.append(f"{name}: {answer.status_code}, not refused whole: {answer.get_data(as_text=True)[:300]!r}")
        elif answer.mimetype != "application/problem+json":
            bad.append(f"{name}: the 502 is not a problem document")
    assert not bad, "\n".join(bad)
    assert evil.seen == []
    assert _counts(served)[0] <= 1  # a refused playlist opens no view (the one without its interstitial did)


def test_no_operator_address_reaches_the_browser_in_a_rewritten_playlist(
        served: Flask, client: FlaskClient, world: World, origin: Origin) -> None:
    """hls.js 1.7 (assets/vendor) plays interstitials: X-ASSET-LIST is a URI the player fetches by itself."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    text = ("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n"
            '#EXT-X-DATERANGE:ID="ad",CLASS="com.apple.hls.interstitial",START-DATE="2026-01-01T00:00:00Z",'
            f'X-ASSET-LIST="{origin.url}/ads/list.json"\n#EXTINF:2,\nseg.ts\n')
    origin.routes["/cam/ad.m3u8"] = Reply(type=PLAYLIST, body=text.encode())
    _live_url(served, camera, origin.url + "/cam/ad.m3u8")
    answer = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    body = answer.get_data(as_text=True)
    assert origin.host not in body, f"{answer.status_code}: the operator's address reaches the browser:\n{body}"


def test_a_variant_playlist_is_rewritten_whatever_its_label_or_redirect(served: Flask, client: FlaskClient,
                                                                        world: World, origin: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    media = ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n" + origin.url + "/cam/low/seg7.ts\n").encode()
    # A variant served without a playlist's type, at a name without .m3u8 (a common misconfiguration) ...
    origin.routes["/cam/master.m3u8"] = Reply(type=PLAYLIST, body=b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvariant\n")
    origin.routes["/cam/variant"] = Reply(type="application/octet-stream", body=media)
    _live_url(served, camera, origin.url + "/cam/master.m3u8")
    bad: list[str] = []
    variant = _variant(client, camera, officer)
    answer = client.get(variant, headers=officer)
    if origin.host in answer.get_data(as_text=True):
        bad.append(f"mislabelled variant passed through unrewritten ({answer.mimetype}): {answer.get_data()[:120]!r}")
    # ... and an evidence "clip" that is in fact a playlist.
    origin.routes["/clips/hls.mp4"] = Reply(type=PLAYLIST, body=media)
    event_pk = _event(served, client, world, [{"kind": "clip", "url": origin.url + "/clips/hls.mp4"}])
    opened = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer)
    assert opened.status_code == 303
    played = client.get(opened.headers["Location"], headers=officer)
    if origin.host in played.get_data(as_text=True):
        bad.append(f"a clip that is a playlist passed through unrewritten ({played.mimetype})")
    # A variant that moved: its relative URIs are relative to where it was fetched from (as the master's are).
    origin.routes["/cam/moved.m3u8"] = Reply(type=PLAYLIST, body=b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nold/v.m3u8\n")
    origin.routes["/cam/old/v.m3u8"] = Reply(302, "text/plain", b"", {"Location": "/new/v.m3u8"})
    origin.routes["/new/v.m3u8"] = Reply(type=PLAYLIST, body=b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\ns.ts\n")
    origin.routes["/new/s.ts"] = Reply(type="video/mp2t", body=SEGMENT)
    _live_url(served, camera, origin.url + "/cam/moved.m3u8")
    segment = _segments(client, camera, officer)[0]
    fetched = client.get(segment, headers=officer)
    if fetched.status_code != 200 or fetched.get_data() != SEGMENT:
        bad.append(f"a redirected variant's segment resolved against the old address: {fetched.status_code}, "
                   f"the centre asked for {[h.path for h in origin.seen[-1:]]}")
    assert not bad, "\n".join(bad)


def test_a_malformed_address_from_the_operator_is_a_502_not_a_500(served: Flask, client: FlaskClient, world: World,
                                                                  origin: Origin) -> None:
    """'http://[::1/x' passes the event format (^https?://) and makes urljoin/urlsplit raise ValueError."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    broken = "http://[::1/x"
    bad: list[str] = []
    for n, location in enumerate((broken, "http://127.0.0.1:99999/x", f"http://127.0.0.1:{origin.port}0000/x",
                                  "http://127.0.0.1:-1/x", "http://127.0.0.1:x/")):
        origin.routes[f"/hop/{n}.m3u8"] = Reply(302, "text/plain", b"", {"Location": location})
        _live_url(served, camera, f"{origin.url}/hop/{n}.m3u8")
        _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), f"redirect to {location}", bad)
    origin.routes["/cam/v6.m3u8"] = Reply(type=PLAYLIST, body=f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n"
                                                              f"{broken}/seg.ts\n".encode())
    _live_url(served, camera, origin.url + "/cam/v6.m3u8")
    _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), "playlist URI", bad)
    origin.routes["/whep/cam"] = Reply(201, "application/sdp", ANSWER, {"Location": broken})
    _live_url(served, camera, origin.url + "/whep/cam", "whep")
    _judge(client.post(f"/video/{camera}/whep", data=OFFER, content_type="application/sdp", headers=officer),
           "WHEP Location", bad)
    event_pk = _event(served, client, world, [{"kind": "clip", "url": broken + "/c.mp4"},
                                              {"kind": "snapshot", "url": broken + "/s.jpg"}])
    _judge(client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer), "clip URL", bad)
    _judge(client.get(f"/video/{camera}/snapshot/{event_pk}/1", headers=officer), "snapshot URL", bad)
    _judge(client.get(f"/video/{camera}/check/{event_pk}/0", headers=officer), "check URL", bad)
    assert not bad, "\n".join(bad)


# -- what an operator's answer may carry to the viewer ------------------------------------------------------------
def test_a_segment_never_arrives_as_active_content(served: Flask, client: FlaskClient, world: World,
                                                   origin: Origin) -> None:
    """The proxy answers from the centre's own origin: an operator's text/html would run as the centre."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    kinds = ["text/html; charset=utf-8", "image/svg+xml", "application/javascript", "application/xhtml+xml",
             "text/xml"]
    payload = b"<html><script>fetch('/api/v1/incidents').then(r=>r.text()).then(alert)</script></html>"
    origin.routes["/cam/low/index.m3u8"] = Reply(type=PLAYLIST, body=(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n" + "".join(f"#EXTINF:2,\nseg{n}.ts\n" for n in range(len(kinds)))).encode())
    for n, kind in enumerate(kinds):
        origin.routes[f"/cam/low/seg{n}.ts"] = Reply(type=kind, body=payload)
    origin.routes["/clips/page.mp4"] = Reply(type="text/html", body=payload)
    bad: list[str] = []

    def judge(answer: Any, label: str) -> None:
        sandboxed = "sandbox" in answer.headers.get("Content-Security-Policy", "")
        attachment = answer.headers.get("Content-Disposition", "").lower().startswith("attachment")
        if answer.status_code < 300 and answer.mimetype in ACTIVE_TYPES and not (sandboxed or attachment):
            bad.append(f"{label}: served as {answer.headers['Content-Type']} from the centre's origin")

    for n, uri in enumerate(_segments(client, camera, officer)):
        judge(client.get(uri, headers=officer), f"segment as {kinds[n]}")
    event_pk = _event(served, client, world, [{"kind": "clip", "url": origin.url + "/clips/page.mp4"}])
    opened = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer)
    judge(client.get(opened.headers["Location"], headers=officer), "clip as text/html")
    assert not bad, "\n".join(bad)


def test_nothing_of_the_operators_answer_passes_but_the_media(served: Flask, client: FlaskClient, world: World,
                                                              origin: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    hostile = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true",
               "Refresh": f"0; url={origin.url}/phish", "Link": f"<{origin.url}/x>; rel=preload",
               "Content-Security-Policy": "default-src *", "X-Frame-Options": "ALLOWALL",
               "Cache-Control": "public, max-age=86400", "Strict-Transport-Security": "max-age=0",
               "Content-Disposition": "inline; filename=../../etc/passwd", "Location": f"{origin.url}/elsewhere",
               "Set-Cookie": "session=stolen; Domain=127.0.0.1; Path=/", "WWW-Authenticate": 'Basic realm="op"',
               "X-Accel-Redirect": "/internal/secret", "X-Sendfile": "/etc/passwd"}
    for path in ("/cam/live.m3u8", "/cam/low/index.m3u8", "/cam/low/seg7.ts", "/snap/good.jpg", "/clips/c1.mp4"):
        reply = origin.routes[path]
        assert isinstance(reply, Reply)
        reply.headers.update(hostile)
    event_pk = _event(served, client, world, [{"kind": "snapshot", "url": origin.url + "/snap/good.jpg"},
                                              {"kind": "clip", "url": origin.url + "/clips/c1.mp4"}])
    master = client.get(f"/video/{camera}/live.m3u8", headers=officer)
    variant = m3u8.loads(master.get_data(as_text=True)).playlists[0].uri
    media = client.get(variant, headers=officer)
    segment = client.get(m3u8.loads(media.get_data(as_text=True)).segments[0].uri, headers=officer)
    snapshot = client.get(f"/video/{camera}/snapshot/{event_pk}/0", headers=officer)
    clip = client.get(client.get(f"/video/{camera}/clip/{event_pk}/1", headers=officer).headers["Location"],
                      headers=officer)
    bad: list[str] = []
    for label, answer in {"master": master, "variant": media, "segment": segment, "snapshot": snapshot,
                          "clip": clip}.items():
        assert answer.status_code == 200, (label, answer.status_code)
        bad.extend(f"{label}: {leak}" for leak in _leaks(answer, origin.host))
        for name in hostile:
            if name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control"):
                continue
            if name in answer.headers:
                bad.append(f"{label}: the operator's {name}: {answer.headers[name]}")
        if answer.headers.get("Content-Security-Policy") == "default-src *":
            bad.append(f"{label}: the operator's CSP replaced the centre's")
        if answer.headers.get("X-Frame-Options") != "DENY":
            bad.append(f"{label}: X-Frame-Options {answer.headers.get('X-Frame-Options')}")
        if label != "snapshot" and "no-store" not in answer.headers.get("Cache-Control", ""):
            bad.append(f"{label}: Cache-Control {answer.headers.get('Cache-Control')}")
        if answer.headers.get("X-Content-Type-Options") != "nosniff":
            bad.append(f"{label}: no nosniff")
    assert not bad, "\n".join(bad)
    assert {h.headers.get("authorization") for h in origin.seen} == {SECRET}


def test_the_centre_keeps_no_cookies_between_operators_or_viewers(
        served: Flask, client: FlaskClient, world: World, origin: Origin) -> None:
    """One requests.Session serves every operator: its cookie jar must not carry one operator's cookie to another."""
    camera_a = _setup(served, world, origin)
    other = Origin(credential=OTHER_SECRET)
    try:
        other.routes.update({"/b/live.m3u8": Reply(type=PLAYLIST, body=MASTER.encode()),
                             "/b/low/index.m3u8": Reply(type=PLAYLIST, body=MEDIA.encode())})
        with served.extensions["kuzet"].store.session() as s:
            second = s.scalar(sa.select(Operator).where(Operator.name == "Other Operator LLP"))
            set_video_access(s, "test", second, [other.host], OTHER_SECRET)
            cam_b = s.get(Camera, world.cameras["CAM-B"])
            cam_b.operator_id, cam_b.live_url, cam_b.live_protocol = second.id, other.url + "/b/live.m3u8", "hls"
        _segments(client, camera_a, _token(client, "duty.a"))  # operator A's server sets its cookie each time
        _segments(client, world.cameras["CAM-B"], _token(client, "duty.b"))
        leaked_to_b = [h.headers["cookie"] for h in other.seen if "cookie" in h.headers]
        sent_back_to_a = [h.headers["cookie"] for h in origin.seen if "cookie" in h.headers]
        assert leaked_to_b == [], f"operator A's cookie sent to operator B: {leaked_to_b}"
        assert sent_back_to_a == [], f"one viewer's operator cookie replayed for the next: {sent_back_to_a}"
        assert all(h.headers.get("authorization") == OTHER_SECRET for h in other.seen)
    finally:
        other.close()


def test_a_compressed_answer_keeps_its_length_true(served: Flask, client: FlaskClient, world: World,
                                                   origin: Origin) -> None:
    """requests asks for gzip and inflates it; the operator's Content-Length is of the compressed bytes."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    packed = gzip.compress(SEGMENT)
    origin.routes["/cam/low/seg7.ts"] = Reply(type="video/mp2t", body=packed, headers={"Content-Encoding": "gzip"})
    origin.routes["/clips/c1.mp4"] = Reply(type="video/mp4", body=packed, headers={"Content-Encoding": "gzip"})
    event_pk = _event(served, client, world, [{"kind": "clip", "url": origin.url + "/clips/c1.mp4"}])
    bad: list[str] = []
    segment = client.get(_segments(client, camera, officer)[0], headers=officer)
    clip = client.get(client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer).headers["Location"],
                      headers=officer)
    for label, answer in (("segment", segment), ("clip", clip)):
        body = answer.get_data()
        declared = answer.headers.get("Content-Length")
        encoding = answer.headers.get("Content-Encoding")
        if declared is not None and int(declared) != len(body):
            bad.append(f"{label}: Content-Length {declared} but {len(body)} bytes sent (encoding {encoding})")
        if body not in (SEGMENT, packed) or (body == packed and encoding != "gzip"):
            bad.append(f"{label}: the bytes are neither the media nor its gzip with the header")
    assert not bad, "\n".join(bad)


# -- tickets -------------------------------------------------------------------------------------------------------
def test_tampered_or_misused_tickets_reach_nothing(served: Flask, client: FlaskClient, world: World,
                                                   origin: Origin, evil: Origin) -> None:
    camera = _setup(served, world, origin)
    officer, chief = _token(client, "duty.a"), _token(client, "chief")
    variant = _variant(client, camera, officer)
    token = variant.split("/")[4]
    chiefs = _variant(client, camera, chief).split("/")[4]
    proxy: VideoProxy = served.extensions["kuzet"].video
    with served.extensions["kuzet"].store.session() as s:
        duty_id = s.scalar(sa.text("SELECT id FROM users WHERE username = 'duty.a'"))
        view_id = s.scalar(sa.select(VideoView.id).where(VideoView.user_id == duty_id))
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    flipped = bytearray(raw)
    flipped[40] ^= 1  # a bit of the ciphertext
    forged = {
        "truncated": token[:-1], "half": token[: len(token) // 2], "empty-ish": "A",
        "appended": token + "AAAA", "bit flipped": base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("="),
        "base64 of the ticket": base64.urlsafe_b64encode(token.encode()).decode().rstrip("="),
        "upper-cased": token.upper(),
        "non-ascii": token[:-1] + "\u00e9", "dots": "..", "the chief's": chiefs,
        "another secret's": VideoProxy("another-secret").ticket(camera, duty_id, view_id, origin.url + "/cam/live.m3u8",
                                                                "hls"),
        "json": base64.urlsafe_b64encode(b'[1,1,1,"http://169.254.169.254/","hls"]').decode(),
    }
    bad: list[str] = []
    before = len(origin.seen)
    for label, forgery in forged.items():
        answer = _judge(client.get(f"/video/{camera}/s/{forgery}/index.m3u8", headers=officer), label, bad)
        if answer.status_code != 404:
            bad.append(f"{label}: {answer.status_code}")
    if _judge(client.get(f"/video/{world.cameras['CAM-B']}/s/{chiefs}/x", headers=chief),
              "another camera's", bad).status_code != 404:
        bad.append("another camera's ticket accepted")
    if len(origin.seen) != before:
        bad.append(f"forged tickets reached the operator: {[h.path for h in origin.seen[before:]]}")
    # Even a ticket made with the centre's own key cannot point the centre at an unregistered address.
    for url in ("http://169.254.169.254/latest/meta-data/", evil.url + "/x.ts", "file:///etc/passwd"):
        for kind in ("hls", "clip", "whep"):
            minted = proxy.ticket(camera, duty_id, view_id, url, kind)
            answer = _judge(client.get(f"/video/{camera}/s/{minted}/x", headers=officer), f"minted {kind} {url}", bad)
            if answer.status_code < 400:
                bad.append(f"minted {kind} ticket for {url}: {answer.status_code}")
    # A view that ended (closed, or swept as idle) spends its tickets.
    assert client.post(f"/video/{camera}/views/{view_id}/end", headers=officer).status_code == 204
    if client.get(variant, headers=officer).status_code != 404:
        bad.append("a closed view's ticket still fetches")
    chief_variant = f"/video/{camera}/s/{chiefs}/index.m3u8"
    with served.extensions["kuzet"].store.session() as s:
        end_idle_views(s, datetime.now(timezone.utc) + timedelta(minutes=5))
    if client.get(chief_variant, headers=chief).status_code != 404:
        bad.append("an idle-swept view's ticket still fetches")
    assert not bad, "\n".join(bad)
    assert evil.seen == []


def test_a_revoked_viewer_or_an_ended_view_stops_at_once(served: Flask, client: FlaskClient, world: World,
                                                         origin: Origin) -> None:
    """docs/video.md: 'Each request checks the watch_video permission ... and that the camera stands in the viewer's
    departments'; an ended view's tickets are spent. The sweep runs in the worker, another process than the web's."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    store = served.extensions["kuzet"].store
    bad: list[str] = []

    def watching() -> str:
        variant = _variant(client, camera, officer)
        assert client.get(variant, headers=officer).status_code == 200  # the player is playing
        return variant

    variant = watching()
    with store.session() as s:
        end_idle_views(s, datetime.now(timezone.utc) + timedelta(minutes=5))  # as the worker's sweep does
    if (status := client.get(variant, headers=officer).status_code) != 404:
        bad.append(f"a view the sweep ended (video.view_ended journaled) still streams: {status}")
    variant = watching()
    seen = len(origin.seen)
    with store.session() as s:
        set_video_access(s, "admin", s.get(Operator, world.operator_id), [], None, clear_auth=True)
    if (status := client.get(variant, headers=officer).status_code) < 400 or len(origin.seen) > seen:
        bad.append(f"after the admin unregistered the operator's host, the centre still fetched from it: {status}")
    _setup(served, world, origin)
    variant = watching()
    with store.session() as s:
        s.execute(sa.text("UPDATE users SET department_id = :d WHERE username = 'duty.a'"), {"d": world.bostandyk_id})
    if (status := client.get(variant, headers=officer).status_code) != 404:
        bad.append(f"an officer moved to another department still streams the camera: {status}")
    with store.session() as s:
        s.execute(sa.text("UPDATE users SET department_id = :d WHERE username = 'duty.a'"), {"d": world.almaly_id})
    variant = watching()
    with store.session() as s:
        s.execute(sa.text("UPDATE users SET role = 'trainer' WHERE username = 'duty.a'"))
    if (status := client.get(variant, headers=officer).status_code) not in (403, 404):
        bad.append(f"an officer made a trainer (no watch_video) still streams: {status}")
    assert not bad, "\n".join(bad)


def test_a_whep_ticket_is_not_a_fetch_ticket_nor_a_fetch_ticket_a_whep_one(
        served: Flask, client: FlaskClient, world: World, origin: Origin) -> None:
    camera = _setup(served, world, origin, live="/whep/cam", protocol="whep")
    officer = _token(client, "duty.a")
    origin.routes["/whep/cam"] = Reply(201, "application/sdp", ANSWER, {"Location": "/whep/cam/session/1"})
    origin.routes["/whep/cam/session/1"] = Reply(200, "text/plain", b"operator session state: ice creds ...")
    offered = client.post(f"/video/{camera}/whep", data=OFFER, content_type="application/sdp", headers=officer)
    assert offered.status_code == 201, offered.get_data(as_text=True)
    whep_token = offered.headers["Location"].rsplit("/", 1)[-1]
    bad: list[str] = []
    before = len(origin.seen)
    reused = _judge(client.get(f"/video/{camera}/s/{whep_token}/x", headers=officer), "WHEP ticket on /s/", bad)
    if reused.status_code != 404:
        bad.append(f"a WHEP session ticket used on /s/ answered {reused.status_code}: {reused.get_data()[:80]!r}")
    if any(h.method == "GET" for h in origin.seen[before:]):
        bad.append(f"... and the centre sent GET {[h.path for h in origin.seen[before:]]} with the credential")
    # The other way: an HLS ticket or a clip ticket on the WHEP session path.
    _live_url(served, camera, origin.url + "/cam/live.m3u8")
    hls_token = _variant(client, camera, officer).split("/")[4]
    origin.routes["/clips/c1.mp4"] = Reply(type="video/mp4", body=SEGMENT)
    event_pk = _event(served, client, world, [{"kind": "clip", "url": origin.url + "/clips/c1.mp4"}])
    clip_token = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer).headers["Location"].split("/")[4]
    before = len(origin.seen)
    for label, other in (("HLS", hls_token), ("clip", clip_token)):
        if _judge(client.delete(f"/video/{camera}/whep/{other}", headers=officer), label, bad).status_code != 404:
            bad.append(f"an {label} ticket ended a WebRTC session")
    if any(h.method == "DELETE" for h in origin.seen[before:]):
        bad.append("an HLS/clip ticket made the centre DELETE at the operator")
    assert not bad, "\n".join(bad)


# -- who may ask --------------------------------------------------------------------------------------------------
def test_scope_roles_logins_and_path_ids(served: Flask, world: World, origin: Origin) -> None:
    from services.access.users import create_user

    app = served
    camera = _setup(app, world, origin)
    with app.extensions["kuzet"].store.session() as s:
        create_user(s, "op.test", PASSWORD, "operator", None, operator_name="Test Operator LLP")
    owner = app.test_client()
    assert login(owner, "duty.a").status_code == 302  # a session cookie, as the browser has it
    event_pk = _event(app, owner, world, [{"kind": "snapshot", "url": origin.url + "/snap/good.jpg"},
                                          {"kind": "clip", "url": origin.url + "/clips/c1.mp4"}])
    master = owner.get(f"/video/{camera}/live.m3u8")
    assert master.status_code == 200, master.get_data(as_text=True)
    view_id = int(master.headers["X-Kuzet-View"])
    variant = m3u8.loads(master.get_data(as_text=True)).playlists[0].uri
    clip_path = owner.get(f"/video/{camera}/clip/{event_pk}/1").headers["Location"]
    whep_token = clip_path.split("/")[4]
    counted = _counts(app)
    seen = len(origin.seen)

    def paths(cam: Any) -> list[tuple[str, str]]:
        return [("GET", f"/video/{cam}/live.m3u8"), ("GET", variant.replace(f"/video/{camera}/", f"/video/{cam}/")),
                ("GET", clip_path.replace(f"/video/{camera}/", f"/video/{cam}/")), ("POST", f"/video/{cam}/whep"),
                ("DELETE", f"/video/{cam}/whep/{whep_token}"), ("GET", f"/video/{cam}/snapshot/{event_pk}/0"),
                ("GET", f"/video/{cam}/clip/{event_pk}/1"), ("GET", f"/video/{cam}/check/{event_pk}/0"),
                ("POST", f"/video/{cam}/views/{view_id}/end")]

    def ask(who: FlaskClient, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
        return who.open(path, method=method, headers=headers or {}, data=OFFER if method == "POST" else None,
                        content_type="application/sdp" if method == "POST" else None)

    anon = app.test_client()
    other_cookie = app.test_client()
    assert login(other_cookie, "duty.b").status_code == 302
    operator_cookie = app.test_client()
    login(operator_cookie, "op.test")
    callers: dict[str, tuple[FlaskClient, dict[str, str], set[int]]] = {
        "duty.b (bearer)": (anon, _token(anon, "duty.b"), {404}),
        "duty.b (cookie)": (other_cookie, {}, {404}),
        "trainer.a": (anon, _token(anon, "trainer.a"), {403}),
        "op.test (bearer)": (anon, _token(anon, "op.test"), {403}),
        "op.test (cookie)": (operator_cookie, {}, {401, 403}),
        "the operator's API key": (anon, {"Authorization": f"Bearer {world.api_key}"}, {401}),
        "a forged bearer": (anon, {"Authorization": "Bearer eyJ1aWQiOjF9.forged.sig"}, {401}),
        "duty.a's cookie with duty.b's bearer": (owner, _token(anon, "duty.b"), {404}),
        "nobody": (anon, {}, {401}),
    }
    bad: list[str] = []
    for label, (who, headers, allowed) in callers.items():
        for method, path in paths(camera):
            answer = _judge(ask(who, method, path, headers), f"{label} {method} {path[:40]}", bad)
            if answer.status_code not in allowed:
                bad.append(f"{label} {method} {path[:60]}: {answer.status_code}, expected {sorted(allowed)}")
    # Ids that are not a camera's, and digits that are not ASCII (as_id refuses those; the route should too).
    officer = _token(anon, "duty.a")
    arabic = str(camera).translate({ord(d): chr(0x660 + int(d)) for d in "0123456789"})
    fullwidth = str(camera).translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    for cam in ("0", "-1", "99999999999", "4294967297", "abc", "1.0", "%20" + str(camera), f"{camera}%00",
                arabic, fullwidth):
        for method, path in paths(cam)[:1] + paths(cam)[5:6]:
            answer = _judge(ask(anon, method, path, officer), f"camera id {cam!r}", bad)
            if answer.status_code != 404:
                bad.append(f"camera id {cam!r} {method} {path[:50]}: {answer.status_code}, not 404")
    assert not bad, "\n".join(bad)
    assert _counts(app) == counted, "a refused request opened a view or wrote the journal"
    assert len(origin.seen) == seen, [h.path for h in origin.seen[seen:]]
    with app.extensions["kuzet"].store.session() as s:
        assert s.get(VideoView, view_id).ended_at is None  # nobody else ended duty.a's view
    # A chief sees the camera; an officer moved to another department loses it, tickets and all.
    chief = _token(anon, "chief")
    assert anon.get(f"/video/{camera}/live.m3u8", headers=chief).status_code == 200
    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.text("UPDATE users SET department_id = :d WHERE username = 'duty.a'"), {"d": world.bostandyk_id})
    assert owner.get(variant).status_code == 404
    assert owner.get(f"/video/{camera}/live.m3u8").status_code == 404


def test_incidents_events_positions_and_views_of_others_are_absent(served: Flask, client: FlaskClient,
                                                                    world: World, origin: Origin) -> None:
    camera = _setup(served, world, origin)
    officer, chief = _token(client, "duty.a"), _token(client, "chief")
    event_a = _event(served, client, world, [{"kind": "snapshot", "url": origin.url + "/snap/good.jpg"}])
    event_b = _event(served, client, world, [{"kind": "snapshot", "url": origin.url + "/snap/good.jpg"}], "CAM-B")
    with served.extensions["kuzet"].store.session() as s:
        incident_b = s.scalar(sa.select(Incident.id).where(Incident.department_id == world.bostandyk_id))
    assert incident_b is not None
    counted = _counts(served)
    bad: list[str] = []
    for incident in (str(incident_b), "abc", "0", "-1", "99999999999", f"{incident_b} OR 1=1", "1e3", "\u0661",
                     f"{incident_b}\x00"):
        for path in (f"/video/{camera}/live.m3u8", f"/video/{camera}/clip/{event_a}/0"):
            answer = _judge(client.get(path, query_string={"incident": incident}, headers=officer), incident, bad)
            if answer.status_code != 404:
                bad.append(f"?incident={incident!r} on {path}: {answer.status_code}")
    if _counts(served) != counted:
        bad.append("an out-of-scope ?incident= opened a view")
    for kind in ("snapshot", "clip", "check"):
        for who, name in ((officer, "duty.a"), (chief, "chief")):  # the chief sees both cameras: still not B's event
            answer = _judge(client.get(f"/video/{camera}/{kind}/{event_b}/0", headers=who), kind, bad)
            if answer.status_code != 404:
                bad.append(f"{name}: {kind} of CAM-B's event under CAM-A: {answer.status_code}")
        for position in ("1", "10", "99", "-1", "+0", " 0", "0x0", "\u0660", "00000", "1e0", "0.0", "%00",
                         "9" * 400):
            answer = _judge(client.get(f"/video/{camera}/{kind}/{event_a}/{position}", headers=officer), position, bad)
            if answer.status_code != 404:
                bad.append(f"{kind} position {position[:20]!r}: {answer.status_code}")
        for event_id in ("0", "99999999999", "-5", "abc"):
            answer = _judge(client.get(f"/video/{camera}/{kind}/{event_id}/0", headers=officer), event_id, bad)
            if answer.status_code != 404:
                bad.append(f"{kind} event {event_id}: {answer.status_code}")
    # Ending views that are not yours, or not of this camera.
    mine = int(client.get(f"/video/{camera}/live.m3u8", headers=officer).headers["X-Kuzet-View"])
    chiefs_a = int(client.get(f"/video/{camera}/live.m3u8", headers=chief).headers["X-Kuzet-View"])
    _judge(client.post(f"/video/{camera}/views/{mine}/end", headers=_token(client, "super.a")), "super.a ends", bad)
    _judge(client.post(f"/video/{world.cameras['CAM-B']}/views/{chiefs_a}/end", headers=chief), "wrong camera", bad)
    for view in ("0", "-1", "abc", "99999999999"):
        _judge(client.post(f"/video/{camera}/views/{view}/end", headers=officer), f"view {view}", bad)
    with served.extensions["kuzet"].store.session() as s:
        if s.get(VideoView, mine).ended_at is not None:
            bad.append("a supervisor ended duty.a's view")
        if s.get(VideoView, chiefs_a).ended_at is not None:
            bad.append("a view of CAM-A was ended through CAM-B's path")
    assert not bad, "\n".join(bad)


# -- bodies and headers a viewer sends ------------------------------------------------------------------------------
def test_whep_offers_are_checked_and_a_foreign_session_location_is_never_fetched(
        served: Flask, client: FlaskClient, world: World, origin: Origin, evil: Origin,
        loopback_only: list[tuple[str, int]]) -> None:
    camera = _setup(served, world, origin, live="/whep/cam", protocol="whep")
    officer = _token(client, "duty.a")
    origin.routes["/whep/cam"] = Reply(201, "application/sdp", ANSWER,
                                       {"Location": f"{evil.url}/whep/session/1", "ETag": '"s1"'})
    bad: list[str] = []
    path = f"/video/{camera}/whep"
    for label, body, kind, expected in (
            ("text/plain", OFFER, "text/plain", {415}), ("no type", OFFER, "", {415}),
            ("form", OFFER, "application/x-www-form-urlencoded", {415}), ("json", b'{"sdp":"v=0"}', "application/json", {415}),
            ("not SDP", b"hello", "application/sdp", {422}), ("empty", b"", "application/sdp", {422}),
            ("65 KiB", OFFER + b"a=x\r\n" * 13500, "application/sdp", {413, 422}),
            ("2 MiB", OFFER + b"a" * (2 << 20), "application/sdp", {413}),
            ("binary", b"v=0" + bytes(range(256)) * 10, "application/sdp; charset=latin-1", {201, 422}),
    ):
        answer = _judge(client.post(path, data=body, headers={**officer, "Content-Type": kind} if kind else officer),
                        label, bad)
        if answer.status_code not in expected:
            bad.append(f"WHEP {label}: {answer.status_code}, expected {sorted(expected)}")
    posted = [h for h in origin.seen if h.method == "POST"]
    if any(len(h.body) > 64 << 10 or not h.body.startswith(b"v=0") for h in posted):
        bad.append("a refused offer reached the operator")
    views = _counts(served)[0]
    offered = _judge(client.post(path, data=OFFER, content_type="application/sdp", headers=officer), "offer", bad,
                     origin.host, evil.host)
    assert offered.status_code == 201, offered.get_data(as_text=True)
    assert offered.get_data() == ANSWER and offered.headers["Location"].startswith(f"/video/{camera}/whep/")
    if evil.host in offered.headers["Location"] or "ETag" in offered.headers:
        bad.append("the operator's session address or headers reached the viewer")
    closed = _judge(client.delete(offered.headers["Location"], headers=officer), "DELETE", bad)
    if closed.status_code not in (200, 204):
        bad.append(f"DELETE: {closed.status_code}")
    with served.extensions["kuzet"].store.session() as s:
        if s.scalar(sa.select(sa.func.count(VideoView.id)).where(VideoView.ended_at.is_not(None))) != 1:
            bad.append("the WebRTC view did not end")
    assert _counts(served)[0] >= views
    assert not bad, "\n".join(bad)
    assert evil.seen == [], [(h.method, h.path) for h in evil.seen]
    assert {a for a in loopback_only} <= {("127.0.0.1", origin.port)}


def test_range_headers_a_viewer_sends_break_nothing(served: Flask, client: FlaskClient, world: World,
                                                   origin: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    event_pk = _event(served, client, world, [{"kind": "clip", "url": origin.url + "/clips/c1.mp4"}])
    clip = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer).headers["Location"]
    segment = _segments(client, camera, officer)[0]
    ranges = ["bytes=" + ",".join(["0-0"] * 5000), "bytes=abc", "bytes=-", "bytes=--1", "bytes=0-" + "9" * 400,
              "bytes=" + "1" * 70000 + "-", "items=0-1", "bytes=5-1", "bytes=0-1\x00", "bytes=\u00ff-",
              "bytes=0-1, 2-3" + ", 4-5" * 2000, ""]
    bad: list[str] = []
    for value in ranges:
        for label, path in (("clip", clip), ("segment", segment)):
            try:
                answer = client.get(path, headers={**officer, "Range": value})
            except ValueError:  # the test client itself refused the header: no server would pass it on
                continue
            _judge(answer, f"{label} Range {value[:30]!r}", bad, origin.host)
            if answer.status_code not in (200, 206, 416, 502):
                bad.append(f"{label} Range {value[:30]!r}: {answer.status_code}")
    assert not bad, "\n".join(bad)
    segment_hits = [h for h in origin.seen if h.path == "/cam/low/seg7.ts"]
    assert all("range" not in h.headers for h in segment_hits), "a live segment's fetch carried the viewer's Range"


# -- limits --------------------------------------------------------------------------------------------------------
def test_size_limits_hold_and_a_cut_transfer_is_never_a_clean_answer(served: Flask, client: FlaskClient,
                                                                     world: World, origin: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    limit = 100_000
    _limits(served, segment_bytes=limit, snapshot_bytes=limit)
    big = bytes(range(256)) * 1200  # 300 KiB
    origin.routes["/cam/low/index.m3u8"] = Reply(type=PLAYLIST, body=(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nlong.ts\n#EXTINF:2,\nunsized.ts\n#EXTINF:2,\nbroken.ts\n"
    ).encode())
    origin.routes["/cam/low/long.ts"] = Reply(type="video/mp2t", body=big)
    origin.routes["/cam/low/unsized.ts"] = Reply(type="video/mp2t", body=big, length=-1)
    origin.routes["/cam/low/broken.ts"] = Reply(type="video/mp2t", body=big[:90_000], cut=50_000)
    bad: list[str] = []
    for label, uri in zip(("declared over the limit", "undeclared over the limit", "broken off"),
                          _segments(client, camera, officer)):
        answer = client.get(uri, headers=officer)
        body, aborted = _consume(answer)
        if len(body) > limit:
            bad.append(f"{label}: {len(body)} bytes passed, limit {limit}")
        declared = answer.headers.get("Content-Length")
        silent = answer.status_code == 200 and not aborted and (declared is None or int(declared) == len(body))
        if silent:
            bad.append(f"{label}: a clean 200 of {len(body)} bytes: the viewer cannot tell it was cut")
    # Playlists: 1 MiB and not a byte more (the documented limit), and the refusal opens no view.
    views = _counts(served)
    filler = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n" + "#" + "x" * ((1 << 20) - 40) + "\n"
    origin.routes["/cam/huge.m3u8"] = Reply(type=PLAYLIST, body=(filler + "#EXTINF:2,\nseg7.ts\n").encode())
    origin.routes["/cam/huge-unsized.m3u8"] = Reply(type=PLAYLIST, body=(filler + "#EXTINF:2,\nseg7.ts\n").encode(),
                                                    length=-1)
    for name in ("huge", "huge-unsized"):
        _live_url(served, camera, f"{origin.url}/cam/{name}.m3u8")
        answer = _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), name, bad)
        if answer.status_code != 502:
            bad.append(f"a playlist over 1 MiB ({name}): {answer.status_code}")
    if _counts(served) != views:
        bad.append("a refused playlist opened a view")
    origin.routes["/snap/big.jpg"] = Reply(type="image/jpeg", body=big)
    event_pk = _event(served, client, world, [{"kind": "snapshot", "url": origin.url + "/snap/big.jpg"}])
    if _judge(client.get(f"/video/{camera}/snapshot/{event_pk}/0", headers=officer), "snapshot", bad).status_code != 502:
        bad.append("a snapshot over its limit was shown")
    assert not bad, "\n".join(bad)


def test_a_trickling_operator_server_cannot_hold_a_request_open(tmp_path: Any, origin: Origin) -> None:
    """The read timeout is per chunk: a server sending a byte every 0.1 s never trips 0.5 s, on a page that waits.

    The store plays no part here, so this one runs on SQLite only (it takes seconds when it fails).
    """
    from dashboard import create_app
    from services.store.engine import Store
    from tests.conftest import seed_world

    db_url = f"sqlite:///{tmp_path / 'trickle.db'}"
    store = Store(db_url)
    store.upgrade()
    store.dispose()
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True, "WORKER_THREAD": False,
                      "VIDEO_READ_TIMEOUT_S": 0.5, "VIDEO_CONNECT_TIMEOUT_S": 0.5})
    try:
        world = seed_world(app.extensions["kuzet"].store)
        client = app.test_client()
        origin.routes["/cam/slow.m3u8"] = Reply(type=PLAYLIST, body=b"#EXTM3U\n#EXT-X-VERSION:3\n",
                                                trickle=0.08)  # 2 s in all, never 0.5 s without a byte
        camera = _setup(app, world, origin, live="/cam/slow.m3u8")
        officer = _token(client, "duty.a")
        started = time.monotonic()
        answer = client.get(f"/video/{camera}/live.m3u8", headers=officer)
        took = time.monotonic() - started
        assert took < 1.6, f"a playlist trickled in for {took:.1f} s with a 0.5 s read timeout ({answer.status_code})"
        assert answer.status_code == 502
    finally:
        app.extensions["kuzet"].stop()


# -- evidence integrity ---------------------------------------------------------------------------------------------
def test_a_cut_or_oversized_evidence_transfer_is_never_recorded_as_its_hash(
        served: Flask, client: FlaskClient, world: World, origin: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    whole = bytes(range(256)) * 800  # 200 KiB
    declared = hashlib.sha256(whole).hexdigest()
    origin.routes["/clips/broken.mp4"] = Reply(type="video/mp4", body=whole, cut=100_000)  # the network broke
    origin.routes["/snap/broken.jpg"] = Reply(type="image/jpeg", body=whole, cut=100_000)
    origin.routes["/clips/big.mp4"] = Reply(type="video/mp4", body=whole)
    event_pk = _event(served, client, world, [{"kind": "clip", "url": origin.url + "/clips/broken.mp4", "sha256": declared},
                                              {"kind": "snapshot", "url": origin.url + "/snap/broken.jpg",
                                               "sha256": declared},
                                              {"kind": "clip", "url": origin.url + "/clips/big.mp4", "sha256": declared}])
    bad: list[str] = []
    checked = _judge(client.get(f"/video/{camera}/check/{event_pk}/0", headers=officer), "check broken", bad)
    if checked.status_code != 502:
        bad.append(f"a transfer broken off at 100 of 200 KB was checked: {checked.status_code} {checked.get_json()}")
    shown = _judge(client.get(f"/video/{camera}/snapshot/{event_pk}/1", headers=officer), "snapshot broken", bad)
    if shown.status_code != 502:
        bad.append(f"a broken-off snapshot was shown: {shown.status_code}")
    _limits(served, clip_bytes=150_000)  # not a multiple of the 64 KiB chunk: the last chunk crosses the limit
    over = _judge(client.get(f"/video/{camera}/check/{event_pk}/2", headers=officer), "check oversized", bad)
    if over.status_code != 502:
        bad.append(f"a clip over the limit was checked on its first bytes: {over.status_code} {over.get_json()}")
    with served.extensions["kuzet"].store.session() as s:
        recorded = {c.position: (c.verdict, c.size) for c in s.scalars(sa.select(EvidenceCheck))}
        journal = [e.detail.get("position") for e in s.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "evidence.hash_mismatch"))]
    if recorded:
        bad.append(f"recorded for good as the evidence's hash: {recorded}")
    if journal:
        bad.append(f"journaled as tampered evidence: positions {journal}")
    assert not bad, "\n".join(bad)


# -- the journal ----------------------------------------------------------------------------------------------------
def test_refused_requests_open_no_view_and_write_no_journal(served: Flask, client: FlaskClient, world: World,
                                                            origin: Origin, evil: Origin) -> None:
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("trainer", lambda: client.get(f"/video/{camera}/live.m3u8", headers=_token(client, "trainer.a"))),
        ("other department", lambda: client.get(f"/video/{camera}/live.m3u8", headers=_token(client, "duty.b"))),
        ("nobody", lambda: client.get(f"/video/{camera}/live.m3u8")),
        ("forged ticket", lambda: client.get(f"/video/{camera}/s/gAAAAAforged/x.ts", headers=officer)),
    ]
    bad: list[str] = []
    for label, attempt in attempts:
        _judge(attempt(), label, bad)
    origin.routes["/cam/fails.m3u8"] = Reply(500, "text/plain", b"Internal error at node-7 (10.20.30.40)")
    origin.routes["/cam/elsewhere.m3u8"] = Reply(type=PLAYLIST, body=(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{evil.url}/s.ts\n").encode())
    for label, live in (("operator 500", origin.url + "/cam/fails.m3u8"), ("unregistered host", evil.url + "/"),
                        ("playlist elsewhere", origin.url + "/cam/elsewhere.m3u8")):
        _live_url(served, camera, live)
        answer = _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), label, bad)
        if answer.status_code < 400:
            bad.append(f"{label}: {answer.status_code}")
        if "10.20.30.40" in answer.get_data(as_text=True):
            bad.append(f"{label}: the operator's error body reached the viewer")
    _live_url(served, camera, origin.url + "/whep/cam", "whep")
    origin.routes["/whep/cam"] = Reply(500, "text/plain", b"boom")
    _judge(client.post(f"/video/{camera}/whep", data=b"nope", content_type="application/sdp", headers=officer),
           "non-SDP offer", bad)
    _judge(client.post(f"/video/{camera}/whep", data=OFFER, content_type="application/sdp", headers=officer),
           "WHEP endpoint fails", bad)
    if _counts(served) != (0, 0):
        bad.append(f"refused requests left (views, journal entries) = {_counts(served)}")
    assert not bad, "\n".join(bad)
    assert evil.seen == []


def test_a_clip_the_centre_may_not_fetch_opens_no_view(served: Flask, client: FlaskClient, world: World,
                                                       origin: Origin, evil: Origin) -> None:
    """The clip's view (and its video.view journal entry, and any SOP tick) opens before its URL is checked."""
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    event_pk = _event(served, client, world, [{"kind": "clip", "url": evil.url + "/clip.mp4"}])
    opened = client.get(f"/video/{camera}/clip/{event_pk}/0", headers=officer)
    played = client.get(opened.headers["Location"], headers=officer) if opened.status_code == 303 else opened
    assert played.status_code >= 400 and evil.seen == []
    assert _counts(served) == (0, 0), (f"the clip request answered {opened.status_code} and opened a view on record "
                                       f"of a clip that cannot play (views, journal) = {_counts(served)}")


# -- what a refusal says ----------------------------------------------------------------------------------------------
def test_refusals_echo_no_operator_address_nor_a_password_in_a_url(served: Flask, client: FlaskClient, world: World,
                                                                     origin: Origin, evil: Origin) -> None:
    """Tickets are encrypted so that 'the operator's address is not readable'; refusals should not undo that.

    The event format takes any ^https?:// evidence URL; one with user:password@ is refused by the allow-list,
    and the refusal quotes the whole URL, password and signed query included.
    """
    camera = _setup(served, world, origin)
    officer = _token(client, "duty.a")
    closed = Origin()
    closed_host = closed.host
    closed.close()  # registered, but nobody listens there any more
    with served.extensions["kuzet"].store.session() as s:
        set_video_access(s, "test", s.get(Operator, world.operator_id), [origin.host, closed_host], SECRET)
    origin.routes["/hop/internal.m3u8"] = Reply(302, "text/plain", b"", {"Location": f"{evil.url}/internal/cam.m3u8"})
    bad: list[str] = []
    for label, live, hidden in (("unreachable", f"http://{closed_host}/cam/live.m3u8", closed_host),
                                ("unregistered live URL", f"{evil.url}/cam/live.m3u8", evil.host),
                                ("redirect inside the operator", f"{origin.url}/hop/internal.m3u8", evil.host)):
        _live_url(served, camera, live)
        answer = _judge(client.get(f"/video/{camera}/live.m3u8", headers=officer), label, bad)
        text = answer.get_data(as_text=True)
        for secret in (hidden, origin.host, "/internal/cam.m3u8"):
            if secret in text:
                bad.append(f"{label}: {answer.status_code} names {secret}: {text[:160]}")
    # An evidence URL with a password and a signed query in it.
    url = f"http://cctv:hunter2-operator-password@{origin.host}/snap/good.jpg?sig=signed-secret-77"
    event_pk = _event(served, client, world, [{"kind": "snapshot", "url": url}, {"kind": "clip", "url": url}])
    for path in (f"/video/{camera}/snapshot/{event_pk}/0", f"/video/{camera}/check/{event_pk}/0",
                 f"/video/{camera}/check/{event_pk}/1"):
        _judge(client.get(path, headers=officer), path, bad, "hunter2-operator-password", "signed-secret-77")
    opened = client.get(f"/video/{camera}/clip/{event_pk}/1", headers=officer)
    if opened.status_code == 303:
        _judge(client.get(opened.headers["Location"], headers=officer), "clip", bad, "hunter2-operator-password",
               "signed-secret-77")
    assert not bad, "\n".join(bad)
    assert all(h.headers.get("authorization") in (SECRET, None) for h in origin.seen)
    assert re.search("hunter2", " ".join(h.path for h in origin.seen)) is None
