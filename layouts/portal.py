"""The operator's portal at /operators: its own scorecard, statements, refused payloads and API keys."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from services.access.permissions import Page

MONTH = "portal-month"
STATEMENT = "portal-statement"
SCORECARD = "portal-scorecard"
DEAD_LETTERS = "portal-dead-letters"
KEYS = "portal-keys"
KEY_LABEL = "portal-key-label"
KEY_CREATE = "portal-key-create"
KEY_REVOKE = "portal-key-revoke"
KEY_SHOWN = "portal-key-shown"
FEEDBACK = "portal-feedback"

FIGURES = [("cameras", "Камер · Cameras"), ("online", "На связи · Online"), ("offline", "Офлайн · Offline"),
           ("uptime_day", "Доступность 24 ч, %"), ("uptime_month", "Доступность 30 дн, %"),
           ("events_30d", "Событий за 30 дн · Events"), ("dead_letters_30d", "Отклонено за 30 дн · Refused"),
           ("rejected_share_pct", "Доля отклонённых, %"), ("confirmed_30d", "Подтверждено происшествий"),
           ("false_alarm_share_pct", "Ложных срабатываний, %"), ("median_lag_s", "Медианная задержка, с")]
DEAD_COLUMNS: list[dict[str, Any]] = [
    {"field": "received_at", "headerName": "Получено (UTC)", "flex": 1},
    {"field": "endpoint", "headerName": "Куда", "flex": 0.8},
    {"field": "reason", "headerName": "Причина · Reason", "flex": 3, "wrapText": True, "autoHeight": True},
]
KEY_COLUMNS: list[dict[str, Any]] = [
    {"field": "prefix", "headerName": "Ключ kz_…", "flex": 0.8, "checkboxSelection": True},
    {"field": "label", "headerName": "Назначение", "flex": 1.2},
    {"field": "created_at", "headerName": "Создан (UTC)", "flex": 1},
    {"field": "last_used_at", "headerName": "Последнее использование", "flex": 1},
    {"field": "revoked_at", "headerName": "Отозван", "flex": 1},
]


def scorecard_view(figures: dict[str, Any]) -> html.Div:
    """The operator's own figures as cards."""
    return html.Div(id=SCORECARD, className="portal-cards", children=[
        html.Div(className="portal-card", children=[
            html.Div("—" if figures.get(key) is None else figures[key], className="portal-value", id=f"portal-{key}"),
            html.Div(label, className="portal-label")]) for key, label in FIGURES])


def layout(figures: dict[str, Any], months: list[str], keys: list[dict[str, Any]],
           dead_letters: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The portal: scorecard, a month's statement, API keys, refused payloads."""
    from layouts.cameras import page_header

    return html.Div(className="admin-page", children=[
        page_header(f"{figures['operator']} · кабинет оператора", "Только ваши камеры, ведомости и ключи · "
                    "Your own cameras, statements and keys", username, pages, "/operators"),
        html.Main(className="admin-body", children=[
            scorecard_view(figures),
            html.H2("Ведомости · Statements", className="settlement-h2"),
            dmc.Select(id=MONTH, label="Месяц", data=months, value=months[0] if months else None, w=160,
                       allowDeselect=False),
            html.Div(id=STATEMENT),
            html.H2("Ключи API · API keys", className="settlement-h2"),
            html.Div(className="settlement-pick", children=[
                dmc.TextInput(id=KEY_LABEL, label="Назначение нового ключа", w=260),
                html.Button("Создать ключ · Create", id=KEY_CREATE, className="stats-step", n_clicks=0),
                html.Button("Отозвать выбранный · Revoke", id=KEY_REVOKE, className="stats-step", n_clicks=0),
                html.Div(id=FEEDBACK, className="settlement-feedback", role="status"),
            ]),
            html.Pre(id=KEY_SHOWN, className="portal-key"),
            dag.AgGrid(id=KEYS, rowData=keys, columnDefs=KEY_COLUMNS,
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                        "rowSelection": "single"}, style={"width": "100%"}),
            html.H2("Отклонённые сообщения · Refused payloads", className="settlement-h2"),
            dag.AgGrid(id=DEAD_LETTERS, rowData=dead_letters, columnDefs=DEAD_COLUMNS,
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                        "pagination": True, "paginationPageSize": 20}, style={"width": "100%"}),
        ]),
    ])
