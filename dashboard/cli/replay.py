"""kuzet replay: training packs, a masked window of one department carried to a training instance."""

from __future__ import annotations

import json
import sys

import click

from dashboard.cli.common import db_option, open_store
from services.errors import Refused


@click.group("replay")
def replay_group() -> None:
    """Training packs: export a masked window, import it into a training Kuzet."""


@replay_group.command("export")
@db_option
@click.option("--department", required=True, help="Department id or code.")
@click.option("--from", "start", required=True, help="ISO 8601 with offset, e.g. 2026-12-02T20:00:00+05:00.")
@click.option("--to", "end", required=True, help="ISO 8601 with offset; at most 7 days after --from.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write here instead of standard output.")
def replay_export(database_url: str, department: str, start: str, end: str, output: str | None) -> None:
    """Write the department's window, personal data masked, as one JSON pack."""
    from services.access.users import find_department
    from services.replay.pack import export_pack
    from services.supervision.shifts import parse_time

    try:
        begin, finish = parse_time(start, "/from"), parse_time(end, "/to")
        if begin is None or finish is None:
            raise click.BadParameter("--from and --to must be ISO 8601 times with an offset")
        with open_store(database_url).session() as session:
            pack = export_pack(session, "cli", find_department(session, department).id, begin, finish)
    except (Refused, ValueError) as refused:
        raise click.ClickException(str(refused)) from None
    text = json.dumps(pack, ensure_ascii=False, indent=1)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text + "\n")
    click.echo(f"pack of {len(pack['incidents'])} incidents, {len(pack['history'])} entries written", err=True)


@replay_group.command("import")
@db_option
@click.argument("pack_file", type=click.File("r", encoding="utf-8"))
def replay_import(database_url: str, pack_file: object) -> None:
    """Load a training pack into this Kuzet (its city's departments must exist here)."""
    from services.replay.pack import import_pack

    try:
        pack = json.load(pack_file)  # type: ignore[arg-type]
    except (json.JSONDecodeError, UnicodeDecodeError) as bad:
        raise click.ClickException(f"not a JSON training pack: {bad}") from None
    try:
        with open_store(database_url).session() as session:
            counts = import_pack(session, "cli", pack)
    except Refused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo("imported: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
