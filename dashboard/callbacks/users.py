"""Admin: users, through the same service functions as `kuzet users` (each journaled under the admin's name)."""

from __future__ import annotations

from typing import Any

import dash
import sqlalchemy as sa
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in, login_guard
from dashboard.context import db, perform
from layouts import users as ids
from layouts.users import layout, rows
from layouts.wall import denied
from services.access import sessions, users
from services.access.permissions import Action, Page, open_pages, require
from services.errors import Refused
from services.i18n import _, localized, ngettext
from services.store.models import Department, Operator


def _departments() -> list[dict[str, str]]:
    return sorted(({"value": d.code, "label": localized(d.name_ru, d.name_kk, d.name_en)}
                   for d in db().scalars(sa.select(Department))), key=lambda o: o["label"])


def _rows() -> list[dict[str, Any]]:
    return rows(users.user_rows(db(), login_guard()))


def page(**_query: Any) -> html.Div:
    """The users page (admins only)."""
    user = logged_in(Page.ADMIN)
    if user is None:
        return denied(_("Administrators only"))
    return layout(users.user_rows(db(), login_guard()), _departments(),
                  list(db().scalars(sa.select(Operator.name).order_by(Operator.name))),
                  username=user.username, pages=open_pages(user.role))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _secret(value: Any) -> str:
    return value if isinstance(value, str) else ""


def account_action(actor: Any, trigger: Any, account: str, password: str, department: str) -> str:
    """Run one account button's service function for ``actor`` (an admin); the words to show. Refusals raise."""
    if not account:
        return _("Choose a user first.")
    if trigger == ids.RESET:
        ended = perform(users.reset_password, actor.username, account, password)
        return ngettext("%(user)s: password changed; %(n)s session ended.",
                        "%(user)s: password changed; %(n)s sessions ended.", len(ended), user=account)
    if trigger == ids.DISABLE:
        if account == actor.username:
            return _("You cannot disable your own account.")
        ended = perform(sessions.disable_user, actor.username, account)
        return ngettext("%(user)s disabled; %(n)s session ended.", "%(user)s disabled; %(n)s sessions ended.",
                        len(ended), user=account)
    if trigger == ids.ENABLE:
        changed = perform(sessions.enable_user, actor.username, account)
        return _("%(user)s enabled.", user=account) if changed else _("%(user)s was not disabled.", user=account)
    if trigger == ids.UNLOCK:
        addresses = perform(users.unlock_user, actor.username, account, login_guard())
        return _("%(user)s unlocked: they may log in now.", user=account) if addresses else \
            _("%(user)s was not locked; failed attempts forgotten.", user=account)
    if trigger in (ids.GRANT, ids.REVOKE):
        require(actor, Action.GRANT_DEPARTMENT)
        if not department:
            return _("Choose a department first.")
        revoke = trigger == ids.REVOKE
        changed = perform(users.grant_department, actor.username, account, department, revoke=revoke)
        if revoke:
            return _("%(user)s: department %(department)s revoked.", user=account, department=department) \
                if changed else _("%(user)s: department %(department)s was not granted.", user=account,
                                  department=department)
        return _("%(user)s: department %(department)s granted.", user=account, department=department) \
            if changed else _("%(user)s: department %(department)s already granted.", user=account,
                              department=department)
    return ""


def register(app: dash.Dash) -> None:
    """Create a user; reset, disable, enable, unlock, grant and revoke; a row chosen fills the account."""

    @app.callback(Output(ids.CREATE_FEEDBACK, "children"), Output(ids.GRID, "rowData"),
                  Output(ids.NEW_PASSWORD, "value"), Output(ids.ACCOUNT, "data"),
                  Input(ids.CREATE, "n_clicks"),
                  State(ids.NEW_USERNAME, "value"), State(ids.NEW_ROLE, "value"), State(ids.NEW_DEPARTMENT, "value"),
                  State(ids.NEW_OPERATOR, "value"), State(ids.NEW_PASSWORD, "value"), prevent_initial_call=True)
    def create(clicks: Any, username: Any, role: Any, department: Any, operator: Any,
               password: Any) -> tuple[str, Any, Any, Any]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Administrators only"), no_update, no_update, no_update
        if not _text(role):
            return _("Choose a role."), no_update, no_update, no_update
        try:
            created = perform(users.add_user, user.username, _text(username), _secret(password), _text(role),
                              _text(department) or None, operator_name=_text(operator) or None)
        except (ValueError, Refused) as refused:
            return str(refused), no_update, no_update, no_update
        fresh = _rows()
        return _("User %(user)s created.", user=created.username), fresh, "", \
            [{"value": r["username"], "label": r["username"]} for r in fresh]

    @app.callback(Output(ids.ACCOUNT_FEEDBACK, "children"), Output(ids.GRID, "rowData", allow_duplicate=True),
                  Output(ids.RESET_PASSWORD, "value"),
                  *[Input(button, "n_clicks") for button in ids.ACCOUNT_BUTTONS],
                  State(ids.ACCOUNT, "value"), State(ids.RESET_PASSWORD, "value"), State(ids.GRANT_DEPARTMENT, "value"),
                  prevent_initial_call=True)
    def act(*values: Any) -> tuple[str, Any, Any]:
        user = logged_in(Page.ADMIN)
        clicks, (account, password, department) = values[:len(ids.ACCOUNT_BUTTONS)], values[len(ids.ACCOUNT_BUTTONS):]
        if user is None or not any(clicks):
            return _("Administrators only"), no_update, no_update
        try:
            said = account_action(user, dash.ctx.triggered_id, _text(account), _secret(password), _text(department))
        except (ValueError, Refused) as refused:
            return str(refused), no_update, no_update
        return said, _rows(), ""

    @app.callback(Output(ids.ACCOUNT, "value"), Input(ids.GRID, "selectedRows"), prevent_initial_call=True)
    def choose(selected: Any) -> Any:
        if logged_in(Page.ADMIN) is None:
            return no_update
        row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else {}
        return row.get("username") if isinstance(row.get("username"), str) else no_update
