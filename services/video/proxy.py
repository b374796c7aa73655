"""Video through the centre: live views, evidence snapshots and clips fetched from operators for the viewer.

The browser only ever talks to Kuzet. Every URI the viewer gets carries an encrypted ticket naming the camera,
the viewer, the view and the operator's URL, so a crafted path cannot make the centre fetch anything else;
each fetch is checked again against the hosts registered for the camera's operator (services.video.upstream).
"""

from __future__ import annotations

import base64
import hashlib
import json
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from services.errors import Forbidden, Invalid, NotFound, Unavailable
from services.store import audit
from services.store.models import EvidenceCheck, Event, User, utcnow
from services.video import playlist as hls
from services.video import views
from services.video.upstream import Upstream, expect_ok, host_of

logger = logging.getLogger(__name__)

PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag")
SNAPSHOT_TYPES = ("image/jpeg", "image/png", "image/webp")
# What the centre serves from an operator under its own origin: media only. Anything else (HTML, SVG,
# script) would run as the officer's page; it goes out as opaque bytes.
MEDIA_TYPES = ("video/", "audio/", "application/mp4", "application/octet-stream", "application/vnd.apple.mpegurl",
               "application/x-mpegurl")


def media_type(content_type: str) -> str:
    """The operator's content type if it is a media type, else application/octet-stream."""
    kind = content_type.split(";")[0].strip().lower()
    return kind if kind.startswith(MEDIA_TYPES) and "/" in kind and " " not in kind else "application/octet-stream"


def _capped(stream: Iterator[bytes], limit: int) -> Iterator[bytes]:
    taken = 0
    for chunk in stream:
        taken += len(chunk)
        if taken > limit:
            raise Unavailable(f"the operator's playlist is larger than {limit} bytes")
        yield chunk


@dataclass(frozen=True)
class Served:
    """What the centre answers the viewer: a status, a type, the headers passed on, and the body (whole or streamed)."""

    status: int
    content_type: str
    body: bytes | Iterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ticket:
    """What a URI given to a viewer stands for."""

    camera_id: int
    user_id: int
    view_id: int
    url: str
    kind: str  # hls | whep | clip


class VideoProxy:
    """Turns a viewer's request into checked fetches from the camera's operator."""

    def __init__(self, secret: str, upstream: Upstream | None = None) -> None:
        self.upstream = upstream or Upstream()
        # Encrypted, not only signed: the operator's addresses are the centre's to know, not the viewer's. And
        # deterministic (AES-SIV): a player reloading a live playlist must see the same URI for the same segment.
        key = hashlib.sha512(b"kuzet-video-tickets\0" + secret.encode()).digest()
        self._tickets = AESSIV(key)

    # -- tickets -----------------------------------------------------------------------------------------
    def ticket(self, camera_id: int, user_id: int, view_id: int, url: str, kind: str) -> str:
        """An encrypted, authenticated token for one operator URL, valid for this viewer, camera and view only."""
        payload = json.dumps([camera_id, user_id, view_id, url, kind], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(self._tickets.encrypt(payload, None)).decode().rstrip("=")

    def read_ticket(self, token: str, camera_id: int, user: User) -> Ticket:
        """The ticket behind ``token``; NotFound if it is forged, altered, or another viewer's or camera's."""
        try:
            sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            camera, viewer, view, url, kind = json.loads(self._tickets.decrypt(sealed, None))
        except (InvalidTag, ValueError, TypeError) as exc:
            raise NotFound("no such video resource") from exc
        if camera != camera_id or viewer != user.id:
            raise NotFound("no such video resource")
        return Ticket(camera, viewer, view, url, kind)

    def local(self, camera_id: int, user_id: int, view_id: int, kind: str, url: str) -> str:
        """The centre's path for an operator URL (the last name kept, so a person reading it sees what it is)."""
        try:
            name = quote(urlsplit(url).path.rsplit("/", 1)[-1] or "media", safe="._-")[:80]
        except ValueError:
            name = "media"  # the fetch itself will refuse the malformed address
        return f"/video/{camera_id}/s/{self.ticket(camera_id, user_id, view_id, url, kind)}/{name}"

    # -- live view ---------------------------------------------------------------------------------------
    def live_playlist(self, session: so.Session, user: User, camera_id: Any, incident_id: Any = None) -> tuple[Served, int]:
        """The camera's HLS playlist, rewritten under /video/<id>/; opens (or continues) the viewer's view."""
        camera = views.watchable_camera(session, user, camera_id)
        source = views.source_of(session, camera)
        if source.protocol != "hls" or not source.live_url:
            raise NotFound(f"camera {camera.id} has no HLS live view"
                           + (" (it streams over WebRTC: POST an offer to its whep path)" if source.protocol == "whep" else ""))
        view = views.open_view(session, user, camera, kind="live", protocol="hls", incident_id=incident_id)
        return self._playlist(source, user, view.id, source.live_url), view.id

    def through(self, session: so.Session, user: User, camera_id: Any, token: str,
                range_header: str | None = None) -> Served:
        """A ticketed URI: a variant playlist (rewritten again), a segment, a key or a clip, streamed."""
        camera = views.watchable_camera(session, user, camera_id)
        ticket = self.read_ticket(token, camera.id, user)
        if ticket.kind not in ("hls", "clip"):
            raise NotFound("no such video resource")
        if not views.keep_alive(session, user, ticket.view_id):
            raise NotFound("this view has ended; open the camera again")
        source = views.source_of(session, camera)
        headers = {"Range": range_header} if range_header and ticket.kind == "clip" else {}
        answer = self.upstream.open(ticket.url, source.hosts, auth=source.auth, headers=headers)
        expect_ok(answer, "video")
        base = answer.url or ticket.url
        clip = ticket.kind == "clip"
        limits = self.upstream.limits
        stream = self.upstream.chunks(answer, limits.clip_bytes if clip else limits.segment_bytes,
                                      limits.clip_total_s if clip else None)
        # What it is, by what it holds: a variant playlist may come under any name or type, and must never
        # pass unrewritten; a clip must not be one.
        first = next(stream, b"")
        if first.lstrip(b"\xef\xbb\xbf").startswith(b"#EXTM3U"):
            if clip:
                stream.close()
                raise Unavailable("the operator's server answered a playlist where an MP4 clip belongs")
            text = (first + b"".join(_capped(stream, limits.playlist_bytes - len(first)))).decode("utf-8", "replace")
            return self._rewritten(text, base, camera.id, user.id, ticket.view_id, source.hosts)
        passed = {k: answer.headers[k] for k in PASSED_HEADERS if k in answer.headers and k != "Content-Type"}
        if answer.headers.get("Content-Encoding", "identity").lower() != "identity":
            # Sent compressed although asked for identity: it goes on inflated, so its lengths and ranges are not ours.
            for name in ("Content-Length", "Content-Range", "Accept-Ranges"):
                passed.pop(name, None)
        return Served(answer.status_code, media_type(answer.headers.get("Content-Type", "")),
                      itertools.chain([first], stream), passed)

    def _playlist(self, source: views.Source, user: User, view_id: int, url: str) -> Served:
        answer = self.upstream.open(url, source.hosts, auth=source.auth)
        expect_ok(answer, "live playlist")
        text = self.upstream.read(answer, self.upstream.limits.playlist_bytes).decode("utf-8", "replace")
        return self._rewritten(text, answer.url or url, source.camera_id, user.id, view_id, source.hosts)

    def _rewritten(self, text: str, base: str, camera_id: int, user_id: int, view_id: int,
                   hosts: frozenset[str]) -> Served:
        def local(url: str) -> str:
            if host_of(url) not in hosts:
                raise Unavailable("the operator's playlist points outside the video hosts registered for it")
            return self.local(camera_id, user_id, view_id, "hls", url)

        body = hls.rewrite(text, base, local, f"/video/{camera_id}/s/")
        return Served(200, hls.MIME, body.encode(), {"Cache-Control": "no-store"})

    # -- WebRTC (WHEP) -----------------------------------------------------------------------------------
    def whep_offer(self, session: so.Session, user: User, camera_id: Any, offer: bytes,
                   incident_id: Any = None) -> tuple[bytes, str, int]:
        """Relay the viewer's SDP offer to the camera's WHEP endpoint: (answer SDP, the centre's session path, view)."""
        camera = views.watchable_camera(session, user, camera_id)
        source = views.source_of(session, camera)
        if source.protocol != "whep" or not source.live_url:
            raise NotFound(f"camera {camera.id} has no WebRTC (WHEP) live view")
        if not offer.startswith(b"v=0") or len(offer) > self.upstream.limits.sdp_bytes:
            raise Invalid("the body must be an SDP offer (application/sdp, starting with v=0)")
        view = views.open_view(session, user, camera, kind="live", protocol="whep", incident_id=incident_id)
        answer = self.upstream.open(source.live_url, source.hosts, auth=source.auth, method="POST",
                                    headers={"Content-Type": "application/sdp"}, body=offer)
        if answer.status_code != 201:
            answer.close()
            raise Unavailable(f"the WHEP endpoint answered {answer.status_code}, not 201 Created",
                              status=answer.status_code)
        try:
            resource = urljoin(answer.url or source.live_url, answer.headers.get("Location", "")) \
                if answer.headers.get("Location") else ""
        except ValueError:
            resource = ""  # a malformed session address: the session cannot be deleted, but it plays
        try:
            sdp = self.upstream.read(answer, self.upstream.limits.sdp_bytes)
        except Unavailable:
            if resource:
                self._delete_quietly(resource, source)  # the operator's session would otherwise be left open
            raise
        token = self.ticket(camera.id, user.id, view.id, resource, "whep")
        return sdp, f"/video/{camera.id}/whep/{token}", view.id

    def whep_close(self, session: so.Session, user: User, camera_id: Any, token: str) -> None:
        """End a WebRTC session: the operator's resource deleted, the view ended in the journal."""
        camera = views.watchable_camera(session, user, camera_id)
        ticket = self.read_ticket(token, camera.id, user)
        if ticket.kind != "whep":
            raise NotFound("no such WebRTC session")
        if ticket.url:
            self._delete_quietly(ticket.url, views.source_of(session, camera))
        views.end_view(session, user, ticket.view_id)

    def _delete_quietly(self, resource: str, source: views.Source) -> None:
        try:
            self.upstream.open(resource, source.hosts, auth=source.auth, method="DELETE").close()
        except (Unavailable, Forbidden) as exc:
            logger.info("WHEP session of camera %s not deleted at the operator: %s", source.camera_id, exc)

    def end(self, session: so.Session, user: User, camera_id: Any, view_id: Any) -> None:
        """The player says the viewer stopped watching."""
        camera = views.watchable_camera(session, user, camera_id)
        if isinstance(view_id, int) and not isinstance(view_id, bool):
            ended = views.end_view(session, user, view_id)
            if ended is not None and ended.camera_id != camera.id:
                raise NotFound("no such view")

    # -- evidence ----------------------------------------------------------------------------------------
    def snapshot(self, session: so.Session, user: User, camera_id: Any, event_pk: Any, position: Any) -> Served:
        """An evidence picture, fetched whole, its sha256 checked against the event's and the verdict recorded."""
        camera = views.watchable_camera(session, user, camera_id)
        event, media = views.clip_event(session, camera, event_pk, position)
        if media.get("kind") != "snapshot":
            raise NotFound("this evidence is not a snapshot")
        source = views.source_of(session, camera)
        answer = self.upstream.open(str(media.get("url", "")), source.hosts, auth=source.auth)
        expect_ok(answer, "snapshot")
        content_type = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
        data = self.upstream.read(answer, self.upstream.limits.snapshot_bytes)
        if content_type not in SNAPSHOT_TYPES:
            raise Unavailable(f"the snapshot came as {content_type or 'no type'}, not a picture")
        check = record_check(session, user, event, int(position), media, hashlib.sha256(data).hexdigest(), len(data))
        return Served(200, content_type, data, {"X-Kuzet-Evidence": check.verdict, "Cache-Control": "private, max-age=300"})

    def clip(self, session: so.Session, user: User, camera_id: Any, event_pk: Any, position: Any,
             incident_id: Any = None) -> str:
        """Open a view of an evidence clip; the path the player fetches it from (ranges and all)."""
        camera = views.watchable_camera(session, user, camera_id)
        event, media = views.clip_event(session, camera, event_pk, position)
        if media.get("kind") != "clip":
            raise NotFound("this evidence is not a clip")
        if host_of(str(media.get("url", ""))) not in views.source_of(session, camera).hosts:
            raise Forbidden("the clip's address is not among the video hosts registered for this camera's operator")
        view = views.open_view(session, user, camera, kind="clip", protocol="mp4",
                               incident_id=incident_id or event.incident_id, event_id=event.id)
        return self.local(camera.id, user.id, view.id, "clip", str(media.get("url", "")))

    def verify(self, session: so.Session, user: User, camera_id: Any, event_pk: Any, position: Any) -> EvidenceCheck:
        """The hash verdict of an evidence item: recorded before, or fetched whole now (streamed into the hash)."""
        camera = views.watchable_camera(session, user, camera_id)
        event, media = views.clip_event(session, camera, event_pk, position)
        known = session.scalar(sa.select(EvidenceCheck).where(EvidenceCheck.event_id == event.id,
                                                              EvidenceCheck.position == int(position)))
        if known is not None:
            return known
        source = views.source_of(session, camera)
        answer = self.upstream.open(str(media.get("url", "")), source.hosts, auth=source.auth)
        expect_ok(answer, "evidence")
        digest, size = hashlib.sha256(), 0
        # A transfer cut off, too slow or too large raises: only a whole item is ever recorded as its hash.
        for chunk in self.upstream.chunks(answer, self.upstream.limits.clip_bytes, self.upstream.limits.clip_total_s):
            digest.update(chunk)
            size += len(chunk)
        return record_check(session, user, event, int(position), media, digest.hexdigest(), size)


def record_check(session: so.Session, user: User, event: Event, position: int, media: dict[str, Any],
                 actual: str, size: int) -> EvidenceCheck:
    """Keep the hash of an evidence item as fetched; a mismatch with the declared hash goes in the audit journal."""
    known = session.scalar(sa.select(EvidenceCheck).where(EvidenceCheck.event_id == event.id,
                                                          EvidenceCheck.position == position))
    if known is not None:
        if known.actual != actual:  # the operator's copy changed since it was first checked
            audit.record(session, user.username, "evidence.changed", f"event:{event.id}", position=position,
                         first=known.actual, now=actual)
        return known
    declared = str(media.get("sha256") or "").lower()
    check = EvidenceCheck(event_id=event.id, position=position, declared=declared, actual=actual, size=size,
                          checked_at=utcnow(), checked_by=user.username)
    try:
        with session.begin_nested():  # the picture and its badge ask at once: the first check recorded stands
            session.add(check)
    except IntegrityError:
        return session.scalars(sa.select(EvidenceCheck).where(EvidenceCheck.event_id == event.id,
                                                              EvidenceCheck.position == position)).one()
    if check.verdict == "mismatch":
        audit.record(session, user.username, "evidence.hash_mismatch", f"event:{event.id}", position=position,
                     kind=media.get("kind"), declared=declared, actual=actual, size=size, camera=event.camera_id,
                     incident=event.incident_id)
        logger.warning("evidence %s/%d of camera %s does not match its declared sha256", event.id, position,
                       event.camera_id)
    return check
