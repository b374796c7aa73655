"""Admin: operators' API keys through the same service functions as `kuzet operators key-add / key-revoke`."""

from __future__ import annotations

from typing import Any

import dash
import sqlalchemy as sa
import sqlalchemy.exc
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, perform
from layouts import keys as ids
from layouts.keys import layout, new_key_box, rows
from layouts.wall import denied
from services.access import operators
from services.access.permissions import Page, open_pages
from services.errors import Refused
from services.i18n import _
from services.store.models import Operator


def page(**_query: Any) -> html.Div:
    """The keys page (admins only)."""
    user = logged_in(Page.ADMIN)
    if user is None:
        return denied(_("Administrators only"))
    return layout(operators.key_rows(db()), list(db().scalars(sa.select(Operator.name).order_by(Operator.name))),
                  username=user.username, pages=open_pages(user.role))


def register(app: dash.Dash) -> None:
    """Issue a key (its plaintext in this one answer only); revoke the selected key."""

    @app.callback(Output(ids.NEW_KEY_BOX, "children"), Output(ids.GRID, "rowData"),
                  Input(ids.CREATE, "n_clicks"), State(ids.OPERATOR, "value"), State(ids.LABEL, "value"),
                  prevent_initial_call=True)
    def create(clicks: Any, operator: Any, label: Any) -> tuple[Any, Any]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only"), no_update
        if not isinstance(operator, str) or not operator:
            return _("Choose an operator first."), no_update
        try:
            key = perform(operators.add_key, user.username, operator, label if isinstance(label, str) else "")
        except (ValueError, Refused) as refused:
            return str(refused), no_update
        return new_key_box(key), rows(operators.key_rows(db()))

    @app.callback(Output(ids.NEW_KEY_BOX, "children", allow_duplicate=True),
                  Output(ids.GRID, "rowData", allow_duplicate=True), Output(ids.OPERATOR, "data"),
                  Input(ids.ADD_OPERATOR, "n_clicks"), State(ids.NEW_OPERATOR, "value"), prevent_initial_call=True)
    def register_operator(clicks: Any, name: Any) -> tuple[Any, Any, Any]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only"), no_update, no_update
        if not isinstance(name, str) or not name.strip():
            return _("Name the operator first."), no_update, no_update
        try:
            _operator, key = perform(operators.add_operator, user.username, " ".join(name.split())[:200])
        except (ValueError, Refused, sa.exc.IntegrityError) as refused:
            db().rollback()
            return (_("An operator of that name is registered already.") if isinstance(refused, sa.exc.IntegrityError)
                    else str(refused)), no_update, no_update
        names = list(db().scalars(sa.select(Operator.name).order_by(Operator.name)))
        return new_key_box(key), rows(operators.key_rows(db())), [{"value": n, "label": n} for n in names]

    @app.callback(Output(ids.FEEDBACK, "children"), Output(ids.GRID, "rowData", allow_duplicate=True),
                  Output(ids.NEW_KEY_BOX, "children", allow_duplicate=True),
                  Input(ids.REVOKE, "n_clicks"), State(ids.GRID, "selectedRows"), prevent_initial_call=True)
    def revoke(clicks: Any, selected: Any) -> tuple[str, Any, Any]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only"), no_update, no_update
        row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else None
        if row is None or not isinstance(row.get("operator"), str) or not isinstance(row.get("prefix"), str):
            return _("Select a key first."), no_update, no_update
        try:
            perform(operators.revoke_operator_key, user.username, row["operator"], row["prefix"])
        except (ValueError, Refused) as refused:
            return str(refused), no_update, no_update
        return _("Key %(prefix)s of %(operator)s revoked.", prefix=row["prefix"], operator=row["operator"]), \
            rows(operators.key_rows(db())), ""
