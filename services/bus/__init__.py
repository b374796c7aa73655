"""The event bus: publish, consume with acknowledgement. In-process or Redis Streams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

EVENTS_STREAM = "events"
WORKER_GROUP = "workers"


@dataclass(frozen=True)
class Message:
    """One delivered message; ``id`` is what you acknowledge."""

    id: str
    payload: dict[str, Any]
    deliveries: int = 1


class EventBus(Protocol):
    """Small publisher/consumer interface both transports implement."""

    def publish(self, stream: str, payloads: list[dict[str, Any]]) -> list[str]:
        """Append payloads durably (as durable as the transport is); return their ids."""
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


def make_bus(redis_url: str | None, prefix: str = "kuzet", claim_idle_ms: int = 30_000) -> EventBus:
    """Redis Streams when a URL is configured, the in-process bus otherwise."""
    if redis_url:
        from services.bus.redis_streams import RedisStreamBus

        return RedisStreamBus(redis_url, prefix=prefix, claim_idle_ms=claim_idle_ms)
    from services.bus.memory import InProcessBus

    return InProcessBus(claim_idle_ms=claim_idle_ms)
