"""kuzet operators: camera operators, their API keys, health thresholds and signing."""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa

from dashboard.cli.common import db_option, open_store
from services.i18n import speaking
from services.store import audit


@click.group()
def operators() -> None:
    """Camera operators and their API keys."""


@operators.command("add")
@db_option
@click.argument("name")
def operators_add(database_url: str, name: str) -> None:
    """Register an operator and print its first API key (shown this once only)."""
    from services.access.operators import add_operator

    try:
        with speaking("en"), open_store(database_url).session() as session:
            operator, key = add_operator(session, "cli", name)
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

    with open_store(database_url).session() as session:
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
    from services.access.operators import add_key

    try:
        with speaking("en"), open_store(database_url).session() as session:
            key = add_key(session, "cli", name, label)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key (store it now, it is not shown again): {key}")


@operators.command("key-revoke")
@db_option
@click.argument("name")
@click.argument("prefix")
def operators_key_revoke(database_url: str, name: str, prefix: str) -> None:
    """Revoke one key by its prefix (see `kuzet operators keys NAME`)."""
    from services.access.operators import revoke_operator_key

    try:
        with speaking("en"), open_store(database_url).session() as session:
            revoke_operator_key(session, "cli", name, prefix)
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
    with open_store(database_url).session() as session:
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
    with open_store(database_url).session() as session:
        _operator(session, name).signing_required = state == "on"
        audit.record(session, "cli", "admin.signing", name, state=state)
    click.echo(f"signing for {name}: {state}")


@operators.command("video")
@db_option
@click.argument("name")
@click.option("--host", "hosts", multiple=True, help="host[:port] the centre may fetch this operator's video and "
              "evidence from (repeat; replaces the list). Without --host the list stays as it is.")
@click.option("--auth", default=None, help="The Authorization header value sent to those hosts (kept server-side).")
@click.option("--no-auth", is_flag=True, help="Send no credential.")
@click.option("--camera", "camera_id", default=None,
              help="Set --auth (or, with --no-auth, clear) for this one camera of the operator's, over the operator's.")
def operators_video(database_url: str, name: str, hosts: tuple[str, ...], auth: str | None, no_auth: bool,
                    camera_id: str | None) -> None:
    """Set where an operator's live views, snapshots and clips may be fetched from, and with what credential."""
    from services.access.operators import set_camera_video_auth, set_video_access

    with open_store(database_url).session() as session:
        operator = _operator(session, name)
        try:
            if camera_id is not None:
                if hosts:
                    raise ValueError("--host is the operator's; give it without --camera")
                set_camera_video_auth(session, "cli", operator, camera_id, None if no_auth else auth)
                click.echo(f"{name} {camera_id}: {'its own credential' if auth and not no_auth else 'the operator credential'}")
                return
            set_video_access(session, "cli", operator, list(hosts) if hosts else None, auth, clear_auth=no_auth)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{name}: video from {', '.join(operator.video_hosts) or 'no host'}; "
                   f"credential {'set' if operator.video_auth else 'none'}")
