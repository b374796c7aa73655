"""kuzet db upgrade, kuzet seed: the schema and the shipped departments."""

from __future__ import annotations

import click

from dashboard.cli.common import db_option, open_store


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@db_option
def db_upgrade(database_url: str) -> None:
    """Apply migrations up to the latest schema and store the shipped defaults (policy, SOPs)."""
    from services.geo.departments import seed_defaults

    store = open_store(database_url)
    store.upgrade()
    with store.session() as session:
        seed_defaults(session)
    click.echo("database is at the latest schema")


@click.command()
@db_option
def seed(database_url: str) -> None:
    """Create the departments and districts of the shipped boundaries (idempotent).

    Almaty's, Astana's and Shymkent's district police departments, and one regional department for each
    of the other 17 regions until their districts are imported.
    """
    from services.geo.departments import seed_country, seed_defaults, seed_departments

    store = open_store(database_url)
    store.upgrade()
    with store.session() as session:
        seed_defaults(session)
        click.echo(f"{seed_departments(session)} Almaty district departments created")
        click.echo(f"{seed_country(session)} departments of Astana, Shymkent and the regions created")
