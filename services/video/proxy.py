"""Video through the centre: live views, evidence snapshots and clips fetched from operators for the viewer.

The browser only ever talks to Kuzet. Every URI the viewer gets carries an encrypted ticket naming the camera,
the viewer, the view and the operator's URL, so a crafted path cannot make the centre fetch anything else;
each fetch is checked again against the hosts registered for the camera's operator (services.video.upstream).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
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

K = TypeVar("K")
V = TypeVar("V")
PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag")
SNAPSHOT_TYPES = ("image/jpeg", "image/png", "image/webp")


RECHECK_S = 5.0


class Recent(Generic[K, V]):
    """Answers remembered for a few seconds, per process (thread-safe, bounded)."""

    def __init__(self, ttl_s: float, limit: int = 20_000) -> None:
        self.ttl_s, self.limit = ttl_s, limit
        self._items: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value put within the last ``ttl_s`` seconds, else None."""
        with self._lock:
            found = self._items.get(key)
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``ttl_s`` seconds."""
        now = time.monotonic()
        with self._lock:
            if len(self._items) >= self.limit:
                self._items = {k: v for k, v in self._items.items() if v[0] > now}
            self._items[key] = (now + self.ttl_s, value)

    def forget(self, key: K) -> None:
        """Drop one remembered answer (the view ended here)."""
        with self._lock:
            self._items.pop(key, None)


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
        self._checked: Recent[tuple[int, Any], views.Source] = Recent(RECHECK_S)
        self._alive: Recent[tuple[int, int], bool] = Recent(RECHECK_S)

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
        name = quote(urlsplit(url).path.rsplit("/", 1)[-1] or "media", safe="._-")[:80]
        return f"/video/{camera_id}/s/{self.ticket(camera_id, user_id, view_id, url, kind)}/{name}"

    # -- live view ---------------------------------------------------------------------------------------
    def live_playlist(self, session: so.Session, user: User, camera_id: Any, incident_id: Any = None) -> tuple[Served, int]:
        """The camera's HLS playlist, rewritten under /video/<id>/; opens (or continues) the viewer's view."""
        camera = views.watchable_camera(session, user, camera_id)
        source = views.source_of(session, camera)
        if source.protocol != "hls" or not source.live_url:
            raise NotFound(f"camera {camera.id} has no HLS live view"
                           + (" (it streams over WebRTC: POST an offer to its whep path)" if source.protocol == "whep" else ""))
        view = views.open_view(session, user, camera.id, kind="live", protocol="hls", incident_id=incident_id)
        return self._playlist(source, user, view.id, source.live_url), view.id

    def through(self, session: so.Session, user: User, camera_id: Any, token: str,
                range_header: str | None = None) -> Served:
        """A ticketed URI: a variant playlist (rewritten again), a segment, a key or a clip, streamed."""
        # A player asks every second or so: who may watch what, and whether the view is still open, are read from
        # the store at most every RECHECK_S per viewer and camera (the login itself is checked on every request).
        source = self._checked.get((user.id, camera_id))
        if source is None:
            source = views.source_of(session, views.watchable_camera(session, user, camera_id))
            self._checked.put((user.id, camera_id), source)
        ticket = self.read_ticket(token, source.camera_id, user)
        if self._alive.get((user.id, ticket.view_id)) is None:
            if not views.keep_alive(session, user, ticket.view_id):
                raise NotFound("this view has ended; open the camera again")
            self._alive.put((user.id, ticket.view_id), True)
        headers = {"Range": range_header} if range_header and ticket.kind == "clip" else {}
        answer = self.upstream.open(ticket.url, source.hosts, auth=source.auth, headers=headers)
        expect_ok(answer, "video")
        content_type = answer.headers.get("Content-Type", "application/octet-stream")
        if ticket.kind == "hls" and hls.looks_like_playlist(content_type, ticket.url):
            text = self.upstream.read(answer, self.upstream.limits.playlist_bytes).decode("utf-8", "replace")
            return self._rewritten(text, ticket.url, source.camera_id, user.id, ticket.view_id, source.hosts)
        limit = self.upstream.limits.clip_bytes if ticket.kind == "clip" else self.upstream.limits.segment_bytes
        passed = {k: answer.headers[k] for k in PASSED_HEADERS if k in answer.headers and k != "Content-Type"}
        return Served(answer.status_code, content_type, self.upstream.chunks(answer, limit), passed)

    def _playlist(self, source: views.Source, user: User, view_id: int, url: str) -> Served:
        answer = self.upstream.open(url, source.hosts, auth=source.auth)
        expect_ok(answer, "live playlist")
        text = self.upstream.read(answer, self.upstream.limits.playlist_bytes).decode("utf-8", "replace")
        return self._rewritten(text, answer.url or url, source.camera_id, user.id, view_id, source.hosts)

    def _rewritten(self, text: str, base: str, camera_id: int, user_id: int, view_id: int,
                   hosts: frozenset[str]) -> Served:
        def local(url: str) -> str:
            if host_of(url) not in hosts:
                raise Unavailable(f"the operator's playlist points at {host_of(url) or 'a non-HTTP address'}, "
                                  "which is not registered as its video host")
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
        view = views.open_view(session, user, camera.id, kind="live", protocol="whep", incident_id=incident_id)
        answer = self.upstream.open(source.live_url, source.hosts, auth=source.auth, method="POST",
                                    headers={"Content-Type": "application/sdp"}, body=offer)
        if answer.status_code != 201:
            answer.close()
            raise Unavailable(f"the WHEP endpoint answered {answer.status_code}, not 201 Created",
                              status=answer.status_code)
        resource = urljoin(answer.url or source.live_url, answer.headers.get("Location", "")) \
            if answer.headers.get("Location") else ""
        sdp = self.upstream.read(answer, self.upstream.limits.sdp_bytes)
        token = self.ticket(camera.id, user.id, view.id, resource, "whep")
        return sdp, f"/video/{camera.id}/whep/{token}", view.id

    def whep_close(self, session: so.Session, user: User, camera_id: Any, token: str) -> None:
        """End a WebRTC session: the operator's resource deleted, the view ended in the journal."""
        camera = views.watchable_camera(session, user, camera_id)
        ticket = self.read_ticket(token, camera.id, user)
        if ticket.kind != "whep":
            raise NotFound("no such WebRTC session")
        if ticket.url:
            source = views.source_of(session, camera)
            try:
                self.upstream.open(ticket.url, source.hosts, auth=source.auth, method="DELETE").close()
            except (Unavailable, Forbidden) as exc:
                logger.info("WHEP session of camera %s not deleted at the operator: %s", camera.id, exc)
        self._alive.forget((user.id, ticket.view_id))
        views.end_view(session, user, ticket.view_id)

    def end(self, session: so.Session, user: User, camera_id: Any, view_id: Any) -> None:
        """The player says the viewer stopped watching."""
        camera = views.watchable_camera(session, user, camera_id)
        if isinstance(view_id, int) and not isinstance(view_id, bool):
            self._alive.forget((user.id, view_id))
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
        view = views.open_view(session, user, camera.id, kind="clip", protocol="mp4",
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
        limit = self.upstream.limits.clip_bytes
        for chunk in self.upstream.chunks(answer, limit):
            digest.update(chunk)
            size += len(chunk)
        if size >= limit:
            raise Unavailable(f"the evidence is larger than {limit} bytes; not checked")
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
