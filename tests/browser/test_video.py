"""Video in the page, through the centre, in a real Chromium: HLS plays, WebRTC decodes, the view is on record.

The operator's side is the demo's own video server (tools/media_sim.py) on 127.0.0.1: generated H.264 test
streams over HLS and WHEP. Kuzet is the ``live_server``; nothing is mocked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from layouts.incident import LIVE_VIDEO
from layouts.wall import QUEUE, VIDEO_TILE
from services.access.operators import set_video_access
from services.store.models import AuditEntry, Camera, Incident, Operator
from tests.browser.conftest import ARTIFACTS, logged_in_page
from tests.conftest import LiveServer, event
from tools.media_sim import MediaServer

pytestmark = pytest.mark.browser
PLAY_TIMEOUT_MS = 30_000  # a liveness bound on the loaded 2-core box: an encoder starts, two segments, the player


@pytest.fixture
def media() -> Iterator[MediaServer]:
    server = MediaServer(auth="Bearer test-video-credential", segment_s=1.0).start()
    yield server
    server.stop()


def _point(server: LiveServer, media: MediaServer, protocol: str) -> int:
    """CAM-A streams from the media server over ``protocol``; its operator's host registered at the centre."""
    with server.app.extensions["kuzet"].store.session() as s:
        set_video_access(s, "test", s.get(Operator, server.world.operator_id), [media.host_port], media.auth)
        camera = s.get(Camera, server.world.cameras["CAM-A"])
        camera.live_url = media.live_url("CAM-A") if protocol == "hls" else media.whep_url("CAM-A")
        camera.live_protocol = protocol
    return server.world.cameras["CAM-A"]


def _incident(server: LiveServer, media: MediaServer) -> int:
    from datetime import datetime, timezone

    url, digest = media.snapshot("CAM-A", "ev-video-1", datetime.now(timezone.utc))
    sent = requests.post(f"{server.url}/api/v1/events", timeout=10, headers={
        "Authorization": f"Bearer {server.world.api_key}"}, json=event("CAM-A", media=[
            {"kind": "snapshot", "url": url, "sha256": digest}]))
    assert sent.status_code == 202, sent.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with server.app.extensions["kuzet"].store.session() as s:
            found = s.scalar(sa.select(Incident.id).where(Incident.camera_id == server.world.cameras["CAM-A"]))
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("the event opened no incident")


def _player(page: Any, pane: str) -> dict[str, Any]:
    return page.evaluate("(pane) => (window.kuzetVideo.players().find(p => p.pane === pane) || null)", pane)


def test_an_officer_watches_the_hls_live_view_in_the_incident_page_and_it_is_on_record(
        browser: Any, live_server: LiveServer, media: MediaServer) -> None:
    camera = _point(live_server, media, "hls")
    incident = _incident(live_server, media)
    context, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident}")
    try:
        page.wait_for_selector(f"#{LIVE_VIDEO} video")
        page.wait_for_function(
            """(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane);
                           return p && p.readyState >= 3 && p.currentTime > 2; }""",
            arg=LIVE_VIDEO, timeout=PLAY_TIMEOUT_MS)
        state = _player(page, LIVE_VIDEO)
        assert state["state"] == "playing" and state["protocol"] == "hls"
        assert state["latency"] is not None and 0 <= state["latency"] < 30
        assert "ЭФИР" in page.inner_text(f"#{LIVE_VIDEO} .video-status")
        # Every request the page made for video went to Kuzet, none to the operator's server.
        hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
        assert media.host_port not in hosts
        page.wait_for_function("document.querySelector('.evidence-hash.verdict-match') !== null")
        # Watching ticked the procedure's "view the live camera" step, and the live case file shows it.
        page.wait_for_function("document.body.innerText.includes('Открыть живое видео камеры * — duty.a')")
        page.screenshot(path=str(ARTIFACTS / "incident-video-1080p.png"))
        with live_server.app.extensions["kuzet"].store.session() as s:
            opened = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "video.view")))
            ended_early = [(e.at.isoformat(), e.detail) for e in s.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "video.view_ended"))]
        assert [(e.actor, e.detail["camera"], e.detail["incident"]) for e in opened] == [("duty.a", camera, incident)], (
            ended_early, [(e.at.isoformat(), e.detail) for e in opened], _player(page, LIVE_VIDEO))
        page.goto(f"{live_server.url}/wall")  # leaving the page ends the view now, not a minute later
        deadline = time.monotonic() + 10
        ended: list[AuditEntry] = []
        while time.monotonic() < deadline and not ended:
            with live_server.app.extensions["kuzet"].store.session() as s:
                ended = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "video.view_ended")))
            time.sleep(0.2)
        assert ended and ended[0].actor == "duty.a" and ended[0].detail["reason"] == "closed"
        assert ended[0].detail["started_at"] <= ended[0].detail["ended_at"]
    finally:
        context.close()


def test_the_whep_player_decodes_frames(browser: Any, live_server: LiveServer, media: MediaServer) -> None:
    _point(live_server, media, "whep")
    incident = _incident(live_server, media)
    context, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident}")
    try:
        page.wait_for_function(
            """(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane);
                           return p && p.protocol === 'whep' && p.framesDecoded > 0; }""",
            arg=LIVE_VIDEO, timeout=PLAY_TIMEOUT_MS)
        assert _player(page, LIVE_VIDEO)["state"] == "playing"
    finally:
        context.close()


def test_an_officer_of_another_department_gets_no_video(browser: Any, live_server: LiveServer,
                                                        media: MediaServer) -> None:
    camera = _point(live_server, media, "hls")
    incident = _incident(live_server, media)
    context, page = logged_in_page(browser, live_server, "duty.b", "/wall")
    try:
        answer = page.request.get(f"{live_server.url}/video/{camera}/live.m3u8")
        assert answer.status == 404
        page.goto(f"{live_server.url}/incidents/{incident}")
        page.wait_for_timeout(1500)
        assert page.locator("[data-kuzet-video]").count() == 0
        with live_server.app.extensions["kuzet"].store.session() as s:
            assert s.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "video.view")) == 0
    finally:
        context.close()


def test_the_wall_shows_the_selected_incidents_camera_on_v(browser: Any, live_server: LiveServer,
                                                           media: MediaServer) -> None:
    _point(live_server, media, "hls")
    incident = _incident(live_server, media)
    context, page = logged_in_page(browser, live_server, "duty.a", "/wall")
    try:
        page.wait_for_selector(f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{incident}"]')
        page.click(f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{incident}"]')
        assert page.locator(f"#{VIDEO_TILE}").is_hidden()
        page.keyboard.press("v")
        page.wait_for_function(
            """(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane);
                           return p && p.readyState >= 3 && p.currentTime > 1; }""",
            arg=VIDEO_TILE, timeout=PLAY_TIMEOUT_MS)
        assert f"№{incident}" in page.inner_text(f"#{VIDEO_TILE} .video-label")
        page.keyboard.press("v")
        page.wait_for_function(
            "(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane); return p && p.state === 'paused'; }",
            arg=VIDEO_TILE)
    finally:
        context.close()


def test_a_player_says_no_signal_with_the_reason_and_recovers_when_the_stream_returns(
        browser: Any, live_server: LiveServer, media: MediaServer) -> None:
    _point(live_server, media, "hls")
    incident = _incident(live_server, media)
    port = int(media.host_port.rsplit(":", 1)[1])
    context, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident}")
    revived: MediaServer | None = None
    try:
        playing = """(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane);
                                 return p && p.state === 'playing' && p.readyState >= 3; }"""
        page.wait_for_function(playing, arg=LIVE_VIDEO, timeout=PLAY_TIMEOUT_MS)
        media.stop()  # the operator's server goes away
        page.wait_for_function(
            "(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane); return p && p.state === 'failed'; }",
            arg=LIVE_VIDEO, timeout=PLAY_TIMEOUT_MS)
        status = page.inner_text(f"#{LIVE_VIDEO} .video-status")
        assert "нет сигнала" in status and len(_player(page, LIVE_VIDEO)["reason"]) > 3, status
        revived = MediaServer(port=port, auth=media.auth, segment_s=1.0).start()  # and comes back
        page.wait_for_function(playing, arg=LIVE_VIDEO, timeout=PLAY_TIMEOUT_MS)
    finally:
        context.close()
        if revived is not None:
            revived.stop()


def test_a_chief_lists_who_watched_which_camera(browser: Any, live_server: LiveServer, media: MediaServer) -> None:
    from layouts import views as views_ids

    _point(live_server, media, "hls")
    incident = _incident(live_server, media)
    officer, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident}")
    chief: Any = None
    try:
        page.wait_for_function(
            "(pane) => { const p = window.kuzetVideo.players().find(x => x.pane === pane); return p && p.view; }",
            arg=LIVE_VIDEO, timeout=PLAY_TIMEOUT_MS)
        chief, listing = logged_in_page(browser, live_server, "chief", "/views")
        row = listing.locator(f"#{views_ids.GRID} .ag-center-cols-container .ag-row")
        row.first.wait_for()
        text = row.first.inner_text()
        assert "duty.a" in text and "CAM-A" in text and f"№{incident}" in text and "эфир" in text
        listing.fill(f"#{views_ids.USER}", "duty.b")
        listing.click(f"#{views_ids.APPLY}")
        listing.wait_for_function("(id) => document.getElementById(id).innerText.includes('Найдено: 0')",
                                  arg=views_ids.FEEDBACK)
        assert row.count() == 0
        listing.fill(f"#{views_ids.USER}", "")
        listing.fill(f"#{views_ids.CAMERA}", "CAM-A")
        listing.click(f"#{views_ids.APPLY}")
        listing.wait_for_function("(id) => document.getElementById(id).innerText.includes('Найдено: 1')",
                                  arg=views_ids.FEEDBACK)
        page.goto(f"{live_server.url}/views")  # an officer may not read the views
        page.wait_for_selector("text=Только для начальников")
    finally:
        officer.close()
        if chief is not None:
            chief.close()
