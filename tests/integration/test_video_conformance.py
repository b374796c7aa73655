"""The video conformance probe against real servers: the media simulator, a static one, and nothing at all."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from services.video.conformance import VideoReport, probe_video
from tests.conftest import free_port
from tools.media_sim import MediaServer

H265_MASTER = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1920x1080,CODECS="hvc1.1.6.L93.B0"
h265/live.m3u8
"""
CDN_MASTER = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.4d401f,mp4a.40.2"
http://cdn.example.invalid/live/index.m3u8
"""


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    """The simulated operator's server, small pictures."""
    server = MediaServer(size=(320, 180)).start()
    yield server
    server.stop()


class _QuietFiles(SimpleHTTPRequestHandler):
    """Static files without a log line per request on stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        """Say nothing."""


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 serving ``tmp_path``; yields its base URL."""
    (tmp_path / "h265.m3u8").write_text(H265_MASTER)
    (tmp_path / "cdn.m3u8").write_text(CDN_MASTER)
    (tmp_path / "page.m3u8").write_text("<html>not a playlist</html>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def codes(report: VideoReport, level: str) -> set[str]:
    """The codes of the report's findings at ``level``."""
    return {f.code for f in report.findings if f.level == level}


def test_the_simulators_hls_conforms(media: MediaServer) -> None:
    report = probe_video(media.live_url("CAM-HLS"))
    assert report.protocol == "hls" and report.ok, report.as_dict()
    assert {"playlist-parses", "target-duration", "live", "codec", "segment-decodes"} <= codes(report, "ok")
    figures = report.figures
    assert figures["video_codec"] == "h264" and figures["codecs"] == ["h264"]
    assert figures["target_duration_s"] == 1 and figures["segments"] >= 2 and figures["live"] is True
    assert (figures["width"], figures["height"]) == (320, 180)
    assert 0 < figures["segment_bytes_median"] <= figures["segment_bytes_max"] < 16 << 20
    assert report.as_dict()["ok"] is True


def test_the_simulators_whep_conforms(media: MediaServer) -> None:
    report = probe_video(media.whep_url("CAM-WHEP"))
    assert report.protocol == "whep" and report.ok, report.as_dict()
    assert {"whep-created", "whep-answer", "whep-delete"} <= codes(report, "ok")
    assert "H264" in report.figures["codecs"] and report.figures["candidates_on_host"] >= 1
    assert report.figures["location"].startswith("/whep/CAM-WHEP/")


@pytest.mark.parametrize("protocol", ["hls", "whep"])
def test_nothing_listening_is_an_unreachable_error_not_an_exception(protocol: str) -> None:
    report = probe_video(f"http://127.0.0.1:{free_port()}/live/cam", protocol=protocol, timeout_s=2)
    assert not report.ok and codes(report, "error") == {"unreachable"}
    assert "Connection refused" in report.findings[0].detail


def test_credentials_go_as_headers_and_their_absence_is_reported() -> None:
    with MediaServer(size=(320, 180), auth="Bearer operator-token") as server:
        denied = probe_video(server.live_url("CAM-AUTH"))
        assert not denied.ok and codes(denied, "error") == {"http-status"}
        assert "HTTP 401" in denied.findings[0].detail and "credentials" in denied.findings[0].detail
        allowed = probe_video(server.whep_url("CAM-AUTH"), headers={"Authorization": "Bearer operator-token"})
        assert allowed.ok, allowed.as_dict()


def test_an_h265_variant_is_not_browser_safe(static_server: str) -> None:
    report = probe_video(f"{static_server}/h265.m3u8")
    assert not report.ok
    assert "codec-not-browser-safe" in codes(report, "error")
    assert report.figures["variants"] == 1 and report.figures["codecs"] == ["hvc1.1.6.L93.B0"]


def test_only_the_given_host_is_contacted_and_non_playlists_are_refused(static_server: str) -> None:
    cdn = probe_video(f"{static_server}/cdn.m3u8")
    assert "other-host" in codes(cdn, "warning") and cdn.ok  # reported, never fetched
    assert cdn.figures["codecs"] == ["avc1.4d401f", "mp4a.40.2"]
    page = probe_video(f"{static_server}/page.m3u8")
    assert not page.ok and "playlist-parses" in codes(page, "error")
    missing = probe_video(f"{static_server}/absent.m3u8")
    assert codes(missing, "error") == {"http-status"} and "HTTP 404" in missing.findings[0].detail


def test_the_cli_prints_findings_and_figures_and_exits_by_the_verdict(runner: CliRunner, media: MediaServer,
                                                                      static_server: str) -> None:
    passed = runner.invoke(main, ["conformance", "--video", media.live_url("CAM-CLI")])
    assert passed.exit_code == 0, passed.output
    assert f"{media.live_url('CAM-CLI')}: HLS PLAYABLE" in passed.output
    assert "ok      codec: video H.264" in passed.output and "target_duration_s: 1" in passed.output
    assert "Traceback" not in passed.output
    whep = runner.invoke(main, ["conformance", "--video", f"{media.base_url}/whep/CAM-CLI", "--video-protocol", "whep"])
    assert whep.exit_code == 0 and "WHEP PLAYABLE" in whep.output and "whep-answer" in whep.output
    failed = runner.invoke(main, ["conformance", "--video", f"{static_server}/h265.m3u8"])
    assert failed.exit_code == 1 and "HLS NOT PLAYABLE" in failed.output
    assert "error   codec-not-browser-safe" in failed.output
    nothing = runner.invoke(main, ["conformance", "--video", f"http://127.0.0.1:{free_port()}/x.m3u8"])
    assert nothing.exit_code == 1 and "unreachable" in nothing.output and "Traceback" not in nothing.output
    usage = runner.invoke(main, ["conformance"])
    assert usage.exit_code == 2 and "--video URL" in usage.output
