"""Admin: the priority policy's rule editor and the SOP checklist editor (services.duty.actions does both)."""

from __future__ import annotations

import secrets
from typing import Any

import dash
import sqlalchemy as sa
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, perform
from layouts import policy as ids
from layouts.policy import layout, rule_rows
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.duty import actions, policy, sop
from services.errors import Refused
from services.i18n import _, localized
from services.i18n.terms import TERMS
from services.intake.catalogue import CATEGORY_OF
from services.store.models import Department

# The types an incident can have (an offence alone opens none unless configured, a heartbeat never).
EDITABLE_TYPES = sorted(t for t in TERMS["type"] if t in CATEGORY_OF and t != "heartbeat")


def _departments() -> dict[int, str]:
    return {d.id: localized(d.name_ru, d.name_kk, d.name_en) for d in db().scalars(sa.select(Department))}


def page(**_query: Any) -> html.Div:
    """The policy and SOP page (admins only)."""
    user = logged_in(Page.ADMIN)
    if user is None:
        return denied(_("Administrators only"))
    departments = _departments()
    return layout(rule_rows(policy.load_rules(db()), departments), EDITABLE_TYPES, departments,
                  username=user.username, pages=open_pages(user.role))


def _steps(incident_type: str) -> list[dict[str, Any]]:
    return [{"key": f"s{step.id}", "text": step.text, "mandatory": step.mandatory}
            for step in sop.steps_of(db(), incident_type)]


def register(app: dash.Dash) -> None:
    """Save a rule; load, edit and save a checklist."""

    @app.callback(Output(ids.RULE_FEEDBACK, "children"), Output(ids.RULES, "rowData"),
                  Input(ids.RULE_SAVE, "n_clicks"),
                  State(ids.RULE_TYPE, "value"), State(ids.RULE_DEPARTMENT, "value"), State(ids.RULE_MOUNT, "value"),
                  State(ids.RULE_NIGHT, "checked"), State(ids.RULE_CONFIDENCE, "value"),
                  State(ids.RULE_PRIORITY, "value"), prevent_initial_call=True)
    def save_rule(clicks: Any, incident_type: Any, department: Any, mount: Any, night: Any, confidence: Any,
                  priority: Any) -> tuple[str, Any]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only"), no_update
        if not isinstance(incident_type, str) or not isinstance(priority, str) or not priority.isdigit():
            return _("Choose an incident type and a priority."), no_update
        try:
            perform(actions.set_policy_rule, user, incident_type=incident_type, priority=int(priority),
                    department_id=int(department) if isinstance(department, str) and department.isdigit() else None,
                    mount_kind=mount if isinstance(mount, str) and mount != ids.ANY else None,
                    night_only=night is True,
                    min_confidence=float(confidence) if isinstance(confidence, (int, float))
                    and not isinstance(confidence, bool) else None)
        except Refused as refused:
            return str(refused), no_update
        return _("Saved. New incidents take the new priority."), rule_rows(policy.load_rules(db()), _departments())

    @app.callback(Output(ids.SOP_STEPS, "rowData"), Output(ids.SOP_FEEDBACK, "children"),
                  Input(ids.SOP_TYPE, "value"), Input(ids.SOP_ADD, "n_clicks"), Input(ids.SOP_REMOVE, "n_clicks"),
                  State(ids.SOP_STEPS, "virtualRowData"), State(ids.SOP_STEPS, "selectedRows"),
                  prevent_initial_call=True)
    def edit_steps(incident_type: Any, _add: Any, _remove: Any, rows: Any, selected: Any) -> tuple[Any, str]:
        if logged_in(Page.ADMIN) is None:
            return no_update, _("Administrators only")
        trigger = dash.ctx.triggered_id
        if trigger == ids.SOP_TYPE:
            return (_steps(incident_type), "") if incident_type in EDITABLE_TYPES else ([], "")
        current = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        if trigger == ids.SOP_ADD:
            return current + [{"key": f"n{secrets.token_hex(4)}", "text": _("New step"), "mandatory": True}], ""
        chosen = {r.get("key") for r in selected if isinstance(r, dict)} if isinstance(selected, list) else set()
        if not chosen:
            return no_update, _("Select a step first.")
        return [r for r in current if r.get("key") not in chosen], ""

    @app.callback(Output(ids.SOP_FEEDBACK, "children", allow_duplicate=True),
                  Input(ids.SOP_SAVE, "n_clicks"), State(ids.SOP_TYPE, "value"),
                  State(ids.SOP_STEPS, "virtualRowData"), prevent_initial_call=True)
    def save_steps(clicks: Any, incident_type: Any, rows: Any) -> str:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only")
        if incident_type not in EDITABLE_TYPES:
            return _("Choose an incident type first.")
        steps = [{"text": r.get("text") if isinstance(r.get("text"), str) else "",
                  "mandatory": r.get("mandatory") is not False} for r in rows if isinstance(r, dict)] \
            if isinstance(rows, list) else []
        try:
            saved = perform(actions.set_sop, user, incident_type, steps=steps)
        except Refused as refused:
            return str(refused)
        return _("Saved: %(n)s steps. New incidents of this type get this checklist.", n=len(saved))
