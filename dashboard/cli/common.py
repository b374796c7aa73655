"""What the command groups share: options, settings from flags, the store, waiting for a running Kuzet."""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

import click
import requests

from services.settings import DEFAULT_SQLITE, Settings

db_option = click.option("--db", "database_url", envvar="KUZET_DATABASE_URL", default=DEFAULT_SQLITE,
                         show_default=True, help="SQLAlchemy URL (KUZET_DATABASE_URL).")
redis_option = click.option("--redis", "redis_url", envvar="KUZET_REDIS_URL", default=None,
                            help="Redis URL for Streams and Socket.IO fan-out (KUZET_REDIS_URL); none = in-process bus.")
host_option = click.option("--host", envvar="KUZET_HOST", default="127.0.0.1", show_default=True)
port_option = click.option("--port", envvar="KUZET_PORT", default=8050, show_default=True, type=int)
set_option = click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE",
                          help="Any setting by name, e.g. --set incident_cooldown_s=60 (as KUZET_INCIDENT_COOLDOWN_S); "
                               "repeatable. Flags win over the environment.")


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    """Settings given as --set NAME=VALUE, or a usage error naming the bad one."""
    try:
        return Settings.parse_pairs(pairs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None


def open_store(database_url: str) -> Any:
    """The store at ``database_url``."""
    from services.store.engine import Store

    return Store(database_url)


def configure_logging(verbose: bool) -> None:
    """Log lines with time, level and module; the noisy libraries at warnings only."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "alembic", "aioice", "aiortc"):  # aioice logs every ICE check
        logging.getLogger(noisy).setLevel(logging.WARNING)



def wait_healthy(url: str, timeout_s: float = 30.0) -> bool:
    """Poll ``url``/healthz until Kuzet answers; False if it did not within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def wait_for(url: str, timeout_s: float = 30.0) -> None:
    """Wait for Kuzet at ``url``, or stop the command with a clear error."""
    if not wait_healthy(url, timeout_s):
        raise click.ClickException(f"Kuzet did not answer at {url} within {timeout_s:.0f} s")



def settle_heap() -> None:
    """Exempt what start-up loaded from garbage collection, before a long-running process gets to work.

    Dash, Plotly, pandas and the boundaries leave hundreds of thousands of objects that live as long
    as the process; without this, every full collection walks them all again. Timed with
    gc.callbacks on 29 batches of 1,000 events, collections took 1.1 s of 5.4 s before and 0.2 s after.
    """
    gc.collect()
    gc.freeze()


def require_durable_redis(settings: Settings) -> None:
    """Refuse a Redis that would lose queued events on a restart (no AOF), unless told to accept it."""
    if not settings.redis_url:
        return
    from services.bus.redis_streams import persistence

    mode = persistence(settings.redis_url)
    if mode == "aof":
        return
    what = {"rdb": "keeps only snapshots (a restart loses what came since the last one)",
            "none": "keeps nothing on disk (a restart loses every queued event)",
            "unknown": "does not say how it persists (CONFIG is disabled)"}[mode]
    if settings.redis_allow_volatile:
        logging.getLogger(__name__).warning("Redis %s; started anyway (KUZET_REDIS_ALLOW_VOLATILE)", what)
        return
    raise click.ClickException(
        f"Redis {what}. Accepted events wait in Redis until a worker stores them: turn on AOF "
        "(appendonly yes; appendfsync everysec loses at most about a second) or start with "
        "KUZET_REDIS_ALLOW_VOLATILE=1 to accept the loss (see docs/operations.md)")

