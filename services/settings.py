"""Runtime settings, read from ``KUZET_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_SQLITE = f"sqlite:///{Path.cwd() / 'kuzet.db'}"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"KUZET_{name.upper()}", default)


def _typed(kind: Any, raw: str) -> Any:
    """A setting's text (environment or --set) as the field's type; ValueError for a bad number or switch."""
    if kind in ("bool", bool):
        word = raw.strip().lower()
        if word not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            raise ValueError(f"not a switch: {raw!r} (use 1 or 0)")
        return word in ("1", "true", "yes", "on")
    return int(raw) if kind in ("int", int) else float(raw) if kind in ("float", float) else raw


@dataclass(frozen=True)
class Settings:
    """Everything the back end needs to know; immutable once built."""

    database_url: str = DEFAULT_SQLITE
    redis_url: str | None = None
    redis_prefix: str = "kuzet"
    secret_key: str = "dev-insecure-change-me"
    host: str = "127.0.0.1"
    port: int = 8050
    incident_cooldown_s: int = 120
    incident_cooldowns: str = ""  # per-type overrides, e.g. "crowd=300,loitering=600" (seconds)
    related_within_m: float = 300.0  # other cameras' incidents this near are linked as related
    related_window_s: int = 120  # ... if seen within this window
    response_ack_target_s: int = 30
    response_dispatch_target_s: int = 60
    session_idle_minutes: int = 30
    api_token_ttl_s: int = 900
    lockout_attempts: int = 5
    lockout_minutes: int = 10
    login_per_address_per_minute: int = 30  # password checks one address may ask for, all accounts together
    login_per_second: int = 20  # password checks the centre does per second (argon2 is slow on purpose)
    login_concurrent_checks: int = 4  # at once per web process (each takes 64 MiB while it runs)
    max_body_bytes: int = 1024 * 1024
    max_batch: int = 1000
    max_decompressed_bytes: int = 4 * 1024 * 1024
    rate_limit_per_s: int = 50  # requests per second per operator API key
    traffic_incident_types: str = "wanted_vehicle"  # traffic types that also open incidents, comma-separated
    city_speed_kmh: int = 40  # for ETA of suggested units
    heartbeat_interval_s: int = 30  # expected keep-alive interval; stale after two missed
    offline_after_s: int = 90  # offline after this long without a heartbeat or event
    recover_after_s: int = 30  # back this long before an outage closes (debounce)
    outage_cameras: int = 10  # this many of one operator's cameras dropping together: one outage incident
    coverage_radii: str = ""  # e.g. "road=150,street=100,yard=60": camera view radius in metres per mount kind
    retention_days: int = 365  # personal data older than this is masked (kuzet retention run, and the worker daily)
    metrics_token: str = ""  # a bearer token the centre's Prometheus scrapes /metrics with (admins need none)
    trusted_proxies: int = 0  # load balancers in front whose X-Forwarded-For names the client (0: none)
    web_threads: int = 100  # requests and open sockets one `kuzet serve` process handles at once
    session_cookie_secure: bool = False  # send the session cookie over HTTPS only (set it behind TLS)
    totp_required_roles: str = "admin"  # roles that must enrol an authenticator app (others may choose to)
    redis_allow_volatile: bool = False  # start on a Redis without AOF (its restart loses queued events)
    video_connect_timeout_s: float = 3.0  # an operator's video server must accept the connection this fast
    video_read_timeout_s: float = 10.0  # ... and send the next bytes within this
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        """Build settings from ``KUZET_*`` variables, then apply non-None overrides."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = _env(f.name)
            if raw is None:
                continue
            values[f.name] = _typed(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def parse_pairs(cls, pairs: tuple[str, ...] | list[str]) -> dict[str, Any]:
        """``NAME=VALUE`` pairs (from ``--set``) as typed overrides; an unknown name or bad number is a ValueError."""
        known = {f.name: f.type for f in fields(cls) if f.name != "extra"}
        out: dict[str, Any] = {}
        for pair in pairs:
            name, sep, raw = pair.partition("=")
            name = name.strip().lower().removeprefix("kuzet_")
            if not sep or name not in known:
                raise ValueError(f"unknown setting {pair!r}; settings are: {', '.join(sorted(known))}")
            try:
                out[name] = _typed(known[name], raw)
            except ValueError:
                raise ValueError(f"setting {name} needs a number, not {raw!r}") from None
        return out

    def with_overrides(self, **overrides: Any) -> "Settings":
        """Return a copy with the given non-None values replaced."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
