"""GET /metrics: Prometheus metrics of this Kuzet, for admins or the centre's monitoring (its own token).

One registry per app (never the library's global one). Counted where things happen: events accepted,
duplicate and rejected by reason and operator, logins refused, sockets connected, push latency and
the embedded worker's batch time; read at scrape time: the stream's backlog and cameras by health.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from services.bus import EVENTS_STREAM, WORKER_GROUP

bp = Blueprint("metrics", __name__)
logger = logging.getLogger(__name__)


class Metrics:
    """The app's registry and the metrics its parts update."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events = Counter("kuzet_events", "Events answered at ingest, by result, reason and operator",
                              ["result", "reason", "operator"], registry=self.registry)
        self.logins_refused = Counter("kuzet_logins_refused", "Logins refused, by why", ["why"],
                                      registry=self.registry)
        self.sockets = Gauge("kuzet_sockets_connected", "Wall sockets connected to this process",
                             registry=self.registry)
        self.push_latency = Histogram("kuzet_push_latency_seconds", "From a change's commit to its push",
                                      buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5), registry=self.registry)
        self.batch_seconds = Histogram("kuzet_worker_batch_seconds", "Worker: time to store one batch of events",
                                       buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10), registry=self.registry)

    def count_events(self, operator: str, results: list[Any]) -> None:
        """Count one submission's per-item answers."""
        for r in results:
            reason = "" if r.status != "rejected" else (
                "unknown_camera" if (r.reason or "").startswith("unknown camera") else "invalid")
            self.events.labels(r.status, reason, operator).inc()

    def watch(self, app: Flask) -> None:
        """Add the collectors read at scrape time: the stream's backlog, cameras by health."""
        self.registry.register(_Backlog(app))
        self.registry.register(_CameraHealth(app))


class _Backlog:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing read at registration: the app may start while Redis is down

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog = getattr(self.app.extensions["kuzet"].bus, "backlog", None)
        try:
            waiting, oldest = backlog(EVENTS_STREAM, WORKER_GROUP) if backlog else (0, None)
        except Exception:  # noqa: BLE001 - the scrape still answers; /healthz names what is down
            logger.warning("metrics: the stream's backlog is unreadable", exc_info=True)
            return
        yield GaugeMetricFamily("kuzet_stream_waiting", "Event batches not yet stored", value=waiting)
        yield GaugeMetricFamily("kuzet_stream_oldest_waiting_seconds", "Age of the oldest batch not yet stored",
                                value=oldest or 0.0)


class _CameraHealth:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing read at registration: the app may start while the database is down

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from services.store.models import Camera

        family = GaugeMetricFamily("kuzet_cameras", "Registered cameras by health", labels=["health"])
        try:
            with self.app.extensions["kuzet"].store.session() as s:
                for health, count in s.execute(sa.select(Camera.health, sa.func.count(Camera.id))
                                               .group_by(Camera.health)):
                    family.add_metric([health], count)
        except sa.exc.SQLAlchemyError:
            logger.warning("metrics: cameras unreadable", exc_info=True)
            return
        yield family


@bp.get("/metrics")
def metrics() -> Response:
    """The metrics in Prometheus' text format: for an admin's session or token, or the metrics token."""
    from flask import request

    from dashboard.auth import current_person
    from dashboard.context import kuzet
    from services.store.models import Role

    kz = kuzet()
    token = kz.settings.metrics_token
    header = request.headers.get("Authorization", "")
    by_token = bool(token) and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token)
    if not by_token:
        person = current_person()
        if person is None:
            abort(401)
        if person.role != Role.ADMIN.value:
            abort(403)
    return Response(generate_latest(kz.metrics.registry), mimetype=CONTENT_TYPE_LATEST)
