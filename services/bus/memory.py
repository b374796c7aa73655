"""In-process bus for tests: one process, no durability beyond its lifetime (the app uses services.bus.outbox)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from services.bus import Message
from services.messages import EventBatch


@dataclass
class _Group:
    last: int = 0
    pending: dict[int, tuple[str, float, int]] = field(default_factory=dict)  # seq -> consumer, time, deliveries


@dataclass
class _Stream:
    entries: OrderedDict[int, EventBatch] = field(default_factory=OrderedDict)
    seq: int = 0
    groups: dict[str, _Group] = field(default_factory=dict)


class InProcessBus:
    """Consumer-group semantics (pending, ack, reclaim) over in-memory lists."""

    def __init__(self, claim_idle_ms: int = 30_000) -> None:
        self._claim_idle_s = claim_idle_ms / 1000
        self._streams: dict[str, _Stream] = {}
        self._cond = threading.Condition()

    def _stream(self, name: str) -> _Stream:
        return self._streams.setdefault(name, _Stream())

    def publish(self, stream: str, batches: list[EventBatch]) -> list[str]:
        """Append batches (the objects themselves: one process, nothing to encode); wakes blocked consumers."""
        with self._cond:
            s = self._stream(stream)
            ids = []
            for batch in batches:
                s.seq += 1
                s.entries[s.seq] = batch
                ids.append(str(s.seq))
            self._cond.notify_all()
        return ids

    def publish_in(self, session: object, stream: str, batches: list[EventBatch]) -> list[str]:
        """Publish now: memory cannot join a transaction (tests only; the app uses the outbox)."""
        return self.publish(stream, batches)

    def consume(self, stream: str, group: str, consumer: str, count: int = 500,
                block_ms: int = 1000) -> list[Message]:
        """Reclaimed stale pending messages first, then new ones; blocks up to ``block_ms``."""
        deadline = time.monotonic() + block_ms / 1000
        with self._cond:
            s = self._stream(stream)
            g = s.groups.setdefault(group, _Group())
            while True:
                now = time.monotonic()
                out: list[Message] = []
                for seq, (owner, since, deliveries) in list(g.pending.items()):
                    if len(out) >= count:
                        break
                    # Idle long enough: reclaimed by whoever asks, the owner included (as XAUTOCLAIM does).
                    if now - since >= self._claim_idle_s:
                        g.pending[seq] = (consumer, now, deliveries + 1)
                        out.append(Message(str(seq), s.entries[seq], deliveries + 1))
                for seq in [k for k in s.entries if k > g.last][: count - len(out)]:
                    g.pending[seq] = (consumer, now, 1)
                    g.last = seq
                    out.append(Message(str(seq), s.entries[seq], 1))
                if out or block_ms <= 0:
                    return out
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)

    def ack(self, stream: str, group: str, ids: list[str]) -> None:
        """Forget acknowledged messages; entries every group is done with are dropped."""
        with self._cond:
            s = self._stream(stream)
            g = s.groups.setdefault(group, _Group())
            for raw in ids:
                g.pending.pop(int(raw), None)
            floor = min(
                min([grp.last + 1] + list(grp.pending)) for grp in s.groups.values()
            )
            while s.entries and next(iter(s.entries)) < floor:
                s.entries.popitem(last=False)

    def pending(self, stream: str, group: str) -> int:
        """Delivered but unacknowledged messages of the group."""
        with self._cond:
            return len(self._stream(stream).groups.get(group, _Group()).pending)

    def close(self) -> None:
        """Nothing to release."""
