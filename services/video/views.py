"""Who watches which camera: views opened, kept alive, ended and listed, each opening and end in the audit journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.permissions import Action, require
from services.access.scope import as_id, camera_in_scope, incident_in_scope, visible_departments
from services.duty.changes import incidents_changed
from services.duty.sop import tick_watched
from services.errors import NotFound
from services.store import audit
from services.store.models import Camera, Event, Incident, Operator, User, VideoView, utcnow

IDLE_S = 60  # a view no request kept alive for this long has ended (the player closes it sooner when it can)


@dataclass(frozen=True)
class Source:
    """Where a camera's video comes from, for the centre's eyes only (credentials included)."""

    camera_id: int
    live_url: str
    protocol: str  # hls | whep | ""
    hosts: frozenset[str]
    auth: str | None


def live_view_path(camera_id: int, protocol: str) -> str | None:
    """Where a player gets a camera's live view from the centre, by protocol; None without one."""
    return {"hls": f"/video/{camera_id}/live.m3u8", "whep": f"/video/{camera_id}/whep"}.get(protocol)


def watchable_camera(session: so.Session, user: User, camera_id: Any) -> Camera:
    """The camera, if the user may watch video and the camera stands in their departments; NotFound otherwise."""
    require(user, Action.WATCH_VIDEO)
    camera = camera_in_scope(session, user, camera_id)
    if camera is None:
        raise NotFound(f"camera {camera_id} not found")
    return camera


def source_of(session: so.Session, camera: Camera) -> Source:
    """The camera's live URL, protocol, its operator's registered video hosts and the credential to send."""
    operator = session.get(Operator, camera.operator_id)
    hosts = frozenset(operator.video_hosts or []) if operator else frozenset()
    auth = camera.video_auth or (operator.video_auth if operator else None)
    return Source(camera.id, camera.live_url, camera.live_protocol, hosts, auth)


def open_view(session: so.Session, user: User, camera: Camera, *, kind: str = "live", protocol: str = "hls",
              incident_id: Any = None, event_id: int | None = None, now: datetime | None = None) -> VideoView:
    """Start watching a camera (one ``watchable_camera`` gave) or a clip of it: a view on record and in the journal.

    A player asking again within the idle time continues its open view instead of starting another
    (an HLS player reloads the playlist every few seconds; a clip is fetched in ranges).
    """
    now = now or utcnow()
    incident = _incident(session, user, incident_id)
    open_one = session.scalar(sa.select(VideoView).where(
        VideoView.user_id == user.id, VideoView.camera_id == camera.id, VideoView.kind == kind,
        VideoView.protocol == protocol, VideoView.ended_at.is_(None),
        VideoView.incident_id.is_(None) if incident is None else VideoView.incident_id == incident.id,
        VideoView.event_id.is_(None) if event_id is None else VideoView.event_id == event_id,
        VideoView.last_seen_at >= now - timedelta(seconds=IDLE_S)).order_by(VideoView.id.desc()).limit(1))
    if open_one is not None:
        open_one.last_seen_at = now
        return open_one
    view = VideoView(user_id=user.id, camera_id=camera.id, incident_id=incident.id if incident else None, kind=kind,
                     protocol=protocol, event_id=event_id, started_at=now, last_seen_at=now)
    session.add(view)
    session.flush()
    audit.record(session, user.username, "video.view", f"camera:{camera.id}", view=view.id, camera=camera.id,
                 incident=view.incident_id, kind=kind, protocol=protocol, event=event_id, started_at=now.isoformat())
    if incident is not None and incident.camera_id == camera.id:
        ticked = tick_watched(session, incident, user)
        if ticked:
            incidents_changed(session, [incident], "sop", user.username)
    return view


def _incident(session: so.Session, user: User, incident_id: Any) -> Incident | None:
    if incident_id in (None, ""):
        return None
    incident = incident_in_scope(session, user, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


def keep_alive(session: so.Session, user: User, view_id: int, now: datetime | None = None) -> bool:
    """Note that the viewer is still watching; False when the view has ended (its tickets are spent)."""
    touched = session.execute(sa.update(VideoView).where(
        VideoView.id == view_id, VideoView.user_id == user.id, VideoView.ended_at.is_(None))
        .values(last_seen_at=now or utcnow())).rowcount
    return touched > 0


def end_view(session: so.Session, user: User, view_id: int, now: datetime | None = None) -> VideoView | None:
    """The viewer stopped watching (closed, paused, scrolled away): the view ends now, in the journal."""
    view = session.scalar(sa.select(VideoView).where(VideoView.id == view_id, VideoView.user_id == user.id,
                                                     VideoView.ended_at.is_(None)))
    if view is None:
        return None
    view.ended_at = max(now or utcnow(), view.started_at)
    _journal_end(session, user.username, view, "closed")
    return view


def end_idle_views(session: so.Session, now: datetime | None = None, idle_s: int = IDLE_S) -> int:
    """End the views nobody kept alive for ``idle_s`` (a closed tab, a lost network), at their last request."""
    now = now or utcnow()
    stale = list(session.scalars(sa.select(VideoView).where(
        VideoView.ended_at.is_(None), VideoView.last_seen_at < now - timedelta(seconds=idle_s))))
    for view in stale:
        view.ended_at = view.last_seen_at
        _journal_end(session, "system", view, "idle")
    return len(stale)


def _journal_end(session: so.Session, actor: str, view: VideoView, reason: str) -> None:
    audit.record(session, actor, "video.view_ended", f"camera:{view.camera_id}", view=view.id, camera=view.camera_id,
                 incident=view.incident_id, kind=view.kind, started_at=view.started_at.isoformat(),
                 ended_at=view.ended_at.isoformat() if view.ended_at else None, reason=reason)


def list_views(session: so.Session, user: User, *, camera_id: Any = None, username: str | None = None,
               camera_name: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The views of a camera (by id or by the operator's name of it) or of a user, newest first, within the
    reader's departments (chiefs and admins)."""
    require(user, Action.READ_VIDEO_VIEWS)
    departments = visible_departments(session, user)
    query = (sa.select(VideoView, User.username, Camera.external_id, Camera.department_id)
             .join(User, User.id == VideoView.user_id).join(Camera, Camera.id == VideoView.camera_id)
             .where(Camera.department_id.in_(departments)))
    if camera_name:
        query = query.where(Camera.external_id == camera_name.strip()[:64])
    if camera_id is not None:
        key = as_id(camera_id)
        if key is None or session.scalar(sa.select(Camera.department_id).where(Camera.id == key)) not in departments:
            raise NotFound(f"camera {camera_id} not found")
        query = query.where(VideoView.camera_id == key)
    if username is not None:
        if session.scalar(sa.select(User.id).where(User.username == username)) is None:
            raise NotFound(f"user {username} not found")
        query = query.where(User.username == username)
    rows = session.execute(query.order_by(VideoView.started_at.desc(), VideoView.id.desc()).limit(max(1, min(limit, 1000))))
    return [{"view": v.id, "user": name, "camera_id": v.camera_id, "camera": external, "department_id": dept,
             "incident_id": v.incident_id, "kind": v.kind, "protocol": v.protocol, "event_id": v.event_id,
             "started_at": v.started_at.isoformat(), "last_seen_at": v.last_seen_at.isoformat(),
             "ended_at": v.ended_at.isoformat() if v.ended_at else None} for v, name, external, dept in rows]


def clip_event(session: so.Session, camera: Camera, event_pk: Any, position: Any) -> tuple[Event, dict[str, Any]]:
    """The event of this camera and the media item at ``position`` of it; NotFound otherwise."""
    key = as_id(event_pk)
    index = position if isinstance(position, int) and not isinstance(position, bool) else -1
    event = session.get(Event, key) if key is not None else None
    media = event.record.get("media", []) if event is not None and event.camera_id == camera.id else []
    if not 0 <= index < len(media) or not isinstance(media[index], dict):
        raise NotFound(f"evidence {event_pk}/{position} of camera {camera.id} not found")
    return event, media[index]  # type: ignore[return-value]
