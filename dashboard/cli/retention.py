"""kuzet retention: mask personal data older than the centre keeps it."""

from __future__ import annotations

import click

from dashboard.cli.common import db_option, open_store


@click.group("retention")
def retention_group() -> None:
    """Personal data past the retention period (KUZET_RETENTION_DAYS)."""


@retention_group.command("run")
@db_option
@click.option("--days", type=int, default=None, help="Keep this many days (default KUZET_RETENTION_DAYS, 365).")
def retention_run(database_url: str, days: int | None) -> None:
    """Mask plates, 102-call text, callers, notes and reasons older than the period; delete old rejected payloads."""
    from services.settings import Settings
    from services.access import retention

    keep = days if days is not None else Settings.from_env().retention_days
    try:
        with open_store(database_url).session() as session:
            done = retention.run(session, "cli", keep)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"before {done.before.isoformat()}: {done.offences} offences, {done.events} events, "
               f"{done.incidents} incidents, {done.notes} notes, {done.history} history entries masked; "
               f"{done.dead_letters} rejected payloads deleted")
