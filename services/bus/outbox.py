"""The database-backed event queue of the embedded default: accepted means stored, with no Redis.

An accepted batch is written to ``bus_outbox`` in the very transaction that reserves its event ids,
so the operator's 202 and the queued batch commit together: a process killed right after the answer
loses nothing, and the worker finds the batch on its next start. Consumers claim rows (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, the single writer on SQLite), reclaim rows a dead consumer left idle
past the claim time, and delete them on acknowledgement. One consumer group per stream: the workers.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.bus import BusUnavailable, Message
from services.messages import EventBatch, decode_batch, encode_batch
from services.store.engine import Store
from services.store.models import QueuedBatch, utcnow

logger = logging.getLogger(__name__)


class OutboxBus:
    """Publish into the caller's transaction; consume by claiming rows; ack by deleting them."""

    def __init__(self, store: Store, claim_idle_ms: int = 30_000) -> None:
        self._store = store
        self._claim_idle = timedelta(milliseconds=claim_idle_ms)
        self._wake = threading.Condition()

    def _rows(self, stream: str, batches: list[EventBatch]) -> list[dict[str, object]]:
        now = utcnow()
        return [{"stream": stream, "payload": encode_batch(b), "queued_at": now, "deliveries": 0} for b in batches]

    def publish_in(self, session: so.Session, stream: str, batches: list[EventBatch]) -> list[str]:
        """Queue the batches in ``session``'s transaction: they exist exactly when it commits."""
        if not batches:
            return []
        ids = session.scalars(sa.insert(QueuedBatch).returning(QueuedBatch.id, sort_by_parameter_order=True),
                              self._rows(stream, batches)).all()
        sa.event.listen(session, "after_commit", lambda _s: self._notify(), once=True)
        return [str(i) for i in ids]

    def publish(self, stream: str, batches: list[EventBatch]) -> list[str]:
        """Queue the batches in a transaction of their own."""
        try:
            with self._store.session() as session:
                ids = self.publish_in(session, stream, batches)
        except sa.exc.OperationalError as exc:
            raise BusUnavailable(f"the database did not take the messages: {exc}") from exc
        self._notify()
        return ids

    def _notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def consume(self, stream: str, group: str, consumer: str, count: int = 500,
                block_ms: int = 1000) -> list[Message]:
        """Rows never claimed or left idle past the claim time, oldest first; blocks up to ``block_ms``."""
        deadline = time.monotonic() + block_ms / 1000
        while True:
            found = self._claim(stream, consumer, count)
            remaining = deadline - time.monotonic()
            if found or block_ms <= 0 or remaining <= 0:
                return found
            with self._wake:
                self._wake.wait(min(remaining, 0.5))  # a publisher in another process does not notify

    def _claim(self, stream: str, consumer: str, count: int) -> list[Message]:
        now = utcnow()
        with self._store.session() as session:
            rows = list(session.scalars(
                sa.select(QueuedBatch).where(QueuedBatch.stream == stream, sa.or_(
                    QueuedBatch.claimed_at.is_(None), QueuedBatch.claimed_at < now - self._claim_idle))
                .order_by(QueuedBatch.id).limit(count).with_for_update(skip_locked=True)))
            out = []
            for row in rows:
                row.claimed_by, row.claimed_at, row.deliveries = consumer, now, row.deliveries + 1
                try:
                    batch: EventBatch | None = decode_batch(row.payload)
                except ValueError:
                    batch = None  # the worker keeps it as a dead letter instead of choking on it
                out.append(Message(str(row.id), batch, row.deliveries, bytes(row.payload)))
        return out

    def ack(self, stream: str, group: str, ids: list[str]) -> None:
        """Delete the processed rows: they are never delivered again."""
        keys = [int(i) for i in ids]
        if keys:
            with self._store.session() as session:
                session.execute(sa.delete(QueuedBatch).where(QueuedBatch.id.in_(keys)))

    def pending(self, stream: str, group: str) -> int:
        """Claimed but not yet acknowledged rows."""
        with self._store.session() as session:
            return session.scalar(sa.select(sa.func.count(QueuedBatch.id)).where(
                QueuedBatch.stream == stream, QueuedBatch.claimed_at.is_not(None))) or 0

    def backlog(self, stream: str, group: str = "") -> tuple[int, float | None]:
        """How many batches wait (claimed or not) and the age in seconds of the oldest, for /healthz."""
        with self._store.session() as session:
            count, oldest = session.execute(sa.select(sa.func.count(QueuedBatch.id), sa.func.min(QueuedBatch.queued_at))
                                            .where(QueuedBatch.stream == stream)).one()
        return count or 0, (utcnow() - oldest).total_seconds() if oldest is not None else None

    def close(self) -> None:
        """The store is the app's: nothing of its own to release."""
