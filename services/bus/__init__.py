"""The event bus: publish ``EventBatch`` messages, consume them with acknowledgement. In-process or Redis Streams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from services.messages import EventBatch

if TYPE_CHECKING:
    import sqlalchemy.orm as so

    from services.store.engine import Store

EVENTS_STREAM = "events"
WORKER_GROUP = "workers"


class BusUnavailable(Exception):
    """The transport could not take the messages: nothing of them was published."""


@dataclass(frozen=True)
class Message:
    """One delivered message; ``id`` is what you acknowledge.

    ``batch`` is None when the entry could not be read as an ``EventBatch``; ``raw`` then holds it,
    so the worker can keep it for review instead of choking on it forever.
    """

    id: str
    batch: EventBatch | None
    deliveries: int = 1
    raw: bytes = b""


class EventBus(Protocol):
    """Small publisher/consumer interface both transports implement."""

    def publish(self, stream: str, batches: list[EventBatch]) -> list[str]:
        """Append batches durably (as durable as the transport is); return their ids."""
        ...

    def publish_in(self, session: "so.Session", stream: str, batches: list[EventBatch]) -> list[str]:
        """Append batches as part of ``session``'s transaction where the transport can (the outbox), else now."""
        ...

    def consume(self, stream: str, group: str, consumer: str, count: int = 500,
                block_ms: int = 1000) -> list[Message]:
        """Messages for this consumer: ones left pending by a dead consumer first, then new ones."""
        ...

    def ack(self, stream: str, group: str, ids: list[str]) -> None:
        """Mark messages processed so they are never delivered again."""
        ...

    def pending(self, stream: str, group: str) -> int:
        """How many delivered messages are not yet acknowledged."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def make_bus(redis_url: str | None, prefix: str = "kuzet", claim_idle_ms: int = 30_000,
             store: "Store | None" = None) -> EventBus:
    """Redis Streams when a URL is configured, else the database's outbox (durable); in memory only without a store."""
    if redis_url:
        from services.bus.redis_streams import RedisStreamBus

        return RedisStreamBus(redis_url, prefix=prefix, claim_idle_ms=claim_idle_ms)
    if store is not None:
        from services.bus.outbox import OutboxBus

        return OutboxBus(store, claim_idle_ms=claim_idle_ms)
    from services.bus.memory import InProcessBus

    return InProcessBus(claim_idle_ms=claim_idle_ms)
