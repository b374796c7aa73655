"""Every URI of an HLS playlist ends up under the centre's path, whatever tag carries it; nothing else leaks."""

from __future__ import annotations

import m3u8
import pytest

from services.errors import Unavailable
from services.video.playlist import _all_uris, looks_like_playlist, rewrite
from services.video.upstream import host_of, normalise_host

BASE = "https://video.op.kz/cams/7/master.m3u8"
PREFIX = "/video/7/s/"


def local(url: str) -> str:
    return PREFIX + url.replace("://", "~")


MASTER = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="keys/session.key"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="ru",DEFAULT=YES,URI="audio/ru.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2",AUDIO="aud"
hd/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=640x360,CODECS="avc1.42e01e,mp4a.40.2",AUDIO="aud"
https://cdn2.op.kz/cams/7/sd/index.m3u8?token=abc
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="hd/iframes.m3u8"
"""

MEDIA_LL = """#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:100
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MAP:URI="init.mp4"
#EXT-X-KEY:METHOD=AES-128,URI="/keys/k100.bin",IV=0x0001
#EXT-X-PROGRAM-DATE-TIME:2026-12-07T10:00:00.000+05:00
#EXTINF:2.0,
seg100.m4s
#EXT-X-PART:DURATION=0.5,URI="seg101.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="seg101.1.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg101.2.m4s"
#EXT-X-RENDITION-REPORT:URI="../sd/index.m3u8",LAST-MSN=100,LAST-PART=1
"""


def test_a_master_playlists_variants_renditions_keys_and_iframes_all_point_under_the_centre() -> None:
    out = rewrite(MASTER, BASE, local, PREFIX)
    assert all(u.startswith(PREFIX) for u in _all_uris(out))
    parsed = m3u8.loads(out)
    assert [p.uri for p in parsed.playlists] == [local("https://video.op.kz/cams/7/hd/index.m3u8"),
                                                 local("https://cdn2.op.kz/cams/7/sd/index.m3u8?token=abc")]
    assert parsed.media[0].uri == local("https://video.op.kz/cams/7/audio/ru.m3u8")
    assert parsed.iframe_playlists[0].uri == local("https://video.op.kz/cams/7/hd/iframes.m3u8")
    assert parsed.session_keys[0].uri == local("https://video.op.kz/cams/7/keys/session.key")
    assert parsed.playlists[0].stream_info.codecs == "avc1.4d401f,mp4a.40.2"  # what the player needs stays


def test_a_low_latency_media_playlists_map_key_parts_hints_and_reports_all_point_under_the_centre() -> None:
    out = rewrite(MEDIA_LL, "https://video.op.kz/cams/7/hd/index.m3u8", local, PREFIX)
    uris = _all_uris(out)
    assert uris and all(u.startswith(PREFIX) for u in uris), uris
    for original in ("hd/init.mp4", "hd/seg100.m4s", "hd/seg101.0.m4s", "hd/seg101.2.m4s", "sd/index.m3u8"):
        assert local(f"https://video.op.kz/cams/7/{original}") in uris, original
    assert local("https://video.op.kz/keys/k100.bin") in uris
    assert "PROGRAM-DATE-TIME" in out and "MEDIA-SEQUENCE:100" in out  # the timing a player needs survives


def test_a_uri_the_centre_may_not_fetch_sinks_the_whole_playlist() -> None:
    def refusing(url: str) -> str:
        if "cdn2" in url:
            raise Unavailable(f"{url} not registered")
        return local(url)

    with pytest.raises(Unavailable, match="cdn2"):
        rewrite(MASTER, BASE, refusing, PREFIX)


@pytest.mark.parametrize("text", ["", "<html>not a playlist</html>", "#EXTINF:2,\nseg.ts\n"])
def test_what_is_not_a_playlist_is_refused(text: str) -> None:
    with pytest.raises(Unavailable):
        rewrite(text, BASE, local, PREFIX)


def test_a_uri_in_a_tag_the_parser_does_not_know_never_reaches_the_viewer() -> None:
    leaky = MEDIA_LL + '#EXT-X-VENDOR-THING:URI="https://tracker.op.kz/beacon"\n'
    out = rewrite(leaky, "https://video.op.kz/cams/7/hd/index.m3u8", local, PREFIX)
    assert "tracker.op.kz" not in out  # the writer drops what the parser does not know


def test_the_check_after_rewriting_refuses_what_was_left_pointing_outside() -> None:
    def careless(url: str) -> str:
        return url if url.endswith(".m4s") else local(url)  # a rewriter that forgot segments

    with pytest.raises(Unavailable, match="cannot rewrite"):
        rewrite(MEDIA_LL, "https://video.op.kz/cams/7/hd/index.m3u8", careless, PREFIX)


def test_content_steering_is_dropped_so_the_player_is_never_sent_elsewhere() -> None:
    steered = MASTER.replace("#EXT-X-INDEPENDENT-SEGMENTS",
                             '#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-CONTENT-STEERING:SERVER-URI="https://steer.op.kz/x"')
    out = rewrite(steered, BASE, local, PREFIX)
    assert "steer.op.kz" not in out and "CONTENT-STEERING" not in out


def test_hosts_are_compared_with_their_ports_and_never_with_credentials() -> None:
    assert host_of("https://Video.Op.KZ/x.m3u8") == "video.op.kz:443"
    assert host_of("http://10.0.0.5:8080/x") == "10.0.0.5:8080"
    assert host_of("http://user:pw@video.op.kz/x") is None
    assert host_of("file:///etc/passwd") is None and host_of("gopher://h/") is None
    assert host_of("http://[::1]:99999/") is None
    assert normalise_host("video.op.kz") == "video.op.kz:443" and normalise_host("127.0.0.1:8051") == "127.0.0.1:8051"
    with pytest.raises(ValueError):
        normalise_host("https://video.op.kz/path")
    assert looks_like_playlist("application/vnd.apple.mpegurl", "x") and looks_like_playlist("", "a/b.m3u8?t=1")
    assert not looks_like_playlist("video/mp2t", "a/seg.ts")
