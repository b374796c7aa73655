"""kuzet geodata, kuzet departments: district boundaries, jurisdiction lookup, the departments."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from dashboard.cli.common import db_option, open_store
from services.store import audit


@click.group()
def geodata() -> None:
    """District boundaries and jurisdiction lookup."""


@geodata.command("import")
@db_option
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name-field", required=True, help="Column holding the district name.")
@click.option("--local-field", default=None, help="Column holding the local (Kazakh) name, if any.")
@click.option("--city", required=True, help="City the districts belong to, e.g. almaty, astana.")
@click.option("--dry-run", is_flag=True, help="Only show what would change: districts, and cameras that change department.")
@click.option("--yes", is_flag=True, help="Apply even when cameras would change department, without asking.")
def geodata_import(database_url: str, path: Path, name_field: str, local_field: str | None, city: str,
                   dry_run: bool, yes: bool) -> None:
    """Create or update districts from GeoJSON, GeoPackage or Shapefile; re-resolve cameras.

    What would change is shown first; when cameras would change department, the import asks (or needs --yes).
    """
    from services.geo.boundaries import apply_boundaries, preview_boundaries

    store = open_store(database_url)
    store.upgrade()
    try:
        with store.session() as session:
            preview = preview_boundaries(session, path, name_field, city, local_field=local_field)
            for label, names in (("new districts", preview.districts_created),
                                 ("changed districts", preview.districts_changed),
                                 ("removed districts", preview.districts_removed)):
                if names:
                    click.echo(f"{label}: {', '.join(names)}")
            for move in preview.moves:
                click.echo(f"camera {move.external_id} ({move.operator}): {move.from_department} -> {move.to_department}")
            if dry_run:
                click.echo(f"dry run, nothing changed: {preview.report.summary()}")
                return
            if preview.report.cameras_moved and not yes:
                click.confirm(f"{preview.report.cameras_moved} cameras would change department. Import?", abort=True)
            report = apply_boundaries(session, "cli", path, name_field, city, local_field=local_field)
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

    with open_store(database_url).session() as session:
        try:
            where = Router.from_session(session).resolve(lat, lon)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        district = session.get(District, where.district_id)
        department = session.get(Department, where.department_id)
        line = f"{district.name}\t{department.name_ru}"
        click.echo(line + ("\t(nearest)" if where.outside_boundaries else ""))


@click.group()
def basemap() -> None:
    """The street map under the maps: roads, places and street names, per city."""


@basemap.command("import")
@db_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--city", required=True, help="City the map is of, as the districts name it (almaty).")
@click.option("--date", "data_date", required=True,
              help="The extract's date, YYYY-MM-DD (shown with the attribution on every map).")
@click.option("--source", default="OpenStreetMap", show_default=True, help="Where the extract came from.")
def basemap_import(database_url: str, paths: tuple[Path, ...], city: str, data_date: str, source: str) -> None:
    """Replace a city's street map from OpenStreetMap extracts (.osm.pbf through GDAL, or GeoJSON)."""
    from services.geo.basemap import BasemapError, import_basemap

    store = open_store(database_url)
    store.upgrade()
    try:
        with store.session() as session:
            report = import_basemap(session, city, list(paths), source=source, data_date=data_date, imported_by="cli")
            audit.record(session, "cli", "admin.basemap.import", ", ".join(str(p) for p in paths), city=city,
                         summary=report.summary(), data_date=data_date)
    except BasemapError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary())


@click.group()
def departments() -> None:
    """Internal-affairs departments."""


@departments.command("list")
@db_option
def departments_list(database_url: str) -> None:
    """One line per department: id, TAB, name."""
    from services.store.models import Department

    with open_store(database_url).session() as session:
        for dept in session.scalars(sa.select(Department).order_by(Department.id)):
            click.echo(f"{dept.id}\t{dept.name_ru}")
