"""Admin: the boundary import's preview and its confirmation (services.geo.boundaries does both)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, perform
from layouts import boundaries as ids
from layouts.boundaries import layout, summary
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.errors import Refused
from services.geo.boundaries import import_as, preview_as
from services.i18n import _

logger = logging.getLogger(__name__)
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")


def page(**_query: Any) -> html.Div:
    """The boundaries page (admins only)."""
    user = logged_in(Page.ADMIN)
    if user is None:
        return denied(_("Administrators only"))
    return layout(username=user.username, pages=open_pages(user.role))


def _decoded(contents: Any, filename: Any) -> tuple[bytes, str]:
    """The uploaded file's bytes and suffix; ValueError with a reason a person can act on."""
    if not isinstance(contents, str) or "," not in contents or not isinstance(filename, str):
        raise ValueError(_("Choose a boundary file first."))
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(_("%(name)s is not a GeoJSON, GeoPackage or zipped Shapefile.", name=filename[:100]))
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True), suffix
    except (binascii.Error, ValueError):
        raise ValueError(_("The file did not arrive whole; choose it again.")) from None


def _form(city: Any, name_field: Any, local_field: Any) -> tuple[str, str, str | None]:
    if not isinstance(city, str) or not city.strip():
        raise ValueError(_("Name the city, e.g. almaty or astana."))
    if not isinstance(name_field, str) or not name_field.strip():
        raise ValueError(_("Name the column that holds the district names."))
    local = local_field.strip() if isinstance(local_field, str) and local_field.strip() else None
    return city.strip().lower()[:64], name_field.strip()[:64], local[:64] if local else None


def _with_file(data: bytes, suffix: str, run: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="kuzet-boundaries-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return run(path)


def register(app: dash.Dash) -> None:
    """Preview an uploaded file; import exactly the file and form that were previewed."""

    @app.callback(Output(ids.FILE_NAME, "children"), Input(ids.UPLOAD, "filename"), prevent_initial_call=True)
    def chosen(filename: Any) -> str:
        return filename[:200] if isinstance(filename, str) else ""

    @app.callback(
        Output(ids.SUMMARY, "children"), Output(ids.MOVES, "rowData"), Output(ids.PREVIEWED, "data"),
        Output(ids.CONFIRM, "disabled"), Output(ids.FEEDBACK, "children", allow_duplicate=True),
        Input(ids.PREVIEW, "n_clicks"),
        State(ids.UPLOAD, "contents"), State(ids.UPLOAD, "filename"),
        State(ids.CITY, "value"), State(ids.NAME_FIELD, "value"), State(ids.LOCAL_FIELD, "value"),
        prevent_initial_call=True,
    )
    def preview(clicks: Any, contents: Any, filename: Any, city: Any, name_field: Any, local_field: Any) -> tuple:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return no_update, no_update, None, True, _("Administrators only")
        try:
            data, suffix = _decoded(contents, filename)
            form = _form(city, name_field, local_field)
            found = _with_file(data, suffix, lambda path: preview_as(db(), user, path, form[1], form[0], form[2]))
        except (ValueError, Refused) as refused:
            return None, [], None, True, str(refused)
        except Exception:  # noqa: BLE001 - a file GDAL cannot read is the uploader's problem to hear, not a 500
            logger.exception("boundary preview failed on %s", filename)
            return None, [], None, True, _("The file could not be read as boundaries.")
        finally:
            db().rollback()
        report = found.report
        rows = [{"camera_id": m.camera_id, "external_id": m.external_id, "operator": m.operator,
                 "from_department": m.from_department, "to_department": m.to_department} for m in found.moves]
        previewed = {"sha256": hashlib.sha256(data).hexdigest(), "form": list(form)}
        return (summary(found.districts_created, found.districts_changed, found.districts_removed,
                        report.cameras_moved, report.cameras_checked),
                rows, previewed, False, _("Nothing has changed yet. Import when this is what you want."))

    @app.callback(
        Output(ids.FEEDBACK, "children"), Output(ids.CONFIRM, "disabled", allow_duplicate=True),
        Input(ids.CONFIRM, "n_clicks"),
        State(ids.UPLOAD, "contents"), State(ids.UPLOAD, "filename"), State(ids.PREVIEWED, "data"),
        State(ids.CITY, "value"), State(ids.NAME_FIELD, "value"), State(ids.LOCAL_FIELD, "value"),
        prevent_initial_call=True,
    )
    def confirm(clicks: Any, contents: Any, filename: Any, previewed: Any, city: Any, name_field: Any,
                local_field: Any) -> tuple[str, bool]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only"), True
        try:
            data, suffix = _decoded(contents, filename)
            form = _form(city, name_field, local_field)
            if not isinstance(previewed, dict) or previewed.get("sha256") != hashlib.sha256(data).hexdigest() \
                    or previewed.get("form") != list(form):
                return _("The file or the form changed since the preview; preview again."), True
            report = _with_file(data, suffix, lambda path: perform(import_as, user, path, form[1], form[0], form[2]))
        except (ValueError, Refused) as refused:
            return str(refused), True
        except Exception:  # noqa: BLE001 - as in the preview
            logger.exception("boundary import failed on %s", filename)
            db().rollback()
            return _("The file could not be read as boundaries."), True
        return _("Imported: %(created)s districts created, %(updated)s updated, %(removed)s removed; "
                 "%(moved)s cameras changed department.", created=report.districts_created,
                 updated=report.districts_updated, removed=report.districts_removed, moved=report.cameras_moved), True
