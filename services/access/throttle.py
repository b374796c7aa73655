"""How many password checks anyone gets: per address, in all, at once, and per account from one address.

Counters live where the rate limits live (this process's memory in the embedded default, Redis when
several web processes share the work), and each attempt is counted *before* its password is checked:
forty parallel guesses for one account get as many checks as the lockout allows, no more. The lockout
holds per account *and address*, so nobody can lock an officer out from elsewhere by failing on purpose;
the per-address limit bounds what one address may try across accounts.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol


class Throttled(Exception):
    """Too many login attempts for now; ``retry_after`` seconds until the window passes."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many login attempts; try again later")
        self.retry_after = retry_after


class Counters(Protocol):
    """Counts per key in fixed windows."""

    def incr(self, key: str, window_s: int) -> tuple[int, float]:
        """Count one; returns the count in the key's current window and the seconds left in it."""
        ...

    def reset(self, key: str) -> None:
        """Forget a key's count."""
        ...

    def find(self, head: str, tail: str) -> list[tuple[str, int, float]]:
        """Every live key that starts with ``head`` and ends with ``tail``: (key, count, seconds left)."""
        ...


class MemoryCounters:
    """One process's counters (the embedded default)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key -> count, window end (monotonic)

    def incr(self, key: str, window_s: int) -> tuple[int, float]:
        """Count one in the key's window."""
        now = time.monotonic()
        with self._lock:
            count, ends = self._counts.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window_s
            self._counts[key] = (count + 1, ends)
            if len(self._counts) > 100_000:  # a flood of made-up names must not grow this forever
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            return count + 1, ends - now

    def reset(self, key: str) -> None:
        """Forget a key's count."""
        with self._lock:
            self._counts.pop(key, None)

    def find(self, head: str, tail: str) -> list[tuple[str, int, float]]:
        """Every live key that starts with ``head`` and ends with ``tail``: (key, count, seconds left)."""
        now = time.monotonic()
        with self._lock:
            return [(key, count, ends - now) for key, (count, ends) in self._counts.items()
                    if ends > now and key.startswith(head) and key.endswith(tail)]


class RedisCounters:
    """Counters shared by every web process (INCR, EXPIRE on the first count of a window)."""

    def __init__(self, url: str, prefix: str = "kuzet") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def incr(self, key: str, window_s: int) -> tuple[int, float]:
        """Count one in the key's window."""
        name = f"{self._prefix}:login:{key}"
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, window_s, nx=True)
        pipe.pttl(name)
        count, _set, ttl_ms = pipe.execute()
        return int(count), max(ttl_ms, 0) / 1000

    def reset(self, key: str) -> None:
        """Forget a key's count."""
        self._redis.delete(f"{self._prefix}:login:{key}")

    def find(self, head: str, tail: str) -> list[tuple[str, int, float]]:
        """Every live key that starts with ``head`` and ends with ``tail``: (key, count, seconds left)."""
        start = f"{self._prefix}:login:"
        pattern = _glob_escape(start + head) + "*" + _glob_escape(tail)
        found = []
        for name in self._redis.scan_iter(match=pattern, count=500):
            name = name.decode() if isinstance(name, bytes) else name
            count, ttl_ms = self._redis.get(name), self._redis.pttl(name)
            if count is not None and ttl_ms and ttl_ms > 0:
                found.append((name[len(start):], int(count), ttl_ms / 1000))
        return found


def _glob_escape(text: str) -> str:
    """``text`` matched literally by a Redis SCAN pattern."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


@dataclass
class LoginGuard:
    """The limits on password checks; ``admit`` and ``claim`` come before the check, ``succeeded`` after it."""

    counters: Counters
    attempts: int = 5  # failures from one address before that account is locked for that address
    lock_s: int = 600
    per_address_per_minute: int = 30
    per_second: int = 20  # all logins of this centre together: argon2 is made to be slow
    concurrent: int = 4  # password checks at once in one process (64 MiB of argon2 memory each)
    _checks: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._checks = threading.BoundedSemaphore(self.concurrent)

    def admit(self, address: str) -> None:
        """Refuse (Throttled) an address or a centre over its rate, before anything is looked up."""
        count, left = self.counters.incr(f"addr:{address}", 60)
        if count > self.per_address_per_minute:
            raise Throttled(left)
        count, left = self.counters.incr("all", 1)
        if count > self.per_second:
            raise Throttled(left)

    def claim(self, username: str, address: str) -> bool:
        """Count this attempt against the account from this address; False once the lockout is reached."""
        count, _left = self.counters.incr(f"fail:{address}:{username.casefold()}", self.lock_s)
        return count <= self.attempts

    def succeeded(self, username: str, address: str) -> None:
        """A right password: the account's count from this address starts again."""
        self.counters.reset(f"fail:{address}:{username.casefold()}")

    def _locks(self, username: str) -> list[tuple[str, int, float]]:
        return self.counters.find("fail:", f":{username.casefold()}")

    def locked_for(self, username: str) -> float:
        """Seconds until the account can log in again from every address it was locked out of (0: not locked)."""
        return max((left for _key, count, left in self._locks(username) if count >= self.attempts), default=0.0)

    def unlock(self, username: str) -> int:
        """Forget the account's failed attempts from every address; returns how many addresses had it locked."""
        found = self._locks(username)
        for key, _count, _left in found:
            self.counters.reset(key)
        return sum(1 for _key, count, _left in found if count >= self.attempts)

    def checking(self) -> "_Check":
        """Hold one of the concurrent check slots (Throttled if none frees up within a few seconds)."""
        return _Check(self._checks)


class _Check:
    def __init__(self, slots: threading.BoundedSemaphore) -> None:
        self._slots = slots

    def __enter__(self) -> None:
        if not self._slots.acquire(timeout=5):
            raise Throttled(1.0)

    def __exit__(self, *_: object) -> None:
        self._slots.release()
