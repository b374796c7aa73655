"""Wall screen: page loader and callbacks (live push, acknowledge)."""

from __future__ import annotations

import logging
from typing import Any

import dash
import sqlalchemy as sa
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db, kuzet, perform, router
from services.geo.basemap import attribution as map_attribution, street_names
from layouts import wall as ids
from layouts.wall import choose_department, denied, layout
from services.access.permissions import open_pages, permitted
from services.duty import actions
from services.duty.incidents import known_places
from services.errors import NotFound, Refused
from services.geo.departments import transfer_targets
from services.store.models import Department
from services.access.scope import as_id, city_departments, visible_departments, wall_departments
from services.duty.situation import situation
from services.i18n import _, format_number, localized, ngettext

logger = logging.getLogger(__name__)


def _name(department: Department) -> str:
    """A department's name in the language of the moment."""
    return localized(department.name_ru, department.name_kk or "", department.name_en or "")


def _picker(session: Any, scope: set[int]) -> list[dict[str, str]]:
    """The departments a chief or an admin may put on the wall, by name: a city's whole wall first."""
    return [{"value": str(d.id),
             "label": _("%(department)s — whole city", department=_name(d)) if d.parent_id is None else _name(d)}
            for d in session.scalars(sa.select(Department).where(Department.id.in_(scope))
                                     .order_by(Department.city, Department.parent_id.is_not(None), Department.name_ru))]


def page(department: str | None = None, kiosk: str | None = None, **_query: Any) -> html.Div:
    """Load the wall (one department's, or a city's for a city department) in the user's scope and lay it out."""
    user = logged_in()
    if user is None:
        return denied(_("Please sign in"))
    scope = visible_departments(db(), user)
    choices = _picker(db(), scope)
    department_id = as_id(department) if department else user.department_id
    if department and department_id is None:
        return choose_department(_("«%(asked)s» is not a department number", asked=department[:40]), choices)
    if department_id is None and choices:
        department_id = int(choices[0]["value"])  # an admin of no department: the first city's wall
    shown = wall_departments(db(), user, department_id) if department_id is not None else set()
    if not shown:
        if not choices:
            return denied(_("This department is outside your jurisdiction"))
        return choose_department(_("Department %(id)s is outside your jurisdiction", id=department_id), choices,
                                 refused=True)
    neighbours = [{"value": str(d.id), "label": _name(d)} for d in db().scalars(
        sa.select(Department).where(Department.id.in_(transfer_targets(db(), department_id)))
        .order_by(Department.name_ru))]
    picture = situation(db(), department_id, shown)
    # A caller names an address the centre has seen, a street, or a place ("школа №25", "ЖД вокзал Алматы-2").
    addresses = sorted(set(known_places(db(), city_departments(db(), user)))
                       | set(street_names(db(), picture.department["city"])))
    return layout(picture, username=user.username, kiosk=kiosk == "1",
                  neighbours=neighbours, addresses=addresses,
                  attribution=map_attribution(db(), picture.department["city"]), pages=open_pages(user.role),
                  can=permitted(user.role), departments=choices,
                  targets=(kuzet().settings.response_ack_target_s, kuzet().settings.response_dispatch_target_s))


def _wall_scope(department_id: Any) -> set[int]:
    """The departments of the wall the page was built for, re-checked against the user's scope (empty: none)."""
    user = logged_in()
    if user is None or not isinstance(department_id, int) or isinstance(department_id, bool):
        return set()
    return wall_departments(db(), user, department_id)


def _one_only() -> str:
    return _("Select one incident (several are selected)")


ONE_ONLY = object()  # several rows selected: a dispatch or a transfer goes to one incident


def _selected_id(selected: Any) -> object:
    """The id of the one selected queue row as sent (the action checks it and its scope); None, or ONE_ONLY for several."""
    if isinstance(selected, list) and len(selected) > 1:
        return ONE_ONLY  # a dispatch or a transfer goes to one incident: never silently the first of several
    row = selected[0] if isinstance(selected, list) and selected else None
    return row.get("id") if isinstance(row, dict) else None


def register(app: dash.Dash) -> None:
    """Wall callbacks: the department picker, pushes to the browser's handlers (queue, units, map, counters), actions."""
    app.clientside_callback(
        "function(value) { if (value) { window.location.assign('/wall?department=' + encodeURIComponent(value)); }"
        " return window.dash_clientside.no_update; }",
        Output(ids.DEPARTMENT_GO, "data"),
        Input(ids.DEPARTMENT_PICK, "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(types, statuses) { return window.kuzetWall ? window.kuzetWall.filter(types, statuses)"
        " : window.dash_clientside.no_update; }",
        Output(ids.QUEUE_FILTERED, "data"), Input(ids.QUEUE_TYPES, "value"), Input(ids.QUEUE_STATUSES, "value"),
        prevent_initial_call=True)
    # Pushes go to the browser's own handlers: the queue's and the units panel's transactions, the map's sources.
    for handler, output, event in (("kuzetWall.transaction", Output(ids.QUEUE, "rowTransaction"), "data-incidents"),
                                   ("kuzetWall.unitTransaction", Output(ids.UNITS, "rowTransaction"), "data-units"),
                                   ("kuzetWallMap.units", Output(ids.PUSHED, "data"), "data-units"),
                                   ("kuzetWallMap.cameras", Output(ids.PUSHED, "data", allow_duplicate=True),
                                    "data-cameras"),
                                   *(("kuzetWall.count", Output(ids.PUSHED, "data", allow_duplicate=True), event)
                                     for event in ("data-incidents", "data-units", "data-cameras"))):
        owner = handler.split(".")[0]
        app.clientside_callback(
            f"function(msg) {{ return window.{owner} ? window.{handler}(msg) : window.dash_clientside.no_update; }}",
            output, Input(ids.SOCKET, event), prevent_initial_call=True)

    @app.callback(
        Output(ids.MANUAL_MODAL, "opened"),
        Output(ids.MANUAL_COORDS, "children"),
        Input(ids.MANUAL_POINT, "data"),
        prevent_initial_call=True,
    )
    def open_manual(point: Any) -> tuple[bool, str]:
        if not isinstance(point, dict) or not point:
            return False, ""
        if point.get("by_address"):
            return True, _("At a known address (or close this and click the map)")
        lat, lon = point.get("lat"), point.get("lon")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lat, lon)):
            return False, ""  # not a point the map sent
        return True, _("Point: %(lat)s, %(lon)s", lat=f"{lat:.5f}", lon=f"{lon:.5f}")  # as maps write them

    @app.callback(
        Output(ids.MANUAL_POINT, "data", allow_duplicate=True),
        Input(ids.MANUAL_OPEN, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_by_address(clicks: int | None) -> Any:
        return {"by_address": True, "at": clicks} if clicks else no_update

    @app.callback(
        Output(ids.FEEDBACK, "children", allow_duplicate=True),
        Output(ids.MANUAL_MODAL, "opened", allow_duplicate=True),
        Input(ids.MANUAL_CREATE, "n_clicks"),
        State(ids.MANUAL_POINT, "data"),
        State(ids.MANUAL_TYPE, "value"),
        State(ids.MANUAL_ADDRESS, "value"),
        State(ids.MANUAL_DESCRIPTION, "value"),
        State(ids.MANUAL_CALLER, "value"),
        State(ids.MANUAL_PHONE, "value"),
        prevent_initial_call=True,
    )
    def create_from_call(_clicks: int, point: dict[str, Any] | None, event_type: str | None,
                         address: str | None, description: str | None, caller: Any = None,
                         phone: Any = None) -> tuple[str, bool]:
        user = logged_in()
        if user is None:
            return _("Access denied"), False
        at = point if isinstance(point, dict) and not point.get("by_address") else {}
        if not at and not (isinstance(point, dict) and point.get("by_address")):
            return _("Click the map where the incident is"), True
        try:
            incident = perform(actions.create_call, user, router(), lat=at.get("lat"), lon=at.get("lon"),
                               incident_type=event_type, description=description or "", address=address or "",
                               caller_name=caller or "", caller_phone=phone or "")
        except Refused as refused:
            return str(refused), True
        if incident.department_id in visible_departments(db(), user):
            return _("№%(id)s created from a 102 call", id=incident.id), False
        return _("№%(id)s created from a 102 call (transferred to the department of the territory)",
                 id=incident.id), False

    @app.callback(
        Output(ids.TRANSFER_MODAL, "opened"),
        Input(ids.TRANSFER, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_transfer(_clicks: int) -> bool:
        return True

    @app.callback(
        Output(ids.FEEDBACK, "children", allow_duplicate=True),
        Output(ids.TRANSFER_MODAL, "opened", allow_duplicate=True),
        Input(ids.TRANSFER_CONFIRM, "n_clicks"),
        State(ids.QUEUE, "selectedRows"),
        State(ids.DEPARTMENT, "data"),
        State(ids.TRANSFER_TARGET, "value"),
        State(ids.TRANSFER_REASON, "value"),
        prevent_initial_call=True,
    )
    def transfer(_clicks: int, selected: list[dict[str, Any]] | None, department_id: Any, target: str | None,
                 reason: str | None) -> tuple[str, bool]:
        user = logged_in()
        if user is None or not _wall_scope(department_id):
            return _("Access denied"), False
        incident_id = _selected_id(selected)
        if incident_id is ONE_ONLY:
            return _one_only(), False
        if incident_id is None:
            return _("Select an incident in the queue"), False
        if not target:
            return _("Choose a department"), True
        try:
            perform(actions.transfer, user, incident_id, department_id=target, reason=reason or "")
        except Refused as refused:
            return _("№%(id)s: %(why)s", id=incident_id, why=refused), True
        return _("№%(id)s transferred", id=incident_id), False

    @app.callback(
        Output(ids.FEEDBACK, "children", allow_duplicate=True),
        Input(ids.DISPATCH, "n_clicks"),
        State(ids.QUEUE, "selectedRows"),
        State(ids.DEPARTMENT, "data"),
        prevent_initial_call=True,
    )
    def dispatch_selected(_clicks: int, selected: list[dict[str, Any]] | None, department_id: Any) -> str:
        user = logged_in()
        if user is None or not _wall_scope(department_id):
            return _("Access denied")
        incident_id = _selected_id(selected)
        if incident_id is ONE_ONLY:
            return _one_only()
        if incident_id is None:
            return _("Select an incident in the queue")
        try:
            sent = perform(actions.dispatch, user, incident_id, nearest=True)
        except Refused as refused:
            return _("№%(id)s: %(why)s", id=incident_id, why=refused)
        return _("№%(id)s: %(unit)s dispatched (%(metres)s m)", id=incident_id, unit=sent.call_signs[0],
                 metres=format_number(sent.assignments[0].distance_m, 0))

    @app.callback(
        Output(ids.FEEDBACK, "children"),
        Input(ids.ACK, "n_clicks"),
        State(ids.QUEUE, "selectedRows"),
        State(ids.DEPARTMENT, "data"),
        prevent_initial_call=True,
    )
    def acknowledge(_clicks: int, selected: list[dict[str, Any]] | None, department_id: Any) -> str:
        user = logged_in()
        if user is None or not _wall_scope(department_id):
            return _("Access denied")
        chosen = [row.get("id") for row in selected if isinstance(row, dict)] if isinstance(selected, list) else []
        if not chosen:
            return _("Select an incident in the queue")
        if len(chosen) == 1:
            try:
                perform(actions.acknowledge, user, chosen[0])
            except NotFound:
                return _("Incident not found")
            except Refused as refused:
                return _("№%(id)s: %(why)s", id=chosen[0], why=refused)
            logger.info("%s acknowledged incident %s", user.username, chosen[0])
            return _("№%(id)s acknowledged", id=chosen[0])
        try:  # several at once (Ctrl/Shift+click): a camera outage opens one incident per camera
            taken = perform(actions.acknowledge_many, user, chosen)
        except Refused as refused:
            return str(refused)
        logger.info("%s acknowledged incidents %s", user.username, taken.done)
        said = ngettext("%(n)s acknowledged", "%(n)s acknowledged", len(taken.done))
        return "; ".join([said, *(_("№%(id)s: %(why)s", id=key, why=why)
                                  for key, why in list(taken.refused.items())[:3])])
