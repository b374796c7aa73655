"""The Kuzet web process: app factory, auth, APIs, Dash pages, live push."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask

from services.cameras.health import LastSeenStore, Thresholds
from services.settings import Settings

logger = logging.getLogger(__name__)


def _settings_from(config: Mapping[str, Any] | None) -> Settings:
    overrides = {k.lower(): v for k, v in (config or {}).items() if k.isupper()}
    known = {f for f in Settings.__dataclass_fields__}
    return Settings.from_env(**{k: v for k, v in overrides.items() if k in known})


def traffic_incident_types(settings: Settings) -> frozenset[str]:
    """Traffic types that also open incidents (KUZET_TRAFFIC_INCIDENT_TYPES); unknown names stop start-up."""
    from services.intake.catalogue import TRAFFIC_TYPES

    chosen = frozenset(t.strip() for t in settings.traffic_incident_types.split(",") if t.strip())
    unknown = chosen - TRAFFIC_TYPES
    if unknown:
        raise ValueError(f"KUZET_TRAFFIC_INCIDENT_TYPES names unknown traffic types: {', '.join(sorted(unknown))}")
    return chosen


def make_last_seen(settings: Settings) -> LastSeenStore:
    """Redis hash when Redis is configured (shared by processes), memory otherwise."""
    from services.cameras.health import MemoryLastSeen, RedisLastSeen

    return RedisLastSeen(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryLastSeen()


def thresholds(settings: Settings) -> Thresholds:
    """Health thresholds from settings (KUZET_HEARTBEAT_INTERVAL_S, KUZET_OFFLINE_AFTER_S, ...)."""
    from services.cameras.health import Thresholds

    return Thresholds(settings.heartbeat_interval_s, settings.offline_after_s, settings.recover_after_s,
                      settings.outage_cameras)


def worker_options(settings: Settings) -> dict[str, Any]:
    """Worker keyword arguments from settings, shared by the web process and `kuzet worker`."""
    from services.duty.incidents import parse_cooldowns

    return {"cooldown_s": settings.incident_cooldown_s, "cooldowns": parse_cooldowns(settings.incident_cooldowns),
            "related_within_m": float(settings.related_within_m), "related_window_s": settings.related_window_s,
            "traffic_incident_types": traffic_incident_types(settings), "last_seen": make_last_seen(settings),
            "thresholds": thresholds(settings)}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: Flask + Dash + Socket.IO on one store and one bus.

    ``config`` keys (upper case) override ``KUZET_*`` environment settings; ``WORKER_THREAD``
    (default True) runs the worker inside this process when the bus is in-process.
    """
    from flask_socketio import SocketIO

    from dashboard import auth, dash_app, exports, live
    from dashboard.api import api
    from dashboard.context import Kuzet, close_db
    from services.bus import make_bus
    from services.intake.ingest import IngestService
    from services.store.engine import Store
    from services.worker.consumer import Worker, start_in_thread

    config = dict(config or {})
    settings = _settings_from(config)
    from services.geo.coverage import parse_radii

    parse_radii(settings.coverage_radii)  # a typo in KUZET_COVERAGE_RADII stops start-up, not the chief's page
    app = Flask(__name__)
    from dashboard.http import BoundedJSON, IdConverter

    app.json = BoundedJSON(app)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    if settings.secret_key == "dev-insecure-change-me":
        logger.warning("KUZET_SECRET_KEY not set: using a random key; sessions end when the process does")
        settings = settings.with_overrides(secret_key=secrets.token_hex(32))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        TESTING=bool(config.get("TESTING", False)),
    )

    store = Store(settings.database_url)
    bus = make_bus(settings.redis_url, prefix=settings.redis_prefix, store=store)
    socketio = SocketIO(
        app,
        async_mode="threading",
        message_queue=settings.redis_url,
        channel=f"{settings.redis_prefix}-socketio",
        logger=False,
        engineio_logger=False,
    )
    options = worker_options(settings)
    last_seen = options["last_seen"]
    from dashboard.metrics import Metrics

    metrics = Metrics()
    store.subscribe(live.Publisher(socketio, metrics.push_latency, live.store_figures(store)))  # the one path from committed changes to walls
    worker = Worker(store, bus, **options)
    from services.intake.ratelimit import MemoryRateLimiter, RedisRateLimiter

    limiter = (RedisRateLimiter(settings.redis_url, settings.rate_limit_per_s, settings.redis_prefix)
               if settings.redis_url else MemoryRateLimiter(settings.rate_limit_per_s))
    from services.access.throttle import LoginGuard, MemoryCounters, RedisCounters

    from services.access.second_factor import required_roles

    required_roles(settings.totp_required_roles)  # a typo in the role list stops start-up, not a login
    counters = RedisCounters(settings.redis_url, settings.redis_prefix) if settings.redis_url else MemoryCounters()
    guard = LoginGuard(counters, attempts=settings.lockout_attempts, lock_s=settings.lockout_minutes * 60,
                       per_address_per_minute=settings.login_per_address_per_minute,
                       per_second=settings.login_per_second, concurrent=settings.login_concurrent_checks)
    app.extensions["kuzet"] = Kuzet(settings, store, bus, IngestService(bus, settings.max_batch, last_seen), socketio,
                                    worker, limiter, last_seen, guard=guard, metrics=metrics)
    worker.on_batch = metrics.batch_seconds.observe
    worker.retention_days = settings.retention_days
    metrics.watch(app)
    app.teardown_appcontext(close_db)

    from dashboard.http import GzipRequests

    app.wsgi_app = GzipRequests(app.wsgi_app, settings.max_body_bytes,  # type: ignore[method-assign]
                                settings.max_decompressed_bytes)
    if settings.trusted_proxies > 0:
        # Behind a load balancer every request comes from it: the per-address login limits and lockouts
        # need the client's address, which only the proxies this centre runs may tell.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies,  # type: ignore[method-assign]
                                x_proto=settings.trusted_proxies)
    from dashboard import language

    language.init_app(app)
    auth.init_app(app)
    app.register_blueprint(api)
    from dashboard.api import init_app as api_errors

    api_errors(app)
    app.register_blueprint(exports.bp)
    app.register_blueprint(exports.stats_bp)
    app.register_blueprint(exports.aliases_bp)
    from dashboard import metrics as metrics_page

    app.register_blueprint(metrics_page.bp)
    from dashboard import map_data

    app.register_blueprint(map_data.bp)
    from dashboard import video

    video.init_app(app)
    live.init_app(app, socketio)
    dash_app.init_app(app)

    if config.get("WORKER_THREAD", True) and not settings.redis_url:
        app.extensions["kuzet"].threads.append(start_in_thread(worker))
    if config.get("LOGIN_WATCH", not app.config["TESTING"]):
        stop = threading.Event()
        watch = threading.Thread(target=live.watch_logins, args=(app, stop), name="kuzet-login-watch", daemon=True)
        watch.start()
        app.extensions["kuzet"].threads.append((watch, stop))
    return app
