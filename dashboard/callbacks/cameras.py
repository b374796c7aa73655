"""Camera list and operator scorecards pages, scoped to the user's departments."""

from __future__ import annotations

from typing import Any

import dash
import sqlalchemy as sa
from dash import Input, Output, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import cameras as ids
from layouts.cameras import cameras_layout, operators_layout
from layouts.wall import denied
from services.geo.coverage import operators
from services.i18n import _
from services.access.permissions import Action, Page, allows, open_pages
from services.store.models import District
from services.access.scope import as_id, visible_departments
from services.cameras.scorecards import camera_list, scorecards


def cameras_page(**_query: Any) -> html.Div:
    """Every camera of the user's departments, quietest first."""
    user = logged_in()
    if user is None:
        return denied(_("Please sign in"))
    scope = visible_departments(db(), user)
    districts = [{"value": str(d.id), "label": d.name} for d in db().scalars(
        sa.select(District).where(District.department_id.in_(scope)).order_by(District.name))]
    return cameras_layout(camera_list(db(), scope), operators(db()), districts, username=user.username, pages=open_pages(user.role))


def operators_page(**_query: Any) -> html.Div:
    """Operator scorecards over the police user's departments; an operator's own login gets its portal."""
    own = logged_in(Page.OPERATORS)
    if own is not None and allows(own.role, Action.MANAGE_OWN_KEYS):
        from dashboard.callbacks import portal

        return portal.page(own)
    user = logged_in()
    if user is None:
        return denied(_("Please sign in"))
    return operators_layout(scorecards(db(), visible_departments(db(), user)), username=user.username,
                            pages=open_pages(user.role))


def register(app: dash.Dash) -> None:
    """Camera list filters."""

    @app.callback(Output(ids.CAMERAS, "rowData"), Input(ids.OPERATOR, "value"), Input(ids.DISTRICT, "value"),
                  Input(ids.HEALTH, "value"), prevent_initial_call=True)
    def filter_cameras(operator: str | None, district: str | None, health: str | None) -> Any:
        user = logged_in()
        if user is None:
            return no_update
        return camera_list(db(), visible_departments(db(), user), operator_id=as_id(operator), district_id=as_id(district),
                           health=health if health in ids.HEALTHS else None)
