"""Admin pages: dead-letter review and replay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, kuzet, perform
from layouts import admin as ids
from layouts.admin import layout, rows
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.duty import actions
from services.errors import Refused
from services.i18n import _
from services.intake.deadletters import filter_choices, raw_text, recent
from services.store.models import DeadLetter, utcnow
from services.access.scope import as_id




def page(**_query: Any) -> html.Div:
    """Dead letters, newest first (admins only)."""
    user = logged_in(Page.ADMIN)
    if user is None:
        return denied(_("Administrators only"))
    operators, endpoints = filter_choices(db())
    return layout(recent(db()), username=user.username, pages=open_pages(user.role), operators=operators,
                  endpoints=endpoints)


FILTERS = (State(ids.FILTER_OPERATOR, "value"), State(ids.FILTER_ENDPOINT, "value"), State(ids.FILTER_STATE, "value"),
           State(ids.FILTER_DAYS, "value"), State(ids.FILTER_REASON, "value"))


def _listed(operator: Any, endpoint: Any, state: Any, days: Any, reason: Any) -> list[dict[str, Any]]:
    """The letters the filters choose (anything forged or unknown in them counts as no filter)."""
    chosen_days = int(days) if isinstance(days, str) and days.isdigit() and 0 < int(days) <= 3660 else None
    return rows(recent(
        db(), operator_id=as_id(operator) if operator != ids.ALL else None,
        endpoint=endpoint[:64] if isinstance(endpoint, str) and endpoint != ids.ALL else None,
        replayed={"replayed": True, "waiting": False}.get(state) if isinstance(state, str) else None,
        reason=reason.strip()[:200] if isinstance(reason, str) and reason.strip() else None,
        since=utcnow() - timedelta(days=chosen_days) if chosen_days else None))


def _selected(selected: list[dict[str, Any]] | None) -> DeadLetter | None:
    row = selected[0] if isinstance(selected, list) and selected else {}
    letter_id = as_id(row.get("id") if isinstance(row, dict) else None)
    return db().get(DeadLetter, letter_id) if letter_id is not None else None


def register(app: dash.Dash) -> None:
    """Show the payload of the selected letter; replay it."""

    @app.callback(Output(ids.RAW, "children"), Input(ids.DEAD_LETTERS, "selectedRows"), prevent_initial_call=True)
    def show(selected: list[dict[str, Any]] | None) -> str:
        if logged_in(Page.ADMIN) is None:
            return _("Access denied")
        letter = _selected(selected)
        return raw_text(letter) if letter else no_update

    @app.callback(Output(ids.DEAD_LETTERS, "rowData", allow_duplicate=True),
                  *(Input(f.component_id, f.component_property) for f in FILTERS), prevent_initial_call=True)
    def choose(operator: Any, endpoint: Any, state: Any, days: Any, reason: Any) -> Any:
        if logged_in(Page.ADMIN) is None:
            return no_update
        return _listed(operator, endpoint, state, days, reason)

    @app.callback(
        Output(ids.FEEDBACK, "children"),
        Output(ids.DEAD_LETTERS, "rowData"),
        Input(ids.REPLAY, "n_clicks"),
        State(ids.DEAD_LETTERS, "selectedRows"),
        *FILTERS,
        prevent_initial_call=True,
    )
    def do_replay(clicks: int | None, selected: list[dict[str, Any]] | None, *chosen: Any) -> tuple[str, Any]:
        user = logged_in(Page.ADMIN)
        if user is None or not clicks:
            return _("Access denied"), no_update
        row = selected[0] if isinstance(selected, list) and selected else None
        letter_id = row.get("id") if isinstance(row, dict) else None
        if letter_id is None:
            return _("Select a row"), no_update
        try:
            summary = perform(actions.replay_dead_letter, user, kuzet().ingest, letter_id)
        except Refused as refused:
            return str(refused), no_update
        return _("No. %(id)s replayed: %(summary)s", id=letter_id, summary=summary), _listed(*chosen)
