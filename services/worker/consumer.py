"""The worker: consume the event stream, store, open or merge incidents, publish changes."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
import sqlalchemy.orm as so

from services.bus import EVENTS_STREAM, WORKER_GROUP, EventBus, Message, envelopes
from services.intake.catalogue import TRAFFIC_INCIDENT_TYPES
from services.duty.policy import decide, load_rules
from services.cameras.health import Change, LastSeenStore, Thresholds, camera_signal, flush, sweep
from services.duty.changes import incidents_changed
from services.duty.incidents import find_mergeable, link_related, offence_row, open_candidates, open_incident
from services.store.models import Camera, CameraHealth, Category, DeadLetter, Event, Incident, Offence, utcnow
from services.store.engine import Store

logger = logging.getLogger(__name__)

_SYSTEM, _TRAFFIC, _PUBLIC_ORDER = Category.SYSTEM.value, Category.TRAFFIC.value, Category.PUBLIC_ORDER.value
_GONE = frozenset({CameraHealth.OFFLINE.value, CameraHealth.STALE.value})
_CAMERA_DOWN = frozenset({"video_loss", "tamper"})  # signs of trouble, not of a camera coming back
_CAMERA_ALARMS = _CAMERA_DOWN | {"storage_failure"}
MAX_ENTRIES_PER_READ = 50  # entries of up to max_batch events each: 50,000 in memory at most by default

class Worker:
    """One consumer in the workers group; idempotent on (operator, event_id)."""

    def __init__(self, store: Store, bus: EventBus, cooldown_s: int = 120, name: str | None = None, batch: int = 2000, max_deliveries: int = 3,
                 related_within_m: float = 300.0,
                 traffic_incident_types: frozenset[str] = TRAFFIC_INCIDENT_TYPES,
                 last_seen: LastSeenStore | None = None, thresholds: Thresholds = Thresholds(),
                 sweep_every_s: float = 5.0, cooldowns: Mapping[str, int] | None = None, related_window_s: int | None = None) -> None:
        self.store = store
        self.bus = bus
        self.cooldown = timedelta(seconds=cooldown_s)
        self.cooldowns = {t: timedelta(seconds=v) for t, v in (cooldowns or {}).items()}
        self.related_window = timedelta(seconds=related_window_s) if related_window_s is not None else self.cooldown
        self.name = name or f"{socket.gethostname()}-{threading.get_ident()}"
        self.batch = batch  # events per transaction, roughly: reads are sized from the entries seen so far
        self._events_per_entry = 1.0
        self.max_deliveries = max_deliveries
        self.related_within_m = related_within_m
        self.traffic_incident_types = traffic_incident_types
        self.last_seen = last_seen
        self.thresholds = thresholds
        self.sweep_every_s = sweep_every_s

    def run_once(self, block_ms: int = 1000) -> int:
        """Consume and store one read of the stream; returns how many events it carried."""
        # An entry is one submission of 1 to 1,000 events, and a read can only be bounded in entries:
        # size it from the entries seen so far, cap it, and store it in transactions of about `batch` events.
        count = min(MAX_ENTRIES_PER_READ, max(1, round(self.batch / self._events_per_entry)))
        messages = self.bus.consume(EVENTS_STREAM, WORKER_GROUP, self.name, count=count, block_ms=block_ms)
        if not messages:
            return 0
        unpacked = [(message, envelopes(message.payload)) for message in messages]
        handled = sum(len(envs) for _, envs in unpacked)
        self._events_per_entry = max(1.0, 0.7 * self._events_per_entry + 0.3 * handled / len(messages))
        for chunk in _chunks(unpacked, self.batch):
            self._store_chunk(chunk)
        return handled

    def _store_chunk(self, chunk: list[tuple[Message, list[dict[str, Any]]]]) -> None:
        """Store the events of some messages in one transaction and acknowledge them (the feed publishes on commit)."""
        try:
            # Only a redelivered message can hold events stored before; first deliveries skip the lookup
            # (the unique key still guards them), which on a busy events table is the costliest query.
            changed = self._process([e for _, envs in chunk for e in envs],
                                    [e for m, envs in chunk if m.deliveries > 1 for e in envs])
            done = [m.id for m, _ in chunk]
        except Exception:
            # One bad event (or another worker storing some first) must not hold the rest hostage:
            # redo message by message, then event by event, so each lands once and only the culprit stays.
            logger.warning("%d messages failed together; retrying one by one", len(chunk), exc_info=True)
            changed, done = {}, []
            for message, envs in chunk:
                if self._retry(message, envs, changed):
                    done.append(message.id)
        self.bus.ack(EVENTS_STREAM, WORKER_GROUP, done)

    def _retry(self, message: Message, envs: list[dict[str, Any]], changed: dict[int, tuple[int, Incident]]) -> bool:
        """Store one message's events after a failed read; True when the message is done with."""
        try:
            changed.update(self._process(envs, envs))
            return True
        except Exception:  # noqa: BLE001 - narrowed down event by event below
            logger.info("message %s failed as a whole; storing its %d events one by one", message.id, len(envs))
        finished = True
        for env in envs:
            try:
                changed.update(self._process([env], [env]))
            except Exception as exc:  # noqa: BLE001 - kept for review, never silently dropped
                if self._stored(env):  # another worker stored it in the meantime
                    logger.info("event %s of message %s already stored", env["record"].get("event_id"), message.id)
                elif message.deliveries >= self.max_deliveries:
                    self._dead_letter(message, env, exc)
                else:
                    logger.warning("message %s failed (delivery %d): %s", message.id, message.deliveries, exc)
                    finished = False  # left pending: redelivered later, its stored events skipped then
        return finished

    def _stored(self, env: dict[str, Any]) -> bool:
        try:
            with self.store.session() as session:
                return bool(self._existing(session, [env]))
        except Exception:  # noqa: BLE001 - an unreadable envelope or database: not known to be stored
            return False

    def _dead_letter(self, message: Message, env: dict[str, Any], exc: Exception) -> None:
        logger.error("an event of message %s failed %d times; moved to the dead-letter store: %s", message.id,
                     message.deliveries, exc)
        raw = json.dumps(env, ensure_ascii=False, default=str).encode()
        with self.store.session() as session:
            session.add(DeadLetter(operator_id=env.get("operator_id"), endpoint="worker",
                                   reason=f"worker could not store it: {type(exc).__name__}: {exc}"[:2000],
                                   raw=raw[:64 * 1024]))

    def drain(self, max_rounds: int = 1000) -> int:
        """Process until the stream is empty (tests, scripts)."""
        total = 0
        for _ in range(max_rounds):
            handled = self.run_once(block_ms=0)
            if not handled:
                break
            total += handled
        return total

    def sweep_once(self, now: datetime | None = None) -> list[Change]:
        """Flush signs of life, evaluate camera health; the health incidents and cameras that changed go on the feed."""
        if self.last_seen is None:
            return []
        with self.store.session() as session:
            flush(session, self.last_seen)
            result = sweep(session, now, self.thresholds)
            incidents_changed(session, result.incidents, "health", "system")
        if result.changes:
            logger.info("health sweep: %d cameras changed state", len(result.changes))
        return result.changes

    def run_forever(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; errors are logged and the batch retried later."""
        logger.info("worker %s started", self.name)
        next_sweep = 0.0
        while not stop.is_set():
            try:
                self.run_once(block_ms=500)
                if time.monotonic() >= next_sweep:
                    self.sweep_once()
                    next_sweep = time.monotonic() + self.sweep_every_s
            except Exception:
                logger.exception("worker %s failed a batch; its messages stay pending for reclaim", self.name)
                stop.wait(1.0)
        logger.info("worker %s stopped", self.name)

    def _process(self, envs: list[dict[str, Any]], recheck: list[dict[str, Any]]) -> dict[int, tuple[int, Incident]]:
        """Store ``envs`` in one transaction; those in ``recheck`` may have been stored before."""
        with self.store.session() as session:
            return self._store_batch(session, envs, recheck)

    def _store_batch(self, session: so.Session, envs: list[dict[str, Any]],
                     recheck: list[dict[str, Any]]) -> dict[int, tuple[int, Incident]]:
        existing = self._existing(session, recheck)
        cameras = {c.id: c for c in session.scalars(
            sa.select(Camera).where(Camera.id.in_({e["camera_pk"] for e in envs})))}
        changed: dict[int, tuple[int, Incident]] = {}
        opened: set[int] = set()
        rules = load_rules(session)
        offences: dict[tuple[str, int], tuple[dict[str, Any], Camera]] = {}
        rows: list[dict[str, Any]] = []
        latest: dict[int, datetime] = {}
        stored_at = utcnow().isoformat()
        # Read once per camera, not once per event: ORM attribute access is a Python call each time.
        facts = {camera: (camera.id, camera.department_id, camera.lat, camera.lon) for camera in cameras.values()}
        candidates = self._merge_candidates(session, envs)
        for env in envs:
            record = env["record"]
            key = (env["operator_id"], record["event_id"])
            if key in existing:
                continue
            existing.add(key)
            camera = cameras.get(env["camera_pk"])
            if camera is None:
                logger.error("camera %s vanished before event %s was stored", env["camera_pk"], key)
                continue
            camera_id, department_id, camera_lat, camera_lon = facts[camera]
            category, kind = record["category"], record["type"]
            occurred = datetime.fromisoformat(record["occurred_at"])
            # Any event is a sign of life; whether the camera counts as back is the sweeper's call (debounce).
            if camera_id not in latest or occurred > latest[camera_id]:
                latest[camera_id] = occurred
            if camera.health in _GONE and camera.back_since is None and kind not in _CAMERA_DOWN:
                camera.back_since = occurred
            if category == _SYSTEM:
                if kind in _CAMERA_ALARMS:
                    incident = camera_signal(session, camera, kind, occurred)
                    changed[incident.id] = (incident.department_id, incident)
                if kind == "heartbeat":
                    continue  # beats are liveness only; they never become event rows
            location = record.get("location")
            lat, lon = (location["lat"], location["lon"]) if location else (camera_lat, camera_lon)
            # Timestamps stay ISO 8601 text: COPY hands them to PostgreSQL as sent; insert_events converts elsewhere.
            row = {"operator_id": env["operator_id"], "event_id": record["event_id"], "camera_id": camera_id,
                   "department_id": department_id, "incident_id": None, "category": category,
                   "type": kind, "occurred_at": record["occurred_at"], "received_at": env["received_at"],
                   "stored_at": stored_at, "late": env["late"], "confidence": record.get("confidence"),
                   "lat": lat, "lon": lon, "record": record}
            if self._opens_incident(category, kind):
                cooldown = self.cooldowns.get(kind, self.cooldown)
                open_ones = candidates[camera_id, kind]
                incident = find_mergeable(open_ones, occurred, cooldown)
                if incident is None:
                    priority = decide(rules, camera.department_id, kind, camera.mount_kind,
                                      record.get("confidence"), occurred)
                    incident = open_incident(session, camera, kind, category, priority, occurred, lat, lon)
                    link_related(session, incident, self.related_within_m, self.related_window)
                    open_ones.append(incident)
                    opened.add(incident.id)
                else:
                    incident.event_count += 1
                    incident.last_seen_at = max(incident.last_seen_at, occurred)
                    incident.first_seen_at = min(incident.first_seen_at, occurred)
                    incident.updated_at = utcnow()
                row["incident_id"] = incident.id
                changed[incident.id] = (incident.department_id, incident)
            rows.append(row)
            if category == _TRAFFIC and "plate" in record:
                offences[record["event_id"], env["operator_id"]] = (record, camera)
        for camera_id, at in latest.items():
            camera = cameras[camera_id]
            if camera.last_seen_at is None or at > camera.last_seen_at:
                camera.last_seen_at = at
        if rows:
            session.flush()  # incidents and camera last-seen before the bulk insert
            insert_events(session, rows)
            if offences:
                register = [offence_row(row["id"], *offences[row["event_id"], row["operator_id"]])
                            for row in rows if (row["event_id"], row["operator_id"]) in offences]
                insert_offences(session, register)
        incidents_changed(session, [i for pk, (_, i) in changed.items() if pk in opened], "open", "system")
        incidents_changed(session, [i for pk, (_, i) in changed.items() if pk not in opened], "merge", "system")
        return changed

    def _opens_incident(self, category: str, kind: str) -> bool:
        return category == _PUBLIC_ORDER or (category == _TRAFFIC and kind in self.traffic_incident_types)

    def _merge_candidates(self, session: so.Session,
                          envs: list[dict[str, Any]]) -> defaultdict[tuple[int, str], list[Incident]]:
        """The open incidents this batch's events may merge into, fetched in one query."""
        keys: set[tuple[int, str]] = set()
        times: list[datetime] = []
        for env in envs:
            record = env["record"]
            if self._opens_incident(record["category"], record["type"]):
                keys.add((env["camera_pk"], record["type"]))
                times.append(datetime.fromisoformat(record["occurred_at"]))
        candidates: defaultdict[tuple[int, str], list[Incident]] = defaultdict(list)
        if keys:
            widest = max([self.cooldown, *self.cooldowns.values()])
            candidates.update(open_candidates(session, keys, min(times) - widest, max(times) + widest))
        return candidates

    @staticmethod
    def _existing(session: so.Session, envs: list[dict[str, Any]]) -> set[tuple[int, str]]:
        by_operator: dict[int, list[str]] = defaultdict(list)
        for env in envs:
            by_operator[env["operator_id"]].append(env["record"]["event_id"])
        found: set[tuple[int, str]] = set()
        for operator_id, ids in by_operator.items():
            for event_id in session.scalars(
                sa.select(Event.event_id).where(Event.operator_id == operator_id, Event.event_id.in_(ids))
            ):
                found.add((operator_id, event_id))
        return found


def _chunks(unpacked: list[tuple[Message, list[dict[str, Any]]]],
            size: int) -> Iterator[list[tuple[Message, list[dict[str, Any]]]]]:
    """Consecutive groups of messages holding about ``size`` events each (a bigger message goes alone)."""
    chunk: list[tuple[Message, list[dict[str, Any]]]] = []
    events = 0
    for item in unpacked:
        if chunk and events + len(item[1]) > size:
            yield chunk
            chunk, events = [], 0
        chunk.append(item)
        events += len(item[1])
    if chunk:
        yield chunk


EVENT_COLUMNS = ("operator_id", "event_id", "camera_id", "department_id", "incident_id", "category", "type",
                 "occurred_at", "received_at", "stored_at", "late", "confidence", "lat", "lon", "record")
EVENT_TIMES = ("occurred_at", "received_at", "stored_at")
OFFENCE_COLUMNS = ("event_id", "operator_id", "camera_id", "department_id", "type", "plate", "plate_country",
                   "speed_kmh", "limit_kmh", "occurred_at", "evidence")
JSON_COLUMNS = frozenset({"record", "evidence"})


def _copy(session: so.Session, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY of ``rows`` into ``table`` inside the session's transaction (every column given).

    COPY streams while the rows are written, so the server stores them while Python formats the next;
    a statement per row, or one big statement, costs several times more at thousands of events a second.
    """
    connection = session.connection().connection.driver_connection  # psycopg, inside this transaction
    encode = msgspec.json.Encoder().encode
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([encode(row[c]).decode() if c in JSON_COLUMNS else row[c] for c in columns])


def insert_events(session: so.Session, rows: list[dict[str, Any]]) -> None:
    """Store event rows (timestamps as ISO 8601 text) and set each row's "id"."""
    if session.get_bind().dialect.name != "postgresql":
        typed = [{**row, **{t: datetime.fromisoformat(row[t]) for t in EVENT_TIMES}} for row in rows]
        stored = session.execute(sa.insert(Event).returning(Event.id, Event.event_id, Event.operator_id), typed)
        ids = {(event_id, operator_id): pk for pk, event_id, operator_id in stored}
        for row in rows:
            row["id"] = ids[row["event_id"], row["operator_id"]]
        return
    # Ids drawn from the sequence first: the offence rows need them, and there is no lookup afterwards.
    pks = session.scalars(sa.text("SELECT nextval(pg_get_serial_sequence('events', 'id')) "
                                  "FROM generate_series(1, :n)"), {"n": len(rows)}).all()
    for row, pk in zip(rows, pks):
        row["id"] = pk
    _copy(session, "events", ("id", *EVENT_COLUMNS), rows)


def insert_offences(session: so.Session, rows: list[dict[str, Any]]) -> None:
    """Store offence-register rows (occurred_at as ISO 8601 text)."""
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, "offences", OFFENCE_COLUMNS, rows)
    else:
        session.execute(Offence.__table__.insert(),
                        [{**row, "occurred_at": datetime.fromisoformat(row["occurred_at"])} for row in rows])


def start_in_thread(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    """Run a worker in a daemon thread (embedded default); returns the thread and its stop flag."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="kuzet-worker", daemon=True)
    thread.start()
    return thread, stop
