"""The video views page: filtered by camera and user through the same service as the API."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import views as ids
from layouts.views import layout, rows
from layouts.wall import denied
from services.access.permissions import Page, open_pages
from services.errors import Refused
from services.i18n import _, ngettext
from services.video.views import list_views


def page(**_query: Any) -> html.Div:
    """The newest views in the reader's departments."""
    user = logged_in(Page.VIDEO_VIEWS)
    if user is None:
        return denied(_("Chiefs and administrators only"))
    return layout(list_views(db(), user), username=user.username, pages=open_pages(user.role))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def register(app: dash.Dash) -> None:
    """Filter the views by camera and user."""

    @app.callback(
        Output(ids.GRID, "rowData"),
        Output(ids.FEEDBACK, "children"),
        Input(ids.APPLY, "n_clicks"),
        State(ids.CAMERA, "value"),
        State(ids.USER, "value"),
        prevent_initial_call=True,
    )
    def apply(clicks: int | None, camera: Any, username: Any) -> tuple[Any, str]:
        user = logged_in(Page.VIDEO_VIEWS)
        if user is None or not clicks:
            return no_update, _("Access denied")
        camera_text, name = _text(camera), _text(username)
        try:
            found = list_views(db(), user, username=name or None,
                               camera_id=camera_text if camera_text.isascii() and camera_text.isdigit() else None,
                               camera_name=camera_text if camera_text and not camera_text.isdigit() else None)
        except Refused as refused:
            return [], str(refused)
        return rows(found), ngettext("Found: %(n)s", "Found: %(n)s", len(found))
