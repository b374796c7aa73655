"""The archive page: filters from the form, a page of results from services.replay.archive."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import dash
from dash import Input, Output, State, ctx, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import archive as ids
from layouts.archive import grid_rows, layout, page_label
from layouts.replay import window_input
from layouts.wall import denied
from services.access.permissions import Action, Page, allows, open_pages
from services.errors import Refused
from services.i18n import _, format_number
from services.replay import archive
from services.replay.review import reviewable_departments
from services.supervision.shifts import ALMATY

DEFAULT_DAYS = 7


def page(**_query: Any) -> html.Div:
    """Past incidents of the user's departments, last week first."""
    user = logged_in(Page.ARCHIVE)
    if user is None:
        return denied(_("Please log in"))
    try:
        departments = [{"value": str(i), "label": name} for i, name in reviewable_departments(db(), user)]
    except Refused:  # a duty officer: own department only, nothing to pick
        departments = []
    now = datetime.now(timezone.utc)
    return layout(username=user.username, pages=open_pages(user.role), departments=departments,
                  start=window_input(now - timedelta(days=DEFAULT_DAYS)), end=window_input(now + timedelta(minutes=1)),
                  masked=not allows(user.role, Action.VIEW_PERSONAL_DATA))


def _local(value: Any) -> str | None:
    """A datetime-local value (Almaty wall time) as ISO with its offset; None when empty or unreadable."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ALMATY).isoformat()
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def register(app: dash.Dash) -> None:
    """Search, previous and next -> one page of results with its label."""

    @app.callback(
        Output(ids.GRID, "rowData"), Output(ids.LABEL, "children"), Output(ids.PAGE, "data"),
        Output(ids.FEEDBACK, "children"),
        Input(ids.SEARCH, "n_clicks"), Input(ids.PREVIOUS, "n_clicks"), Input(ids.NEXT, "n_clicks"),
        State(ids.FROM, "value"), State(ids.TO, "value"), State(ids.TYPE, "value"), State(ids.PRIORITY, "value"),
        State(ids.STATUS, "value"), State(ids.OUTCOME, "value"), State(ids.DEPARTMENT, "value"),
        State(ids.SOURCE, "value"), State(ids.TEXT, "value"), State(ids.PAGE, "data"),
    )
    def find(_search: Any, _back: Any, _on: Any, start: Any, end: Any, kind: Any, priority: Any, status: Any,
             outcome: Any, department: Any, source: Any, text: Any, shown: Any) -> tuple[Any, ...]:
        user = logged_in(Page.ARCHIVE)
        if user is None:
            return no_update, no_update, no_update, _("Access denied")
        number = shown if isinstance(shown, int) and not isinstance(shown, bool) and shown > 0 else 1
        if ctx.triggered_id == ids.PREVIOUS:
            number = max(1, number - 1)
        elif ctx.triggered_id == ids.NEXT:
            number += 1
        else:
            number = 1
        filters = {"from": _local(start), "to": _local(end), "type": _text(kind), "priority": _text(priority),
                   "status": _text(status), "outcome": _text(outcome), "department": _text(department),
                   "source": _text(source), "q": _text(text)}
        try:
            found = archive.search(db(), user, filters, number)
            if found.page > found.pages:
                found = archive.search(db(), user, filters, found.pages)
        except Refused as refused:
            return no_update, no_update, no_update, str(refused)
        first = (found.page - 1) * found.page_size + 1 if found.total else 0
        last = min(found.page * found.page_size, found.total)
        return (grid_rows(found.rows), _("%(found)s · page %(page)s of %(pages)s", found=page_label(first, last, found.total),
                                         page=format_number(found.page), pages=format_number(found.pages)),
                found.page, "")
