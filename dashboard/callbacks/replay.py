"""The replay page: the window from the query, the state at the playhead from services.replay, the detail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, Patch, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from services.geo.basemap import attribution as map_attribution
from layouts import replay as ids
from layouts.replay import detail, layout
from layouts.wall import COUNTERS, denied, patch_map
from services.access.permissions import Action, Page, allows, open_pages
from services.errors import Refused
from services.i18n import _
from services.replay import review
from services.replay.state import incident_at
from services.supervision.shifts import ALMATY, parse_time

DEFAULT_SPAN = timedelta(hours=2)


def _moment(value: Any) -> datetime | None:
    """An ISO time with offset, or an Almaty datetime-local value (the page's inputs); None when unreadable."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        return parse_time(value, "/at")
    except Refused:
        pass
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ALMATY)
    except ValueError:
        return None


def page(department: str | None = None, incident: str | None = None, start: str | None = None,
         end: str | None = None, unmasked: str | None = None, **query: Any) -> html.Div:
    """Replay a department's window (``department``, ``from``, ``to``) or a past incident's (``incident``)."""
    user = logged_in(Page.REPLAY)
    if user is None:
        return denied(_("Replay is for trainers, shift supervisors, chiefs and administrators"))
    session = db()
    try:
        departments = review.reviewable_departments(session, user)
        if not departments:
            return denied(_("No department to replay"))
        incident_id = None
        if incident:
            window = review.incident_window(session, user, incident)
            department_id, begin, finish, incident_id = (window.department_id, window.start, window.end,
                                                         window.incident_id)
        else:
            department_id = review.department_in_scope(session, user, department or user.department_id
                                                        or departments[0][0])
            finish = _moment(query.get("to", end)) or datetime.now(timezone.utc)
            begin = _moment(query.get("from", start)) or finish - DEFAULT_SPAN
        if not begin < finish or finish - begin > review.MAX_WINDOW:
            return denied(_("The window must run forward and last at most 7 days"))
        masked_off = unmasked == "1"
        moment = review.state(session, user, department_id, begin.isoformat(), "1" if masked_off else None)
        changes = review.changes(session, user, department_id, begin.isoformat(), finish.isoformat(),
                                 "1" if masked_off else None)
        session.commit()  # an admin's unmasked view is on the journal
    except Refused as refused:
        return denied(str(refused))
    return layout(moment.situation, username=user.username, pages=open_pages(user.role),
                  departments=[{"value": str(i), "label": name} for i, name in departments],
                  start=begin, end=finish, changes=changes["changes"], truncated=changes["truncated"],
                  may_unmask=allows(user.role, Action.VIEW_UNMASKED), unmasked=masked_off, incident_id=incident_id,
                  attribution=map_attribution(session, moment.situation.department.get("city", "")))


def _window(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) and isinstance(value.get("department"), int) else None


def register(app: dash.Dash) -> None:
    """Window form -> reload; playhead -> map, queue, counters; selected row -> its detail at the playhead."""

    @app.callback(Output(ids.LOCATION, "href"), Input(ids.SHOW, "n_clicks"),
                  State(ids.DEPARTMENT, "value"), State(ids.FROM, "value"), State(ids.TO, "value"),
                  State(ids.UNMASKED, "checked"), prevent_initial_call=True)
    def show_window(_clicks: Any, department: Any, start: Any, end: Any, unmasked: Any) -> Any:
        query = {"department": department if isinstance(department, str) else "",
                 "from": start if isinstance(start, str) else "", "to": end if isinstance(end, str) else ""}
        if unmasked is True:
            query["unmasked"] = "1"
        return "/replay?" + urlencode(query)

    @app.callback(
        Output(ids.MAP, "figure"), Output(ids.QUEUE, "rowData"),
        *[Output(ids.COUNTER.format(k), "children") for k in COUNTERS],
        Output(ids.SHOWN, "data"), Output(ids.FEEDBACK, "children"),
        Input(ids.PLAYHEAD, "data"), State(ids.WINDOW, "data"),
        prevent_initial_call=True,
    )
    def show_moment(playhead: Any, window: Any) -> tuple[Any, ...]:
        nothing = (no_update,) * (3 + len(COUNTERS))
        user = logged_in(Page.REPLAY)
        window = _window(window)
        if user is None or window is None or isinstance(playhead, bool) or not isinstance(playhead, (int, float)):
            return (*nothing, _("Access denied"))
        try:
            at = datetime.fromtimestamp(playhead / 1000, timezone.utc)
            moment = review.state(db(), user, window["department"], at.isoformat(),
                                  "1" if window.get("unmasked") is True else None, outlined=False)
        except (Refused, ValueError, OverflowError, OSError) as refused:
            return (*nothing, str(refused) if isinstance(refused, Refused) else _("Bad time"))
        s = moment.situation
        figure = patch_map(Patch(), s.units, s.incidents, s.cameras, now=at)
        rows = [{**r, "moment": playhead} for r in s.incidents]  # each row says which moment it shows
        return (figure, rows, *[str(s.counters[k]) for k in COUNTERS], playhead, "")

    app.clientside_callback(
        "function(shown) { if (window.kuzetReplay) { window.kuzetReplay.drawn(shown); } return shown; }",
        Output(ids.ACK, "data"), Input(ids.SHOWN, "data"), prevent_initial_call=True)

    # On selection only: while playing, four state requests a second are enough for the server.
    @app.callback(Output(ids.DETAIL, "children"), Input(ids.QUEUE, "selectedRows"), State(ids.SHOWN, "data"),
                  State(ids.WINDOW, "data"), prevent_initial_call=True)
    def show_detail(selected: Any, shown: Any, window: Any) -> Any:
        user = logged_in(Page.REPLAY)
        window = _window(window)
        row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else None
        if user is None or window is None or row is None or isinstance(shown, bool) \
                or not isinstance(shown, (int, float)):
            return no_update
        try:
            incident = review.incident_for_review(db(), user, row.get("id"))
            redactor = review.redactor_for(db(), user, "1" if window.get("unmasked") is True else None,
                                           f"incident:{incident.id}", {"view": "replay detail"})
            at = datetime.fromtimestamp(shown / 1000, timezone.utc)
            found, history = incident_at(db(), incident.id, at, redactor)
            db().commit()
        except (Refused, ValueError, OverflowError, OSError) as refused:
            return str(refused) if isinstance(refused, Refused) else _("Bad time")
        return detail(found, history)
