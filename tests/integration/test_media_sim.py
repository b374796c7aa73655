"""The simulated operators' media server: live HLS, WHEP, snapshots, clips and its credentials check, all real."""

from __future__ import annotations

import asyncio
import glob
import hashlib
import io
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import av
import m3u8
import pytest
import requests
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from PIL import Image

from tools.media_sim import MediaServer, pin_ice_host

SIZE = (320, 180)


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    """One media server for the module, small pictures to keep the encoders cheap."""
    server = MediaServer(size=SIZE).start()
    yield server
    server.stop()


def camera() -> str:
    """A camera name no other test (or parallel run) uses."""
    return f"CAM-{uuid.uuid4().hex[:8]}"


def playlist(url: str, **kwargs: object) -> m3u8.M3U8:
    """The playlist at ``url``, checked to be served as HLS playlists must be."""
    answer = requests.get(url, timeout=10, **kwargs)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert answer.headers["Cache-Control"] == "no-cache"
    return m3u8.loads(answer.text, uri=url)


def test_hls_is_a_live_h264_stream_of_the_requested_size(media: MediaServer) -> None:
    name = camera()
    assert media.live_url(name) == f"http://{media.host_port}/hls/{name}/live.m3u8"
    first = playlist(media.live_url(name))
    assert not first.is_variant and not first.is_endlist and len(first.segments) >= 2
    assert first.target_duration == 1
    # Nothing a browser cannot play is declared: no master, no byte ranges, no encryption, plain TS segments.
    assert all(s.key is None and s.byterange is None and s.init_section is None for s in first.segments)
    segment = requests.get(first.segments[-1].absolute_uri, timeout=5)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "video/mp2t"
    with av.open(io.BytesIO(segment.content)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.width, stream.codec_context.height) == ("h264", *SIZE)
        packet = next(p for p in container.demux(stream) if p.size)
        assert packet.is_keyframe  # every segment starts with one, so a player can start on any
    time.sleep(2.2)
    later = playlist(media.live_url(name))
    assert later.media_sequence > first.media_sequence
    assert later.segments[-1].uri != first.segments[-1].uri


def test_camera_names_and_files_outside_the_pattern_are_not_found(media: MediaServer) -> None:
    base = media.base_url
    for path in ("/hls/bad%20name/live.m3u8", f"/hls/{'A' * 65}/live.m3u8", "/hls/CAM/../live.m3u8",
                 f"/hls/{camera()}/nothing.ts", "/hls/CAM/live.m3u8/x", "/", "/snapshot/none.jpg",
                 "/clip/none.mp4", "/clip/x.jpg"):
        assert requests.get(base + path, timeout=5).status_code == 404, path
    with pytest.raises(ValueError):
        media.live_url("no/slashes")


def test_an_unwatched_encoder_stops_and_its_directory_goes() -> None:
    name = camera()
    with MediaServer(size=SIZE, idle_stop_s=1.0) as server:
        first = playlist(server.live_url(name))
        pattern = os.path.join(tempfile.gettempdir(), f"kuzet-hls-{name}-*")
        assert glob.glob(pattern)
        assert any(t.name == f"media-sim-hls-{name}" for t in threading.enumerate())
        deadline = time.monotonic() + 5
        while glob.glob(pattern) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not glob.glob(pattern)
        assert not any(t.name == f"media-sim-hls-{name}" for t in threading.enumerate())
        assert requests.get(first.segments[-1].absolute_uri, timeout=5).status_code == 404
        # Watched again, it starts again, and never goes back in sequence.
        again = playlist(server.live_url(name))
        assert again.media_sequence >= first.media_sequence and again.segments[0].uri not in {
            s.uri for s in first.segments}
    assert not glob.glob(pattern)


def test_a_snapshot_is_the_jpeg_whose_hash_was_given_and_old_ones_expire() -> None:
    with MediaServer(size=SIZE, keep=2) as server:
        when = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)
        made = [server.snapshot("CAM-S", f"ev-{n}", when) for n in range(3)]
        url, digest = made[-1]
        assert url == f"{server.base_url}/snapshot/ev-2.jpg"
        answer = requests.get(url, timeout=5)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/jpeg"
        assert hashlib.sha256(answer.content).hexdigest() == digest
        assert Image.open(io.BytesIO(answer.content)).size == SIZE
        assert requests.get(made[1][0], timeout=5).status_code == 200
        assert requests.get(made[0][0], timeout=5).status_code == 404  # past retention, as an operator's would be
        with pytest.raises(ValueError):
            server.snapshot("CAM-S", "../escape", when)


def test_a_clip_is_an_h264_mp4_served_by_byte_ranges(media: MediaServer) -> None:
    url, digest = media.clip("CAM-C", "ev-clip", datetime.now(timezone.utc), seconds=2.0)
    whole = requests.get(url, timeout=5)
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Type"] == "video/mp4"
    data = whole.content
    assert hashlib.sha256(data).hexdigest() == digest
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: the index first, so <video> starts at once
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 2 * media.fps
    size = len(data)
    for asked, (start, end) in (("bytes=100-199", (100, 199)), ("bytes=-10", (size - 10, size - 1)),
                                (f"bytes={size - 5}-", (size - 5, size - 1)), ("bytes=0-99999999", (0, size - 1))):
        part = requests.get(url, headers={"Range": asked}, timeout=5)
        assert part.status_code == 206, asked
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert part.content == data[start:end + 1]
    beyond = requests.get(url, headers={"Range": f"bytes={size}-"}, timeout=5)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"


def test_with_auth_every_request_needs_the_exact_authorization() -> None:
    with MediaServer(size=SIZE, auth="Bearer s3cret") as server:
        url, _ = server.snapshot("CAM-A", "ev-auth", datetime.now(timezone.utc))
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "bearer s3cret"}):
            denied = requests.get(url, headers=headers, timeout=5)
            assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Bearer")
        assert requests.get(server.base_url + "/nothing", timeout=5).status_code == 401
        assert requests.post(server.whep_url("CAM-A"), data="v=0", timeout=5).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer s3cret"}, timeout=5).status_code == 200


async def _watch_whep(server: MediaServer, name: str) -> None:
    """An aiortc client, as a browser would: recvonly offer, answer, a decoded picture, DELETE."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pin_ice_host(pc, "127.0.0.1")  # this test's media stays on loopback too
    arrived: asyncio.Future = asyncio.get_running_loop().create_future()
    pc.on("track", lambda track: arrived.done() or arrived.set_result(track))
    try:
        await pc.setLocalDescription(await pc.createOffer())
        answer = await asyncio.to_thread(requests.post, server.whep_url(name), data=pc.localDescription.sdp,
                                         headers={"Content-Type": "application/sdp"}, timeout=10)
        assert answer.status_code == 201, answer.text
        assert answer.headers["Content-Type"] == "application/sdp"
        location = answer.headers["Location"]
        assert location.startswith(f"/whep/{name}/")
        candidates = [line.split()[4] for line in answer.text.splitlines() if line.startswith("a=candidate:")]
        assert candidates and set(candidates) == {"127.0.0.1"}  # all gathered at once, none off loopback
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.text, type="answer"))
        track = await asyncio.wait_for(arrived, 5)
        frame = await asyncio.wait_for(track.recv(), 5)
        assert (frame.width, frame.height) == SIZE
        deleted = await asyncio.to_thread(requests.delete, server.base_url + location, timeout=5)
        assert deleted.status_code == 200
        for _ in range(50):
            if pc.connectionState == "closed":
                break
            await asyncio.sleep(0.1)
        assert pc.connectionState == "closed"  # the server really closed its side
        again = await asyncio.to_thread(requests.delete, server.base_url + location, timeout=5)
        assert again.status_code == 404
    finally:
        await pc.close()


def test_whep_answers_an_offer_and_sends_pictures_until_deleted(media: MediaServer) -> None:
    asyncio.run(_watch_whep(media, camera()))


def test_whep_refuses_what_is_not_an_offer_with_a_reason(media: MediaServer) -> None:
    url = media.whep_url("CAM-W")
    for body, kind, status, reason in (
            ("hello", "application/sdp", 400, "not SDP"),
            ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "application/sdp", 400, "no video m-line"),
            ("v=0\r\n", "text/plain", 415, "application/sdp")):
        answer = requests.post(url, data=body, headers={"Content-Type": kind}, timeout=10)
        assert answer.status_code == status and reason in answer.text, answer.text
        assert "Traceback" not in answer.text
    assert requests.delete(url + "/no-such-session", timeout=5).status_code == 404
    assert requests.get(url, timeout=5).status_code == 405


def test_evidence_kept_in_a_folder_is_served_after_a_restart(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    when = datetime.now(timezone.utc)
    with MediaServer(evidence_dir=tmp_path, keep=2) as first:
        url, digest = first.snapshot("CAM-1", "ev-1", when)
        clip_url, clip_digest = first.clip("CAM-1", "ev-1", when, seconds=1.0)
        port = first.host_port.rsplit(":", 1)[1]
        for n in range(2, 4):
            first.snapshot("CAM-1", f"ev-{n}", when)  # ev-1's snapshot is now past keep=2
    with MediaServer(port=int(port), evidence_dir=tmp_path, keep=2) as second:
        assert requests.get(url, timeout=10).status_code == 404
        assert requests.get(url.replace("ev-1", "ev-3"), timeout=10).status_code == 200
        kept = requests.get(clip_url, timeout=10)
        assert kept.status_code == 200 and hashlib.sha256(kept.content).hexdigest() == clip_digest
        assert second.base_url.endswith(port)
    assert len(list((tmp_path / "snapshots").iterdir())) == 2
