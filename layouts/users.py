"""Admin: the people who log in, and the forms that add them, reset, disable, enable, unlock and grant."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _, format_datetime
from services.i18n.terms import TERMS, term

PATH = "/admin/users"
GRID = "users-grid"
NEW_USERNAME = "users-new-username"
NEW_ROLE = "users-new-role"
NEW_DEPARTMENT = "users-new-department"
NEW_OPERATOR = "users-new-operator"
NEW_PASSWORD = "users-new-password"
CREATE = "users-create"
CREATE_FEEDBACK = "users-create-feedback"
ACCOUNT = "users-account"
RESET_PASSWORD = "users-reset-password"
RESET = "users-reset"
DISABLE = "users-disable"
ENABLE = "users-enable"
UNLOCK = "users-unlock"
GRANT_DEPARTMENT = "users-grant-department"
GRANT = "users-grant"
REVOKE = "users-revoke"
ACCOUNT_FEEDBACK = "users-account-feedback"
ACCOUNT_BUTTONS = (RESET, DISABLE, ENABLE, UNLOCK, GRANT, REVOKE)

COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("username", N_("Username"), 1.1), ("role", N_("Role"), 1.1), ("department", N_("Department"), 1.3),
    ("active", N_("Active"), 0.6), ("locked_until", N_("Locked until"), 1), ("last_login", N_("Last login"), 1),
    ("grants", N_("Trainer's departments"), 1.5),
)


def rows(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grid rows of services.access.users.user_rows: the role by name, times in Almaty."""
    return [{"id": u["id"], "username": u["username"], "role": term("role", u["role"]),
             "department": u["department"] or "—", "active": _("yes") if u["active"] else _("no"),
             "locked_until": format_datetime(u["locked_until"], "short") if u["locked_until"] else "—",
             "last_login": format_datetime(u["last_login"], "short") if u["last_login"] else _("never"),
             "grants": ", ".join(u["grants"]) or "—"} for u in users]


def _columns() -> list[dict[str, Any]]:
    return [{"field": f, "headerName": _(n), "flex": w} for f, n, w in COLUMNS]


def layout(users: list[dict[str, Any]], departments: list[dict[str, str]], operators: list[str], *, username: str,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The users grid, the new-user form and the account form (``departments``: value = code, label = name)."""
    accounts = [{"value": u["username"], "label": u["username"]} for u in users]
    return html.Div(className="admin-page", children=[
        page_header(_("Users"), _("Who logs in, with which role and department"), username, pages, PATH),
        html.Main(className="admin-body", children=[
            dag.AgGrid(id=GRID, rowData=rows(users), columnDefs=_columns(), getRowId="'' + params.data.id",
                       dashGridOptions={"theme": {"function": GRID_THEME}, "localeText": grid_locale(
                           noRowsToShow=_("No users")), "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                                        "enableClickSelection": True}},
                       style={"height": "40vh", "width": "100%"}),
            html.H2(_("New user"), style={"marginTop": "1rem"}),
            dmc.Group(align="end", children=[
                dmc.TextInput(id=NEW_USERNAME, label=_("Username"), w=200),
                dmc.Select(id=NEW_ROLE, label=_("Role"), w=200, allowDeselect=False,
                           data=[{"value": code, "label": term("role", code)} for code in TERMS["role"]]),
                dmc.Select(id=NEW_DEPARTMENT, label=_("Department"), data=departments, searchable=True, clearable=True,
                           w=280),
                dmc.Select(id=NEW_OPERATOR, label=_("Operator (for an operator's login)"), clearable=True, w=240,
                           searchable=True, data=[{"value": name, "label": name} for name in operators]),
                dmc.PasswordInput(id=NEW_PASSWORD, label=_("Initial password"), w=220,
                                  description=_("At least 12 characters, not a common one")),
                dmc.Button(_("Create the user"), id=CREATE),
            ]),
            html.Div(id=CREATE_FEEDBACK, className="feedback", role="status"),
            html.H2(_("Account"), style={"marginTop": "1rem"}),
            dmc.Group(align="end", children=[
                dmc.Select(id=ACCOUNT, label=_("User"), data=accounts, searchable=True, w=220),
                dmc.PasswordInput(id=RESET_PASSWORD, label=_("New password"), w=220),
                dmc.Button(_("Reset the password"), id=RESET, variant="light"),
                dmc.Button(_("Disable"), id=DISABLE, color="red", variant="light"),
                dmc.Button(_("Enable"), id=ENABLE, variant="light"),
                dmc.Button(_("Unlock"), id=UNLOCK, variant="light"),
            ]),
            dmc.Group(align="end", mt="sm", children=[
                dmc.Select(id=GRANT_DEPARTMENT, label=_("Department for a trainer"), data=departments,
                           searchable=True, w=280),
                dmc.Button(_("Grant the department"), id=GRANT, variant="light"),
                dmc.Button(_("Revoke the department"), id=REVOKE, variant="light", color="gray"),
            ]),
            html.Div(id=ACCOUNT_FEEDBACK, className="feedback", role="status"),
        ]),
    ])
