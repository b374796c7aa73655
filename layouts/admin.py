"""Admin: the dead-letter queue, with the raw payload and a replay button."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from layouts.nav import nav
from services.access.permissions import Page
from services.i18n import _, format_datetime

DEAD_LETTERS = "admin-dead-letters"
RAW = "admin-raw"
REPLAY = "admin-replay"
FEEDBACK = "admin-feedback"
FILTER_OPERATOR = "admin-dl-operator"
FILTER_ENDPOINT = "admin-dl-endpoint"
FILTER_STATE = "admin-dl-state"
FILTER_REASON = "admin-dl-reason"
FILTER_DAYS = "admin-dl-days"
ALL = "*"



def columns() -> list[dict[str, Any]]:
    """The dead letters' columns, headed in the language of the moment (times in Almaty)."""
    return [
        {"field": "id", "headerName": "№", "flex": 0.4},
        {"field": "received", "headerName": _("Received"), "flex": 1.1},
        {"field": "operator", "headerName": _("Operator"), "flex": 1},
        {"field": "endpoint", "headerName": _("Entry point"), "flex": 0.7},
        {"field": "reason", "headerName": _("Reason"), "flex": 3},
        {"field": "replay_result", "headerName": _("Replay"), "flex": 1.4},
    ]


def rows(letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """services.intake.deadletters.recent as the grid shows it: the time received in Almaty, as the language writes it."""
    return [{**d, "received": format_datetime(datetime.fromisoformat(d["received_at"]))} for d in letters]


def filters(operators: list[tuple[int, str]], endpoints: list[str]) -> dmc.Group:
    """Which letters to list: an operator's, an entry point's, replayed or not, words of the reason, how recent."""
    every = {"value": ALL, "label": _("all")}
    return dmc.Group(mb="sm", align="end", children=[
        dmc.Select(id=FILTER_OPERATOR, label=_("Operator"), value=ALL, allowDeselect=False, searchable=True, w=260,
                   data=[every] + [{"value": str(i), "label": name} for i, name in operators]),
        dmc.Select(id=FILTER_ENDPOINT, label=_("Entry point"), value=ALL, allowDeselect=False, w=200,
                   data=[every] + [{"value": e, "label": e} for e in endpoints]),
        dmc.Select(id=FILTER_STATE, label=_("Replay"), value=ALL, allowDeselect=False, w=200,
                   data=[every, {"value": "waiting", "label": _("not replayed")},
                         {"value": "replayed", "label": _("replayed")}]),
        dmc.Select(id=FILTER_DAYS, label=_("Received"), value=ALL, allowDeselect=False, w=180,
                   data=[{"value": ALL, "label": _("any time")}, {"value": "1", "label": _("last 24 hours")},
                         {"value": "7", "label": _("last 7 days")}, {"value": "30", "label": _("last 30 days")}]),
        dmc.TextInput(id=FILTER_REASON, label=_("Reason contains"), w=280, debounce=400),
    ])


def layout(letters: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset(),
           operators: list[tuple[int, str]] = (), endpoints: list[str] = ()) -> html.Div:
    """The dead-letter page."""
    return html.Div(className="admin-page", children=[
        html.Header(className="wall-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div(_("Dead letters"), className="dept-ru"),
                          html.Div(_("Everything operators sent that the centre refused, with the reason"),
                                   className="dept-other")]),
            ]),
            nav(username, pages, "/admin/dead-letters"),
        ]),
        html.Main(className="admin-body", children=[
            filters(list(operators), list(endpoints)),
            dag.AgGrid(id=DEAD_LETTERS, rowData=rows(letters), columnDefs=columns(), getRowId="'' + params.data.id",
                       dashGridOptions={"theme": {"function": GRID_THEME}, "rowSelection": {"mode": "singleRow",
                                                                                             "checkboxes": False,
                                                                                             "enableClickSelection": True},
                                        "localeText": grid_locale(noRowsToShow=_("No dead letters"))},
                       style={"height": "55vh", "width": "100%"}),
            dmc.Group(mt="sm", children=[
                dmc.Button(_("Replay the intake"), id=REPLAY, color="yellow"),
                html.Div(id=FEEDBACK, className="feedback", role="status"),
            ]),
            html.Pre(id=RAW, className="raw-payload", children=_("Select a row to see the payload")),
        ]),
    ])
