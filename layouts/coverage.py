"""The chief's coverage page: cameras per km², dead cameras, blind spots ranked as candidate sites."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.basemap import place_layer, road_layers
from layouts.nav import nav
from services.access.permissions import Page
from layouts.wall import BLANK_DARK_STYLE
from services.geo.coverage import Coverage, cell_polygon

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

DISTRICT_COLUMNS: list[dict[str, Any]] = [
    {"field": "district", "headerName": "Район · District", "flex": 1.2},
    {"field": "area_km2", "headerName": "км²", "flex": 0.6, "type": "rightAligned"},
    {"field": "cameras", "headerName": "Камер", "flex": 0.6, "type": "rightAligned"},
    {"field": "cameras_per_km2", "headerName": "Камер/км²", "flex": 0.8, "type": "rightAligned",
     "sort": "asc"},
    {"field": "offline_share", "headerName": "Офлайн %", "flex": 0.7, "type": "rightAligned"},
    {"field": "incidents", "headerName": "Происш. 30 дн", "flex": 0.8, "type": "rightAligned"},
    {"field": "manual_incidents", "headerName": "из них 102", "flex": 0.7, "type": "rightAligned"},
]
CANDIDATE_COLUMNS: list[dict[str, Any]] = [
    {"field": "rank", "headerName": "#", "flex": 0.3},
    {"field": "district", "headerName": "Район", "flex": 0.9},
    {"field": "incidents", "headerName": "Происш. без камер", "flex": 0.9, "type": "rightAligned"},
    {"field": "lat", "headerName": "Широта", "flex": 0.8},
    {"field": "lon", "headerName": "Долгота", "flex": 0.8},
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
        name="Камер на км²",
        geojson={"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": g["id"], "geometry": g["geometry"], "properties": {}} for g in shown]},
        locations=[g["id"] for g in shown], z=[by_id[g["id"]]["cameras_per_km2"] for g in shown],
        text=[f"{by_id[g['id']]['district']}: {by_id[g['id']]['cameras']} камер, "
              f"{by_id[g['id']]['cameras_per_km2']}/км², офлайн {by_id[g['id']]['offline_share']}%" for g in shown],
        hoverinfo="text", colorscale=[[0, "#16243d"], [0.5, "#2f5fb3"], [1, "#8fc1ff"]], marker={"opacity": 0.7, "line": {"color": "#4d8dff", "width": 1.5}},
        colorbar={"title": {"text": "камер/км²", "font": {"color": "#e6edf3"}}, "tickfont": {"color": "#e6edf3"},
                  "x": 0.0, "xanchor": "left", "len": 0.5},
    ))
    covered = report.covered_cells
    fig.add_trace(go.Choroplethmap(
        name="Обзор камер", geojson=_hex_collection(covered), locations=covered, z=[1] * len(covered),
        colorscale=[[0, "#30d158"], [1, "#30d158"]], showscale=False, hoverinfo="skip",
        marker={"opacity": 0.25, "line": {"width": 0}},
    ))
    # Incidents where cameras do look: the density to weigh coverage against (blind spots come next, in red).
    seen = [c for c in covered if report.incident_cells.get(c)]
    fig.add_trace(go.Choroplethmap(
        name="Происшествия под камерами", geojson=_hex_collection(seen), locations=seen,
        z=[report.incident_cells[c] for c in seen], colorscale=[[0, "#1f6f3a"], [1, "#ffd60a"]], zmin=0,
        showscale=False, text=[f"{report.incident_cells[c]} происш. в зоне камер" for c in seen], hoverinfo="text",
        marker={"opacity": 0.7, "line": {"color": "#30d158", "width": 0.5}},
    ))
    blind = [c["h3"] for c in report.candidates]
    fig.add_trace(go.Choroplethmap(
        name="Слепые зоны", geojson=_hex_collection(blind), locations=blind,
        z=[c["incidents"] for c in report.candidates], colorscale="Reds", zmin=0,
        text=[f"#{c['rank']} · {c['incidents']} происш. без камер · {c['district']}" for c in report.candidates],
        hoverinfo="text", marker={"opacity": 0.85, "line": {"color": "#ff453a", "width": 1}},
        colorbar={"title": {"text": "происш.", "font": {"color": "#e6edf3"}}, "tickfont": {"color": "#e6edf3"},
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
                html.Div([html.Div("Покрытие камерами · Camera coverage", className="dept-ru"),
                          html.Div(scope_label, className="dept-other")]),
            ]),
            html.Div(className="coverage-filters", children=[
                dmc.Select(id=OPERATOR, label="Оператор · Operator", value=ALL_OPERATORS, allowDeselect=False, w=280,
                           data=[{"value": ALL_OPERATORS, "label": "Все операторы · All"}] + operators),
                html.A("Слепые зоны CSV", id=EXPORT_CSV, href=csv_href, className="export"),
                html.A("GeoJSON", id=EXPORT_GEOJSON, href=geojson_href, className="export"),
                html.A("Камеры CSV", id=EXPORT_CAMERAS, href=cameras_href, className="export"),
            ]),
            nav(username, pages, "/coverage"),
        ]),
        html.Main(className="coverage-body", children=[
            html.Section(className="coverage-map kuzet-map",
                         **{"data-basemap": next((g.get("city", "") for g in districts_geo), "")}, children=[
                dcc.Graph(id=MAP, figure=map_figure(report, districts_geo), config={"displayModeBar": False,
                                                                                  "scrollZoom": True},
                          style={"height": "100%", "width": "100%"}),
                html.Div(attribution, className="attribution"),
            ]),
            html.Section(className="coverage-side", children=[
                html.H3("Районы · Districts"),
                dag.AgGrid(id=DISTRICTS, rowData=report.districts, columnDefs=DISTRICT_COLUMNS,
                           dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight"},
                           style={"width": "100%"}),
                html.H3("Кандидаты для новых камер · Candidate sites (incidents, no camera)"),
                dag.AgGrid(id=CANDIDATES, rowData=report.candidates[:20], columnDefs=CANDIDATE_COLUMNS,
                           dashGridOptions={"theme": {"function": GRID_THEME},
                                            "localeText": {"noRowsToShow": "Слепых зон с происшествиями нет"}},
                           style={"width": "100%", "flex": "1 1 auto", "minHeight": "12rem"}),
            ]),
        ]),
    ])
