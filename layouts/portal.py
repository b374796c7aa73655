"""The operator's portal at /operators: its own scorecard, statements, refused payloads and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _, format_datetime, format_number

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

FIGURES = [("cameras", N_("Cameras")), ("online", N_("Online")), ("offline", N_("Offline")),
           ("uptime_day", N_("Uptime 24 h, %")), ("uptime_month", N_("Uptime 30 days, %")),
           ("events_30d", N_("Events in 30 days")), ("dead_letters_30d", N_("Refused in 30 days")),
           ("rejected_share_pct", N_("Share refused, %")), ("confirmed_30d", N_("Incidents confirmed")),
           ("false_alarm_share_pct", N_("False alarms, %")), ("median_lag_s", N_("Median lag, s"))]


def dead_columns() -> list[dict[str, Any]]:
    """The operator's refused payloads' columns (times in Almaty, as the language writes them)."""
    return [
        {"field": "received", "headerName": _("Received"), "flex": 1},
        {"field": "endpoint", "headerName": _("Where to"), "flex": 0.8},
        {"field": "reason", "headerName": _("Reason"), "flex": 3, "wrapText": True, "autoHeight": True},
    ]


def key_columns() -> list[dict[str, Any]]:
    """The API keys' columns (times in Almaty, as the language writes them)."""
    return [
        {"field": "prefix", "headerName": _("Key kz_…"), "flex": 0.8, "checkboxSelection": True},
        {"field": "label", "headerName": _("Purpose"), "flex": 1.2},
        {"field": "created", "headerName": _("Created"), "flex": 1},
        {"field": "last_used", "headerName": _("Last used"), "flex": 1},
        {"field": "revoked", "headerName": _("Revoked"), "flex": 1},
    ]


def _moment(iso: str | None) -> str:
    return format_datetime(datetime.fromisoformat(iso)) if iso else "—"


def key_rows(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """services.settlement.portal.keys as the grid shows them: times in Almaty."""
    return [{**k, "created": _moment(k["created_at"]), "last_used": _moment(k["last_used_at"]),
             "revoked": _moment(k["revoked_at"])} for k in keys]


def dead_rows(letters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """services.settlement.portal.dead_letters as the grid shows them: times in Almaty."""
    return [{**d, "received": _moment(d["received_at"])} for d in letters]


def scorecard_view(figures: dict[str, Any]) -> html.Div:
    """The operator's own figures as cards."""
    return html.Div(id=SCORECARD, className="portal-cards", children=[
        html.Div(className="portal-card", children=[
            html.Div("—" if figures.get(key) is None else format_number(figures[key]), className="portal-value",
                     id=f"portal-{key}"),
            html.Div(_(label), className="portal-label")]) for key, label in FIGURES])


def layout(figures: dict[str, Any], months: list[str], keys: list[dict[str, Any]],
           dead_letters: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The portal: scorecard, a month's statement, API keys, refused payloads."""
    from layouts.cameras import page_header

    return html.Div(className="admin-page", children=[
        page_header(_("%(operator)s · operator's portal", operator=figures["operator"]),
                    _("Your own cameras, statements and keys only"), username, pages, "/operators"),
        html.Main(className="admin-body", children=[
            scorecard_view(figures),
            html.H2(_("Statements"), className="settlement-h2"),
            dmc.Select(id=MONTH, label=_("Month"), data=months, value=months[0] if months else None, w=160,
                       allowDeselect=False),
            html.Div(id=STATEMENT),
            html.H2(_("API keys"), className="settlement-h2"),
            html.Div(className="settlement-pick", children=[
                dmc.TextInput(id=KEY_LABEL, label=_("Purpose of the new key"), w=260),
                html.Button(_("Create a key"), id=KEY_CREATE, className="stats-step", n_clicks=0),
                html.Button(_("Revoke the selected key"), id=KEY_REVOKE, className="stats-step", n_clicks=0),
                html.Div(id=FEEDBACK, className="settlement-feedback", role="status"),
            ]),
            html.Pre(id=KEY_SHOWN, className="portal-key"),
            dag.AgGrid(id=KEYS, rowData=key_rows(keys), columnDefs=key_columns(),
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                        "rowSelection": "single", "localeText": grid_locale()},
                       style={"width": "100%"}),
            html.H2(_("Refused payloads"), className="settlement-h2"),
            dag.AgGrid(id=DEAD_LETTERS, rowData=dead_rows(dead_letters), columnDefs=dead_columns(),
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                        "pagination": True, "paginationPageSize": 20, "localeText": grid_locale()},
                       style={"width": "100%"}),
        ]),
    ])
