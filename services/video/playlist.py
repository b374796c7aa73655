"""HLS playlists rewritten so that every URI in them points under the centre's /video/<camera id>/ path."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import m3u8

from services.errors import Unavailable

MIME = "application/vnd.apple.mpegurl"
PLAYLIST_TYPES = ("mpegurl", "m3u8", "m3u")
ABSOLUTE = re.compile(r'"([a-z][a-z0-9+.-]*://[^"]*)"', re.IGNORECASE)


def looks_like_playlist(content_type: str, url: str) -> bool:
    """Whether an answer is a playlist (by its type, or by its name when the server says nothing useful)."""
    kind = content_type.split(";")[0].strip().lower()
    return any(k in kind for k in PLAYLIST_TYPES) or url.split("?")[0].lower().endswith((".m3u8", ".m3u"))


def _uri_holders(playlist: m3u8.M3U8) -> Iterator[Any]:
    """Every object of a parsed playlist that carries a URI: variants, renditions, segments, keys, maps, parts, hints."""
    yield from playlist.playlists
    yield from playlist.iframe_playlists
    yield from playlist.image_playlists
    yield from (m for m in playlist.media if m.uri)
    yield from (k for k in playlist.keys if k is not None and k.uri)
    yield from (k for k in playlist.session_keys if k is not None and k.uri)
    yield from (s for s in playlist.segment_map if s is not None and s.uri)
    yield from playlist.rendition_reports
    for segment in playlist.segments:
        yield segment
        if segment.init_section is not None and segment.init_section.uri:
            yield segment.init_section
        yield from segment.parts
    if playlist.preload_hint is not None:
        yield playlist.preload_hint


def rewrite(text: str, base_url: str, local: Callable[[str], str], prefix: str) -> str:
    """The playlist ``text`` fetched from ``base_url`` with each URI replaced by ``local(absolute URI)``.

    ``local`` raises for a URI the centre may not fetch (a host not registered for the operator). The result
    is parsed again and refused if any URI in it does not start with ``prefix``: a tag this parser does not
    know must not leak an operator's address to the browser.
    """
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        raise Unavailable("the operator's server did not answer an HLS playlist (no #EXTM3U)")
    try:
        playlist = m3u8.loads(text, uri=base_url)
    except Exception as exc:  # the parser raises assorted errors on malformed input
        raise Unavailable(f"the operator's HLS playlist does not parse: {exc}") from exc
    if playlist.content_steering is not None:
        playlist.content_steering = None  # steering would send the player to the operator's servers directly
    for segment in playlist.segments:
        segment.dateranges = []  # interstitials and ad markers name other servers (X-ASSET-LIST): not ours to pass
    for holder in _uri_holders(playlist):
        if not holder.uri:
            continue  # a low-latency playlist's last segment: only its parts, no URI of its own yet
        # Resolved against the playlist's own URL here: the parser gives some holders (parts, hints) no base.
        try:
            absolute = urljoin(base_url, holder.uri)
        except ValueError as exc:
            raise Unavailable("the operator's HLS playlist holds a malformed address") from exc
        holder.uri = local(absolute)
    for before, segment in zip(playlist.segments, playlist.segments[1:]):
        # The parser leaves that last, partial segment without the key in force, and its writer would then
        # print "None" where the key tag was: the key of the segment before still applies.
        if segment.key is None and before.key is not None:
            segment.key = before.key
    out = playlist.dumps()
    leaked = [u for u in _all_uris(out) if not u.startswith(prefix)]
    if leaked:
        raise Unavailable(f"the operator's HLS playlist carries {len(leaked)} URI(s) the centre cannot rewrite")
    return out


def _all_uris(text: str) -> list[str]:
    """The URI lines and URI="..." attributes of a playlist, read at the text level (the check after rewriting)."""
    uris: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("#"):
            uris.append(line)
            continue
        start = 0
        while (at := line.find('URI="', start)) >= 0:
            end = line.find('"', at + 5)
            if end < 0:
                break
            uris.append(line[at + 5:end])
            start = end + 1
        # Any absolute address in any attribute counts, whatever the attribute is called.
        uris += [m.group(1) for m in ABSOLUTE.finditer(line)]
    return uris
