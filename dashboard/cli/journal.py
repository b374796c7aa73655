"""kuzet audit verify: the hash-chained audit journal."""

from __future__ import annotations

import sys

import click

from dashboard.cli.common import db_option, open_store


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit journal."""


@audit_group.command("verify")
@db_option
@click.option("--expect-head", default=None, help="Head hash kept outside the database (detects a cut-off tail).")
def audit_verify(database_url: str, expect_head: str | None) -> None:
    """Walk the chains; name the first broken entry (exit 1), else print the count and head hash."""
    from services.store.audit import head as journal_head, verify

    with open_store(database_url).session() as session:
        verdict = verify(session)
        head = journal_head(session)
    if not verdict.intact:
        click.echo(f"BROKEN at entry #{verdict.broken_at}: {verdict.reason} ({verdict.entries} entries intact before it)")
        sys.exit(1)
    if expect_head and expect_head != head:
        click.echo(f"BROKEN: head is {head}, expected {expect_head}: entries were removed from the end")
        sys.exit(1)
    click.echo(f"OK: {verdict.entries} entries, chains intact, head {head}")
