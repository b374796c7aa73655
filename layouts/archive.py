"""The archive of past incidents: filters, a page of results, a replay link on each row."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.stats import OUTCOME_LABELS, SOURCE_LABELS
from layouts.wall import GRID_THEME, STATUS_LABELS
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

COLUMNS: list[dict[str, Any]] = [
    {"field": "id", "headerName": "№", "flex": 0.5, "minWidth": 80, "cellRenderer": "markdown",
     "valueGetter": {"function": "'[' + params.data.id + '](' + params.data.link + ')'"}},
    {"field": "created_at", "headerName": "Когда", "flex": 1, "minWidth": 150,
     "valueFormatter": {"function": "kuzetLocalTime(params)"}},
    {"field": "department", "headerName": "Подразделение", "flex": 1.2, "minWidth": 150},
    {"field": "priority", "headerName": "P", "flex": 0.35, "minWidth": 56,
     "valueFormatter": {"function": "'P' + params.value"},
     "cellClassRules": {f"prio-{p}": f"params.value === {p}" for p in (1, 2, 3, 4)}},
    {"field": "type_label", "headerName": "Тип", "flex": 1, "minWidth": 130},
    {"field": "status_label", "headerName": "Статус", "flex": 0.9, "minWidth": 120},
    {"field": "outcome_label", "headerName": "Итог", "flex": 1, "minWidth": 130},
    {"field": "address", "headerName": "Адрес", "flex": 1.4, "minWidth": 150, "tooltipField": "address"},
    {"field": "description", "headerName": "Описание", "flex": 2, "minWidth": 180, "tooltipField": "description"},
    {"field": "replay", "headerName": "Разбор", "flex": 0.6, "minWidth": 100, "cellRenderer": "markdown",
     "valueGetter": {"function": "'[▶ разбор](' + params.data.replay + ')'"}},
]


def _options(labels: dict[str, str], everything: str) -> list[dict[str, str]]:
    return [{"value": "", "label": everything}] + [{"value": k, "label": v} for k, v in labels.items()]


def grid_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Archive rows with their statuses and outcomes in words."""
    return [{**r, "status_label": STATUS_LABELS.get(r["status"], r["status"]),
             "outcome_label": OUTCOME_LABELS.get(r["outcome"] or "", r["outcome"] or "")} for r in rows]


def page_label(first: int, last: int, total: int) -> str:
    """"1–50 из 3 812" for the pager."""
    return f"{first}–{last} из {total:,}".replace(",", " ") if total else "ничего не найдено · nothing found"


def layout(*, username: str, departments: list[dict[str, str]], start: str, end: str, masked: bool,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The archive page: filters above, results below; the callback fills the grid."""
    select = {"size": "md", "allowDeselect": False, "w": 190}
    return html.Div(className="stats archive", children=[
        dcc.Store(id=PAGE, data=1),
        html.Header(className="wall-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div("Архив происшествий", className="dept-ru"),
                          html.Div("Incident archive" + (" · персональные данные скрыты" if masked else ""),
                                   className="dept-other")]),
            ]),
            nav(username, pages, "/incidents"),
        ]),
        html.Div(className="archive-filters", children=[
            dcc.Input(id=FROM, type="datetime-local", value=start, className="replay-when", name="from"),
            html.Span("—", className="replay-dash"),
            dcc.Input(id=TO, type="datetime-local", value=end, className="replay-when", name="to"),
            dmc.Select(id=DEPARTMENT, data=[{"value": "", "label": "Все подразделения"}] + departments, value="",
                       searchable=True, **{**select, "w": 260}),
            dmc.Select(id=TYPE, data=_options(TYPE_LABELS_RU, "Все типы"), value="", searchable=True, **select),
            dmc.Select(id=PRIORITY, data=[{"value": "", "label": "Любой приоритет"}]
                       + [{"value": str(p), "label": f"P{p}"} for p in (1, 2, 3, 4)], value="", **select),
            dmc.Select(id=STATUS, data=_options(STATUS_LABELS, "Любой статус"), value="", **select),
            dmc.Select(id=OUTCOME, data=_options({k: v for k, v in OUTCOME_LABELS.items() if k != "dismissed"},
                                                 "Любой итог"), value="", **select),
            dmc.Select(id=SOURCE, data=_options(SOURCE_LABELS, "Любой источник"), value="", **select),
            dmc.TextInput(id=TEXT, placeholder="№, адрес, текст", size="md", w=220, inputProps={"maxLength": 200}),
            html.Button("Найти", id=SEARCH, className="stats-step", n_clicks=0),
        ]),
        html.Div(className="archive-pager", children=[
            html.Button("◀", id=PREVIOUS, className="stats-step", n_clicks=0, **{"aria-label": "Previous page"}),
            html.Span("", id=LABEL, className="archive-label"),
            html.Button("▶", id=NEXT, className="stats-step", n_clicks=0, **{"aria-label": "Next page"}),
            html.Span("", id=FEEDBACK, className="feedback"),
        ]),
        html.Div(className="archive-grid", children=[dag.AgGrid(
            id=GRID, rowData=[], columnDefs=COLUMNS, getRowId="'' + params.data.id", className="wall-grid",
            dashGridOptions={"localeText": {"noRowsToShow": "Ничего не найдено · Nothing found"},
                             "theme": {"function": GRID_THEME}, "tooltipShowDelay": 300},
            defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True},
            style={"height": "100%", "width": "100%"})]),
    ])
