"""The statistics page: scope from the session, the period picker, the figures from services.supervision."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import dash
from dash import ClientsideFunction, Input, Output, State, ctx, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import stats as ids
from layouts.stats import ALL_DEPARTMENTS, content, layout
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.access.scope import as_id
from services.errors import Refused
from services.i18n import _
from services.supervision import shifts, stats
from services.supervision.shifts import ALMATY


def page(department: str | None = None, **_query: Any) -> html.Div:
    """The page for supervisors (their department), chiefs (their city) and admins."""
    user = logged_in(Page.STATS)
    if user is None:
        return denied(_("Statistics are for shift supervisors, chiefs and administrators"))
    departments = stats.reportable_departments(db(), user)
    if len(departments) <= 1:  # a supervisor's own department: nothing to pick
        return layout(username=user.username, pages=open_pages(user.role), departments=None, department=str(departments[0][0]) if departments else "")
    options = [{"value": ALL_DEPARTMENTS, "label": _("All departments")}]
    options += [{"value": str(i), "label": name} for i, name in departments]
    chosen = department if department is not None and as_id(department) in {i for i, _ in departments} \
        else ALL_DEPARTMENTS
    return layout(username=user.username, pages=open_pages(user.role), departments=options, department=chosen)


def register(app: dash.Dash) -> None:
    """Picker -> requested period; requested period and department -> figures, label and export links."""

    @app.callback(Output(ids.DEPARTMENT, "data"), Input(ids.DEPARTMENT_PICK, "value"), prevent_initial_call=True)
    def pick_department(value: Any) -> Any:
        return value if isinstance(value, str) else no_update

    @app.callback(
        Output(ids.REQUEST, "data"),
        Input(ids.KIND, "value"), Input(ids.PREVIOUS, "n_clicks"), Input(ids.NEXT, "n_clicks"),
        Input(ids.CURRENT, "n_clicks"), Input(ids.RANGE_APPLY, "n_clicks"),
        State(ids.RANGE_FROM, "value"), State(ids.RANGE_TO, "value"), State(ids.SHOWN, "data"),
        prevent_initial_call=True,
    )
    def choose(kind: Any, _back: Any, _on: Any, _now: Any, _apply: Any, start: Any, end: Any, shown: Any) -> Any:
        kind = kind if isinstance(kind, str) else "shift"
        if ctx.triggered_id == ids.RANGE_APPLY:
            return {"from": _with_offset(start), "to": _with_offset(end)}
        if ctx.triggered_id in (ids.PREVIOUS, ids.NEXT) and isinstance(shown, dict):
            return {"kind": shown.get("kind"), "from": shown.get("from"), "to": shown.get("to"),
                    "step": -1 if ctx.triggered_id == ids.PREVIOUS else 1}
        return {"kind": kind}

    @app.callback(
        Output(ids.CONTENT, "children"), Output(ids.LABEL, "children"), Output(ids.FEEDBACK, "children"),
        Output(ids.EXPORT_SUMMARY, "href"), Output(ids.EXPORT_INCIDENTS, "href"), Output(ids.EXPORT_XLSX, "href"),
        Output(ids.SHOWN, "data"),
        Input(ids.REQUEST, "data"), Input(ids.DEPARTMENT, "data"), Input(ids.SCALE, "data"),
    )
    def show(request: Any, department: Any, scale: Any) -> tuple[Any, ...]:
        return _show(request if isinstance(request, dict) else {}, department if isinstance(department, str) else None,
                     2.0 if scale == 2 else 1.0)

    app.clientside_callback(ClientsideFunction("kuzet", "printPage"), Output(ids.PRINT, "title"),
                            Input(ids.PRINT, "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("kuzet", "chartScale"), Output(ids.SCALE, "data"),
                            Input(ids.PRINT, "id"))


def _with_offset(value: Any) -> str | None:
    """A datetime-local input (Almaty wall time, no offset) as ISO 8601 with the offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ALMATY).isoformat()
    except ValueError:
        return value[:40]  # the service says what is wrong with it


def _show(request: dict[str, Any], department: str | None, scale: float = 1.0) -> tuple[Any, ...]:
    """Compute and lay out the period; a refusal is said in the feedback line and the last figures stay."""
    keep = (no_update,) * 7
    user = logged_in(Page.STATS)
    if user is None:
        return keep[:2] + (_("Access denied"),) + keep[3:]
    department = None if department in (None, "", ALL_DEPARTMENTS) else department
    session = db()
    try:
        departments = stats.departments_for(session, user, department)
        starts = shifts.starts_of(session, departments[0] if len(departments) == 1 else None)
        if request.get("step") in (-1, 1):
            shown = shifts.resolve_period(starts, start=request.get("from"), end=request.get("to"))
            period = shifts.step_from(starts, str(request.get("kind")), shown.start, shown.end, request["step"])
        else:
            period = shifts.resolve_period(starts, request.get("kind"), None, request.get("from"), request.get("to"))
        figures = stats.compute(session, departments, period)
    except Refused as refused:
        return keep[:2] + (refused.message,) + keep[3:]
    query = urlencode({k: v for k, v in (("department", department), ("from", period.start.isoformat()),
                                         ("to", period.end.isoformat())) if v})
    shown_now = {"kind": period.kind.value, "from": period.start.isoformat(), "to": period.end.isoformat()}
    return (content(figures, scale), _("%(period)s, Almaty time", period=period.label()), "", f"/stats/export/summary.csv?{query}",
            f"/stats/export/incidents.csv?{query}", f"/stats/export/report.xlsx?{query}", shown_now)
