"""The operator's portal: its own scorecard, statements, refused payloads and API keys; nothing of anyone else's."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import portal as ids
from layouts.portal import key_rows, layout
from layouts.settlement import statement_view
from services.access.permissions import Action, Page, allows, open_pages
from services.errors import Refused
from services.i18n import _
from services.settlement import portal, statements
from services.settlement.calendar import parse_month
from services.store.models import User


def _operator_login() -> User | None:
    user = logged_in(Page.OPERATORS)
    return user if user is not None and allows(user.role, Action.MANAGE_OWN_KEYS) else None


def page(user: User) -> html.Div:
    """The portal of the user's own operator."""
    from dashboard.callbacks.settlement import recent_months

    operator = portal.own_operator(db(), user)
    months = recent_months()
    return layout(portal.scorecard(db(), operator), months[1:] + months[:1], portal.keys(db(), operator),
                  portal.dead_letters(db(), operator), username=user.username, pages=open_pages(user.role))


def register(app: dash.Dash) -> None:
    """The month's statement; keys created and revoked."""

    @app.callback(Output(ids.STATEMENT, "children"), Input(ids.MONTH, "value"))
    def show(month: Any) -> Any:
        user = _operator_login()
        if user is None:
            return no_update
        try:
            operator = portal.own_operator(db(), user)
            content = statements.latest(db(), operator, parse_month(month))
            db().commit()
        except (ValueError, Refused) as exc:
            db().rollback()
            return html.Div(str(exc), className="settlement-empty")
        return statement_view(content, f"/api/v1/operators/{operator.id}/statements/{content['month']}")

    @app.callback(Output(ids.KEY_SHOWN, "children"), Output(ids.KEYS, "rowData"), Output(ids.FEEDBACK, "children"),
                  Input(ids.KEY_CREATE, "n_clicks"), State(ids.KEY_LABEL, "value"), prevent_initial_call=True)
    def create(clicks: Any, label: Any) -> Any:
        user = _operator_login()
        if user is None or not clicks:
            return no_update, no_update, no_update
        try:
            key = portal.create_key(db(), user, label if isinstance(label, str) else "")
            db().commit()
        except Refused as exc:
            db().rollback()
            return no_update, no_update, str(exc)
        shown = [html.Span(key, **{"data-i18n": "data"}), "\n\n", _("Copy the key now: it is shown only once")]
        return shown, key_rows(portal.keys(db(), portal.own_operator(db(), user))), _("Key created")

    @app.callback(Output(ids.KEYS, "rowData", allow_duplicate=True),
                  Output(ids.FEEDBACK, "children", allow_duplicate=True),
                  Input(ids.KEY_REVOKE, "n_clicks"), State(ids.KEYS, "selectedRows"), prevent_initial_call=True)
    def revoke(clicks: Any, selected: Any) -> Any:
        user = _operator_login()
        if user is None or not clicks:
            return no_update, no_update
        prefix = selected[0].get("prefix") if isinstance(selected, list) and selected and \
            isinstance(selected[0], dict) else None
        if prefix is None:
            return no_update, _("Select a key in the table first")
        try:
            portal.revoke_own_key(db(), user, prefix)
            db().commit()
        except Refused as exc:
            db().rollback()
            return no_update, str(exc)
        return key_rows(portal.keys(db(), portal.own_operator(db(), user))), _("Key %(prefix)s revoked", prefix=prefix)
