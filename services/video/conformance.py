"""The video conformance probe: check an operator's live stream (HLS or WHEP) before its cameras are connected.

Every check becomes a finding (ok, warning or error) with a stable code and an English detail, and the
measurements go into figures; reachability problems are findings too, never exceptions. Only the host of the
given URL is contacted: redirects, variants, segments and ICE candidates elsewhere are reported, not followed.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import logging
import re
import socket
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import av
import m3u8
import requests

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PORTS = {"http": 80, "https": 443}
PLAYLIST_BYTES = 1 << 20
INIT_SEGMENT_BYTES = 1 << 20
SDP_BYTES = 64 << 10
MAX_REDIRECTS = 3
PLAYLIST_TYPES = frozenset({"application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl",
                            "audio/x-mpegurl"})
# H.264 profile_idc (the PP of avc1.PPCCLL) browsers decode in hardware and software alike: Baseline, Main, High.
BROWSER_AVC_PROFILES = frozenset({0x42, 0x4D, 0x58, 0x64})
BROWSER_H264_PROFILES = frozenset({"Baseline", "Constrained Baseline", "Main", "Extended", "High"})
WEBRTC_BROWSER_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
ERRNO_REASON = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


@dataclass(frozen=True)
class Finding:
    """One check's outcome: level ok, warning or error; a stable machine code; a human detail."""

    level: str
    code: str
    detail: str

    def line(self) -> str:
        """The finding as the CLI prints it."""
        return f"{self.level:<7} {self.code}: {self.detail}"


@dataclass(frozen=True)
class VideoReport:
    """What the probe found at one URL, and what it measured there."""

    url: str
    protocol: str
    findings: tuple[Finding, ...]
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.level == "error" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {"url": self.url, "protocol": self.protocol, "ok": self.ok,
                "findings": [{"level": f.level, "code": f.code, "detail": f.detail} for f in self.findings],
                "figures": dict(self.figures)}


@dataclass(frozen=True)
class _Fetched:
    """A response read in full: its final URL, status, headers, body and the time it took."""

    url: str
    status: int
    headers: requests.structures.CaseInsensitiveDict
    data: bytes
    ms: float

    @property
    def content_type(self) -> str:
        """The media type, lower case, without parameters."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def _origin(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the scheme's port when none is given; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def _reason(exc: BaseException) -> str:
    """The operating system's words for a failed connection, out of requests' nested message."""
    found = ERRNO_REASON.findall(str(exc))
    return found[-1].strip() if found else type(exc).__name__


class _Probe:
    """One probe run: the HTTP session, the host it may contact, and the findings and figures gathered."""

    def __init__(self, url: str, http: requests.Session, headers: dict[str, str], timeout_s: float) -> None:
        self.url = url
        self.origin = _origin(url)
        self.http, self.headers, self.timeout_s = http, headers, timeout_s
        self.findings: list[Finding] = []
        self.figures: dict[str, Any] = {}

    def add(self, level: str, code: str, detail: str) -> None:
        """Record a finding."""
        self.findings.append(Finding(level, code, detail))

    def same_host(self, url: str, what: str) -> bool:
        """True if ``url`` is on the probed host; otherwise a warning that it was not contacted."""
        if _origin(url) == self.origin:
            return True
        self.add("warning", "other-host", f"{what} is on another host ({url}); not fetched, the probe contacts "
                                          f"only {self.origin[0]}:{self.origin[1]}")
        return False

    def fetch(self, url: str, what: str, limit: int, *, too_large: str = "response-too-large", method: str = "GET",
              body: bytes | None = None, headers: dict[str, str] | None = None,
              expect: tuple[int, ...] = (200,)) -> _Fetched | None:
        """``url`` read in full within the time and size limits, redirects on this host followed; None on failure.

        Every failure is recorded as an error finding naming ``what`` was being fetched.
        """
        started = time.monotonic()
        deadline = started + 2 * self.timeout_s
        for _ in range(MAX_REDIRECTS + 1):
            if not self.same_host(url, what):
                return None
            host, port = _origin(url) or ("?", 0)
            try:
                with self.http.request(method, url, data=body, headers=self.headers | (headers or {}), stream=True,
                                       allow_redirects=False, timeout=(self.timeout_s, self.timeout_s)) as answer:
                    if answer.is_redirect and "Location" in answer.headers:
                        url = urljoin(url, answer.headers["Location"])
                        continue
                    data = bytearray()
                    for chunk in answer.iter_content(64 << 10):
                        data += chunk
                        if len(data) > limit:
                            self.add("error", too_large, f"{what} is larger than {limit:,} bytes ({url})")
                            return None
                        if time.monotonic() > deadline:
                            self.add("error", "unreachable", f"{what} took longer than {2 * self.timeout_s:g} s "
                                                             f"to arrive from {host}:{port}")
                            return None
                    ms = round((time.monotonic() - started) * 1000, 1)
                    if answer.status_code not in expect:
                        self.add("error", "http-status", _status_detail(what, answer.status_code, answer.reason,
                                                                        bytes(data)))
                        return None
                    return _Fetched(url, answer.status_code, answer.headers, bytes(data), ms)
            except requests.exceptions.Timeout:
                self.add("error", "unreachable", f"{what}: no answer from {host}:{port} within {self.timeout_s:g} s")
            except requests.exceptions.SSLError as exc:
                self.add("error", "unreachable", f"{what}: TLS with {host}:{port} failed ({_reason(exc)})")
            except requests.exceptions.ConnectionError as exc:
                self.add("error", "unreachable", f"{what}: cannot connect to {host}:{port} ({_reason(exc)})")
            except requests.exceptions.RequestException as exc:
                self.add("error", "unreachable", f"{what}: request to {host}:{port} failed ({type(exc).__name__})")
            return None
        self.add("error", "http-status", f"{what}: more than {MAX_REDIRECTS} redirects")
        return None


def _status_detail(what: str, status: int, reason: str, body: bytes) -> str:
    """An HTTP failure in words, with the server's own (short) explanation if it gave one."""
    hint = {401: "; the server wants credentials (give them as headers)",
            403: "; the server refuses these credentials or this client",
            404: "; no such stream at this address"}.get(status, "")
    said = body[:200].decode("utf-8", "replace").strip().splitlines()
    return f"{what}: HTTP {status} {reason}{hint}" + (f" (server said: {said[0]})" if said else "")


def probe_video(url: str, *, protocol: str | None = None, timeout_s: float = 5.0, max_segment_bytes: int = 16 << 20,
                headers: dict[str, str] | None = None, http: requests.Session | None = None) -> VideoReport:
    """Probe an operator's live view at ``url`` (HLS playlist or WHEP endpoint) and report what a browser would meet.

    ``protocol`` is "hls" or "whep"; without it a URL ending in .m3u8 is HLS and any other WHEP. ``headers``
    (such as Authorization) go with every request, all to the URL's own host.
    """
    if protocol is None:
        protocol = "hls" if urlsplit(url).path.lower().endswith(".m3u8") else "whep"
    if protocol not in ("hls", "whep"):
        raise ValueError(f"protocol must be 'hls' or 'whep', not {protocol!r}")
    session = http
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy or .netrc from the environment: only the given host is contacted
    probe = _Probe(url, session, dict(headers or {}), timeout_s)
    try:
        parts = urlsplit(url)
        if probe.origin is None:
            probe.add("error", "url-invalid", f"not an http(s) URL with a host: {url!r}")
        elif parts.username is not None or parts.password is not None:
            probe.add("error", "url-invalid", "the URL carries credentials; give them as headers, kept server-side")
        elif protocol == "hls":
            _probe_hls(probe, max_segment_bytes)
        else:
            _run_async(_probe_whep(probe))
    except Exception as exc:  # noqa: BLE001 - the probe reports, it never raises on what a server sends
        logger.exception("video probe of %s failed", url)
        probe.add("error", "probe-failed", f"the probe itself failed ({type(exc).__name__}: {exc})")
    finally:
        if http is None:
            session.close()
    return VideoReport(url, protocol, tuple(probe.findings), probe.figures)


# --- HLS -------------------------------------------------------------------------------------------------------


def _probe_hls(probe: _Probe, max_segment_bytes: int) -> None:
    """Playlist (master or media), its codecs, its segments fetched and one opened."""
    fetched = probe.fetch(probe.url, "the playlist", PLAYLIST_BYTES, too_large="playlist-too-large")
    if fetched is None:
        return
    probe.figures["fetch_ms"] = fetched.ms
    playlist = _parse_playlist(probe, fetched, "the playlist")
    if playlist is None:
        return
    if not playlist.is_variant:
        probe.figures["variants"] = 0
        probe.add("ok", "playlist-parses", f"media playlist ({len(fetched.data):,} bytes in {fetched.ms:g} ms)")
        _probe_media_playlist(probe, playlist, max_segment_bytes)
        return
    variants = playlist.playlists
    probe.figures["variants"] = len(variants)
    if not variants:
        probe.add("error", "playlist-parses", "master playlist without any variant stream")
        return
    probe.add("ok", "playlist-parses", f"master playlist with {len(variants)} variant(s)")
    declared: list[str] = []
    for number, variant in enumerate(variants, 1):
        codecs = variant.stream_info.codecs
        where = f"variant {number} ({variant.uri})"
        if not codecs:
            probe.add("warning", "codecs-missing", f"{where} declares no CODECS; players must guess what it holds")
            continue
        for codec in (c.strip() for c in codecs.split(",") if c.strip()):
            declared.append(codec)
            _check_declared_codec(probe, codec, where)
    probe.figures["codecs"] = sorted(set(declared))
    if not any(f.code == "codec-not-browser-safe" for f in probe.findings) and declared:
        probe.add("ok", "codecs", f"declared codecs play in browsers: {', '.join(sorted(set(declared)))}")
    media_url = variants[0].absolute_uri
    if not probe.same_host(media_url, "the first variant's playlist"):
        return
    media = probe.fetch(media_url, "the first variant's playlist", PLAYLIST_BYTES, too_large="playlist-too-large")
    if media is None:
        return
    media_playlist = _parse_playlist(probe, media, "the first variant's playlist")
    if media_playlist is None:
        return
    if media_playlist.is_variant:
        probe.add("error", "playlist-parses", "the first variant is itself a master playlist")
        return
    _probe_media_playlist(probe, media_playlist, max_segment_bytes)


def _parse_playlist(probe: _Probe, fetched: _Fetched, what: str) -> m3u8.M3U8 | None:
    """The playlist parsed with m3u8, or None after an error finding."""
    try:
        text = fetched.data.decode("utf-8")
    except UnicodeDecodeError:
        probe.add("error", "playlist-parses", f"{what} is not UTF-8 text (RFC 8216 4.1)")
        return None
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        probe.add("error", "playlist-parses", f"{what} is not an HLS playlist: it does not start with #EXTM3U")
        return None
    if fetched.content_type not in PLAYLIST_TYPES:
        probe.add("warning", "playlist-content-type", f"{what} is served as {fetched.content_type or 'no type'!r}, "
                                                      "not application/vnd.apple.mpegurl")
    try:
        return m3u8.loads(text, uri=fetched.url)
    except Exception as exc:  # noqa: BLE001 - m3u8 raises assorted errors on malformed tags
        probe.add("error", "playlist-parses", f"{what} does not parse: {type(exc).__name__}: {exc}")
        return None


def _check_declared_codec(probe: _Probe, codec: str, where: str) -> None:
    """One RFC 6381 codec string of a variant: H.264 and AAC play everywhere, H.265 nowhere without a plug-in."""
    name = codec.lower()
    if name.startswith(("hvc1", "hev1")):
        probe.add("error", "codec-not-browser-safe", f"{where}: {codec} is H.265, which does not play in browsers "
                                                     "without a plug-in; the format is H.264 (avc1)")
    elif name.startswith(("avc1.", "avc3.")):
        try:
            profile = int(name[5:7], 16)
        except ValueError:
            probe.add("warning", "codec-unexpected", f"{where}: {codec} is not a well-formed avc1 string")
            return
        if profile not in BROWSER_AVC_PROFILES:
            probe.add("error", "codec-not-browser-safe", f"{where}: {codec} is an H.264 profile (profile_idc "
                                                         f"{profile}) browsers do not decode; use Baseline, Main "
                                                         "or High")
    elif name.startswith("mp4a."):
        return
    else:
        probe.add("warning", "codec-unexpected", f"{where}: {codec} is neither H.264 nor AAC; not every browser "
                                                 "plays it")


def _probe_media_playlist(probe: _Probe, playlist: m3u8.M3U8, max_segment_bytes: int) -> None:
    """Target duration, live or VOD, segment count; the first and last segment fetched, one of them opened."""
    target = playlist.target_duration
    segments = playlist.segments
    live = not playlist.is_endlist
    probe.figures.update(target_duration_s=target, segments=len(segments), live=live,
                         media_sequence=playlist.media_sequence)
    if target is None:
        probe.add("error", "target-duration", "no #EXT-X-TARGETDURATION (RFC 8216 4.3.3.1 requires it)")
    elif target > 10:
        probe.add("warning", "target-duration", f"target duration {target} s: a live picture runs about three "
                                                f"segments behind, so {3 * target} s late here; keep it <= 10 s")
    else:
        probe.add("ok", "target-duration", f"target duration {target} s")
    if not segments:
        probe.add("error", "no-segments", "the media playlist lists no segment")
        return
    longest = max(s.duration or 0 for s in segments)
    if target is not None and round(longest) > target:
        probe.add("warning", "target-duration", f"a segment lasts {longest:g} s, longer than the target duration "
                                                f"{target} s (RFC 8216 4.3.3.1)")
    if live:
        probe.add("ok", "live", f"live, {len(segments)} segments from media sequence "
                                f"{playlist.media_sequence or 0}")
    else:
        total = sum(s.duration or 0 for s in segments)
        probe.add("warning", "vod", f"the playlist has ended (#EXT-X-ENDLIST): {len(segments)} segments, {total:g} s; "
                                    "a live view should be a live playlist")
    keys = {s.key.method for s in segments if s.key is not None and (s.key.method or "NONE").upper() != "NONE"}
    init = segments[0].init_section
    probe.figures["segment_format"] = "fmp4" if init is not None else "ts"
    picks = [segments[0]] if len(segments) == 1 else [segments[0], segments[-1]]
    sizes: list[int] = []
    times: list[float] = []
    payloads: list[bytes] = []
    for which, segment in zip(("first", "last"), picks):
        what = f"the {which} segment"
        if not probe.same_host(segment.absolute_uri, what):
            continue
        got = probe.fetch(segment.absolute_uri, what, max_segment_bytes, too_large="segment-too-large")
        if got is None:
            continue
        sizes.append(len(got.data))
        times.append(got.ms)
        payloads.append(got.data)
        if segment.duration:
            probe.figures[f"{which}_segment_kbps"] = round(len(got.data) * 8 / segment.duration / 1000, 1)
    if sizes:
        probe.figures.update(segment_bytes_max=max(sizes), segment_bytes_median=statistics.median(sizes),
                             segment_fetch_ms=max(times))
        probe.add("ok", "segments-fetched", f"{len(sizes)} segment(s) fetched, at most {max(sizes):,} bytes "
                                            f"in {max(times):g} ms")
    if not payloads:
        return
    if keys:
        probe.add("warning", "segments-encrypted", f"segments are encrypted ({', '.join(sorted(keys))}); "
                                                   "their codec was not checked")
        return
    prefix = b""
    if init is not None:
        init_url = init.absolute_uri
        got = (probe.fetch(init_url, "the initialisation segment", INIT_SEGMENT_BYTES, too_large="segment-too-large")
               if probe.same_host(init_url, "the initialisation segment") else None)
        if got is None:
            return
        prefix = got.data
    _inspect_segment(probe, prefix + payloads[-1])


def _inspect_segment(probe: _Probe, data: bytes) -> None:
    """Open a segment with PyAV: its video codec (H.264 plays, H.265 does not), size, first keyframe, a picture."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            audio = [s.codec_context.name for s in container.streams.audio]
            if not container.streams.video:
                probe.figures["codecs"] = probe.figures.get("codecs") or audio
                probe.add("error", "no-video-stream", "the segment holds no video stream")
                return
            stream = container.streams.video[0]
            context = stream.codec_context
            name, profile = context.name, context.profile
            probe.figures.update(video_codec=name, width=context.width, height=context.height, profile=profile,
                                 audio_codecs=audio)
            probe.figures["codecs"] = probe.figures.get("codecs") or [name, *audio]
            if name == "hevc":
                probe.add("error", "codec-not-browser-safe", "the video is H.265 (HEVC), which does not play in "
                                                             "browsers without a plug-in; the format is H.264")
            elif name == "h264" and profile is not None and profile not in BROWSER_H264_PROFILES:
                probe.add("error", "codec-not-browser-safe", f"the video is H.264 {profile}, a profile browsers do "
                                                             "not decode; use Baseline, Main or High")
            elif name == "h264":
                probe.add("ok", "codec", f"video H.264 {profile or ''} {context.width}x{context.height}".replace("  ", " "))
            else:
                probe.add("warning", "codec-unexpected", f"the video is {name}, not H.264; not every browser plays it")
            _check_first_picture(probe, container, stream)
    except av.FFmpegError as exc:
        probe.add("error", "segment-container", f"the segment is not a readable MPEG-TS or MP4 stream ({exc})")


def _check_first_picture(probe: _Probe, container: Any, stream: Any) -> None:
    """The segment starts with a keyframe (players start and switch there) and a picture decodes from it."""
    packets = 0
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        if packets == 0 and not packet.is_keyframe:
            probe.add("warning", "segment-keyframe", "the segment does not start with a keyframe; a player joining "
                                                     "there shows nothing until the next one")
        packets += 1
        if packet.decode():
            probe.add("ok", "segment-decodes", f"a picture decodes from packet {packets}")
            return
        if packets >= 300:
            break
    probe.add("error", "segment-decodes", "no picture decodes from the segment")


# --- WHEP ------------------------------------------------------------------------------------------------------


def _run_async(coroutine: Awaitable[T]) -> T:
    """Run ``coroutine`` on a private event loop, in a helper thread if this one already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)  # type: ignore[arg-type]
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread below
            outcome["error"] = exc

    helper = threading.Thread(target=run, name="video-probe", daemon=True)
    helper.start()
    helper.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def local_address_towards(host: str) -> str | None:
    """The local address this machine would send from to reach ``host`` (a UDP connect sends no packet)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, 9, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect(address)
            return str(udp.getsockname()[0])
    except OSError:
        return None


def pin_ice_host(pc: Any, host: str) -> None:
    """Gather this RTCPeerConnection's ICE host candidates on ``host`` only; call it before setLocalDescription.

    aioice otherwise binds a socket on every interface except loopback: that would put a peer meant for one
    interface on all of them, and leave a machine that has only loopback without any candidate at all.
    """
    transports = [t.sender.transport for t in pc.getTransceivers() if t.sender.transport is not None]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    for transport in transports:
        connection = transport.transport.iceGatherer._connection  # aiortc keeps its aioice Connection private
        original = connection.get_component_candidates

        async def on_host(component: int, addresses: list[str], timeout: int = 5,
                          _original: Callable[..., Awaitable[Any]] = original) -> Any:
            return await _original(component=component, addresses=[host], timeout=timeout)

        connection.get_component_candidates = on_host


def _host_addresses(host: str) -> set[str]:
    """The addresses ``host`` resolves to (itself if it is an address)."""
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        pass
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return set()


def _keep_candidates(sdp: str, addresses: set[str]) -> tuple[str, int, int]:
    """The SDP with only the ICE candidates on ``addresses``; (sdp, candidates kept, candidates in all)."""
    kept: list[str] = []
    total = on_host = 0
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=candidate:"):
            total += 1
            fields = line.split()
            if len(fields) < 5 or fields[4] not in addresses:
                continue
            on_host += 1
        kept.append(line)
    return "".join(kept), on_host, total


async def _probe_whep(probe: _Probe) -> None:
    """A receive-only offer POSTed, the answer checked and applied, the session deleted."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.sdp import SessionDescription

    assert probe.origin is not None
    host = probe.origin[0]
    # No ICE servers: aiortc's default is a public STUN server, and the probe contacts only the given host.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("video", direction="recvonly")
        local = await asyncio.to_thread(local_address_towards, host)
        if local is not None:
            pin_ice_host(pc, local)
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp.encode()
        posted = await asyncio.to_thread(probe.fetch, probe.url, "the WHEP offer", SDP_BYTES, method="POST",
                                         body=offer, headers={"Content-Type": "application/sdp",
                                                              "Accept": "application/sdp"}, expect=(200, 201))
        if posted is None:
            return
        probe.figures["answer_ms"] = posted.ms
        if posted.status == 201:
            probe.add("ok", "whep-created", f"201 Created in {posted.ms:g} ms")
        else:
            probe.add("warning", "whep-status", f"{posted.status} instead of 201 Created (WHEP, RFC 9725 4.2)")
        location = posted.headers.get("Location")
        probe.figures["location"] = location
        if not location:
            probe.add("warning", "whep-location", "no Location header: the session cannot be ended with DELETE")
        try:
            await _check_answer(probe, pc, posted, SessionDescription, RTCSessionDescription)
        finally:
            if location:
                await asyncio.to_thread(_delete_session, probe, urljoin(posted.url, location))
    finally:
        await pc.close()


async def _check_answer(probe: _Probe, pc: Any, posted: _Fetched, parse: Any, description: Any) -> None:
    """The answer is SDP with a video m-line, its codecs play in browsers, and the peer connection accepts it."""
    if posted.content_type != "application/sdp":
        probe.add("warning", "whep-content-type", f"the answer is served as {posted.content_type or 'no type'!r}, "
                                                  "not application/sdp")
    try:
        text = posted.data.decode("utf-8")
        parsed = parse.parse(text)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the server's, reported as such
        probe.add("error", "whep-answer", f"the answer is not SDP ({type(exc).__name__}: {exc})")
        return
    videos = [m for m in parsed.media if m.kind == "video" and m.port != 0]
    if not text.startswith("v=0") or not videos:
        probe.add("error", "whep-answer", "the answer has no video m-line" if text.startswith("v=0")
                  else "the answer is not SDP (it does not start with v=0)")
        return
    codecs = list(dict.fromkeys(c.mimeType.split("/", 1)[-1] for c in videos[0].rtp.codecs
                                if c.mimeType.split("/", 1)[-1].lower() not in ("rtx", "red", "ulpfec")))
    probe.figures["codecs"] = codecs
    if not codecs or codecs[0].lower() not in WEBRTC_BROWSER_CODECS:
        probe.add("error", "codec-not-browser-safe", f"the answer's video codec {codecs[0] if codecs else 'none'} "
                                                     "does not play in browsers")
    addresses = await asyncio.to_thread(_host_addresses, probe.origin[0])
    # ICE would send connectivity checks to every candidate; only those on the probed host stay.
    filtered, on_host, total = _keep_candidates(text, addresses)
    probe.figures.update(candidates=total, candidates_on_host=on_host)
    if total == 0:
        probe.add("warning", "whep-candidates", "the answer has no ICE candidate; clients that do not trickle "
                                                "cannot connect")
    try:
        await pc.setRemoteDescription(description(sdp=filtered, type="answer"))
    except Exception as exc:  # noqa: BLE001 - aiortc reports bad SDP with assorted exception types
        probe.add("error", "whep-answer", f"the answer does not apply to the offer ({type(exc).__name__}: {exc})")
        return
    probe.add("ok", "whep-answer", f"SDP answer with video ({', '.join(codecs)}), {total} ICE candidate(s)")


def _delete_session(probe: _Probe, location: str) -> None:
    """End the session at its Location, as a client leaving does."""
    if not probe.same_host(location, "the session's Location"):
        return
    found = len(probe.findings)
    deleted = probe.fetch(location, "DELETE of the session", SDP_BYTES, method="DELETE", expect=(200, 202, 204))
    if deleted is not None:
        probe.add("ok", "whep-delete", f"session ended with DELETE ({deleted.status})")
    else:
        # A session left to time out is untidy, not a stream that fails to play.
        probe.findings[found:] = [Finding("warning", "whep-delete", f.detail) for f in probe.findings[found:]]
