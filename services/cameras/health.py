"""Camera health: signs of life kept cheaply, states swept on a clock, outages opened and closed as incidents."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.store import audit, feed
from services.store.models import (OPEN_STATUSES, Camera, CameraHealth as H, CameraHealthChange, Incident, IncidentHistory,
                             IncidentStatus, Operator, utcnow)

logger = logging.getLogger(__name__)

HEALTH_TYPES = ("camera_offline", "operator_outage", "video_loss", "tamper", "storage_failure")
SWEEP_LOCK_KEY = 0x4B5A4845  # "KZHE": one evaluator at a time across worker processes


class LastSeenStore(Protocol):
    """Where signs of life land first: no database row is touched per heartbeat."""

    def touch(self, seen: dict[int, datetime]) -> None:
        """Record camera id -> latest sign of life."""
        ...

    def take(self) -> dict[int, datetime]:
        """Everything recorded since the last take, emptied."""
        ...


class MemoryLastSeen:
    """In-process store (the embedded default)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, datetime] = {}

    def touch(self, seen: dict[int, datetime]) -> None:
        """Keep the latest time per camera."""
        with self._lock:
            for camera_id, at in seen.items():
                if camera_id not in self._seen or at > self._seen[camera_id]:
                    self._seen[camera_id] = at

    def take(self) -> dict[int, datetime]:
        """Hand over and forget."""
        with self._lock:
            taken, self._seen = self._seen, {}
        return taken


class RedisLastSeen:
    """A Redis hash shared by every web process; the sweeper takes it atomically (RENAME then read)."""

    def __init__(self, url: str, prefix: str = "kuzet") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._key = f"{prefix}:last-seen"

    def touch(self, seen: dict[int, datetime]) -> None:
        """HSET camera -> epoch milliseconds (a later write of an older time is harmless: the flush keeps max)."""
        if seen:
            self._redis.hset(self._key, mapping={str(k): int(v.timestamp() * 1000) for k, v in seen.items()})

    def take(self) -> dict[int, datetime]:
        """Move the hash aside and read it, so beats arriving meanwhile go to a fresh hash."""
        import redis

        taking = f"{self._key}:taking"
        try:
            self._redis.rename(self._key, taking)
        except redis.ResponseError:  # no such key: nothing seen
            return {}
        pipe = self._redis.pipeline()
        pipe.hgetall(taking)
        pipe.delete(taking)
        raw, _ = pipe.execute()
        return {int(k): datetime.fromtimestamp(int(v) / 1000, tz=timezone.utc) for k, v in raw.items()}


@dataclass(frozen=True)
class Thresholds:
    """Global defaults; operators and cameras may override the interval and the offline time."""

    interval_s: int = 30
    offline_after_s: int = 90
    recover_after_s: int = 30  # a camera must be back this long before its outage closes (debounce)
    outage_cameras: int = 10  # this many of one operator's cameras dropping at once is one outage


@dataclass(frozen=True)
class Change:
    """One camera's state change in a sweep."""

    camera_id: int
    from_state: str
    to_state: str
    reason: str


def flush(session: so.Session, store: LastSeenStore) -> int:
    """Write the store's signs of life to the cameras table in one statement per batch; returns cameras touched."""
    seen = store.take()
    if not seen:
        return 0
    rows = [{"cid": k, "at": v} for k, v in seen.items()]
    table = Camera.__table__
    # Newer times only; a camera in an outage starts its debounce clock with the first sign of life.
    session.execute(table.update().where(table.c.id == sa.bindparam("cid"), sa.or_(
        table.c.last_seen_at.is_(None), table.c.last_seen_at < sa.bindparam("at"))).values(
        last_seen_at=sa.bindparam("at")), rows)
    session.execute(table.update().where(table.c.id == sa.bindparam("cid"),
                                         sa.or_(table.c.health == H.OFFLINE.value, table.c.health == H.STALE.value),
                                         table.c.back_since.is_(None)).values(back_since=sa.bindparam("at")),
                    rows)
    return len(rows)


def _try_lock(session: so.Session) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        return bool(session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK_KEY}))
    return True  # SQLite: one process, and the sweep runs in its single worker thread


@dataclass(frozen=True)
class SweepResult:
    """What a sweep changed: camera states, and the health incidents opened, grown or closed."""

    changes: list[Change]
    incidents: list[Incident]


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    # A mass outage moves tens of thousands of cameras; SQLite takes at most 32,766 parameters a statement.
    return [ids[n:n + size] for n in range(0, len(ids), size)]


def sweep(session: so.Session, now: datetime | None = None, limits: Thresholds = Thresholds()) -> SweepResult:
    """Evaluate every camera that could change state; apply transitions, open and close health incidents."""
    now = now or utcnow()
    if not _try_lock(session):
        return SweepResult([], [])
    operators = {o.id: o for o in session.scalars(sa.select(Operator))}
    # Indexed pre-filter: cameras already out, or online ones quiet for longer than the shortest interval.
    # The shortest interval anywhere, per camera too: a 5 s camera must not wait for the 30 s default.
    camera_shortest = session.scalar(sa.select(sa.func.min(Camera.expected_interval_s)))
    shortest = min([limits.interval_s] + [o.heartbeat_interval_s for o in operators.values() if o.heartbeat_interval_s]
                   + ([camera_shortest] if camera_shortest else []))
    # Plain columns, not ORM objects: in a mass outage (or a night of 50,000 quiet cameras) this reads every
    # camera each sweep, and objects made it seconds of the GIL the web process's pages wait on.
    rows = session.execute(sa.select(Camera.id, Camera.operator_id, Camera.health, Camera.last_seen_at,
                                     Camera.back_since, Camera.expected_interval_s).where(sa.or_(
        Camera.health.in_([H.STALE.value, H.OFFLINE.value]),
        sa.and_(Camera.health == H.ONLINE.value, Camera.last_seen_at < now - timedelta(seconds=2 * shortest)),
        sa.and_(Camera.health == H.UNKNOWN.value, Camera.last_seen_at.is_not(None))))).all()
    changes: list[Change] = []
    debounce_again: list[int] = []
    for cam in rows:
        operator = operators.get(cam.operator_id)
        interval = cam.expected_interval_s or (operator.heartbeat_interval_s if operator else None) or limits.interval_s
        offline_after = (operator.offline_after_s if operator else None) or limits.offline_after_s
        quiet = (now - cam.last_seen_at).total_seconds() if cam.last_seen_at else float("inf")
        target = cam.health
        if quiet >= offline_after:
            target = H.OFFLINE.value
        elif quiet >= 2 * interval:
            target = H.STALE.value if cam.health in (H.ONLINE.value, H.STALE.value, H.UNKNOWN.value) else cam.health
        elif cam.health == H.OFFLINE.value:
            # Back only when alive without a missed beat for the whole debounce time.
            back = cam.back_since or cam.last_seen_at
            if quiet <= interval and back is not None and (now - back).total_seconds() >= limits.recover_after_s:
                target = H.ONLINE.value
        else:
            target = H.ONLINE.value
        if cam.health == H.OFFLINE.value and quiet > interval and cam.back_since is not None:
            debounce_again.append(cam.id)  # it came back only briefly: the debounce starts again with the next sign
        if target != cam.health:
            changes.append(Change(cam.id, cam.health, target, "silent" if target != H.ONLINE.value else "back"))
    for ids in _chunks(debounce_again):
        session.execute(sa.update(Camera).where(Camera.id.in_(ids)).values(back_since=None)
                        .execution_options(synchronize_session=False))
    if changes:
        loaded = {cam.id: cam for ids in _chunks([c.camera_id for c in changes])
                  for cam in session.scalars(sa.select(Camera).where(Camera.id.in_(ids)))}
        moved = [loaded[c.camera_id] for c in changes]
        for cam, change in zip(moved, changes):
            set_state(session, cam, change.to_state, change.reason, now, record=False)
        cameras_changed(session, moved)
    incidents = _health_incidents(session, [c for c in changes if c.to_state == H.OFFLINE.value],
                                  [c for c in changes if c.from_state == H.OFFLINE.value and c.to_state == H.ONLINE.value],
                                  now, limits)
    return SweepResult(changes, incidents)


def set_state(session: so.Session, camera: Camera, state: str, reason: str, at: datetime, record: bool = True) -> None:
    """Move a camera to a state, recording the transition for uptime and (unless batched) on the change feed."""
    session.add(CameraHealthChange(camera_id=camera.id, from_state=camera.health, to_state=state, reason=reason, at=at))
    camera.health, camera.health_since = state, at
    if state == H.ONLINE.value:
        camera.back_since = None
    if record:
        cameras_changed(session, [camera])


def cameras_changed(session: so.Session, cameras: list[Camera]) -> None:
    """Put cameras whose health changed on the change feed, in this transaction: one row per department.

    A mass outage moves thousands of cameras in one sweep; one row per department, listing each camera's
    new state, keeps the feed complete at the cost of a handful of rows (each transition is also in
    ``camera_health_changes``, which uptime and replay read).
    """
    by_department: dict[int, list[dict[str, object]]] = {}
    for c in cameras:
        by_department.setdefault(c.department_id, []).append(
            {"id": c.id, "health": c.health, "since": c.health_since.isoformat() if c.health_since else None})
    feed.record(session, "cameras", [(department_id, department_id, {"cameras": states})
                                     for department_id, states in by_department.items()], "health", "system")


def _open(session: so.Session, camera: Camera, incident_type: str, priority: int, at: datetime, text: str) -> Incident:
    incident = Incident(department_id=camera.department_id, camera_id=camera.id, source="health", category="system",
                        type=incident_type, priority=priority, status=IncidentStatus.NEW.value, lat=camera.lat,
                        lon=camera.lon, address=camera.address, description=text, event_count=1, first_seen_at=at,
                        last_seen_at=at, created_at=at, updated_at=at)
    session.add(incident)
    session.flush()
    session.add(IncidentHistory(incident_id=incident.id, action="open", from_status=None,
                                to_status=IncidentStatus.NEW.value, actor="system", reason=text, at=at,
                                department_id=incident.department_id))
    audit.record(session, "system", "incident.open", f"incident:{incident.id}", type=incident_type,
                 camera=camera.external_id)
    return incident


def _close(session: so.Session, incident: Incident, at: datetime, text: str) -> None:
    """Close a health incident on recovery (no officer action is needed to end an outage that ended)."""
    outage = at - incident.first_seen_at
    reason = f"{text}; outage {int(outage.total_seconds() // 60)} min {int(outage.total_seconds() % 60)} s"
    session.add(IncidentHistory(incident_id=incident.id, action="auto_close", from_status=incident.status,
                                to_status=IncidentStatus.CLOSED.value, actor="system", reason=reason, at=at,
                                department_id=incident.department_id))
    incident.status, incident.updated_at, incident.outcome_note = IncidentStatus.CLOSED.value, at, reason
    incident.closed_at = at
    incident.version += 1
    audit.record(session, "system", "incident.auto_close", f"incident:{incident.id}", reason=reason)


def health_priority(incident_type: str, mount_kind: str) -> int:
    """Offline is low priority; tamper high, and highest at schools and kindergartens."""
    if incident_type == "tamper":
        return 1 if mount_kind in ("school", "kindergarten") else 2
    if incident_type == "video_loss":
        return 3
    return 4


def _health_incidents(session: so.Session, went: list[Change], came: list[Change], now: datetime,
                      limits: Thresholds) -> list[Incident]:
    cams = {c.id: c for ids in _chunks([c.camera_id for c in went + came])
            for c in session.scalars(sa.select(Camera).where(Camera.id.in_(ids)))}
    touched: list[Incident] = []
    groups: dict[tuple[int, int], list[Camera]] = defaultdict(list)
    for change in went:
        cam = cams[change.camera_id]
        groups[cam.operator_id, cam.department_id].append(cam)
    for (operator_id, _dept), dropped in groups.items():
        already = session.scalar(sa.select(Incident).where(
            Incident.type == "operator_outage", Incident.status.in_(OPEN_STATUSES),
            Incident.department_id == dropped[0].department_id,
            Incident.description.like(f"operator #{operator_id}:%")))
        if already is not None or len(dropped) >= limits.outage_cameras:
            if already is None:
                names = ", ".join(c.external_id for c in dropped[:20]) + ("…" if len(dropped) > 20 else "")
                touched.append(_open(session, dropped[0], "operator_outage", 3, now,
                                     f"operator #{operator_id}: {len(dropped)} cameras went silent together ({names})"))
            else:
                already.event_count += len(dropped)
                already.last_seen_at = now
                touched.append(already)
            continue
        for cam in dropped:
            if not _open_health(session, cam.id):
                touched.append(_open(session, cam, "camera_offline", 4, now,
                      f"камера {cam.external_id} молчит · silent since {cam.last_seen_at:%H:%M:%S} UTC"
                      if cam.last_seen_at else f"камера {cam.external_id} молчит"))
    for change in came:
        cam = cams[change.camera_id]
        for incident in _open_health(session, cam.id):
            if incident.type == "tamper":
                continue  # someone interfered with the camera: an officer closes that, not the camera's return
            _close(session, incident, now, f"камера {cam.external_id} снова на связи · camera back")
            touched.append(incident)
        outage = session.scalar(sa.select(Incident).where(
            Incident.type == "operator_outage", Incident.status.in_(OPEN_STATUSES),
            Incident.department_id == cam.department_id, Incident.description.like(f"operator #{cam.operator_id}:%")))
        if outage is not None and not session.scalar(sa.select(sa.func.count(Camera.id)).where(
                Camera.operator_id == cam.operator_id, Camera.department_id == cam.department_id,
                Camera.health == H.OFFLINE.value)):
            _close(session, outage, now, "все камеры оператора снова на связи · operator back")
            touched.append(outage)
    session.flush()
    return touched


def _open_health(session: so.Session, camera_id: int) -> list[Incident]:
    return list(session.scalars(sa.select(Incident).where(
        Incident.camera_id == camera_id, Incident.type.in_(["camera_offline", "video_loss", "tamper"]),
        Incident.status.in_(OPEN_STATUSES))))


def camera_signal(session: so.Session, camera: Camera, signal: str, at: datetime) -> Incident | None:
    """A camera's own alarm: video_loss and tamper take it offline at once; storage_failure only reports."""
    if signal in ("video_loss", "tamper"):
        if camera.health != H.OFFLINE.value:
            set_state(session, camera, H.OFFLINE.value, signal, at)
        camera.back_since = None
    existing = [i for i in _open_health(session, camera.id) if i.type == signal]
    if existing:
        existing[0].event_count += 1
        existing[0].last_seen_at = at
        return existing[0]
    return _open(session, camera, signal, health_priority(signal, camera.mount_kind), at,
                 f"{signal} от камеры {camera.external_id}")


@dataclass(frozen=True)
class Uptime:
    """Availability over a window, from recorded transitions."""

    uptime_pct: float
    outages: int
    outage_minutes: float
    cameras: int


def uptime(session: so.Session, camera_ids: list[int], start: datetime, end: datetime) -> Uptime:
    """Share of the window the cameras were not offline, outages begun in it, and their minutes (averaged)."""
    if not camera_ids or end <= start:
        return Uptime(100.0, 0, 0.0, len(camera_ids))
    per_camera = downtime(session, camera_ids, start, end)
    down_total = sum(down for down, _ in per_camera.values())
    outages = sum(n for _, n in per_camera.values())
    window = (end - start).total_seconds()
    return Uptime(round(100 * (1 - down_total / (window * len(camera_ids))), 3), outages,
                  round(down_total / 60, 1), len(camera_ids))


def downtime(session: so.Session, camera_ids: list[int], start: datetime, end: datetime,
             chunk: int = 5000) -> dict[int, tuple[float, int]]:
    """Per camera with any: seconds offline within the window and outages begun in it, from the transitions."""
    out: dict[int, tuple[float, int]] = {}
    for i in range(0, len(camera_ids), chunk):
        ids = camera_ids[i:i + chunk]
        before = dict(session.execute(
            sa.select(CameraHealthChange.camera_id, CameraHealthChange.to_state)
            .where(CameraHealthChange.camera_id.in_(ids), CameraHealthChange.at < start)
            .order_by(CameraHealthChange.camera_id, CameraHealthChange.at)).all())  # last one per camera wins
        changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        for camera_id, at, state in session.execute(
                sa.select(CameraHealthChange.camera_id, CameraHealthChange.at, CameraHealthChange.to_state)
                .where(CameraHealthChange.camera_id.in_(ids), CameraHealthChange.at >= start,
                       CameraHealthChange.at < end).order_by(CameraHealthChange.at)):
            changes[camera_id].append((at, state))
        for camera_id in ids:
            state, since = before.get(camera_id, H.ONLINE.value), start
            down, outages = 0.0, 0
            for at, new_state in changes.get(camera_id, []):
                if state == H.OFFLINE.value:
                    down += (at - since).total_seconds()
                if new_state == H.OFFLINE.value and state != H.OFFLINE.value:
                    outages += 1
                state, since = new_state, at
            if state == H.OFFLINE.value:
                down += (end - since).total_seconds()
            if down or outages:
                out[camera_id] = (down, outages)
    return out
