"""Is this Kuzet able to take and store events now: the database, Redis and the worker's backlog."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from services.bus import EVENTS_STREAM, WORKER_GROUP, EventBus
from services.store.engine import Store

logger = logging.getLogger(__name__)

MAX_LAG_S = 60.0  # a batch waiting longer than this means the workers are down or far behind


@dataclass(frozen=True)
class Readiness:
    """What /healthz reports; ``ok`` is false when any part is down or the backlog is too old."""

    ok: bool
    parts: dict[str, Any] = field(default_factory=dict)


def check(store: Store, bus: EventBus, redis_url: str | None, max_lag_s: float = MAX_LAG_S) -> Readiness:
    """Ping the database and Redis, read the stream's backlog and the oldest waiting batch's age."""
    parts: dict[str, Any] = {}
    ok = True
    try:
        with store.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        parts["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure to reach the store is "down"
        logger.warning("readiness: database unreachable: %s", exc)
        parts["database"], ok = "down", False
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
            parts["redis"] = "ok"
        except redis.RedisError as exc:
            logger.warning("readiness: Redis unreachable: %s", exc)
            parts["redis"], ok = "down", False
        finally:
            client.close()
    backlog = getattr(bus, "backlog", None)
    if backlog is not None and ok:
        try:
            waiting, oldest = backlog(EVENTS_STREAM, WORKER_GROUP)
            parts["stream"] = {"waiting": waiting, "oldest_waiting_s": round(oldest, 1) if oldest is not None else None}
            if oldest is not None and oldest > max_lag_s:
                parts["stream"]["status"], ok = "lagging", False
        except Exception as exc:  # noqa: BLE001 - a backlog that cannot be read is not a healthy one
            logger.warning("readiness: backlog unreadable: %s", exc)
            parts["stream"], ok = {"status": "unknown"}, False
    return Readiness(ok, parts)
