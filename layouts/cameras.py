"""Camera list and operator scorecards: every camera's health and last sign of life, every operator's uptime."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from layouts.nav import nav
from services.access.permissions import Page
from services.i18n import _, pgettext
from services.i18n.terms import term

CAMERAS = "cameras-grid"
OPERATOR = "cameras-operator"
DISTRICT = "cameras-district"
HEALTH = "cameras-health"
SCORECARDS = "operators-grid"
ALL = "all"

HEALTHS = ("online", "stale", "offline", "unknown")


def camera_columns() -> list[dict[str, Any]]:
    """The camera list's columns, headed in the language of the moment; health and mount kind named by term()."""
    return [
        {"field": "camera_id", "headerName": _("Camera"), "flex": 1},
        {"field": "operator", "headerName": _("Operator"), "flex": 1.2},
        {"field": "district", "headerName": _("District"), "flex": 0.9},
        {"field": "health", "headerName": _("Health"), "flex": 0.8,
         "valueFormatter": {"function": "kuzetTerm('health', params.value)"},
         "cellClassRules": {"health-offline": "params.value === 'offline'", "health-stale": "params.value === 'stale'",
                            "health-online": "params.value === 'online'"}},
        {"field": "last_seen_at", "headerName": _("Last signal"), "flex": 1.1, "sort": "asc",
         "valueFormatter": {"function": "kuzetAgo(params)"}},
        {"field": "mount_kind", "headerName": _("Mount"), "flex": 0.7,
         "valueFormatter": {"function": "kuzetTerm('mount', params.value)"}},
        {"field": "address", "headerName": _("Address"), "flex": 1.4},
    ]


def score_columns() -> list[dict[str, Any]]:
    """The operator scorecards' columns, headed in the language of the moment."""
    return [
        {"field": "operator", "headerName": _("Operator"), "flex": 1.5},
        {"field": "cameras", "headerName": _("Cameras"), "flex": 0.6, "type": "rightAligned"},
        {"field": "online", "headerName": pgettext("health", "online"), "flex": 0.6, "type": "rightAligned"},
        {"field": "offline", "headerName": pgettext("health", "offline"), "flex": 0.6, "type": "rightAligned"},
        {"field": "uptime_day", "headerName": _("Uptime 24 h, %"), "flex": 0.9, "type": "rightAligned"},
        {"field": "uptime_week", "headerName": _("7 days, %"), "flex": 0.7, "type": "rightAligned"},
        {"field": "uptime_month", "headerName": _("30 days, %"), "flex": 0.7, "type": "rightAligned"},
        {"field": "outages_month", "headerName": _("Outages in 30 days"), "flex": 0.8, "type": "rightAligned"},
        {"field": "outage_minutes_month", "headerName": _("Minutes down"), "flex": 0.8, "type": "rightAligned"},
    ]


def page_header(title: str, subtitle: str, username: str, pages: frozenset[Page] = frozenset(),
                current: str = "") -> html.Header:
    """The admin pages' header: title, subtitle, who is logged in and the navigation."""
    return html.Header(className="wall-top", children=[
        html.Div(className="wall-title", children=[
            html.Div("KUZET", className="brand"),
            html.Div([html.Div(title, className="dept-ru"), html.Div(subtitle, className="dept-other")]),
        ]),
        nav(username, pages, current),
    ])


def cameras_layout(rows: list[dict[str, Any]], operators: list[dict[str, str]], districts: list[dict[str, str]],
                   *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The camera list with filters; quietest cameras first."""
    option = {"value": ALL, "label": _("All")}
    return html.Div(className="admin-page", children=[
        page_header(_("Cameras"), _("Every camera's health and last signal"), username, pages, "/cameras"),
        html.Main(className="admin-body", children=[
            dmc.Group(mb="sm", children=[
                dmc.Select(id=OPERATOR, label=_("Operator"), data=[option] + operators, value=ALL, w=260,
                           allowDeselect=False),
                dmc.Select(id=DISTRICT, label=_("District"), data=[option] + districts, value=ALL, w=220, allowDeselect=False),
                dmc.Select(id=HEALTH, label=_("Health"), value=ALL, w=200, allowDeselect=False,
                           data=[option] + [{"value": h, "label": term("health", h)} for h in HEALTHS]),
            ]),
            dag.AgGrid(id=CAMERAS, rowData=rows, columnDefs=camera_columns(),
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": grid_locale(noRowsToShow=_("No cameras"))},
                       style={"height": "78vh", "width": "100%"}),
        ]),
    ])


def operators_layout(rows: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """Operator scorecards: cameras, health now, uptime over a day, a week and a month."""
    return html.Div(className="admin-page", children=[
        page_header(_("Operator scorecards"), _("Uptime from the recorded health changes, not from sampling"),
                    username, pages, "/operators"),
        html.Main(className="admin-body", children=[
            html.A(_("Settlement with operators →"), href="/settlement", className="stats-step",
                   id="operators-settlement") if Page.SETTLEMENT in pages else None,
            dag.AgGrid(id=SCORECARDS, rowData=rows, columnDefs=score_columns(),
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                        "localeText": grid_locale()},
                       style={"width": "100%"}),
        ]),
    ])
