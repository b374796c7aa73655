"""The per-app bundle of back-end objects, reachable from any request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy.orm as so
from flask import current_app, g
from flask_socketio import SocketIO

from services.access.throttle import LoginGuard
from services.bus import EventBus
from services.intake.ingest import IngestService
from services.cameras.health import LastSeenStore
from services.intake.ratelimit import RateLimiter
from services.geo.routing import Router, boundaries_stamp
from services.settings import Settings
from services.store.engine import Store
from services.worker.consumer import Worker

T = TypeVar("T")


@dataclass
class Kuzet:
    """What one app instance runs on: settings, store, bus, push channel, worker."""

    settings: Settings
    store: Store
    bus: EventBus
    ingest: IngestService
    socketio: SocketIO
    worker: Worker
    limiter: RateLimiter
    last_seen: LastSeenStore
    threads: list[tuple[threading.Thread, threading.Event]] = field(default_factory=list)
    guard: "LoginGuard | None" = None  # the limits on password checks
    metrics: Any = None  # dashboard.metrics.Metrics: the app's Prometheus registry
    router: Router | None = None
    router_stamp: tuple[Any, ...] = ()
    video: Any = None  # services.video.proxy.VideoProxy: live views and evidence through the centre

    def stop(self) -> None:
        """Stop background threads and release connections."""
        for thread, stop in self.threads:
            stop.set()
            thread.join(timeout=5)
        self.threads.clear()
        self.bus.close()
        self.store.dispose()


def kuzet() -> Kuzet:
    """The Kuzet bundle of the current app."""
    return current_app.extensions["kuzet"]


def db() -> so.Session:
    """The request's database session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = kuzet().store.sessionmaker()
    return g.db


def router() -> Router:
    """The jurisdiction index, rebuilt when the stored districts change (an import by another process)."""
    k = kuzet()
    stamp = boundaries_stamp(db())
    if k.router is None or k.router_stamp != stamp:
        with k.store.session() as session:
            k.router = Router.from_session(session)
        k.router_stamp = stamp
    return k.router


def close_db(_exc: Any = None) -> None:
    """Close the request's session, if one was opened."""
    session = g.pop("db", None)
    if session is not None:
        session.close()


def perform(action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one service action on the request's session and commit; on a refusal roll back and re-raise.

    Both doors (REST routes and Dash callbacks) call actions through this, so neither commits by hand;
    the store publishes the change feed after the commit.
    """
    session = db()
    try:
        result = action(session, *args, **kwargs)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result
