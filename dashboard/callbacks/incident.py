"""Incident page: loader in scope, and the actions taken on it (one service call each)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash
import sqlalchemy as sa
from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, kuzet, perform
from layouts import incident as ids
from layouts.incident import body, layout
from layouts.wall import denied
from services.duty.casefile import case_file
from services.access.permissions import Action, open_pages
from services.duty import actions
from services.duty.sop import ticked_steps
from services.errors import Invalid, Refused
from services.i18n import _, format_number
from services.replay.redaction import Redactor
from services.store.models import Incident, SopTick, User
from services.access.scope import incident_in_scope

logger = logging.getLogger(__name__)


def _case(incident: Incident, user: User) -> Any:
    # A trainer sees past incidents masked (docs/masking.md); everyone else works with the record as it is.
    redactor = Redactor.for_viewer(db(), user)
    return case_file(db(), incident, user.role, speed_kmh=kuzet().settings.city_speed_kmh, redactor=redactor)


def page(incident_id: str | None = None, **_query: Any) -> html.Div:
    """The case file of one incident, if the user's scope holds it."""
    user = logged_in()
    if user is None:
        return denied(_("Please log in"))
    incident = incident_in_scope(db(), user, incident_id)
    if incident is None:
        return denied(_("Incident #%(id)s is not found in your jurisdiction", id=incident_id))
    return layout(_case(incident, user), username=user.username, pages=open_pages(user.role))


def _act(incident_id: Any, work: Callable[[User], str]) -> Any:
    """Run one service action (through ``perform``) and re-render the body with its feedback or refusal."""
    user = logged_in()
    if user is None or incident_in_scope(db(), user, incident_id) is None:
        return html.Div(_("Access denied"), className="feedback")
    try:
        message = work(user)
    except Refused as refused:
        incident = incident_in_scope(db(), user, incident_id)
        return body(_case(incident, user), feedback=str(refused)) if incident else no_update
    incident = incident_in_scope(db(), user, incident_id)
    if incident is None:  # transferred out of the user's scope
        return html.Div(message, className="feedback")
    return body(_case(incident, user), feedback=message)


def register(app: dash.Dash) -> None:
    """Actions, dispatch, SOP ticks, notes and the outcome form; the page redrawn when a push changes it."""

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input(ids.SOCKET, "data-incidents"),
        State(ids.INCIDENT, "data"),
        State(ids.VERSION, "data"),
        State(ids.SOP_TICKED, "data"),
        prevent_initial_call=True,
    )
    def on_push(message: Any, incident_id: Any, shown: Any, ticks_shown: Any) -> Any:
        rows = message.get("rows") if isinstance(message, dict) else None
        pushed = [r for r in rows or [] if isinstance(r, dict) and r.get("id") == incident_id]
        # The push only says which row changed and its version; what is drawn is re-read in the user's scope.
        if not pushed or not isinstance(shown, int):
            return no_update
        user = logged_in()
        incident = incident_in_scope(db(), user, incident_id) if user is not None else None
        if incident is None:
            return no_update
        if incident.version == shown:
            # A ticked step changes no version (it must not make the others' next action a conflict): redraw
            # when the page shows fewer ticks than the record holds, whoever ticked (watching the video ticks too).
            if not isinstance(ticks_shown, int) or ticked_steps(db(), incident.id) == ticks_shown:
                return no_update
            return body(_case(incident, user))
        last = incident.history[-1] if incident.history else None
        if last is not None and last.actor == user.username:
            return no_update  # this officer's own action: its own callback redraws the page with its outcome
        return body(_case(incident, user), feedback=_("Updated: changed by another officer"))

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input({"type": ids.ACTION, "action": ALL}, "n_clicks"),
        State(ids.INCIDENT, "data"),
        State(ids.VERSION, "data"),
        State(ids.REASON, "value"),
        prevent_initial_call=True,
    )
    def on_action(clicks: list[int | None], incident_id: Any, version: Any, reason: Any) -> Any:
        if not ctx.triggered_id or not any(clicks):
            return no_update
        action = ctx.triggered_id["action"]
        # The version this page showed: acting on a view someone else has changed is refused by name.
        seen = version if isinstance(version, int) and not isinstance(version, bool) else None

        def work(user: User) -> str:
            if action == Action.DISPATCH:
                sent = perform(actions.dispatch, user, incident_id, version=seen, nearest=True)
                return _("The nearest unit is dispatched (%(distance)s m)",
                         distance=format_number(round(sent.assignments[0].distance_m)))
            if action == Action.ARRIVE:
                perform(actions.arrive, user, incident_id, version=seen)
                return _("The unit is on scene")
            step = actions.LIFECYCLE.get(action) if action not in ids.FORM_ACTIONS else None
            if step is None:
                raise Invalid(_("Unknown action %(action)s.", action=repr(action)))
            if action in ids.REASON_ACTIONS:
                perform(step, user, incident_id, version=seen, reason=reason)
            else:
                perform(step, user, incident_id, version=seen)
            return _("%(action)s: done", action=ids.button_label(action))

        return _act(incident_id, work)

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input({"type": ids.DISPATCH_UNIT, "unit": ALL}, "n_clicks"),
        State(ids.INCIDENT, "data"),
        prevent_initial_call=True,
    )
    def on_dispatch_unit(clicks: list[int | None], incident_id: Any) -> Any:
        if not ctx.triggered_id or not any(clicks):
            return no_update
        unit_id = ctx.triggered_id["unit"]

        def work(user: User) -> str:
            perform(actions.dispatch, user, incident_id, unit_ids=[unit_id])
            return _("The unit is dispatched")

        return _act(incident_id, work)

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input({"type": ids.SOP_STEP, "step": ALL}, "checked"),
        State(ids.INCIDENT, "data"),
        prevent_initial_call=True,
    )
    def on_tick(checked: list[bool | None], incident_id: Any) -> Any:
        if not ctx.triggered_id or not ctx.triggered or ctx.triggered[0]["value"] is not True:
            return no_update
        step_id = ctx.triggered_id["step"]
        # A re-rendered body shows ticked steps as checked: that is not a new tick.
        if isinstance(incident_id, int) and isinstance(step_id, int) and db().scalar(
                sa.select(SopTick.id).where(SopTick.incident_id == incident_id, SopTick.step_id == step_id)):
            return no_update

        def work(user: User) -> str:
            perform(actions.tick_sop_step, user, incident_id, step_id=step_id)
            return _("Step ticked")

        return _act(incident_id, work)

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input(ids.NOTE_ADD, "n_clicks"),
        State(ids.NOTE_TEXT, "value"),
        State(ids.INCIDENT, "data"),
        prevent_initial_call=True,
    )
    def on_note(clicks: int | None, text: Any, incident_id: Any) -> Any:
        if not clicks:
            return no_update

        def work(user: User) -> str:
            perform(actions.add_note, user, incident_id, text=text)
            return _("Note added")

        return _act(incident_id, work)

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input(ids.RESOLVE, "n_clicks"),
        State(ids.OUTCOME, "value"),
        State(ids.CASE_NUMBER, "value"),
        State(ids.OUTCOME_NOTE, "value"),
        State(ids.OVERRIDE, "checked"),
        State(ids.INCIDENT, "data"),
        prevent_initial_call=True,
    )
    def on_resolve(clicks: int | None, outcome: Any, case_number: Any, note: Any, override: Any,
                   incident_id: Any) -> Any:
        if not clicks:
            return no_update

        def work(user: User) -> str:
            perform(actions.resolve, user, incident_id, outcome=outcome, case_number=case_number, reason=note,
                    sop_override=override is True)
            return _("Incident resolved")

        return _act(incident_id, work)
