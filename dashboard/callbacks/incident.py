"""Incident page: loader in scope, and the actions taken on it (one service call each)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dash
import sqlalchemy as sa
from dash import ALL, Input, Output, State, ctx, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, kuzet
from dashboard.live import push_incident
from layouts import incident as ids
from layouts.incident import body, layout
from layouts.wall import denied
from services.store import audit
from services.duty.casefile import case_file
from services.duty.dispatch import arrive, dispatch, dispatch_nearest
from services.duty.incidents import TransitionRefused, transition
from services.store.models import Incident, IncidentNote, SopTick, User, utcnow
from services.access.scope import incident_in_scope, visible_departments
from services.duty.sop import tick

logger = logging.getLogger(__name__)


def _case(incident: Incident, user: User) -> Any:
    return case_file(db(), incident, user.role, speed_kmh=kuzet().settings.city_speed_kmh)


def page(incident_id: str | None = None, **_query: Any) -> html.Div:
    """The case file of one incident, if the user's scope holds it."""
    user = logged_in()
    if user is None:
        return denied("Войдите в систему · Please log in")
    incident = incident_in_scope(db(), user, incident_id)
    if incident is None:
        return denied(f"Происшествие №{incident_id} не найдено в вашей юрисдикции · Incident not found")
    return layout(_case(incident, user), username=user.username)


def _act(incident_id: Any, work: Callable[[Incident, User], str]) -> Any:
    """Run one action in scope, commit, push the change, and re-render the body with feedback."""
    user = logged_in()
    incident = incident_in_scope(db(), user, incident_id) if user else None
    if incident is None:
        return html.Div("Нет доступа · Access denied", className="feedback")
    before = incident.department_id
    try:
        message = work(incident, user)
        db().commit()
    except (TransitionRefused, ValueError) as refused:
        db().rollback()
        incident = incident_in_scope(db(), user, incident_id)
        return body(_case(incident, user), feedback=str(refused)) if incident else no_update
    push_incident(incident, before)
    if incident.department_id not in visible_departments(db(), user):
        return html.Div(message, className="feedback")
    return body(_case(incident, user), feedback=message)


def register(app: dash.Dash) -> None:
    """Actions, dispatch, SOP ticks, notes and the outcome form."""

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input({"type": ids.ACTION, "action": ALL}, "n_clicks"),
        State(ids.INCIDENT, "data"),
        State(ids.VERSION, "data"),
        State(ids.REASON, "value"),
        prevent_initial_call=True,
    )
    def on_action(clicks: list[int | None], incident_id: Any, version: Any, reason: str | None) -> Any:
        if not ctx.triggered_id or not any(clicks):
            return no_update
        action = ctx.triggered_id["action"]
        # The version this page showed: acting on a view someone else has changed is refused by name.
        seen = version if isinstance(version, int) and not isinstance(version, bool) else None
        why = reason.strip() if isinstance(reason, str) and "\x00" not in reason else ""

        def work(incident: Incident, user: User) -> str:
            if action == "dispatch":
                unit = dispatch_nearest(db(), incident, user, expected_version=seen)
                return f"Направлен ближайший наряд ({unit.distance_m:.0f} м)"
            if action == "arrive":
                arrive(db(), incident, user, expected_version=seen)
                return "Наряд на месте"
            if action in ids.REASON_ACTIONS and not why:
                raise ValueError("Укажите причину · Enter a reason first")
            transition(db(), incident, action, user, expected_version=seen,
                       reason=why if action in ids.REASON_ACTIONS else "")
            return f"{ids.ACTION_LABELS.get(action, action)}: выполнено"

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

        def work(incident: Incident, user: User) -> str:
            dispatch(db(), incident, [int(unit_id)], user)
            return "Наряд направлен"

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
        if not isinstance(incident_id, int) or not isinstance(step_id, int):
            return no_update
        # A re-rendered body shows ticked steps as checked: that is not a new tick.
        if db().scalar(sa.select(SopTick.id).where(SopTick.incident_id == incident_id, SopTick.step_id == step_id)):
            return no_update

        def work(incident: Incident, user: User) -> str:
            tick(db(), incident, int(step_id), user)
            return "Шаг отмечен"

        return _act(incident_id, work)

    @app.callback(
        Output(ids.BODY, "children", allow_duplicate=True),
        Input(ids.NOTE_ADD, "n_clicks"),
        State(ids.NOTE_TEXT, "value"),
        State(ids.INCIDENT, "data"),
        prevent_initial_call=True,
    )
    def on_note(clicks: int | None, text: str | None, incident_id: Any) -> Any:
        if not clicks:
            return no_update

        def work(incident: Incident, user: User) -> str:
            if not text or not text.strip() or "\x00" in text:
                raise ValueError("Пустая заметка · Empty note")
            db().add(IncidentNote(incident_id=incident.id, author=user.username, text=text.strip()[:4000],
                                  at=utcnow()))
            audit.record(db(), user.username, "incident.note", f"incident:{incident.id}")
            return "Заметка добавлена"

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
    def on_resolve(clicks: int | None, outcome: str | None, case_number: str | None, note: str | None,
                   override: bool | None, incident_id: Any) -> Any:
        if not clicks:
            return no_update

        def work(incident: Incident, user: User) -> str:
            if (case_number and "\x00" in case_number) or (note and "\x00" in note):
                raise ValueError("Недопустимые символы · Invalid characters")
            transition(db(), incident, "resolve", user, outcome=outcome, case_number=case_number or "",
                       reason=note or "", sop_override=bool(override))
            return "Происшествие решено · Resolved"

        return _act(incident_id, work)
