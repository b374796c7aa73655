"""The bus contract, run against both transports: in-process and the real Redis Streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.bus import EventBus, Message
from services.bus.memory import InProcessBus
from services.bus.redis_streams import RedisStreamBus
from services.messages import EventBatch, QueuedEvent


def _batch(n: int) -> EventBatch:
    """A batch told apart by its operator id; one event, so the payload survives the round trip."""
    return EventBatch(operator_id=n, received_at="2026-12-03T06:00:00+00:00",
                      events=[QueuedEvent(camera_pk=7, late=False, record={"event_id": f"e-{n}"})])


def _n(message: Message) -> int:
    assert message.batch is not None
    return message.batch.operator_id


@pytest.fixture(params=["memory", "redis"])
def bus(request: pytest.FixtureRequest) -> Iterator[EventBus]:
    if request.param == "memory":
        transport: EventBus = InProcessBus(claim_idle_ms=200)
    else:
        url = request.getfixturevalue("redis_url")
        transport = RedisStreamBus(url, prefix=request.getfixturevalue("redis_prefix"), claim_idle_ms=200)
    yield transport
    transport.close()


def test_published_messages_are_delivered_once_in_order(bus: EventBus) -> None:
    ids = bus.publish("s", [_batch(i) for i in range(5)])
    assert len(set(ids)) == 5
    first = bus.consume("s", "g", "c1", count=3, block_ms=0)
    second = bus.consume("s", "g", "c1", count=10, block_ms=0)
    assert [_n(m) for m in first + second] == [0, 1, 2, 3, 4]
    assert first[0].batch == _batch(0)  # the typed message arrives whole, through Redis too
    bus.ack("s", "g", [m.id for m in first + second])
    assert bus.consume("s", "g", "c1", block_ms=0) == []
    assert bus.pending("s", "g") == 0


def test_unacknowledged_messages_stay_pending_and_are_reclaimed(bus: EventBus) -> None:
    import time

    bus.publish("s", [_batch(1), _batch(2)])
    taken = bus.consume("s", "g", "doomed-worker", block_ms=0)
    assert len(taken) == 2 and bus.pending("s", "g") == 2
    assert bus.consume("s", "g", "survivor", block_ms=0) == []  # not yet idle long enough
    time.sleep(0.3)
    reclaimed = bus.consume("s", "g", "survivor", block_ms=0)
    assert sorted(_n(m) for m in reclaimed) == [1, 2]
    assert all(m.deliveries >= 2 for m in reclaimed)
    bus.ack("s", "g", [m.id for m in reclaimed])
    assert bus.pending("s", "g") == 0


def test_each_reclaim_counts_one_more_delivery(bus: EventBus) -> None:
    import time

    bus.publish("s", [_batch(1)])
    assert [m.deliveries for m in bus.consume("s", "g", "c1", block_ms=0)] == [1]
    seen = []
    for consumer in ("c2", "c3", "c2"):
        time.sleep(0.25)
        seen += [m.deliveries for m in bus.consume("s", "g", consumer, block_ms=0)]
    assert seen == [2, 3, 4]  # what a worker's max_deliveries is measured against


def test_groups_are_independent_and_blocking_times_out(bus: EventBus) -> None:
    bus.publish("s", [_batch(1)])
    assert len(bus.consume("s", "g1", "c", block_ms=0)) == 1
    assert len(bus.consume("s", "g2", "c", block_ms=0)) == 1
    import time

    started = time.monotonic()
    assert bus.consume("s", "g1", "c", block_ms=150) == []
    assert time.monotonic() - started >= 0.1
