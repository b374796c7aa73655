"""The worker's loop: consume the event stream, store each read through the correlator, retry, acknowledge."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta

import msgspec

from services.bus import EVENTS_STREAM, WORKER_GROUP, EventBus, Message
from services.cameras.health import Change, LastSeenStore, Thresholds, flush, sweep
from services.duty.changes import incidents_changed
from services.intake.catalogue import TRAFFIC_INCIDENT_TYPES
from services.messages import QueuedEvent
from services.store.engine import Store
from services.store.events import stored_keys
from services.store import audit, deadletters
from services.worker.correlate import Correlator
from services.video.views import end_idle_views

logger = logging.getLogger(__name__)

MAX_ENTRIES_PER_READ = 50  # entries of up to max_batch events each: 50,000 in memory at most by default

Unpacked = list[tuple[Message, list[QueuedEvent]]]


RETENTION_EVERY_S = 6 * 3600  # the daily period is reached within hours whenever a worker runs


class Worker:
    """One consumer in the workers group; idempotent on (operator, event_id)."""

    def __init__(self, store: Store, bus: EventBus, cooldown_s: int = 120, name: str | None = None, batch: int = 2000, max_deliveries: int = 3,
                 related_within_m: float = 300.0,
                 traffic_incident_types: frozenset[str] = TRAFFIC_INCIDENT_TYPES,
                 last_seen: LastSeenStore | None = None, thresholds: Thresholds = Thresholds(),
                 sweep_every_s: float = 5.0, cooldowns: Mapping[str, int] | None = None, related_window_s: int | None = None) -> None:
        self.store = store
        self.bus = bus
        self.correlator = Correlator(
            cooldown=timedelta(seconds=cooldown_s),
            cooldowns={t: timedelta(seconds=v) for t, v in (cooldowns or {}).items()},
            related_within_m=related_within_m,
            related_window=timedelta(seconds=related_window_s if related_window_s is not None else cooldown_s),
            traffic_incident_types=traffic_incident_types)
        self.name = name or f"{socket.gethostname()}-{threading.get_ident()}"
        self.batch = batch  # events per transaction, roughly: reads are sized from the entries seen so far
        self._events_per_entry = 1.0
        self.max_deliveries = max_deliveries
        self.last_seen = last_seen
        self.thresholds = thresholds
        self.sweep_every_s = sweep_every_s
        self.on_batch: Callable[[float], None] | None = None  # told each batch's storing time (metrics)
        self.retention_days = 0  # personal data older than this is masked once a day (0: never)

    @property
    def chain(self) -> str:
        """The worker's own audit journal chain: two workers' transactions never wait for each other's tail."""
        return f"worker:{self.name}"

    def run_once(self, block_ms: int = 1000) -> int:
        """Consume and store one read of the stream; returns how many events it carried."""
        # An entry is one submission of 1 to 1,000 events, and a read can only be bounded in entries:
        # size it from the entries seen so far, cap it, and store it in transactions of about `batch` events.
        count = min(MAX_ENTRIES_PER_READ, max(1, round(self.batch / self._events_per_entry)))
        messages = self.bus.consume(EVENTS_STREAM, WORKER_GROUP, self.name, count=count, block_ms=block_ms)
        if not messages:
            return 0
        unreadable = [m for m in messages if m.batch is None]
        if unreadable:
            self._keep_unreadable(unreadable)
        unpacked = [(m, m.batch.unpack()) for m in messages if m.batch is not None]
        handled = sum(len(events) for _, events in unpacked)
        self._events_per_entry = max(1.0, 0.7 * self._events_per_entry + 0.3 * handled / len(messages))
        for chunk in _chunks(unpacked, self.batch):
            self._store_chunk(chunk)
        return handled

    def _store_chunk(self, chunk: Unpacked) -> None:
        """Store the events of some messages in one transaction and acknowledge them (the feed publishes on commit)."""
        started = time.perf_counter()
        try:
            # Only a redelivered message can hold events stored before; first deliveries skip the lookup
            # (the unique key still guards them), which on a busy events table is the costliest query.
            self._process([e for _, events in chunk for e in events],
                          [e for m, events in chunk if m.deliveries > 1 for e in events])
            done = [m.id for m, _ in chunk]
        except Exception:
            # One bad event (or another worker storing some first) must not hold the rest hostage:
            # redo message by message, then event by event, so each lands once and only the culprit stays.
            logger.warning("%d messages failed together; retrying one by one", len(chunk), exc_info=True)
            done = [message.id for message, events in chunk if self._retry(message, events)]
        self.bus.ack(EVENTS_STREAM, WORKER_GROUP, done)
        if self.on_batch is not None:
            self.on_batch(time.perf_counter() - started)

    def _retry(self, message: Message, events: list[QueuedEvent]) -> bool:
        """Store one message's events after a failed read; True when the message is done with."""
        try:
            self._process(events, events)
            return True
        except Exception:  # noqa: BLE001 - narrowed down event by event below
            logger.info("message %s failed as a whole; storing its %d events one by one", message.id, len(events))
        finished = True
        for event in events:
            try:
                self._process([event], [event])
            except Exception as exc:  # noqa: BLE001 - kept for review, never silently dropped
                if self._stored(event):  # another worker stored it in the meantime
                    logger.info("event %s of message %s already stored", event.record.get("event_id"), message.id)
                elif message.deliveries >= self.max_deliveries:
                    self._dead_letter(message, event, exc)
                else:
                    logger.warning("message %s failed (delivery %d): %s", message.id, message.deliveries, exc)
                    finished = False  # left pending: redelivered later, its stored events skipped then
        return finished

    def _process(self, events: list[QueuedEvent], recheck: list[QueuedEvent]) -> None:
        """Store ``events`` in one transaction; those in ``recheck`` may have been stored before."""
        with self.store.session() as session:
            audit.use_chain(session, self.chain)
            self.correlator.store(session, events, recheck)

    def _stored(self, event: QueuedEvent) -> bool:
        try:
            with self.store.session() as session:
                return bool(stored_keys(session, [event.key]))
        except Exception:  # noqa: BLE001 - an unreadable event or database: not known to be stored
            return False

    def _dead_letter(self, message: Message, event: QueuedEvent, exc: Exception) -> None:
        logger.error("an event of message %s failed %d times; moved to the dead-letter store: %s", message.id,
                     message.deliveries, exc)
        with self.store.session() as session:
            deadletters.keep(session, event.operator_id or None, "worker",
                             f"worker could not store it: {type(exc).__name__}: {exc}", msgspec.json.encode(event))

    def _keep_unreadable(self, messages: list[Message]) -> None:
        """Entries that are not event batches: kept for review and acknowledged, so they block nothing."""
        with self.store.session() as session:
            for message in messages:
                deadletters.keep(session, None, "worker", f"stream entry {message.id} is not an event batch",
                                 message.raw)
        self.bus.ack(EVENTS_STREAM, WORKER_GROUP, [m.id for m in messages])

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
            audit.use_chain(session, self.chain)
            flush(session, self.last_seen)
            result = sweep(session, now, self.thresholds)
            incidents_changed(session, result.incidents, "health", "system")
            end_idle_views(session, now)
        if result.changes:
            logger.info("health sweep: %d cameras changed state", len(result.changes))
        return result.changes

    def retain_once(self) -> None:
        """Mask personal data past the retention period (services.access.retention), journaled as the system."""
        from services.access import retention

        with self.store.session() as session:
            retention.run(session, "system", self.retention_days)

    def run_forever(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; errors are logged and the batch retried later."""
        logger.info("worker %s started", self.name)
        next_sweep = 0.0
        next_retention = time.monotonic() + 60  # not in the rush of a start
        while not stop.is_set():
            try:
                self.run_once(block_ms=500)
                if time.monotonic() >= next_sweep:
                    self.sweep_once()
                    next_sweep = time.monotonic() + self.sweep_every_s
                if self.retention_days > 0 and time.monotonic() >= next_retention:
                    self.retain_once()
                    next_retention = time.monotonic() + RETENTION_EVERY_S
            except Exception:
                logger.exception("worker %s failed a batch; its messages stay pending for reclaim", self.name)
                stop.wait(1.0)
        logger.info("worker %s stopped", self.name)


def _chunks(unpacked: Unpacked, size: int) -> Iterator[Unpacked]:
    """Consecutive groups of messages holding about ``size`` events each (a bigger message goes alone)."""
    chunk: Unpacked = []
    events = 0
    for item in unpacked:
        if chunk and events + len(item[1]) > size:
            yield chunk
            chunk, events = [], 0
        chunk.append(item)
        events += len(item[1])
    if chunk:
        yield chunk


def start_in_thread(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    """Run a worker in a daemon thread (embedded default); returns the thread and its stop flag."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="kuzet-worker", daemon=True)
    thread.start()
    return thread, stop
