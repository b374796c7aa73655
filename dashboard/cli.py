"""The ``kuzet`` command: run, migrate, seed, administer, simulate."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import requests
import sqlalchemy as sa

from services.store import audit
from services.settings import DEFAULT_SQLITE, Settings

logger = logging.getLogger(__name__)

db_option = click.option("--db", "database_url", envvar="KUZET_DATABASE_URL", default=DEFAULT_SQLITE,
                         show_default=True, help="SQLAlchemy URL (KUZET_DATABASE_URL).")
redis_option = click.option("--redis", "redis_url", envvar="KUZET_REDIS_URL", default=None,
                            help="Redis URL for Streams and Socket.IO fan-out (KUZET_REDIS_URL); none = in-process bus.")
host_option = click.option("--host", envvar="KUZET_HOST", default="127.0.0.1", show_default=True)
port_option = click.option("--port", envvar="KUZET_PORT", default=8050, show_default=True, type=int)
set_option = click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE",
                          help="Any setting by name, e.g. --set incident_cooldown_s=60 (as KUZET_INCIDENT_COOLDOWN_S); "
                               "repeatable. Flags win over the environment.")


def _overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    try:
        return Settings.parse_pairs(pairs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None


def _store(database_url: str) -> Any:
    from services.store.engine import Store

    return Store(database_url)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@click.group()
@click.option("-v", "--verbose", is_flag=True, envvar="KUZET_VERBOSE", help="Debug logging.")
def main(verbose: bool) -> None:
    """Kuzet: the operator dashboard of a rapid response centre."""
    _logging(verbose)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@db_option
def db_upgrade(database_url: str) -> None:
    """Apply migrations up to the latest schema and store the shipped defaults (policy, SOPs)."""
    from services.geo.departments import seed_defaults

    store = _store(database_url)
    store.upgrade()
    with store.session() as session:
        seed_defaults(session)
    click.echo("database is at the latest schema")


@main.command()
@db_option
def seed(database_url: str) -> None:
    """Create the departments and districts of the shipped boundaries (idempotent).

    Almaty's, Astana's and Shymkent's district police departments, and one regional department for each
    of the other 17 regions until their districts are imported.
    """
    from services.geo.departments import seed_country, seed_defaults, seed_departments

    store = _store(database_url)
    store.upgrade()
    with store.session() as session:
        seed_defaults(session)
        click.echo(f"{seed_departments(session)} Almaty district departments created")
        click.echo(f"{seed_country(session)} departments of Astana, Shymkent and the regions created")


@main.group()
def geodata() -> None:
    """District boundaries and jurisdiction lookup."""


@geodata.command("import")
@db_option
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name-field", required=True, help="Column holding the district name.")
@click.option("--local-field", default=None, help="Column holding the local (Kazakh) name, if any.")
@click.option("--city", required=True, help="City the districts belong to, e.g. almaty, astana.")
def geodata_import(database_url: str, path: Path, name_field: str, local_field: str | None, city: str) -> None:
    """Create or update districts from GeoJSON, GeoPackage or Shapefile; re-resolve cameras."""
    from services.geo.boundaries import import_boundaries

    store = _store(database_url)
    store.upgrade()
    try:
        with store.session() as session:
            report = import_boundaries(session, path, name_field, city, local_field=local_field)
            audit.record(session, "cli", "admin.geodata.import", str(path), city=city, summary=report.summary())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary())


@geodata.command("locate")
@db_option
@click.argument("lat", type=float)
@click.argument("lon", type=float)
def geodata_locate(database_url: str, lat: float, lon: float) -> None:
    """Print district<TAB>department for a point; `(nearest)` when it lies outside all districts."""
    from services.store.models import Department, District
    from services.geo.routing import Router

    with _store(database_url).session() as session:
        try:
            where = Router.from_session(session).resolve(lat, lon)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        district = session.get(District, where.district_id)
        department = session.get(Department, where.department_id)
        line = f"{district.name}\t{department.name_ru}"
        click.echo(line + ("\t(nearest)" if where.outside_boundaries else ""))


@main.command("conformance")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--adapter", default=None, help="Vendor payloads: hikvision-isapi, dahua, axis, onvif, frigate.")
@click.option("--device", default=None, help="Device id the adapter should name cameras after (dahua, onvif, frigate).")
@click.option("--topic", default=None, help="MQTT topic of the payloads (frigate).")
def conformance(files: tuple[Path, ...], adapter: str | None, device: str | None, topic: str | None) -> None:
    """Check payload files offline: ACCEPTED or REJECTED <reason> per file; exit 1 if any is rejected."""
    from services.intake.conformance import check_file

    params = {k: v for k, v in (("device", device), ("topic", topic)) if v}
    verdicts = [check_file(path, adapter, params) for path in files]
    for verdict in verdicts:
        click.echo(verdict.line())
    if not all(v.accepted for v in verdicts):
        sys.exit(1)


@main.command("schema")
@click.option("--out", "out_dir", default="docs", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def schema_export(out_dir: Path) -> None:
    """Write the JSON Schema and OpenAPI documents (docs/schema/event.json, docs/openapi.json)."""
    import json

    from tools.openapi import event_schema, openapi

    (out_dir / "schema").mkdir(parents=True, exist_ok=True)
    for path, document in ((out_dir / "schema" / "event.json", event_schema()), (out_dir / "openapi.json", openapi())):
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(f"wrote {path}")


@main.group("audit")
def audit_group() -> None:
    """The hash-chained audit journal."""


@audit_group.command("verify")
@db_option
@click.option("--expect-head", default=None, help="Head hash kept outside the database (detects a cut-off tail).")
def audit_verify(database_url: str, expect_head: str | None) -> None:
    """Walk the chain; name the first broken entry (exit 1), else print the count and head hash."""
    from services.store.audit import GENESIS, verify
    from services.store.models import AuditEntry

    with _store(database_url).session() as session:
        verdict = verify(session)
        head = session.scalar(sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    if not verdict.intact:
        click.echo(f"BROKEN at entry #{verdict.broken_at}: {verdict.reason} ({verdict.entries} entries intact before it)")
        sys.exit(1)
    if expect_head and expect_head != head:
        click.echo(f"BROKEN: head is {head}, expected {expect_head}: entries were removed from the end")
        sys.exit(1)
    click.echo(f"OK: {verdict.entries} entries, chain intact, head {head}")


@main.group()
def departments() -> None:
    """Internal-affairs departments."""


@departments.command("list")
@db_option
def departments_list(database_url: str) -> None:
    """One line per department: id, TAB, name."""
    from services.store.models import Department

    with _store(database_url).session() as session:
        for dept in session.scalars(sa.select(Department).order_by(Department.id)):
            click.echo(f"{dept.id}\t{dept.name_ru}")


@main.group()
def users() -> None:
    """People who log in."""


@users.command("add")
@db_option
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", required=True, type=click.Choice(["duty_officer", "supervisor", "chief", "trainer", "admin"]))
@click.option("--department", default=None, help="Department id or code (see `kuzet departments list`).")
def users_add(database_url: str, username: str, password: str, role: str, department: str | None) -> None:
    """Add a user with an argon2-hashed password."""
    from services.access.users import create_user

    try:
        with _store(database_url).session() as session:
            user = create_user(session, username, password, role, department)
            audit.record(session, "cli", "admin.user.add", username, role=role, department=department)
            click.echo(f"user {user.username} ({user.role}) created with id {user.id}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def operators() -> None:
    """Camera operators and their API keys."""


@operators.command("add")
@db_option
@click.argument("name")
def operators_add(database_url: str, name: str) -> None:
    """Register an operator and print its first API key (shown this once only)."""
    from services.access.operators import create_operator, issue_key

    try:
        with _store(database_url).session() as session:
            operator = create_operator(session, name)
            key = issue_key(session, operator, label="first key")
            audit.record(session, "cli", "admin.operator.add", name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"operator {operator.name} created with id {operator.id}")
    click.echo(f"API key (store it now, it is not shown again): {key}")


def _operator(session: Any, name: str) -> Any:
    from services.store.models import Operator

    operator = session.scalar(sa.select(Operator).where(Operator.name == name))
    if operator is None:
        raise click.ClickException(f"no operator {name!r}")
    return operator


@operators.command("keys")
@db_option
@click.argument("name")
def operators_keys(database_url: str, name: str) -> None:
    """List an operator's keys: prefix, created, last used, revoked."""
    from services.store.models import ApiKey

    with _store(database_url).session() as session:
        operator = _operator(session, name)
        click.echo(f"signing required: {'yes' if operator.signing_required else 'no'}")
        for key in session.scalars(sa.select(ApiKey).where(ApiKey.operator_id == operator.id).order_by(ApiKey.id)):
            used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            state = f"revoked {key.revoked_at.isoformat(timespec='seconds')}" if key.revoked_at else "active"
            click.echo(f"{key.prefix}\t{key.label or '-'}\tcreated {key.created_at.isoformat(timespec='seconds')}"
                       f"\tlast used {used}\t{state}")


@operators.command("key-add")
@db_option
@click.argument("name")
@click.option("--label", default="", help="What the key is for, e.g. 'rotation 2026-12'.")
def operators_key_add(database_url: str, name: str, label: str) -> None:
    """Issue another key (rotation: add the new key, switch the devices, then revoke the old one)."""
    from services.access.operators import issue_key

    with _store(database_url).session() as session:
        key = issue_key(session, _operator(session, name), label=label)
        audit.record(session, "cli", "admin.key.add", name, prefix=key.split("_")[1])
    click.echo(f"API key (store it now, it is not shown again): {key}")


@operators.command("key-revoke")
@db_option
@click.argument("name")
@click.argument("prefix")
def operators_key_revoke(database_url: str, name: str, prefix: str) -> None:
    """Revoke one key by its prefix (see `kuzet operators keys NAME`)."""
    from services.access.operators import revoke_key

    try:
        with _store(database_url).session() as session:
            revoke_key(session, _operator(session, name), prefix)
            audit.record(session, "cli", "admin.key.revoke", name, prefix=prefix)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"key {prefix} of {name} revoked")


@operators.command("health")
@db_option
@click.argument("name")
@click.option("--interval", "interval_s", type=click.IntRange(5, 3600), default=None,
              help="Seconds between the operator's keep-alives (stale after two missed).")
@click.option("--offline-after", "offline_s", type=click.IntRange(10, 86400), default=None,
              help="Seconds without any sign of life before a camera counts as offline.")
def operators_health(database_url: str, name: str, interval_s: int | None, offline_s: int | None) -> None:
    """Set an operator's heartbeat interval and offline threshold (overriding the global defaults)."""
    with _store(database_url).session() as session:
        operator = _operator(session, name)
        if interval_s is not None:
            operator.heartbeat_interval_s = interval_s
        if offline_s is not None:
            operator.offline_after_s = offline_s
        audit.record(session, "cli", "admin.operator.health", name, interval_s=interval_s, offline_after_s=offline_s)
        click.echo(f"{name}: heartbeat every {operator.heartbeat_interval_s or 'default'} s, "
                   f"offline after {operator.offline_after_s or 'default'} s")


@operators.command("signing")
@db_option
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
def operators_signing(database_url: str, name: str, state: str) -> None:
    """Require (on) or stop requiring (off) HMAC request signatures from an operator."""
    with _store(database_url).session() as session:
        _operator(session, name).signing_required = state == "on"
        audit.record(session, "cli", "admin.signing", name, state=state)
    click.echo(f"signing for {name}: {state}")


def _serve(settings: Settings, with_worker: bool = True) -> tuple[Any, Any]:
    from dashboard import create_app

    app = create_app({k.upper(): v for k, v in vars(settings).items() if k != "extra"} | {"WORKER_THREAD": with_worker})
    settle_heap()
    return app, app.extensions["kuzet"].socketio


def settle_heap() -> None:
    """Exempt what start-up loaded from garbage collection, before a long-running process gets to work.

    Dash, Plotly, pandas and the boundaries leave hundreds of thousands of objects that live as long
    as the process; without this, every full collection walks them all again. Timed with
    gc.callbacks on 29 batches of 1,000 events, collections took 1.1 s of 5.4 s before and 0.2 s after.
    """
    gc.collect()
    gc.freeze()


@main.command()
@db_option
@redis_option
@host_option
@port_option
@set_option
def serve(database_url: str, redis_url: str | None, host: str, port: int, pairs: tuple[str, ...]) -> None:
    """Run the web app (and, with the in-process bus, the worker inside it)."""
    from services.geo.departments import seed_defaults

    settings = Settings.from_env(**{**_overrides(pairs), "database_url": database_url, "redis_url": redis_url,
                                    "host": host, "port": port})
    store = _store(database_url)
    store.upgrade()
    with store.session() as session:
        seed_defaults(session)
    store.dispose()
    app, socketio = _serve(settings)
    click.echo(f"Kuzet at http://{host}:{port}/wall")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)


@main.command()
@db_option
@redis_option
@click.option("--name", envvar="KUZET_WORKER_NAME", default=None,
              help="Consumer name in the group (KUZET_WORKER_NAME; default host-thread). Keep it across restarts.")
@set_option
def worker(database_url: str, redis_url: str | None, name: str | None, pairs: tuple[str, ...]) -> None:
    """Consume the event stream: store events, open or merge incidents, push changes."""
    from flask_socketio import SocketIO

    from dashboard import worker_options
    from dashboard.live import Publisher
    from services.bus import make_bus
    from services.worker.consumer import Worker

    overrides = _overrides(pairs)
    if not redis_url:
        raise click.ClickException("a separate worker needs Redis (--redis or KUZET_REDIS_URL); "
                                   "with the in-process bus the worker runs inside `kuzet serve`")
    settings = Settings.from_env(**{**overrides, "database_url": database_url, "redis_url": redis_url})
    emitter = SocketIO(message_queue=redis_url, channel=f"{settings.redis_prefix}-socketio")
    store = _store(database_url)
    store.subscribe(Publisher(emitter))  # committed changes reach the walls through the message queue
    w = Worker(store, make_bus(redis_url, settings.redis_prefix), name=name, **worker_options(settings))
    settle_heap()
    stop = threading.Event()
    try:
        w.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


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


def _wait_for(url: str, timeout_s: float = 30.0) -> None:
    if not wait_healthy(url, timeout_s):
        raise click.ClickException(f"Kuzet did not answer at {url} within {timeout_s:.0f} s")


@main.command()
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

    with _store(database_url).session() as session:
        keys = {op.name: issue_key(session, op, label="simulator") for op in session.scalars(sa.select(Operator))}
        sim_ops = operators_for(session, keys)
    if not sim_ops:
        raise click.ClickException("no operators with cameras: run `kuzet demo` or register some first")
    _wait_for(url)
    stop = threading.Event()
    try:
        Simulator(url, sim_ops, seed=rng_seed, incidents_per_min=rate).run(stop)
    except KeyboardInterrupt:
        stop.set()


@main.command()
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
    from tools.seed import DEMO_USERS, seed_demo
    from tools.simulator import Simulator, UnitDriver, operators_for

    overrides = _overrides(pairs)  # a typo stops the demo before it seeds anything
    database_url = database_url or "sqlite:///kuzet-demo.db"
    store = _store(database_url)
    store.upgrade()
    with store.session() as session:
        keys = seed_demo(session)
        sim_ops = operators_for(session, keys)
    store.dispose()
    # The demo is the embedded default whatever the environment says: SQLite and the in-process bus.
    settings = replace(Settings.from_env(**{**overrides, "database_url": database_url, "host": host, "port": port}),
                       redis_url=None)
    app, socketio = _serve(settings)
    base = f"http://{host}:{port}"
    lines = [f"Kuzet demo at {base}/wall   (kiosk: {base}/wall?kiosk=1)", "Demo logins:"]
    lines += [f"  {u.username:<20} {u.password:<22} {u.role}" for u in DEMO_USERS]
    lines.append("Simulator: " + ("off" if no_simulator else f"{len(sim_ops)} operators, ~{rate:g} incidents/min"))
    click.echo("\n".join(lines))
    if not no_simulator:
        stop = threading.Event()

        def run_sim() -> None:
            _wait_for(base)
            Simulator(base, sim_ops, incidents_per_min=rate).run(stop)

        def run_units() -> None:
            _wait_for(base)
            admin = next(u for u in DEMO_USERS if u.role == "admin")
            UnitDriver(base, admin.username, admin.password).run(stop)

        threading.Thread(target=run_sim, name="kuzet-simulator", daemon=True).start()
        threading.Thread(target=run_units, name="kuzet-unit-driver", daemon=True).start()
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)


if __name__ == "__main__":
    sys.exit(main())
