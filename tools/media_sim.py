"""The simulated operators' media server: HLS, WHEP, JPEG snapshots and MP4 clips of generated test streams.

It plays the part of the camera operators' video servers for ``kuzet demo`` and the tests, on 127.0.0.1 by
default, in background threads of the calling process. Every picture carries the camera id, the Almaty wall
clock and a frame counter, so a viewer can see at a glance which camera it is and how fresh the picture is.
Encoders run only while somebody watches: an HLS stream starts on its first playlist request and stops after
``idle_stop_s`` without requests; a WHEP session lasts until it is deleted or its ICE connection fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
import re
import secrets
import shutil
import socket
import socketserver
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, MediaStreamError
from PIL import Image, ImageDraw, ImageFont

from services.video.conformance import pin_ice_host

__all__ = ["FramePainter", "MediaServer", "PatternTrack", "encode_mp4", "pin_ice_host", "without_mdns_candidates"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

ALMATY = ZoneInfo("Asia/Almaty")
CAMERA_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MEDIA_KEY = re.compile(r"[A-Za-z0-9._-]{1,128}")
SEGMENT_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\.ts")
RANGE = re.compile(r"bytes=(\d*)-(\d*)")
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
HLS_LIST_SIZE = 6
FIRST_PLAYLIST_WAIT_S = 4.0
MAX_LIVE_STREAMS = 24
MAX_WHEP_SESSIONS = 16
MAX_SDP_BYTES = 64 << 10
WHEP_ANSWER_TIMEOUT_S = 10.0
# Behind real time by more than this, an encoder skips ahead instead of bursting to catch up.
MAX_LAG_S = 1.0


class FramePainter:
    """Draws one camera's test picture: scrolling colour bands, a sweeping bar, the camera id, clock and counter."""

    def __init__(self, camera: str, size: tuple[int, int]) -> None:
        width, height = size
        self.camera = camera
        self.width, self.height = width, height
        hue = (zlib.crc32(camera.encode()) % 360) / 360  # each camera its own colours, the same every run
        phase = 2 * np.pi * (np.arange(2 * width) / width + hue)
        row = np.stack([127.5 + 127.5 * np.sin(phase + shift) for shift in (0, 2 * np.pi / 3, 4 * np.pi / 3)], axis=-1)
        shade = np.linspace(1.0, 0.45, height)[:, None, None]
        # Two screen widths, so that any window of one width is a scrolled picture (a view, no arithmetic per frame).
        self._bands = np.ascontiguousarray((row[None, :, :] * shade).astype(np.uint8))
        self._strip_h = max(16, height // 8)
        self._font = ImageFont.load_default(size=max(10, self._strip_h * 3 // 5))
        self._bar_w = max(4, width // 40)

    def paint(self, index: int, when: datetime) -> np.ndarray:
        """The picture of frame ``index`` taken at ``when``, as an RGB array of shape (height, width, 3)."""
        t = when.timestamp()
        offset = int(t * self.width / 8) % self.width  # one screen width every 8 s
        picture = self._bands[:, offset:offset + self.width].copy()
        bar = int((t % 4) / 4 * (self.width - self._bar_w))
        picture[self._strip_h:, bar:bar + self._bar_w] = 235
        strip = Image.new("RGB", (self.width, self._strip_h), (0, 0, 0))
        draw = ImageDraw.Draw(strip)
        local = when.astimezone(ALMATY)
        clock = f"{local:%H:%M:%S}.{local.microsecond // 100_000}"
        pad = self._strip_h // 5
        draw.text((pad, pad), self.camera[:24], font=self._font, fill=(255, 255, 255))
        draw.text((self.width // 2, pad), clock, font=self._font, fill=(255, 230, 0), anchor="ma")
        draw.text((self.width - pad, pad), f"#{index:06d}", font=self._font, fill=(200, 200, 200), anchor="ra")
        picture[:self._strip_h] = np.asarray(strip)
        return picture

    def frame(self, index: int, when: datetime) -> av.VideoFrame:
        """The picture as a PyAV frame (rgb24; encoders convert it to yuv420p)."""
        return av.VideoFrame.from_ndarray(self.paint(index, when), format="rgb24")


def _utc(when: datetime) -> datetime:
    """``when`` with a time zone: a naive datetime is taken as UTC, as the store returns it from SQLite."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _x264_options(gop: int) -> dict[str, str]:
    """libx264 settings every stream here uses: cheap, no B-frames, a keyframe exactly every ``gop`` frames."""
    return {"preset": "ultrafast", "tune": "zerolatency", "profile": "main",
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}


def encode_mp4(painter: FramePainter, start: datetime, frames: int, fps: int) -> bytes:
    """``frames`` frames from ``start`` on as an H.264 MP4 with its index first (faststart), for a browser's <video>."""
    with tempfile.TemporaryDirectory(prefix="kuzet-clip-") as directory:
        # faststart rewrites the file to move the index to its head, which needs a real, re-readable file.
        path = Path(directory) / "clip.mp4"
        container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = container.add_stream("libx264", rate=fps, options=_x264_options(fps))
            stream.width, stream.height, stream.pix_fmt = painter.width, painter.height, "yuv420p"
            for index in range(frames):
                frame = painter.frame(index, start + timedelta(seconds=index / fps))
                frame.pts, frame.time_base = index, Fraction(1, fps)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        finally:
            container.close()
        return path.read_bytes()


class _HlsEncoder:
    """One camera's live HLS: a thread encoding the test picture in real time into a temp dir, until nobody asks."""

    def __init__(self, camera: str, *, fps: int, size: tuple[int, int], segment_s: float, idle_stop_s: float) -> None:
        self.camera = camera
        self.directory = Path(tempfile.mkdtemp(prefix=f"kuzet-hls-{camera}-"))
        self._fps, self._size, self._segment_s, self._idle_stop_s = fps, size, segment_s, idle_stop_s
        self._lock = threading.Lock()
        self._last_request = time.monotonic()
        self._stopping = False
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failed = False
        self._thread = threading.Thread(target=self._run, name=f"media-sim-hls-{camera}", daemon=True)

    def start(self) -> None:
        """Start encoding."""
        self._thread.start()

    def touch(self) -> bool:
        """Note a request; False if this encoder is already stopping (the caller then starts a new one)."""
        with self._lock:
            if self._stopping:
                return False
            self._last_request = time.monotonic()
            return True

    def stop(self) -> None:
        """Ask the thread to stop; it removes its directory on the way out."""
        with self._lock:
            self._stopping = True
        self._stop.set()

    def join(self, timeout_s: float) -> None:
        """Wait for the thread to end."""
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    @property
    def finished(self) -> bool:
        """True once the thread has ended."""
        return not self._thread.is_alive() and self._thread.ident is not None

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the playlist window is full (two segments at the very least); False if it did not."""
        return self._ready.wait(timeout_s) and not self._failed

    def read(self, name: str) -> bytes | None:
        """A file of the stream (the playlist or a segment), or None when it is gone."""
        try:
            return (self.directory / name).read_bytes()
        except OSError:
            return None

    def _idle(self) -> bool:
        with self._lock:
            if time.monotonic() - self._last_request > self._idle_stop_s:
                self._stopping = True
            return self._stopping

    def _run(self) -> None:
        try:
            self._encode()
        except Exception:  # noqa: BLE001 - one camera's failure must not end the server; requests get 503
            self._failed = True
            logger.exception("media simulator: the HLS encoder of %s failed", self.camera)
        finally:
            with self._lock:
                self._stopping = True
            self._ready.set()
            shutil.rmtree(self.directory, ignore_errors=True)
            logger.debug("media simulator: HLS of %s stopped", self.camera)

    def _encode(self) -> None:
        fps = self._fps
        gop = max(1, round(fps * self._segment_s))
        # Start with a full playlist window already encoded, faster than real time, as when joining a camera that
        # has been running: a player can start at once, and every later segment advances the media sequence.
        backlog = HLS_LIST_SIZE * gop
        wall0 = time.time() - backlog / fps
        clock0 = time.monotonic() - backlog / fps
        options = {"hls_time": f"{gop / fps:g}", "hls_list_size": str(HLS_LIST_SIZE),
                   "hls_flags": "delete_segments+independent_segments",
                   "hls_segment_filename": str(self.directory / f"{secrets.token_hex(4)}-%d.ts"),
                   # Numbered from the wall clock, so a stream restarted after idling never goes back in sequence.
                   "start_number": str(int(wall0 * fps / gop))}
        container = av.open(str(self.directory / "live.m3u8"), mode="w", format="hls", options=options)
        try:
            stream = container.add_stream("libx264", rate=fps, options=_x264_options(gop))
            stream.width, stream.height = self._size
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = gop
            stream.codec_context.thread_count = 1  # one camera, one core at most: the demo box has two
            painter = FramePainter(self.camera, self._size)
            index = 0
            while not self._stop.is_set() and not self._idle():
                delay = clock0 + index / fps - time.monotonic()
                if delay > 0:
                    if self._stop.wait(delay):
                        break
                elif index >= backlog and -delay > MAX_LAG_S:
                    index = int((time.monotonic() - clock0) * fps)
                frame = painter.frame(index, datetime.fromtimestamp(wall0 + index / fps, timezone.utc))
                frame.pts, frame.time_base = index, Fraction(1, fps)
                for packet in stream.encode(frame):
                    container.mux(packet)
                    if packet.is_keyframe and index >= backlog and not self._ready.is_set():
                        self._note_segments()
                index += 1
        finally:
            container.close()

    def _note_segments(self) -> None:
        playlist = self.read("live.m3u8") or b""
        if playlist.count(b"#EXTINF") >= 2:
            self._ready.set()
            logger.debug("media simulator: HLS of %s ready in %s", self.camera, self.directory)


class PatternTrack(VideoStreamTrack):
    """A camera's test picture as a WebRTC video track, at the server's frame rate."""

    kind = "video"

    def __init__(self, camera: str, fps: int, size: tuple[int, int]) -> None:
        super().__init__()
        self._painter = FramePainter(camera, size)
        self._fps = fps
        self._index = 0
        self._started: float | None = None

    async def next_timestamp(self) -> tuple[int, Fraction]:
        """The next frame's timestamp on the 90 kHz video clock, paced at ``fps`` (aiortc's own is fixed at 30)."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._started is None:
            self._started = time.time()
        else:
            self._index += 1
            wait = self._started + self._index / self._fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        return round(self._index * VIDEO_CLOCK_RATE / self._fps), VIDEO_TIME_BASE

    async def recv(self) -> av.VideoFrame:
        """The next frame, painted now."""
        pts, time_base = await self.next_timestamp()
        frame = self._painter.frame(self._index, datetime.now(timezone.utc))
        frame.pts, frame.time_base = pts, time_base
        return frame


def without_mdns_candidates(sdp: str) -> str:
    """The SDP without ICE candidates named by mDNS (``*.local``): resolving them multicasts on the LAN.

    Browsers hide their addresses behind such names; their connectivity checks still reach us, and ICE learns
    their real address from those (peer-reflexive candidates).
    """
    lines = sdp.splitlines(keepends=True)
    return "".join(line for line in lines
                   if not (line.startswith("a=candidate:") and len(line.split()) > 4
                           and line.split()[4].lower().endswith(".local")))


class BadOffer(ValueError):
    """A WHEP offer that cannot be answered; its message is the reason sent back with 400."""


class _Busy(RuntimeError):
    """The server is at its limit of live streams or sessions; the client may retry later (503)."""


class _RtcLoop:
    """One asyncio loop in a daemon thread where every aiortc object of the server lives."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="media-sim-webrtc", daemon=True)
        self._thread.start()

    def call(self, coroutine: Awaitable[T], timeout_s: float) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()
            raise

    def close(self, pcs: list[RTCPeerConnection]) -> None:
        """Close the peer connections, cancel what is left, stop the loop and join its thread."""
        async def shutdown() -> None:
            await asyncio.gather(*(pc.close() for pc in pcs), return_exceptions=True)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.call(shutdown(), 10.0)
        except Exception:  # noqa: BLE001 - stopping goes on whatever a peer connection did
            logger.warning("media simulator: WebRTC shutdown was not clean", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10.0)
        if not self._thread.is_alive():
            self.loop.close()


class _Shelf:
    """The last ``keep`` rendered files by key, oldest dropped first, as an operator's retention would.

    With a ``folder`` they are files there too, so a restarted demo still serves the evidence its stored
    events point at.
    """

    def __init__(self, keep: int, folder: Path | None = None) -> None:
        self._keep = keep
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (replacing an older file of that key)."""
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self._keep:
                self._items.popitem(last=False)
            if self._folder is not None:
                (self._folder / key).write_bytes(data)
                kept = sorted(self._folder.iterdir(), key=lambda f: f.stat().st_mtime)
                for old in kept[:max(0, len(kept) - self._keep)]:
                    old.unlink(missing_ok=True)

    def get(self, key: str) -> bytes | None:
        """The file of ``key``, or None if never made or already dropped."""
        with self._lock:
            found = self._items.get(key)
        if found is None and self._folder is not None:
            try:
                return (self._folder / key).read_bytes()
            except OSError:
                return None
        return found


class _HttpServer(ThreadingHTTPServer):
    """The threading HTTP server, quiet, knowing its media server and its open connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], media: MediaServer) -> None:
        self.media = media
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host name (getfqdn)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a failed connection at debug level rather than printing a traceback to stderr."""
        logger.debug("media simulator: connection from %s failed", client_address, exc_info=True)

    def track(self, connection: socket.socket, open_: bool) -> None:
        """Note a connection opening or closing."""
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """End every open keep-alive connection, so that its handler thread ends too."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    """The routes: /hls/<camera>/..., /whep/<camera>[/<session>], /snapshot/<key>.jpg, /clip/<key>.mp4."""

    server: _HttpServer
    protocol_version = "HTTP/1.1"
    server_version = "KuzetMediaSim"
    sys_version = ""  # no answer names Python's version
    timeout = 30  # an idle keep-alive connection ends, and its thread with it

    def setup(self) -> None:
        """Register the connection with the server, which closes it on stop."""
        super().setup()
        # Headers and body go out in two writes: with Nagle on, the body's tail waits for the client's delayed
        # ACK (40 ms a segment on Linux). Video servers (nginx's tcp_nodelay) send at once.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        """Unregister the connection."""
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the name http.server uses
        """Request lines go to the debug log, not stderr."""
        logger.debug("media simulator: %s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        """GET a playlist, segment, snapshot or clip."""
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        """HEAD: as GET, without the body."""
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        """POST a WHEP offer."""
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        """DELETE a WHEP session."""
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        """PATCH a WHEP session (trickle ICE, which this server does not do)."""
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        """CORS preflight."""
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        try:
            self._route(method)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a bug here answers 500, never a traceback to the client
            logger.exception("media simulator: %s %s failed", method, self.path)
            self.close_connection = True
            try:
                self._reply(500, b"internal error\n", method=method)
            except OSError:
                pass

    def _route(self, method: str) -> None:
        media = self.server.media
        if media.auth is not None:
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode("utf-8", "replace"), media.auth.encode()):
                self.close_connection = self._has_body()  # the unread body would be taken for the next request
                scheme = media.auth.split(" ", 1)[0]
                self._reply(401, b"authorization required\n", method=method,
                            headers={"WWW-Authenticate": f'{scheme} realm="kuzet-media-sim"'})
                return
        if method == "OPTIONS":
            self._reply(204, b"", method=method, headers={
                "Access-Control-Allow-Methods": "GET, HEAD, POST, DELETE, PATCH, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Range",
                "Access-Control-Max-Age": "600"})
            return
        parts = urlsplit(self.path).path.split("/")[1:]
        kind = parts[0] if parts else ""
        if kind == "hls" and len(parts) == 3 and CAMERA_NAME.fullmatch(parts[1]):
            if method not in ("GET", "HEAD"):
                return self._not_allowed(method, "GET, HEAD")
            return self._hls(method, parts[1], parts[2])
        if kind == "whep" and len(parts) in (2, 3) and CAMERA_NAME.fullmatch(parts[1]):
            return self._whep(method, parts[1], parts[2] if len(parts) == 3 else None)
        if kind in ("snapshot", "clip") and len(parts) == 2:
            if method not in ("GET", "HEAD"):
                return self._not_allowed(method, "GET, HEAD")
            return self._stored(method, kind, parts[1])
        self.close_connection = self._has_body()
        self._reply(404, b"not found\n", method=method)

    def _hls(self, method: str, camera: str, name: str) -> None:
        media = self.server.media
        if name == "live.m3u8":
            try:
                encoder = media._encoder(camera, start=True)
            except _Busy as exc:
                return self._reply(503, f"{exc}\n".encode(), method=method, headers={"Retry-After": "5"})
            body = encoder.read(name) if encoder.wait_ready(FIRST_PLAYLIST_WAIT_S) else None
            if body is None:
                return self._reply(503, b"stream starting, retry\n", method=method, headers={"Retry-After": "1"})
            return self._reply(200, body, PLAYLIST_TYPE, method=method, headers={"Cache-Control": "no-cache"})
        if SEGMENT_NAME.fullmatch(name):
            running = media._encoder(camera, start=False)
            body = running.read(name) if running is not None else None
            if body is not None:
                # Segment names are random per stream run, so a name never comes back with other content.
                return self._reply(200, body, "video/mp2t", method=method, headers={"Cache-Control": "max-age=60"})
        self._reply(404, b"not found\n", method=method)

    def _whep(self, method: str, camera: str, session: str | None) -> None:
        media = self.server.media
        if session is None:
            if method != "POST":
                return self._not_allowed(method, "POST, OPTIONS")
            content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            length = self._content_length()
            if length is None or length > MAX_SDP_BYTES:
                self.close_connection = True
                return self._reply(413 if length else 411, b"an SDP offer of at most 64 KiB, with Content-Length\n")
            offer = self.rfile.read(length)
            if content_type != "application/sdp":
                return self._reply(415, b"the offer must be sent as Content-Type: application/sdp\n")
            try:
                session_id, answer = media._whep_create(camera, offer.decode("utf-8"))
            except UnicodeDecodeError:
                return self._reply(400, b"the offer is not UTF-8 text\n")
            except BadOffer as exc:
                return self._reply(400, f"bad offer: {exc}\n".encode())
            except _Busy as exc:
                return self._reply(503, f"{exc}\n".encode(), headers={"Retry-After": "5"})
            return self._reply(201, answer.encode(), "application/sdp", headers={
                "Location": f"/whep/{camera}/{session_id}", "Access-Control-Expose-Headers": "Location"})
        if method == "DELETE":
            self.close_connection = self._has_body()
            if media._whep_delete(camera, session):
                return self._reply(200, b"")
            return self._reply(404, b"no such session\n")
        if method == "PATCH":
            self.close_connection = self._has_body()
            return self._reply(405, b"trickle ICE is not supported; the answer has every candidate\n",
                               headers={"Allow": "DELETE, OPTIONS"})
        self._not_allowed(method, "DELETE, OPTIONS")

    def _stored(self, method: str, kind: str, name: str) -> None:
        media = self.server.media
        suffix, content_type, shelf = ((".jpg", "image/jpeg", media._snapshots) if kind == "snapshot"
                                       else (".mp4", "video/mp4", media._clips))
        key = name[:-len(suffix)] if name.endswith(suffix) else ""
        data = shelf.get(key) if MEDIA_KEY.fullmatch(key) else None
        if data is None:
            return self._reply(404, b"not found\n", method=method)
        if kind == "snapshot":
            return self._reply(200, data, content_type, method=method, headers={"Cache-Control": "max-age=3600"})
        self._ranged(method, data, content_type)

    def _ranged(self, method: str, data: bytes, content_type: str) -> None:
        """Serve ``data`` honouring a single-range ``Range`` header (RFC 9110 14), as <video> seeking needs."""
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "max-age=3600",
                   "Access-Control-Expose-Headers": "Content-Range, Accept-Ranges, Content-Length"}
        wanted = RANGE.fullmatch(self.headers.get("Range", "").strip())
        if wanted is None or wanted.groups() == ("", ""):
            return self._reply(200, data, content_type, method=method, headers=headers)
        first, last = wanted.groups()
        size = len(data)
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:
            start, end = max(0, size - int(last)), size - 1
        if start >= size or start > end:
            return self._reply(416, b"", method=method, headers=headers | {"Content-Range": f"bytes */{size}"})
        self._reply(206, data[start:end + 1], content_type, method=method,
                    headers=headers | {"Content-Range": f"bytes {start}-{end}/{size}"})

    def _not_allowed(self, method: str, allow: str) -> None:
        self.close_connection = self._has_body()
        self._reply(405, b"method not allowed\n", method=method, headers={"Allow": allow})

    def _content_length(self) -> int | None:
        try:
            return int(self.headers["Content-Length"])
        except (TypeError, ValueError):
            return None

    def _has_body(self) -> bool:
        return bool(self._content_length()) or "Transfer-Encoding" in self.headers

    def _reply(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8", *,
               method: str = "GET", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if method != "HEAD" and body:
            self.wfile.write(body)


class MediaServer:
    """Camera operators' video servers, simulated on 127.0.0.1: live HLS and WHEP, snapshots and clips."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, fps: int = 10, size: tuple[int, int] = (640, 360),
                 segment_s: float = 1.0, idle_stop_s: float = 30.0, auth: str | None = None, keep: int = 500,
                 evidence_dir: Path | None = None) -> None:
        width, height = size
        if fps < 1 or width < 16 or height < 16 or width % 2 or height % 2:
            raise ValueError("fps must be >= 1 and the size even, at least 16x16 (yuv420p halves it)")
        if segment_s <= 0 or idle_stop_s <= 0 or keep < 1:
            raise ValueError("segment_s and idle_stop_s must be positive and keep at least 1")
        self.host, self.fps, self.size = host, fps, (width, height)
        self.segment_s, self.idle_stop_s, self.auth = segment_s, idle_stop_s, auth
        self._requested_port = port
        self._lock = threading.Lock()
        self._httpd: _HttpServer | None = None
        self._http_thread: threading.Thread | None = None
        self._stopped = False
        self._encoders: dict[str, _HlsEncoder] = {}
        self._snapshots = _Shelf(keep, evidence_dir / "snapshots" if evidence_dir else None)
        self._clips = _Shelf(keep, evidence_dir / "clips" if evidence_dir else None)
        self._rtc: _RtcLoop | None = None
        self._sessions: dict[str, tuple[str, RTCPeerConnection]] = {}

    def start(self) -> MediaServer:
        """Bind and serve in a background thread; returns self."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("a stopped MediaServer cannot start again; make a new one")
            if self._httpd is not None:
                return self
            self._httpd = _HttpServer((self.host, self._requested_port), self)
            self._http_thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                                 name="media-sim-http", daemon=True)
            self._http_thread.start()
        logger.info("media simulator serving on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, end every encoder and WebRTC session, join the threads and remove the temp dirs."""
        with self._lock:
            self._stopped = True
            httpd, thread, self._httpd = self._httpd, self._http_thread, None
            encoders, self._encoders = list(self._encoders.values()), {}
            rtc, self._rtc = self._rtc, None
            pcs = [pc for _, pc in self._sessions.values()]
            self._sessions.clear()
        if httpd is not None and thread is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
            thread.join(10.0)
        for encoder in encoders:
            encoder.stop()
        for encoder in encoders:
            encoder.join(10.0)
        if rtc is not None:
            rtc.close(pcs)

    def __enter__(self) -> MediaServer:
        """Start, for ``with MediaServer() as media:``."""
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Stop."""
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host_port}"

    @property
    def host_port(self) -> str:
        """``host:port`` of the running server."""
        httpd = self._httpd
        if httpd is None:
            raise RuntimeError("the media server is not running; call start() first")
        return f"{httpd.server_address[0]}:{httpd.server_address[1]}"

    def live_url(self, camera: str) -> str:
        """The camera's HLS playlist."""
        return f"{self.base_url}/hls/{_camera(camera)}/live.m3u8"

    def whep_url(self, camera: str) -> str:
        """The camera's WHEP endpoint."""
        return f"{self.base_url}/whep/{_camera(camera)}"

    def snapshot(self, camera: str, key: str, when: datetime) -> tuple[str, str]:
        """Render the camera's JPEG at ``when`` now and keep it under ``key``; returns (url, sha256 hex)."""
        _camera(camera)
        url = f"{self.base_url}/snapshot/{_key(key)}.jpg"
        picture = FramePainter(camera, self.size).paint(0, _utc(when))
        buffer = io.BytesIO()
        Image.fromarray(picture).save(buffer, format="JPEG", quality=85)
        data = buffer.getvalue()
        self._snapshots.put(key, data)
        return url, hashlib.sha256(data).hexdigest()

    def clip(self, camera: str, key: str, when: datetime, seconds: float = 4.0) -> tuple[str, str]:
        """Render the camera's MP4 of ``seconds`` centred on ``when`` now and keep it under ``key``; (url, sha256)."""
        _camera(camera)
        url = f"{self.base_url}/clip/{_key(key)}.mp4"
        if not 0 < seconds <= 60:
            raise ValueError("a clip lasts more than 0 and at most 60 seconds")
        start = _utc(when) - timedelta(seconds=seconds / 2)
        data = encode_mp4(FramePainter(camera, self.size), start, max(1, round(seconds * self.fps)), self.fps)
        self._clips.put(key, data)
        return url, hashlib.sha256(data).hexdigest()

    def _encoder(self, camera: str, *, start: bool) -> _HlsEncoder | None:
        """The camera's running HLS encoder, noting the request; with ``start`` a new one if none runs."""
        with self._lock:
            encoder = self._encoders.get(camera)
            if encoder is not None and encoder.touch():
                return encoder
            if not start or self._stopped:
                return None
            for name in [name for name, e in self._encoders.items() if e.finished]:
                del self._encoders[name]
            if sum(not e.finished for e in self._encoders.values()) >= MAX_LIVE_STREAMS:
                raise _Busy(f"at most {MAX_LIVE_STREAMS} live streams at once")
            encoder = _HlsEncoder(camera, fps=self.fps, size=self.size, segment_s=self.segment_s,
                                  idle_stop_s=self.idle_stop_s)
            self._encoders[camera] = encoder
            encoder.start()
            logger.debug("media simulator: HLS of %s starting", camera)
            return encoder

    def _rtc_loop(self) -> _RtcLoop:
        with self._lock:
            if self._stopped:
                raise _Busy("the media server is stopping")
            if self._rtc is None:
                self._rtc = _RtcLoop()
            return self._rtc

    def _whep_create(self, camera: str, offer: str) -> tuple[str, str]:
        """Answer a WHEP offer with a session sending the camera's picture; (session id, answer SDP)."""
        with self._lock:
            if len(self._sessions) >= MAX_WHEP_SESSIONS:
                raise _Busy(f"at most {MAX_WHEP_SESSIONS} WHEP sessions at once")
        if not offer.lstrip().startswith("v=0"):
            raise BadOffer("not SDP: an offer starts with v=0")
        rtc = self._rtc_loop()
        session_id = secrets.token_urlsafe(12)
        try:
            answer = rtc.call(self._answer(camera, session_id, without_mdns_candidates(offer)), WHEP_ANSWER_TIMEOUT_S)
        except TimeoutError:
            raise _Busy("the answer took too long") from None
        return session_id, answer

    async def _answer(self, camera: str, session_id: str, offer: str) -> str:
        # No ICE servers: aiortc's default is a public STUN server, and this server talks to nothing but its host.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            # Our transceiver first, so that the codec preference (H.264, the format's codec) shapes the answer.
            transceiver = pc.addTransceiver(PatternTrack(camera, self.fps, self.size), direction="sendonly")
            codecs = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences(sorted(codecs, key=lambda c: c.mimeType.lower() != "video/h264"))
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            except Exception as exc:  # noqa: BLE001 - aiortc reports bad SDP with assorted exception types
                raise BadOffer(str(exc) or type(exc).__name__) from None
            if transceiver.mid is None:
                raise BadOffer("the offer has no video m-line")
            if self.host not in ("", "0.0.0.0", "::"):
                pin_ice_host(pc, self.host)
            await pc.setLocalDescription(await pc.createAnswer())  # gathers every candidate: no trickle
        except BaseException:
            await pc.close()
            raise
        with self._lock:
            self._sessions[session_id] = (camera, pc)

        @pc.on("connectionstatechange")
        async def ended() -> None:
            if pc.connectionState in ("failed", "closed"):
                with self._lock:
                    self._sessions.pop(session_id, None)
                await pc.close()

        logger.debug("media simulator: WHEP session %s of %s", session_id, camera)
        return pc.localDescription.sdp

    def _whep_delete(self, camera: str, session_id: str) -> bool:
        """End a WHEP session; False if there is no such session of that camera."""
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None or found[0] != camera:
                return False
            del self._sessions[session_id]
            rtc = self._rtc
        if rtc is not None:
            try:
                rtc.call(found[1].close(), 5.0)
            except Exception:  # noqa: BLE001 - the session is gone for the client either way
                logger.debug("media simulator: closing WHEP session %s", session_id, exc_info=True)
        return True


def _camera(camera: str) -> str:
    if not CAMERA_NAME.fullmatch(camera):
        raise ValueError(f"camera names are 1-64 of A-Z a-z 0-9 . _ -, not {camera!r}")
    return camera


def _key(key: str) -> str:
    if not MEDIA_KEY.fullmatch(key):
        raise ValueError(f"keys are 1-128 of A-Z a-z 0-9 . _ -, not {key!r}")
    return key
