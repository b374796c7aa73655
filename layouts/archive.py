"""The archive of past incidents: filters, a page of results, a replay link on each row."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.grid import grid_locale
from layouts.replay import glyph
from layouts.wall import GRID_THEME
from services.i18n import _, format_number
from services.i18n.terms import TERMS, term
from services.intake.catalogue import TYPE_LABELS_RU
from layouts.nav import nav
from services.access.permissions import Page

FROM = "archive-from"
TO = "archive-to"
TYPE = "archive-type"
PRIORITY = "archive-priority"
STATUS = "archive-status"
OUTCOME = "archive-outcome"
DEPARTMENT = "archive-department"
SOURCE = "archive-source"
TEXT = "archive-text"
SEARCH = "archive-search"
PREVIOUS = "archive-previous"
NEXT = "archive-next"
PAGE = "archive-page"  # dcc.Store: the page shown
LABEL = "archive-label"
GRID = "archive-grid"
FEEDBACK = "archive-feedback"

def columns() -> list[dict[str, Any]]:
    """The results' columns, headed in the language of the moment."""
    return [
        {"field": "id", "headerName": "№", "flex": 0.5, "minWidth": 80, "cellRenderer": "markdown",
         "valueGetter": {"function": "'[' + params.data.id + '](' + params.data.link + ')'"}},
        {"field": "created_at", "headerName": _("When"), "flex": 1, "minWidth": 150,
         "valueFormatter": {"function": "kuzetLocalTime(params)"}},
        {"field": "department", "headerName": _("Department"), "flex": 1.2, "minWidth": 150},
        {"field": "priority", "headerName": "P", "flex": 0.35, "minWidth": 56,
         "valueFormatter": {"function": "'P' + params.value"},
         "cellClassRules": {f"prio-{p}": f"params.value === {p}" for p in (1, 2, 3, 4)}},
        {"field": "type_label", "headerName": _("Type"), "flex": 1, "minWidth": 130},
        {"field": "status_label", "headerName": _("Status"), "flex": 0.9, "minWidth": 120},
        {"field": "outcome_label", "headerName": _("Outcome"), "flex": 1, "minWidth": 130},
        {"field": "address", "headerName": _("Address"), "flex": 1.4, "minWidth": 150, "tooltipField": "address"},
        {"field": "description", "headerName": _("Description"), "flex": 2, "minWidth": 180,
         "tooltipField": "description"},
        {"field": "replay", "headerName": _("Replay"), "flex": 0.6, "minWidth": 100, "cellRenderer": "markdown",
         "valueGetter": {"function": json.dumps("[" + _("▶ replay") + "](") + " + params.data.replay + ')'"}},
    ]


def _options(kind: str, codes: Iterable[str], everything: str) -> list[dict[str, str]]:
    return [{"value": "", "label": everything}] + [{"value": k, "label": term(kind, k)} for k in codes]


def grid_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Archive rows with their types, statuses and outcomes in words."""
    return [{**r, "type_label": term("type", r["type"]) if r.get("type") else r.get("type_label", ""),
             "status_label": term("status", r["status"]),
             "outcome_label": term("outcome", r["outcome"]) if r["outcome"] else ""} for r in rows]


def page_label(first: int, last: int, total: int) -> str:
    """"1–50 of 3 812" for the pager."""
    if not total:
        return _("nothing found")
    return _("%(first)s–%(last)s of %(total)s", first=format_number(first), last=format_number(last),
             total=format_number(total))


def layout(*, username: str, departments: list[dict[str, str]], start: str, end: str, masked: bool,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The archive page: filters above, results below; the callback fills the grid."""
    select = {"size": "md", "allowDeselect": False, "w": 190}
    return html.Div(className="stats archive", children=[
        dcc.Store(id=PAGE, data=1),
        html.Header(className="wall-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div(_("Incident archive"), className="dept-ru"),
                          html.Div(_("personal data hidden") if masked else "", className="dept-other")]),
            ]),
            nav(username, pages, "/incidents"),
        ]),
        html.Div(className="archive-filters", children=[
            dcc.Input(id=FROM, type="datetime-local", value=start, className="replay-when", name="from"),
            html.Span("—", className="replay-dash"),
            dcc.Input(id=TO, type="datetime-local", value=end, className="replay-when", name="to"),
            dmc.Select(id=DEPARTMENT, data=[{"value": "", "label": _("All departments")}] + departments, value="",
                       searchable=True, **{**select, "w": 260, "aria-label": _("Department")}),
            dmc.Select(id=TYPE, data=_options("type", TYPE_LABELS_RU, _("All types")), value="", searchable=True,
                       **{**select, "aria-label": _("Type")}),
            dmc.Select(id=PRIORITY, data=[{"value": "", "label": _("Any priority")}]
                       + [{"value": str(p), "label": f"P{p}"} for p in (1, 2, 3, 4)], value="",
                       **{**select, "aria-label": _("Priority")}),
            dmc.Select(id=STATUS, data=_options("status", list(TERMS["status"]), _("Any status")),
                       value="", **{**select, "aria-label": _("Status")}),
            dmc.Select(id=OUTCOME, data=_options("outcome", TERMS["outcome"], _("Any outcome")), value="",
                       **{**select, "aria-label": _("Outcome")}),
            dmc.Select(id=SOURCE, data=_options("source", TERMS["source"], _("Any source")), value="",
                       **{**select, "aria-label": _("Source")}),
            dmc.TextInput(id=TEXT, placeholder=_("No., address, text"), size="md", w=220,
                          inputProps={"maxLength": 200}, **{"aria-label": _("Search text")}),
            html.Button(_("Find"), id=SEARCH, className="stats-step", n_clicks=0),
        ]),
        html.Div(className="archive-pager", children=[
            html.Button(glyph("◀"), id=PREVIOUS, className="stats-step", n_clicks=0, **{"aria-label": _("Previous page")}),
            html.Span("", id=LABEL, className="archive-label"),
            html.Button(glyph("▶"), id=NEXT, className="stats-step", n_clicks=0, **{"aria-label": _("Next page")}),
            html.Span("", id=FEEDBACK, className="feedback"),
        ]),
        html.Div(className="archive-grid", children=[dag.AgGrid(
            id=GRID, rowData=[], columnDefs=columns(), getRowId="'' + params.data.id", className="wall-grid",
            dashGridOptions={"localeText": grid_locale(noRowsToShow=_("Nothing found")),
                             "theme": {"function": GRID_THEME}, "tooltipShowDelay": 300},
            defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True},
            style={"height": "100%", "width": "100%"})]),
    ])
