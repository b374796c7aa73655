"""Camera list and operator scorecards: every camera's health and last sign of life, every operator's uptime."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.nav import nav
from services.access.permissions import Page

CAMERAS = "cameras-grid"
OPERATOR = "cameras-operator"
DISTRICT = "cameras-district"
HEALTH = "cameras-health"
SCORECARDS = "operators-grid"
ALL = "all"

CAMERA_COLUMNS: list[dict[str, Any]] = [
    {"field": "camera_id", "headerName": "Камера", "flex": 1},
    {"field": "operator", "headerName": "Оператор", "flex": 1.2},
    {"field": "district", "headerName": "Район", "flex": 0.9},
    {"field": "health", "headerName": "Состояние", "flex": 0.8,
     "cellClassRules": {"health-offline": "params.value === 'offline'", "health-stale": "params.value === 'stale'",
                        "health-online": "params.value === 'online'"}},
    {"field": "last_seen_at", "headerName": "Последний сигнал", "flex": 1.1, "sort": "asc",
     "valueFormatter": {"function": "kuzetAgo(params)"}},
    {"field": "mount_kind", "headerName": "Тип", "flex": 0.7},
    {"field": "address", "headerName": "Адрес", "flex": 1.4},
]
SCORE_COLUMNS: list[dict[str, Any]] = [
    {"field": "operator", "headerName": "Оператор · Operator", "flex": 1.5},
    {"field": "cameras", "headerName": "Камер", "flex": 0.6, "type": "rightAligned"},
    {"field": "online", "headerName": "На связи", "flex": 0.6, "type": "rightAligned"},
    {"field": "offline", "headerName": "Офлайн", "flex": 0.6, "type": "rightAligned"},
    {"field": "uptime_day", "headerName": "Доступность 24 ч, %", "flex": 0.9, "type": "rightAligned"},
    {"field": "uptime_week", "headerName": "7 дн, %", "flex": 0.7, "type": "rightAligned"},
    {"field": "uptime_month", "headerName": "30 дн, %", "flex": 0.7, "type": "rightAligned"},
    {"field": "outages_month", "headerName": "Отказов 30 дн", "flex": 0.8, "type": "rightAligned"},
    {"field": "outage_minutes_month", "headerName": "Минут простоя", "flex": 0.8, "type": "rightAligned"},
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
    option = {"value": ALL, "label": "Все · All"}
    return html.Div(className="admin-page", children=[
        page_header("Камеры · Cameras", "Состояние и последний сигнал каждой камеры", username, pages, "/cameras"),
        html.Main(className="admin-body", children=[
            dmc.Group(mb="sm", children=[
                dmc.Select(id=OPERATOR, label="Оператор", data=[option] + operators, value=ALL, w=260,
                           allowDeselect=False),
                dmc.Select(id=DISTRICT, label="Район", data=[option] + districts, value=ALL, w=220, allowDeselect=False),
                dmc.Select(id=HEALTH, label="Состояние", value=ALL, w=200, allowDeselect=False,
                           data=[option] + [{"value": h, "label": h} for h in ("online", "stale", "offline", "unknown")]),
            ]),
            dag.AgGrid(id=CAMERAS, rowData=rows, columnDefs=CAMERA_COLUMNS,
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": {"noRowsToShow": "Камер нет"}},
                       style={"height": "78vh", "width": "100%"}),
        ]),
    ])


def operators_layout(rows: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """Operator scorecards: cameras, health now, uptime over a day, a week and a month."""
    return html.Div(className="admin-page", children=[
        page_header("Операторы · Operator scorecards", "Доступность по записанным переходам состояния, не по выборке",
                username, pages, "/operators"),
        html.Main(className="admin-body", children=[
            html.A("Расчёты с операторами · Settlement →", href="/settlement", className="stats-step",
                   id="operators-settlement") if Page.SETTLEMENT in pages else None,
            dag.AgGrid(id=SCORECARDS, rowData=rows, columnDefs=SCORE_COLUMNS,
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight"},
                       style={"width": "100%"}),
        ]),
    ])
