"""The ``kuzet`` command: run, migrate, seed, administer, simulate. One module per command group."""

from __future__ import annotations

import click

from dashboard.cli import database, formats, geodata, journal, operators, replay, retention, run, settlement, users
from dashboard.cli.common import configure_logging, settle_heap, wait_healthy

__all__ = ["main", "settle_heap", "wait_healthy"]


@click.group()
@click.option("-v", "--verbose", is_flag=True, envvar="KUZET_VERBOSE", help="Debug logging.")
def main(verbose: bool) -> None:
    """Kuzet: the operator dashboard of a rapid response centre."""
    configure_logging(verbose)


for command in (database.db, database.seed, geodata.geodata, geodata.basemap, geodata.departments, formats.conformance,
                formats.schema_export, journal.audit_group, users.users, operators.operators, replay.replay_group,
                retention.retention_group, settlement.contracts_group, settlement.fines_group,
                settlement.settlement_group,
                run.serve, run.worker, run.simulate, run.demo):
    main.add_command(command)
