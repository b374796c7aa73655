"""Admin: the dead-letter queue, with the raw payload and a replay button."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.nav import nav
from services.access.permissions import Page

DEAD_LETTERS = "admin-dead-letters"
RAW = "admin-raw"
REPLAY = "admin-replay"
FEEDBACK = "admin-feedback"

COLUMNS: list[dict[str, Any]] = [
    {"field": "id", "headerName": "№", "flex": 0.4},
    {"field": "received_at", "headerName": "Получено (UTC)", "flex": 1.1},
    {"field": "operator", "headerName": "Оператор", "flex": 1},
    {"field": "endpoint", "headerName": "Вход", "flex": 0.7},
    {"field": "reason", "headerName": "Причина", "flex": 3},
    {"field": "replay_result", "headerName": "Повтор", "flex": 1.4},
]


def layout(rows: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The dead-letter page."""
    return html.Div(className="admin-page", children=[
        html.Header(className="wall-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div("Отклонённые данные · Dead letters", className="dept-ru"),
                          html.Div("Всё, что операторы прислали и центр не принял — с причиной", className="dept-other")]),
            ]),
            nav(username, pages, "/admin/dead-letters"),
        ]),
        html.Main(className="admin-body", children=[
            dag.AgGrid(id=DEAD_LETTERS, rowData=rows, columnDefs=COLUMNS, getRowId="'' + params.data.id",
                       dashGridOptions={"theme": {"function": GRID_THEME}, "rowSelection": {"mode": "singleRow",
                                                                                             "checkboxes": False,
                                                                                             "enableClickSelection": True},
                                        "localeText": {"noRowsToShow": "Отклонённых данных нет"}},
                       style={"height": "55vh", "width": "100%"}),
            dmc.Group(mt="sm", children=[
                dmc.Button("Повторить приём · Replay", id=REPLAY, color="yellow"),
                html.Div(id=FEEDBACK, className="feedback", role="status"),
            ]),
            html.Pre(id=RAW, className="raw-payload", children="Выберите строку · Select a row to see the payload"),
        ]),
    ])
