"""The chief's coverage page: cameras per km², dead cameras, blind spots ranked as candidate sites."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.basemap import place_layer, road_layers
from layouts.grid import grid_locale
from layouts.nav import nav
from services.access.permissions import Page
from layouts.wall import BLANK_DARK_STYLE
from services.geo.coverage import Coverage, cell_polygon
from services.i18n import N_, _, format_number, format_percent, ngettext

# The map's layers: their names are what tests and the legend know them by.
DENSITY_LAYER = N_("Cameras per km²")
COVERED_LAYER = N_("Camera view")
SEEN_LAYER = N_("Incidents under cameras")
BLIND_LAYER = N_("Blind spots")

MAP = "coverage-map"
OPERATOR = "coverage-operator"
DISTRICTS = "coverage-districts"
CANDIDATES = "coverage-candidates"
EXPORT_CSV = "coverage-export-csv"
EXPORT_GEOJSON = "coverage-export-geojson"
EXPORT_CAMERAS = "coverage-export-cameras"
ALL_OPERATORS = "all"

GRID_THEME = ("themeQuartz.withParams({backgroundColor: '#0d1422', foregroundColor: '#e6edf3', "
              "headerBackgroundColor: '#131d30', oddRowBackgroundColor: '#0f1727', borderColor: '#1f2a3d', "
              "fontSize: '0.95rem', headerFontSize: '0.8rem', rowHeight: '2.2rem', headerHeight: '2.2rem'})")



def district_columns() -> list[dict[str, Any]]:
    """The districts table's columns, headed in the language of the moment."""
    return [
        {"field": "district", "headerName": _("District"), "flex": 1.2},
        {"field": "area_km2", "headerName": _("km²"), "flex": 0.6, "type": "rightAligned"},
        {"field": "cameras", "headerName": _("Cameras"), "flex": 0.6, "type": "rightAligned"},
        {"field": "cameras_per_km2", "headerName": _("Cameras/km²"), "flex": 0.8, "type": "rightAligned",
         "sort": "asc"},
        {"field": "offline_share", "headerName": _("Offline, %"), "flex": 0.7, "type": "rightAligned"},
        {"field": "incidents", "headerName": _("Incidents, 30 days"), "flex": 0.8, "type": "rightAligned"},
        {"field": "manual_incidents", "headerName": _("of them 102 calls"), "flex": 0.7, "type": "rightAligned"},
    ]


def candidate_columns() -> list[dict[str, Any]]:
    """The candidate sites' columns, headed in the language of the moment."""
    return [
        {"field": "rank", "headerName": "#", "flex": 0.3},
        {"field": "district", "headerName": _("District"), "flex": 0.9},
        {"field": "incidents", "headerName": _("Incidents without a camera"), "flex": 0.9, "type": "rightAligned"},
        {"field": "lat", "headerName": _("Latitude"), "flex": 0.8},
        {"field": "lon", "headerName": _("Longitude"), "flex": 0.8},
    ]


def _hex_collection(cells: list[str]) -> dict[str, Any]:
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": c, "geometry": cell_polygon(c), "properties": {}} for c in cells]}


def map_figure(report: Coverage, districts_geo: list[dict[str, Any]]) -> go.Figure:
    """Choropleth of cameras per km², covered hexagons (by incident count), and hexagons with incidents but no camera."""
    # One city's streets under the districts (a country-wide admin view draws the first district's city).
    city = next((g.get("city", "") for g in districts_geo), "")
    by_id = {d["district_id"]: d for d in report.districts}
    shown = [g for g in districts_geo if g["id"] in by_id]
    fig = go.Figure()
    fig.add_trace(go.Choroplethmap(
        name=_(DENSITY_LAYER),
        geojson={"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": g["id"], "geometry": g["geometry"], "properties": {}} for g in shown]},
        locations=[g["id"] for g in shown], z=[by_id[g["id"]]["cameras_per_km2"] for g in shown],
        text=[_("%(district)s: %(cameras)s cameras, %(density)s/km², offline %(offline)s",
                district=by_id[g["id"]]["district"], cameras=format_number(by_id[g["id"]]["cameras"]),
                density=format_number(by_id[g["id"]]["cameras_per_km2"]),
                offline=format_percent(by_id[g["id"]]["offline_share"] / 100, 1)) for g in shown],
        hoverinfo="text", colorscale=[[0, "#16243d"], [0.5, "#2f5fb3"], [1, "#8fc1ff"]], marker={"opacity": 0.7, "line": {"color": "#4d8dff", "width": 1.5}},
        colorbar={"title": {"text": _("cameras/km²"), "font": {"color": "#e6edf3"}}, "tickfont": {"color": "#e6edf3"},
                  "x": 0.0, "xanchor": "left", "len": 0.5},
    ))
    covered = report.covered_cells
    fig.add_trace(go.Choroplethmap(
        name=_(COVERED_LAYER), geojson=_hex_collection(covered), locations=covered, z=[1] * len(covered),
        colorscale=[[0, "#30d158"], [1, "#30d158"]], showscale=False, hoverinfo="skip",
        marker={"opacity": 0.25, "line": {"width": 0}},
    ))
    # Incidents where cameras do look: the density to weigh coverage against (blind spots come next, in red).
    seen = [c for c in covered if report.incident_cells.get(c)]
    fig.add_trace(go.Choroplethmap(
        name=_(SEEN_LAYER), geojson=_hex_collection(seen), locations=seen,
        z=[report.incident_cells[c] for c in seen], colorscale=[[0, "#1f6f3a"], [1, "#ffd60a"]], zmin=0,
        showscale=False, text=[ngettext("%(n)s incident in camera view", "%(n)s incidents in camera view",
                                                       report.incident_cells[c]) for c in seen], hoverinfo="text",
        marker={"opacity": 0.7, "line": {"color": "#30d158", "width": 0.5}},
    ))
    blind = [c["h3"] for c in report.candidates]
    fig.add_trace(go.Choroplethmap(
        name=_(BLIND_LAYER), geojson=_hex_collection(blind), locations=blind,
        z=[c["incidents"] for c in report.candidates], colorscale="Reds", zmin=0,
        text=[ngettext("#%(rank)s · %(n)s incident without a camera · %(district)s",
                       "#%(rank)s · %(n)s incidents without a camera · %(district)s", c["incidents"],
                       rank=c["rank"], district=c["district"]) for c in report.candidates],
        hoverinfo="text", marker={"opacity": 0.85, "line": {"color": "#ff453a", "width": 1}},
        colorbar={"title": {"text": _("incidents"), "font": {"color": "#e6edf3"}}, "tickfont": {"color": "#e6edf3"},
                  "x": 1.0, "xanchor": "right", "len": 0.5},
    ))
    if shown:
        xs = [b for g in shown for b in (g["bounds"][0], g["bounds"][2])]
        ys = [b for g in shown for b in (g["bounds"][1], g["bounds"][3])]
        center = {"lat": (min(ys) + max(ys)) / 2, "lon": (min(xs) + max(xs)) / 2}
    else:
        center = {"lat": 43.25, "lon": 76.92}
    fig.update_layout(map={"style": BLANK_DARK_STYLE, "center": center, "zoom": 10.3,
                           "layers": [*road_layers(city), place_layer(city)] if city else []},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor="#0b0f17", showlegend=False,
                      uirevision="coverage")
    return fig


def export_links(operator: str) -> tuple[str, str, str]:
    """Hrefs of the three exports for the chosen operator filter."""
    query = "" if operator == ALL_OPERATORS else f"?operator={operator}"
    return (f"/coverage/export/candidates.csv{query}", f"/coverage/export/candidates.geojson{query}",
            f"/coverage/export/cameras.csv{query}")


def layout(report: Coverage, districts_geo: list[dict[str, Any]], operators: list[dict[str, str]], *,
           scope_label: str, username: str, attribution: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The whole coverage page."""
    csv_href, geojson_href, cameras_href = export_links(ALL_OPERATORS)
    return html.Div(className="coverage", children=[
        html.Header(className="wall-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div(_("Camera coverage"), className="dept-ru"),
                          html.Div(scope_label, className="dept-other")]),
            ]),
            html.Div(className="coverage-filters", children=[
                dmc.Select(id=OPERATOR, label=_("Operator"), value=ALL_OPERATORS, allowDeselect=False, w=280,
                           data=[{"value": ALL_OPERATORS, "label": _("All operators")}] + operators),
                html.A(_("Blind spots CSV"), id=EXPORT_CSV, href=csv_href, className="export"),
                html.A(_("GeoJSON"), id=EXPORT_GEOJSON, href=geojson_href, className="export"),
                html.A(_("Cameras CSV"), id=EXPORT_CAMERAS, href=cameras_href, className="export"),
            ]),
            nav(username, pages, "/coverage"),
        ]),
        html.Main(className="coverage-body", children=[
            html.Section(className="coverage-map kuzet-map",
                         **{"data-basemap": next((g.get("city", "") for g in districts_geo), "")}, children=[
                dcc.Graph(id=MAP, figure=map_figure(report, districts_geo), config={"displayModeBar": False,
                                                                                  "scrollZoom": True},
                          style={"height": "100%", "width": "100%"}),
                html.Div(className="attribution", children=[html.Span(attribution, **{"data-i18n": "data"}), " · ",
                                                             html.Span(_("H3 cells"))]),
            ]),
            html.Section(className="coverage-side", children=[
                html.H3(_("Districts")),
                dag.AgGrid(id=DISTRICTS, rowData=report.districts, columnDefs=district_columns(),
                           dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                            "localeText": grid_locale()},
                           style={"width": "100%"}),
                html.H3(_("Candidate sites for new cameras (incidents, no camera)")),
                dag.AgGrid(id=CANDIDATES, rowData=report.candidates[:20], columnDefs=candidate_columns(),
                           dashGridOptions={"theme": {"function": GRID_THEME},
                                            "localeText": grid_locale(noRowsToShow=_("No blind spots with incidents"))},
                           style={"width": "100%", "flex": "1 1 auto", "minHeight": "12rem"}),
            ]),
        ]),
    ])
