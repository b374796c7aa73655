"""Redis Streams transport with consumer groups, for production."""

from __future__ import annotations

import logging

import redis

from services.bus import BusUnavailable, Message
from services.messages import EventBatch, decode_batch, encode_batch

logger = logging.getLogger(__name__)


class RedisStreamBus:
    """XADD to publish; XREADGROUP + XACK to consume; XAUTOCLAIM reclaims a dead worker's messages."""

    def __init__(self, url: str, prefix: str = "kuzet", claim_idle_ms: int = 30_000) -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._claim_idle_ms = claim_idle_ms
        self._groups: set[tuple[str, str]] = set()
        self._recovered: set[tuple[str, str, str]] = set()

    def _key(self, stream: str) -> str:
        return f"{self._prefix}:stream:{stream}"

    def _ensure_group(self, stream: str, group: str) -> None:
        if (stream, group) in self._groups:
            return
        try:
            # id "0": a group created after events were published still gets all of them.
            self._redis.xgroup_create(self._key(stream), group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add((stream, group))

    def publish(self, stream: str, batches: list[EventBatch]) -> list[str]:
        """XADD every batch in one round trip; Redis has them once this returns."""
        pipe = self._redis.pipeline(transaction=False)
        key = self._key(stream)
        for batch in batches:
            pipe.xadd(key, {"data": encode_batch(batch)})
        try:
            return [i.decode() for i in pipe.execute()]
        except redis.RedisError as exc:
            raise BusUnavailable(f"Redis did not take the messages: {exc}") from exc

    def publish_in(self, session: object, stream: str, batches: list[EventBatch]) -> list[str]:
        """XADD now, before the caller commits: the worker drops what the store already holds."""
        return self.publish(stream, batches)

    def consume(self, stream: str, group: str, consumer: str, count: int = 500,
                block_ms: int = 1000) -> list[Message]:
        """Reclaim messages idle past the claim time, then read new ones; a lost stream or group is re-created."""
        try:
            return self._consume(stream, group, consumer, count, block_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # Redis came back empty (a restart without persistence, a flush): what is published from now
            # on must still reach the workers, so the group is made again at once, from the start.
            logger.error("stream %s lost its group %s (Redis restarted empty?): re-creating it", self._key(stream),
                         group)
            self._groups.discard((stream, group))
            self._recovered.discard((stream, group, consumer))
            self._ensure_group(stream, group)
            return self._consume(stream, group, consumer, count, block_ms)

    def _consume(self, stream: str, group: str, consumer: str, count: int, block_ms: int) -> list[Message]:
        self._ensure_group(stream, group)
        key = self._key(stream)
        out: list[Message] = []
        _next, claimed, _deleted = self._redis.xautoclaim(
            key, group, consumer, min_idle_time=self._claim_idle_ms, start_id="0-0", count=count
        )
        if claimed:
            deliveries = self._deliveries(key, group, [msg_id for msg_id, _ in claimed])
            for msg_id, fields in claimed:
                if fields:
                    out.append(_message(msg_id, fields, deliveries[msg_id]))
        if out:
            logger.warning("reclaimed %d pending messages for %s", len(out), consumer)
            return out
        # After a restart under the same name, our own pending messages come back once with id "0".
        reads: list[tuple[str, int | None]] = [(">", block_ms if block_ms > 0 else None)]
        if (stream, group, consumer) not in self._recovered:
            self._recovered.add((stream, group, consumer))
            reads.insert(0, ("0", None))
        for read_id, block in reads:
            response = self._redis.xreadgroup(group, consumer, {key: read_id}, count=count, block=block)
            for _stream, entries in response or []:
                # Read back from our own pending list ("0"): delivered before, maybe stored before.
                again = self._deliveries(key, group, [i for i, _ in entries]) if read_id == "0" else {}
                for msg_id, fields in entries:
                    if fields:
                        out.append(_message(msg_id, fields, again.get(msg_id, 1)))
            if out:
                return out
        return out

    def _deliveries(self, key: str, group: str, ids: list[bytes]) -> dict[bytes, int]:
        """How often each pending message was delivered, this time included (at least 2: it came back)."""
        pipe = self._redis.pipeline(transaction=False)
        for message_id in ids:
            pipe.xpending_range(key, group, min=message_id, max=message_id, count=1)
        return {message_id: max(2, int(found[0]["times_delivered"])) if found else 2
                for message_id, found in zip(ids, pipe.execute())}

    def ack(self, stream: str, group: str, ids: list[str]) -> None:
        """XACK and XDEL: processed events live in the database, not the stream."""
        if not ids:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.xack(self._key(stream), group, *ids)
        pipe.xdel(self._key(stream), *ids)
        pipe.execute()

    def pending(self, stream: str, group: str) -> int:
        """Delivered but unacknowledged messages of the group."""
        self._ensure_group(stream, group)
        return int(self._redis.xpending(self._key(stream), group)["pending"])

    def backlog(self, stream: str, group: str) -> tuple[int, float | None]:
        """Entries waiting for the group (undelivered and pending) and the age in seconds of the oldest, for /healthz."""
        key = self._key(stream)
        try:
            groups = {g["name"].decode(): g for g in self._redis.xinfo_groups(key)}
        except redis.ResponseError:
            return 0, None  # no stream yet: nothing waits
        info = groups.get(group)
        if info is None:
            return int(self._redis.xlen(key)), None
        summary = self._redis.xpending(key, group)
        oldest_ids = [summary["min"]] if summary.get("pending") else []
        after = self._redis.xrange(key, min=b"(" + info["last-delivered-id"], count=1)
        oldest_ids += [after[0][0]] if after else []
        waiting = int(summary.get("pending") or 0) + int(info.get("lag") or 0)
        if not oldest_ids:
            return waiting, None
        first_ms = min(int(i.split(b"-")[0]) for i in oldest_ids)  # stream ids begin with their time in ms
        now_s, now_us = self._redis.time()
        return waiting, max(0.0, now_s + now_us / 1e6 - first_ms / 1000)

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()


def _message(msg_id: bytes, fields: dict[bytes, bytes], deliveries: int) -> Message:
    """A delivered entry; one that is not an ``EventBatch`` comes with its raw bytes for the dead letters."""
    data = fields.get(b"data", b"")
    try:
        return Message(msg_id.decode(), decode_batch(data), deliveries)
    except ValueError:
        logger.error("stream entry %s is not an event batch (%d bytes)", msg_id.decode(), len(data))
        return Message(msg_id.decode(), None, deliveries, raw=bytes(data) or repr(fields).encode())


def persistence(url: str) -> str:
    """How this Redis keeps its data across a restart: "aof", "rdb" (snapshots only), "none" or "unknown"."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        aof = client.config_get("appendonly").get("appendonly")
        save = client.config_get("save").get("save")
    except redis.ResponseError:
        return "unknown"  # CONFIG is disabled (a managed Redis): its operator's settings decide
    finally:
        client.close()
    if aof == "yes":
        return "aof"
    return "rdb" if save else "none"
