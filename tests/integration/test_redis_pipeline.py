"""The production path: ingest -> Redis Streams -> worker -> store, with a worker dying mid-batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from services.bus import EventBus
from services.bus.redis_streams import RedisStreamBus
from services.store.models import Event, Incident
from services.worker.consumer import Worker
from tests.conftest import World, event, seed_world


class DiesBeforeAck:
    """Wraps a real bus; the worker using it dies after committing, before acknowledging."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    def ack(self, stream: str, group: str, ids: list[str]) -> None:
        raise RuntimeError("worker killed before XACK")


@pytest.fixture
def redis_app(db_url: str, redis_url: str, redis_prefix: str) -> Iterator[Flask]:
    from dashboard import create_app

    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": redis_url, "REDIS_PREFIX": redis_prefix,
                      "SECRET_KEY": "t", "TESTING": True})
    yield app
    app.extensions["kuzet"].stop()


def test_events_flow_through_redis_and_survive_a_dead_worker(redis_app: Flask, redis_url: str,
                                                             redis_prefix: str) -> None:
    store = redis_app.extensions["kuzet"].store
    world: World = seed_world(store)
    client = redis_app.test_client()
    batch = [event("CAM-A", "fight"), event("CAM-B", "crowd")] + [event("CAM-A", "fight") for _ in range(8)]
    response = client.post("/api/v1/events", data=json.dumps({"events": batch}), content_type="application/json",
                           headers={"Authorization": f"Bearer {world.api_key}"})
    assert response.get_json()["accepted"] == 10

    doomed = Worker(store, DiesBeforeAck(RedisStreamBus(redis_url, redis_prefix, claim_idle_ms=100)), name="doomed")
    with pytest.raises(RuntimeError, match="killed"):
        doomed.run_once(block_ms=0)
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count(Event.id))) == 10  # committed, but never acknowledged

    survivor_bus = RedisStreamBus(redis_url, redis_prefix, claim_idle_ms=100)
    assert survivor_bus.pending("events", "workers") == 1  # the POST's ten events ride one stream entry
    import time

    time.sleep(0.2)
    survivor = Worker(store, survivor_bus, name="survivor")
    assert survivor.drain() == 10  # reclaimed from the dead worker
    assert survivor_bus.pending("events", "workers") == 0
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count(Event.id))) == 10
        counts = sorted(s.scalars(sa.select(Incident.event_count)))
    assert counts == [1, 9]  # one fight incident with 9 merged events, one crowd incident
    survivor_bus.close()


def test_a_poison_event_on_redis_is_dead_lettered_after_three_deliveries(redis_app: Flask, redis_url: str,
                                                                         redis_prefix: str) -> None:
    import time
    from datetime import datetime, timezone

    from services.bus import EVENTS_STREAM
    from services.messages import EventBatch, QueuedEvent
    from services.store.models import DeadLetter

    store = redis_app.extensions["kuzet"].store
    world = seed_world(store)
    bus = RedisStreamBus(redis_url, redis_prefix, claim_idle_ms=100)
    good, poison = event("CAM-A", "loitering"), {**event("CAM-A"), "occurred_at": "not a time"}
    bus.publish(EVENTS_STREAM, [EventBatch(operator_id=world.operator_id, received_at=datetime.now(timezone.utc).isoformat(),
                                           events=[QueuedEvent(camera_pk=world.cameras["CAM-A"], late=False, record=r)
                                                   for r in (good, poison)])])
    worker = Worker(store, bus, name="w", max_deliveries=3)
    for _ in range(6):
        worker.run_once(block_ms=0)
        time.sleep(0.15)  # idle past the claim time: the entry comes back, one delivery more
        if bus.pending("events", "workers") == 0:
            break
    assert bus.pending("events", "workers") == 0
    with store.session() as s:
        assert s.scalars(sa.select(Event.event_id)).all() == [good["event_id"]]
        letter = s.scalar(sa.select(DeadLetter))
        assert letter.endpoint == "worker" and poison["event_id"].encode() in letter.raw


def test_entries_of_the_old_shape_are_stored_and_unreadable_ones_kept_for_review(
        redis_app: Flask, redis_url: str, redis_prefix: str) -> None:
    """An upgrade leaves one-event entries on the stream, and anyone with Redis access can XADD junk."""
    import redis
    from datetime import datetime, timezone

    from services.store.models import DeadLetter

    store = redis_app.extensions["kuzet"].store
    world = seed_world(store)
    old = event("CAM-A", "loitering")
    raw = redis.Redis.from_url(redis_url)
    key = f"{redis_prefix}:stream:events"
    raw.xadd(key, {"data": json.dumps({"operator_id": world.operator_id, "camera_pk": world.cameras["CAM-A"],
                                       "late": False, "received_at": datetime.now(timezone.utc).isoformat(),
                                       "record": old})})
    raw.xadd(key, {"data": b"\xff not json"})
    raw.xadd(key, {"other": b"no data field"})
    bus = RedisStreamBus(redis_url, redis_prefix, claim_idle_ms=100)
    worker = Worker(store, bus, name="w")
    assert worker.run_once(block_ms=0) == 1
    assert bus.pending("events", "workers") == 0  # nothing stuck behind the junk
    with store.session() as s:
        assert s.scalars(sa.select(Event.event_id)).all() == [old["event_id"]]
        letters = s.scalars(sa.select(DeadLetter).order_by(DeadLetter.id)).all()
        assert [letter.endpoint for letter in letters] == ["worker", "worker"]
        assert b"not json" in letters[0].raw and b"no data field" in letters[1].raw
    raw.close()
    bus.close()
