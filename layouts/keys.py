"""Admin: the operators' API keys: issue one (shown once, to copy), revoke one, see when each was last used."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _, format_datetime

PATH = "/admin/keys"
GRID = "keys-grid"
OPERATOR = "keys-operator"
LABEL = "keys-label"
CREATE = "keys-create"
NEW_KEY_BOX = "keys-new-box"
NEW_KEY = "keys-new-key"
COPY = "keys-copy"
REVOKE = "keys-revoke"
FEEDBACK = "keys-feedback"
NEW_OPERATOR = "keys-new-operator"
ADD_OPERATOR = "keys-add-operator"

COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("operator", N_("Operator"), 1.4), ("prefix", N_("Key prefix"), 0.8), ("label", N_("Label"), 1.2),
    ("created", N_("Created"), 1), ("last_used", N_("Last used"), 1), ("state", N_("State"), 1.1),
)


def rows(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grid rows of services.access.operators.key_rows, times in Almaty; never the key itself."""
    return [{"id": k["id"], "operator": k["operator"], "prefix": k["prefix"], "label": k["label"] or "—",
             "created": format_datetime(k["created_at"], "short"),
             "last_used": format_datetime(k["last_used_at"], "short") if k["last_used_at"] else _("never"),
             "state": _("revoked %(when)s", when=format_datetime(k["revoked_at"], "short")) if k["revoked_at"]
             else _("active"), "revoked": k["revoked_at"] is not None} for k in keys]


def new_key_box(key: str) -> list[Any]:
    """The key just issued, to copy now: it is not stored and not shown again."""
    return [html.Div(_("Store this key now: it is not shown again."), className="new-key-warning"),
            dmc.Group(gap="xs", children=[
                html.Code(key, id=NEW_KEY, className="new-key", **{"data-i18n": "data"}),
                dcc.Clipboard(id=COPY, target_id=NEW_KEY, title=_("Copy"), style={"cursor": "pointer"}),
            ])]


def layout(keys: list[dict[str, Any]], operators: list[str], *, username: str,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The keys grid, the form that issues a key, and the revoke button for the selected one."""
    return html.Div(className="admin-page", children=[
        page_header(_("Operators' API keys"), _("Each key is shown once, when it is issued; revoke the old one "
                                                 "after a rotation"), username, pages, PATH),
        html.Main(className="admin-body", children=[
            dmc.Group(align="end", mb="sm", children=[
                dmc.Select(id=OPERATOR, label=_("Operator"), data=[{"value": n, "label": n} for n in operators],
                           searchable=True, w=280),
                dmc.TextInput(id=LABEL, label=_("What the key is for"), w=260),
                dmc.Button(_("Issue a key"), id=CREATE),
                dmc.TextInput(id=NEW_OPERATOR, label=_("New operator (company name)"), w=280, ml="xl"),
                dmc.Button(_("Register the operator"), id=ADD_OPERATOR, variant="light"),
            ]),
            html.Div(id=NEW_KEY_BOX, className="new-key-box", role="status"),
            dag.AgGrid(id=GRID, rowData=rows(keys), columnDefs=[{"field": f, "headerName": _(n), "flex": w}
                                                               for f, n, w in COLUMNS],
                       getRowId="'' + params.data.id",
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": grid_locale(noRowsToShow=_("No keys")),
                                        "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                         "enableClickSelection": True}},
                       style={"height": "55vh", "width": "100%", "marginTop": "0.5rem"}),
            dmc.Group(mt="sm", children=[
                dmc.Button(_("Revoke the selected key"), id=REVOKE, color="red", variant="light"),
                html.Div(id=FEEDBACK, className="feedback", role="status"),
            ]),
        ]),
    ])
