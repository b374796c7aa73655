"""kuzet serve, worker, simulate, demo: the processes that run Kuzet."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from dashboard.cli.common import (db_option, host_option, open_store, parse_overrides, port_option, redis_option,
                                  require_durable_redis, set_option, settle_heap, wait_for)
from services.settings import Settings


def _serve(settings: Settings, with_worker: bool = True) -> tuple[Any, Any]:
    from dashboard import create_app

    app = create_app({k.upper(): v for k, v in vars(settings).items() if k != "extra"} | {"WORKER_THREAD": with_worker})
    settle_heap()
    return app, app.extensions["kuzet"].socketio


@click.command()
@db_option
@redis_option
@host_option
@port_option
@set_option
def serve(database_url: str, redis_url: str | None, host: str, port: int, pairs: tuple[str, ...]) -> None:
    """Run the web app (and, with the in-process bus, the worker inside it)."""
    from services.geo.departments import seed_defaults

    settings = Settings.from_env(**{**parse_overrides(pairs), "database_url": database_url, "redis_url": redis_url,
                                    "host": host, "port": port})
    require_durable_redis(settings)
    store = open_store(database_url)
    store.upgrade()
    with store.session() as session:
        seed_defaults(session)
    store.dispose()
    from dashboard.cli.server import KuzetServer

    click.echo(f"Kuzet at http://{host}:{port}/wall")
    # The app is built in Gunicorn's worker process, so the worker thread and the pools start there.
    KuzetServer(lambda: _serve(settings)[0], host, port, settings.web_threads).run()


@click.command()
@db_option
@redis_option
@click.option("--name", envvar="KUZET_WORKER_NAME", default=None,
              help="Consumer name in the group (KUZET_WORKER_NAME; default host-thread). Keep it across restarts.")
@set_option
def worker(database_url: str, redis_url: str | None, name: str | None, pairs: tuple[str, ...]) -> None:
    """Consume the event stream: store events, open or merge incidents, push changes."""
    from flask_socketio import SocketIO

    from dashboard import worker_options
    from dashboard.live import Publisher, store_figures
    from services.bus import make_bus
    from services.worker.consumer import Worker

    overrides = parse_overrides(pairs)
    if not redis_url:
        raise click.ClickException("a separate worker needs Redis (--redis or KUZET_REDIS_URL); "
                                   "with the in-process bus the worker runs inside `kuzet serve`")
    settings = Settings.from_env(**{**overrides, "database_url": database_url, "redis_url": redis_url})
    require_durable_redis(settings)
    emitter = SocketIO(message_queue=redis_url, channel=f"{settings.redis_prefix}-socketio")
    store = open_store(database_url)
    store.subscribe(Publisher(emitter, figures=store_figures(store)))  # committed changes reach the walls through the message queue
    w = Worker(store, make_bus(redis_url, settings.redis_prefix, store=store), name=name, **worker_options(settings))
    w.retention_days = settings.retention_days
    settle_heap()
    stop = threading.Event()
    try:
        w.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


@click.command()
@db_option
@click.option("--url", envvar="KUZET_URL", default="http://127.0.0.1:8050", show_default=True,
              help="Kuzet base URL; only this machine is allowed.")
@click.option("--rate", envvar="KUZET_SIMULATOR_RATE", default=30.0, show_default=True,
              help="Public-order events per minute (KUZET_SIMULATOR_RATE).")
@click.option("--seed", "rng_seed", envvar="KUZET_SIMULATOR_SEED", default=None, type=int,
              help="Random seed for a repeatable run (KUZET_SIMULATOR_SEED).")
def simulate(database_url: str, url: str, rate: float, rng_seed: int | None) -> None:
    """Act as the camera operators: send events to a running Kuzet (mints a key per operator)."""
    from services.store.models import Operator
    from services.access.operators import issue_key
    from tools.simulator import Simulator, operators_for

    with open_store(database_url).session() as session:
        keys = {op.name: issue_key(session, op, label="simulator") for op in session.scalars(sa.select(Operator))}
        sim_ops = operators_for(session, keys)
    if not sim_ops:
        raise click.ClickException("no operators with cameras: run `kuzet demo` or register some first")
    wait_for(url)
    stop = threading.Event()
    try:
        Simulator(url, sim_ops, seed=rng_seed, incidents_per_min=rate).run(stop)
    except KeyboardInterrupt:
        stop.set()


def _media_server(factory: Any, port: int, auth: str, evidence_dir: Path) -> Any:
    """The demo's video server on ``port``, or on any free port when that one is taken."""
    try:
        return factory(port=port, auth=auth, evidence_dir=evidence_dir).start()
    except OSError:
        return factory(port=0, auth=auth, evidence_dir=evidence_dir).start()


@click.command()
@click.option("--db", "database_url", envvar="KUZET_DATABASE_URL", default=None,
              help="SQLAlchemy URL; default kuzet-demo.db in the current folder.")
@port_option
@host_option
@click.option("--no-simulator", is_flag=True, envvar="KUZET_NO_SIMULATOR",
              help="Do not start the simulated operators (KUZET_NO_SIMULATOR=1).")
@click.option("--rate", envvar="KUZET_SIMULATOR_RATE", default=30.0, show_default=True,
              help="Simulated public-order events per minute (KUZET_SIMULATOR_RATE).")
@set_option
def demo(database_url: str | None, port: int, host: str, no_simulator: bool, rate: float,
         pairs: tuple[str, ...]) -> None:
    """Migrate, seed Almaty, start the worker, the simulator and the web app; print logins."""
    import secrets

    from tools.media_sim import MediaServer
    from tools.seed import DEMO_USERS, patrol_login, point_demo_video, seed_demo
    from tools.simulator import Simulator, UnitDriver, operators_for

    overrides = parse_overrides(pairs)  # a typo stops the demo before it seeds anything
    database_url = database_url or "sqlite:///kuzet-demo.db"
    store = open_store(database_url)
    store.upgrade()
    # The simulated operators' video server: test streams, snapshots and clips on this machine only.
    # Its evidence lies beside the demo's database, so the events stored there find theirs after a restart.
    database_file = sa.make_url(database_url).database if database_url.startswith("sqlite") else None
    evidence_dir = (Path(database_file).resolve().parent if database_file else Path.cwd()) / "kuzet-demo-media"
    media = _media_server(MediaServer, port + 1, f"Bearer demo-video-{secrets.token_urlsafe(12)}", evidence_dir)
    with store.session() as session:
        keys = seed_demo(session)
        sim_ops = operators_for(session, keys)
        patrol = patrol_login(session)
        point_demo_video(session, media)
    store.dispose()
    # The demo is the embedded default whatever the environment says: SQLite and the in-process bus.
    settings = replace(Settings.from_env(**{**overrides, "database_url": database_url, "host": host, "port": port}),
                       redis_url=None)
    app, socketio = _serve(settings)
    base = f"http://{host}:{port}"
    lines = [f"Kuzet demo at {base}/wall   (kiosk: {base}/wall?kiosk=1)", "Demo logins:"]
    lines += [f"  {u.username:<20} {u.password:<22} {u.role}" for u in DEMO_USERS]
    lines.append("  (admin: the first login sets up an authenticator app (TOTP) with a QR code; admins must have one)")
    lines.append("Simulator: " + ("off" if no_simulator else f"{len(sim_ops)} operators, ~{rate:g} incidents/min"))
    lines.append(f"Operators' video (test streams, HLS and WebRTC): {media.base_url}, played through {base}/video/")
    click.echo("\n".join(lines))
    if not no_simulator:
        stop = threading.Event()

        def run_sim() -> None:
            wait_for(base)
            Simulator(base, sim_ops, incidents_per_min=rate, media=media).run(stop)

        def run_units() -> None:
            wait_for(base)
            UnitDriver(base, patrol.username, patrol.password, otp_secret=patrol.totp_secret,
                       speed_kmh=settings.city_speed_kmh).run(stop)

        threading.Thread(target=run_sim, name="kuzet-simulator", daemon=True).start()
        threading.Thread(target=run_units, name="kuzet-unit-driver", daemon=True).start()
    from werkzeug.serving import WSGIRequestHandler

    class DemoHandler(WSGIRequestHandler):
        """Werkzeug for the demo only, and even here no answer names its or Python's version."""

        server_version = "Kuzet-demo"
        sys_version = ""

    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False,
                 request_handler=DemoHandler)

