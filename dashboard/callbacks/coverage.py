"""Coverage page: loader in the chief's scope and the operator filter."""

from __future__ import annotations

from typing import Any

import dash
import sqlalchemy as sa
from dash import Input, Output, html, no_update
from shapely.geometry import shape

from dashboard.auth import logged_in
from dashboard.context import db, kuzet
from services.geo.basemap import attribution as map_attribution
from layouts import coverage as ids
from layouts.coverage import ALL_OPERATORS, export_links, layout, map_figure
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.geo.coverage import coverage, operators, parse_radii
from services.i18n import _, format_date, ngettext
from services.store.models import District
from services.access.scope import as_id, visible_departments
from services.duty.situation import DISPLAY_TOLERANCE_DEG



def radii() -> dict[str, float]:
    """Camera view radii per mount kind from settings (KUZET_COVERAGE_RADII)."""
    return parse_radii(kuzet().settings.coverage_radii)


def districts_geo(department_ids: set[int]) -> list[dict[str, Any]]:
    """Simplified district outlines of the departments, for drawing."""
    out = []
    for d in db().scalars(sa.select(District).where(District.department_id.in_(department_ids))):
        geometry = shape(d.geometry)
        out.append({"id": d.id, "geometry": geometry.simplify(DISPLAY_TOLERANCE_DEG).__geo_interface__,
                    "bounds": geometry.bounds, "city": d.city})
    return out


def page(**_query: Any) -> html.Div:
    """The coverage page for chiefs (their city) and admins."""
    user = logged_in(Page.COVERAGE)
    if user is None:
        return denied(_("Coverage is for chiefs and administrators"))
    scope = visible_departments(db(), user)
    report = coverage(db(), scope, radii=radii())
    label = ngettext("%(n)s district · incidents since %(since)s", "%(n)s districts · incidents since %(since)s",
                     len(report.districts), since=format_date(report.since))
    outlines = districts_geo(scope)
    city = outlines[0]["city"] if outlines else ""
    return layout(report, outlines, operators(db()), scope_label=label, username=user.username,
                  pages=open_pages(user.role),
                  attribution=map_attribution(db(), city))


def register(app: dash.Dash) -> None:
    """Operator filter: recompute map, tables and export links in the user's scope."""

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.DISTRICTS, "rowData"),
        Output(ids.CANDIDATES, "rowData"),
        Output(ids.EXPORT_CSV, "href"),
        Output(ids.EXPORT_GEOJSON, "href"),
        Output(ids.EXPORT_CAMERAS, "href"),
        Input(ids.OPERATOR, "value"),
        prevent_initial_call=True,
    )
    def filter_operator(value: str | None) -> tuple[Any, ...]:
        user = logged_in(Page.COVERAGE)
        if user is None:
            return (no_update,) * 6
        scope = visible_departments(db(), user)
        report = coverage(db(), scope, operator_id=as_id(value), radii=radii())
        return (map_figure(report, districts_geo(scope)), report.districts, report.candidates[:20],
                *export_links(value or ALL_OPERATORS))
