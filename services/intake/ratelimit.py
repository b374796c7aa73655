"""Per-key request rate limits: a fixed one-second window, in memory or shared through Redis."""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol


class RateLimiter(Protocol):
    """Counts requests per key; answers how long to wait when over the limit."""

    def hit(self, key: str) -> float:
        """Register one request; 0 if allowed, else seconds until the next window."""
        ...


class MemoryRateLimiter:
    """One process's counters (the embedded default)."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._lock = threading.Lock()
        self._window = 0
        self._counts: dict[str, int] = {}

    def hit(self, key: str) -> float:
        """Register one request; 0 if allowed, else seconds until the next window."""
        now = time.time()
        window = int(now)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[key] = self._counts.get(key, 0) + 1
            over = self._counts[key] > self.per_second
        return (window + 1 - now) if over else 0.0


class RedisRateLimiter:
    """Counters shared by every web process through Redis (INCR + EXPIRE per one-second window)."""

    def __init__(self, url: str, per_second: int, prefix: str = "kuzet") -> None:
        import redis

        self.per_second = per_second
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, key: str) -> float:
        """Register one request; 0 if allowed, else seconds until the next window."""
        now = time.time()
        window = int(now)
        name = f"{self._prefix}:rate:{key}:{window}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, 2)
        count = pipe.execute()[0]
        return (window + 1 - now) if count > self.per_second else 0.0


def retry_after(seconds: float) -> str:
    """Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
