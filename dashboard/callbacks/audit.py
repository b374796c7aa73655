"""Admin: the audit journal through services.store.audit (search, and the chain check `kuzet audit verify` runs)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import audit as ids
from layouts.audit import PAGE_SIZE, layout, page_info, rows
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.i18n import ALMATY, _, format_number
from services.store import audit

TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y")


def page(**_query: Any) -> html.Div:
    """The newest entries (admins only)."""
    user = logged_in(Page.ADMIN)
    if user is None:
        return denied(_("Administrators only"))
    entries, total = audit.search(db(), limit=PAGE_SIZE)
    return layout(entries, total, audit.actions(db()), username=user.username, pages=open_pages(user.role))


def almaty_moment(value: Any) -> datetime | None:
    """A time typed in Asia/Almaty (``2026-05-01 08:00``, ``01.05.2026``...) as UTC; None when empty.
    ValueError when it is not one of those forms."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    for form in TIME_FORMATS:
        try:
            return datetime.strptime(text[:40], form).replace(tzinfo=ALMATY).astimezone(timezone.utc)
        except ValueError:
            continue
    raise ValueError(_("Write the time as 2026-05-01 08:00 (Almaty time)."))


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def register(app: dash.Dash) -> None:
    """Filter and page the journal; verify its chains."""

    @app.callback(Output(ids.GRID, "rowData"), Output(ids.PAGE_INFO, "children"), Output(ids.OFFSET, "data"),
                  Output(ids.FEEDBACK, "children"),
                  Input(ids.APPLY, "n_clicks"), Input(ids.PREVIOUS, "n_clicks"), Input(ids.NEXT, "n_clicks"),
                  State(ids.ACTOR, "value"), State(ids.ACTION, "value"), State(ids.SUBJECT, "value"),
                  State(ids.SINCE, "value"), State(ids.UNTIL, "value"), State(ids.OFFSET, "data"),
                  prevent_initial_call=True)
    def show(_apply: Any, _previous: Any, _next: Any, actor: Any, action: Any, subject: Any, since: Any,
             until: Any, offset: Any) -> tuple[Any, Any, Any, str]:
        if logged_in(Page.ADMIN) is None:
            return no_update, no_update, no_update, _("Administrators only")
        try:
            start, end = almaty_moment(since), almaty_moment(until)
        except ValueError as refused:
            return no_update, no_update, no_update, str(refused)
        if start is not None and end is not None and end <= start:
            return no_update, no_update, no_update, _("The end of the period must come after its start.")
        current = offset if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0 else 0
        trigger = dash.ctx.triggered_id
        wanted = 0 if trigger == ids.APPLY else max(0, current - PAGE_SIZE) if trigger == ids.PREVIOUS \
            else current + PAGE_SIZE
        filters = {"actor": _text(actor, 100), "action": _text(action, 64), "subject": _text(subject, 200),
                   "since": start, "until": end}
        entries, total = audit.search(db(), offset=wanted, limit=PAGE_SIZE, **filters)
        if wanted and wanted >= total:  # past the oldest: stay on the last page there is
            wanted = max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)
            entries, total = audit.search(db(), offset=wanted, limit=PAGE_SIZE, **filters)
        return rows(entries), page_info(wanted, total), wanted, ""

    @app.callback(Output(ids.VERDICT, "children"), Input(ids.VERIFY, "n_clicks"), prevent_initial_call=True)
    def verify(clicks: Any) -> Any:
        if logged_in(Page.ADMIN) is None or not clicks:
            return _("Administrators only")
        verdict = audit.verify(db())
        if not verdict.intact:
            return html.Span(className="verdict-broken", children=_(
                "BROKEN at entry No. %(entry)s: %(reason)s (%(count)s entries intact before it)",
                entry=verdict.broken_at, reason=_(verdict.reason), count=format_number(verdict.entries)))
        return html.Span(className="verdict-intact", children=[
            _("Intact: %(count)s entries, every chain holds. Head:", count=format_number(verdict.entries)), " ",
            html.Code(audit.head(db()), **{"data-i18n": "data"})])
