"""Admin: the audit journal, filtered and paged, and the check of its hash chains."""

from __future__ import annotations

import json
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _, format_datetime, format_number

PATH = "/admin/audit"
GRID = "audit-grid"
ACTOR = "audit-actor"
ACTION = "audit-action"
SUBJECT = "audit-subject"
SINCE = "audit-since"
UNTIL = "audit-until"
APPLY = "audit-apply"
PREVIOUS = "audit-previous"
NEXT = "audit-next"
PAGE_INFO = "audit-page"
OFFSET = "audit-offset"
FEEDBACK = "audit-feedback"
VERIFY = "audit-verify"
VERDICT = "audit-verdict"
PAGE_SIZE = 50
TIME_HINT = "2026-05-01 08:00"

COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("id", N_("No."), 0.5), ("at", N_("Time"), 1), ("actor", N_("Who"), 0.9), ("action", N_("Action"), 1.3),
    ("subject", N_("Acted on"), 1.2), ("detail", N_("Details"), 3),
)


def rows(entries: list[Any]) -> list[dict[str, Any]]:
    """Grid rows of journal entries, times in Almaty; the details as they were written."""
    return [{"id": e.id, "at": format_datetime(e.at, "dd.MM.yyyy HH:mm:ss"), "actor": e.actor, "action": e.action,
             "subject": e.subject or "—",
             "detail": json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""} for e in entries]


def page_info(offset: int, total: int) -> str:
    """Which entries the page shows of how many."""
    if not total:
        return _("No entries")
    return _("Entries %(first)s-%(last)s of %(total)s", first=format_number(offset + 1),
             last=format_number(min(offset + PAGE_SIZE, total)), total=format_number(total))


def layout(entries: list[Any], total: int, actions: list[str], *, username: str,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The filters, one page of entries (newest first), the pager and the chain check."""
    return html.Div(className="admin-page", children=[
        page_header(_("Audit journal"), _("Every change, login, export and admin action, hash-chained"),
                    username, pages, PATH),
        html.Main(className="admin-body", children=[
            dmc.Group(align="end", mb="sm", children=[
                dmc.TextInput(id=ACTOR, label=_("Who (username)"), w=180),
                dmc.Select(id=ACTION, label=_("Action"), data=[{"value": a, "label": a} for a in actions],
                           searchable=True, clearable=True, w=240),
                dmc.TextInput(id=SUBJECT, label=_("Target contains"), w=200),
                dmc.TextInput(id=SINCE, label=_("From (Almaty time)"), placeholder=TIME_HINT, w=170),
                dmc.TextInput(id=UNTIL, label=_("Until (Almaty time)"), placeholder=TIME_HINT, w=170),
                dmc.Button(_("Show"), id=APPLY),
            ]),
            html.Div(id=FEEDBACK, className="feedback", role="status"),
            dag.AgGrid(id=GRID, rowData=rows(entries), getRowId="'' + params.data.id",
                       columnDefs=[{"field": f, "headerName": _(n), "flex": w,
                                    **({"tooltipField": "detail"} if f == "detail" else {})} for f, n, w in COLUMNS],
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": grid_locale(noRowsToShow=_("No entries"))},
                       style={"height": "60vh", "width": "100%"}),
            dmc.Group(mt="sm", children=[
                dmc.Button(_("Newer"), id=PREVIOUS, variant="light"),
                html.Span(page_info(0, total), id=PAGE_INFO),
                dmc.Button(_("Older"), id=NEXT, variant="light"),
            ]),
            dcc.Store(id=OFFSET, data=0),
            dmc.Group(mt="lg", children=[
                dmc.Button(_("Verify the journal"), id=VERIFY, color="yellow"),
                html.Div(id=VERDICT, className="feedback", role="status"),
            ]),
        ]),
    ])
