"""The wall screen: jurisdiction map on the left, incident queue on the right, counters on top."""

from __future__ import annotations

import json
from html import escape as html_escape
import math
from datetime import datetime, timezone
from collections.abc import Iterator, Mapping
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html
from dash_socketio import DashSocketIO

from layouts.basemap import map_layers, maplibre_style
from layouts.grid import grid_locale
from layouts.nav import nav
from services.access.permissions import Action, Page
from services.i18n import N_, _, localized
from services.i18n.terms import TERMS, term
from services.intake.catalogue import PUBLIC_ORDER_TYPES
from services.duty.situation import HEALTH_CODES, OPEN_STATUSES, Situation

MAP = "wall-map"
QUEUE = "wall-queue"
SOCKET = "wall-socket"
DEPARTMENT_PICK = "wall-department-pick"  # chiefs and admins: another department's wall, by name
DEPARTMENT_GO = "wall-department-go"  # a store the picker's clientside callback writes (it navigates)
ACK = "wall-ack"
DISPATCH = "wall-dispatch"
FEEDBACK = "wall-feedback"
DEPARTMENT = "wall-department"
DEPARTMENT_CHIPS = "wall-department-chips"  # a city wall: one chip per department, a click filters the queue
CHIP_COUNT = "wall-chip-count"  # pattern id type: {"type": CHIP_COUNT, "department": id}, updated on pushes
UNITS = "wall-units"  # the units panel: call sign, status, incident, since when; rows updated by the units pushes
PANEL = "wall-panel"  # the queue and the units panel, as tabs
QUEUE_TYPES = "wall-queue-types"  # the queue's type filter (several types at once)
QUEUE_STATUSES = "wall-queue-statuses"  # the queue's status filter
QUEUE_FILTERED = "wall-queue-filtered"  # the output of the clientside callback that applies both
QUEUE_SEARCH = "wall-queue-search"  # filters the queue by any text it shows (type, status, address, department)
CLOCK = "wall-clock"
VIDEO_TILE = "wall-video"  # the selected incident's camera, live (V shows and hides it; assets/video.js plays it)
MANUAL_POINT = "wall-manual-point"  # set by wall.js when the officer clicks the map
MANUAL_MODAL = "wall-manual-modal"
MANUAL_COORDS = "wall-manual-coords"
MANUAL_TYPE = "wall-manual-type"
MANUAL_ADDRESS = "wall-manual-address"
MANUAL_DESCRIPTION = "wall-manual-description"
MANUAL_CALLER = "wall-manual-caller"
MANUAL_PHONE = "wall-manual-phone"
MANUAL_CREATE = "wall-manual-create"
MANUAL_OPEN = "wall-manual-open"  # the 102 button: a call placed by address, not by a map click
CALL_HERE = "wall-call-here"  # "102 на карте": the next click on the map places a call (or Shift+click any time)
TRANSFER = "wall-transfer"
TRANSFER_MODAL = "wall-transfer-modal"
TRANSFER_TARGET = "wall-transfer-target"
TRANSFER_REASON = "wall-transfer-reason"
TRANSFER_CONFIRM = "wall-transfer-confirm"
COUNTER = "wall-counter-{}"
COUNTERS = ("open", "unacknowledged", "units_free", "cameras_offline")
# The top bar's figures by name, translated where shown (counter()).
COUNTER_NAMES = {
    "open": N_("Open"),
    "unacknowledged": N_("Not acknowledged"),
    "units_free": N_("Units free"),
    "cameras_offline": N_("Cameras offline"),
}
PUSHED = "wall-pushed"  # the output of the clientside callbacks that hand pushes to the map and the counters
CAMERA_TRACE = 0  # index of the cameras trace in the map figure; callbacks patch it
UNIT_TRACE = 1  # index of the units trace in the map figure; callbacks patch it
INCIDENT_TRACE = 2  # index of the incidents trace in the map figure; callbacks patch it

PRIORITY_COLOURS = {1: "#ff453a", 2: "#ff9f0a", 3: "#ffd60a", 4: "#64d2ff"}
HEALTH_COLOURS = {"online": "#30d158", "stale": "#ffb340", "offline": "#8e8e93", "unknown": "#5e6a7d"}
# Units are squares on the wall's map (wallmap.js) and never take a priority's hue: on scene is teal, not red.
UNIT_COLOURS = {"available": "#2f8fff", "en_route": "#bf5af2", "on_scene": "#2ed3c6", "off_duty": "#636366"}


class TermNames(Mapping[str, str]):
    """A kind's codes and what people call them, read from terms.py in the language of the moment (no words here).

    Kept for the pages that still import STATUS_LABELS or UNIT_LABELS from the wall; new code calls term().
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __getitem__(self, code: str) -> str:
        if code not in TERMS[self.kind]:
            raise KeyError(code)
        return term(self.kind, code)

    def __iter__(self) -> Iterator[str]:
        return iter(TERMS[self.kind])

    def __len__(self) -> int:
        return len(TERMS[self.kind])


STATUS_LABELS = TermNames("status")
UNIT_LABELS = TermNames("unit")
HEALTH_LABELS = TermNames("health")
# The incident types the queue's filter offers (every type that opens an incident), and the 102 form's.
QUEUE_TYPE_CODES = (*sorted(PUBLIC_ORDER_TYPES), "wanted_vehicle", "camera_offline", "operator_outage", "video_loss",
                    "tamper", "storage_failure")
CALL_TYPE_CODES = tuple(sorted(PUBLIC_ORDER_TYPES))

# A style that fetches nothing (no tiles, no glyphs): a dark background and one empty inline source.
# The source must not be empty: Plotly drops an empty "sources" on update and MapLibre then
# refuses the style, freezing the map until reload.
BLANK_DARK_STYLE: dict[str, Any] = {
    "version": 8,
    "sources": {"kuzet-empty": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#0b0f17"}}],
}


def jurisdiction_bounds(districts: list[dict[str, Any]]) -> list[float] | None:
    """[west, south, east, north] of the department's own districts (all, if it has none)."""
    own = [d["bounds"] for d in districts if d["own"]] or [d["bounds"] for d in districts]
    if not own:
        return None
    return [min(b[0] for b in own), min(b[1] for b in own), max(b[2] for b in own), max(b[3] for b in own)]


def _view(districts: list[dict[str, Any]]) -> tuple[dict[str, float], float]:
    bounds = jurisdiction_bounds(districts)
    if bounds is None:
        return {"lat": 43.25, "lon": 76.92}, 10.0
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    # Web-Mercator: at zoom z a ~1100 px wide map spans 360 * 1100 / (512 * 2^z) degrees of longitude.
    span_lon = max(maxx - minx, 0.005) * 1.25
    span_lat = max(maxy - miny, 0.005) * 1.25 / math.cos(math.radians(lat)) * (1100 / 900)
    zoom = math.log2(360 * 1100 / (512 * max(span_lon, span_lat)))
    return {"lat": lat, "lon": (minx + maxx) / 2}, round(min(max(zoom, 8.0), 16.0), 2)


def ago(iso: str | None, now: datetime | None = None) -> str:
    """"2 min ago" for a timestamp; "never" when a camera was never seen (a dead camera never looks alive)."""
    if not iso:
        return _("never")
    seconds = int(((now or datetime.now(timezone.utc)) - datetime.fromisoformat(iso)).total_seconds())
    if seconds < 60:
        return _("%(n)s s ago", n=max(seconds, 0))
    if seconds < 3600:
        return _("%(n)s min ago", n=seconds // 60)
    if seconds < 86400:
        return _("%(n)s h ago", n=seconds // 3600)
    return _("%(n)s d ago", n=seconds // 86400)


def camera_texts(cameras: list[dict[str, Any]], now: datetime | None = None) -> list[str]:
    """Hover text per camera: id, health, last seen (as of ``now``: a replay's moment)."""
    return [f"{hover(c['external_id'])} · {term('health', c['health'])} · {ago(c['last_seen_at'], now)}"
            f"<br>{hover(c['address'])}" for c in cameras]


def type_name(row: dict[str, Any]) -> str:
    """What people call a queue row's incident type (its code; a row without one keeps its label)."""
    return term("type", row["type"]) if row.get("type") else str(row.get("type_label") or "")


def hover(text: object) -> str:
    """Operator or caller text for a map hover: Plotly draws tags in hover text, so none may pass as markup."""
    return html_escape(str(text or ""), quote=False)


def incident_points(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Trace data for open incidents: positions, colours by priority, hover text."""
    return {
        "lat": [r["lat"] for r in rows],
        "lon": [r["lon"] for r in rows],
        "marker.color": [PRIORITY_COLOURS.get(r["priority"], "#ffffff") for r in rows],
        "marker.size": [22 if r["priority"] == 1 else 16 for r in rows],
        "text": [f"№{r['id']} P{r['priority']} {hover(type_name(r))} · {term('status', r['status'])}"
                 f"<br>{hover(r['address'])}" for r in rows],
        "customdata": [r["id"] for r in rows],
    }


def patch_map(patch: Any, units: list[dict[str, Any]], incidents: list[dict[str, Any]],
              cameras: list[dict[str, Any]] | None = None, now: datetime | None = None) -> Any:
    """Update the map's traces in place (a Dash Patch): the view and the districts stay as the officer left them."""
    if cameras is not None:
        patch["data"][CAMERA_TRACE]["lat"] = [c["lat"] for c in cameras]
        patch["data"][CAMERA_TRACE]["lon"] = [c["lon"] for c in cameras]
        patch["data"][CAMERA_TRACE]["marker"]["color"] = [HEALTH_COLOURS.get(c["health"], "#5e6a7d") for c in cameras]
        patch["data"][CAMERA_TRACE]["text"] = camera_texts(cameras, now)
    patch["data"][UNIT_TRACE]["lat"] = [u["lat"] for u in units]
    patch["data"][UNIT_TRACE]["lon"] = [u["lon"] for u in units]
    patch["data"][UNIT_TRACE]["marker"]["color"] = [UNIT_COLOURS.get(u["status"], "#0a84ff") for u in units]
    patch["data"][UNIT_TRACE]["text"] = [f"{u['call_sign']} · {term('unit', u['status'])}" for u in units]
    for key, value in incident_points(incidents).items():
        if key.startswith("marker."):
            patch["data"][INCIDENT_TRACE]["marker"][key.split(".", 1)[1]] = value
        else:
            patch["data"][INCIDENT_TRACE][key] = value
    return patch


def map_palette() -> dict[str, Any]:
    """The colours and words the browser draws the wall with (map hovers, the units panel): the legend's own."""
    health = sorted(HEALTH_CODES, key=HEALTH_CODES.__getitem__) + ["unknown"]  # in the cameras' code order
    return {"priority": {str(p): c for p, c in PRIORITY_COLOURS.items()}, "unit": UNIT_COLOURS,
            "health": [HEALTH_COLOURS[h] for h in health],
            "health_text": [term("health", h) for h in health],
            "unit_text": {k: term("unit", k) for k in TERMS["unit"]},
            "status": {k: term("status", k) for k in TERMS["status"]}}


def wall_style(s: Situation) -> dict[str, Any]:
    """The wall's map style: districts and streets only; wallmap.js draws it and the markers with MapLibre."""
    return maplibre_style(map_layers(s.districts, s.department.get("city")))


def map_figure(s: Situation, now: datetime | None = None) -> go.Figure:
    """The replay's map: districts (own bright, neighbours dim), cameras, units, incidents as traces it patches."""
    fig = go.Figure()
    fig.add_trace(go.Scattermap(
        name=_("Cameras"), lat=[c["lat"] for c in s.cameras], lon=[c["lon"] for c in s.cameras], mode="markers",
        marker={"size": 7, "color": [HEALTH_COLOURS.get(c["health"], "#5e6a7d") for c in s.cameras], "opacity": 0.8},
        text=camera_texts(s.cameras, now), hoverinfo="text",
    ))
    fig.add_trace(go.Scattermap(
        name=_("Units"), lat=[u["lat"] for u in s.units], lon=[u["lon"] for u in s.units], mode="markers",
        marker={"size": 13, "color": [UNIT_COLOURS.get(u["status"], "#0a84ff") for u in s.units]},
        text=[f"{u['call_sign']} · {term('unit', u['status'])}" for u in s.units], hoverinfo="text",
    ))
    points = incident_points(s.incidents)
    fig.add_trace(go.Scattermap(
        name=_("Incidents"), lat=points["lat"], lon=points["lon"], mode="markers",
        marker={"size": points["marker.size"], "color": points["marker.color"], "opacity": 0.95},
        text=points["text"], customdata=points["customdata"], hoverinfo="text",
    ))
    center, zoom = _view(s.districts)
    fig.update_layout(
        map={"style": BLANK_DARK_STYLE, "center": center, "zoom": zoom,
             "layers": map_layers(s.districts, s.department.get("city"))},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="#0b0f17",
        showlegend=False,
        uirevision=f"department-{s.department['id']}",  # keeps the officer's pan/zoom across updates
        hoverlabel={"font": {"size": 16}},
    )
    return fig


LEGEND = "wall-legend"
LEGEND_UNITS = ("available", "en_route", "on_scene")  # the units the map shows (off duty: not drawn)
LEGEND_HEALTH = ("online", "stale", "offline")


def map_legend() -> html.Div:
    """The key to the map's colours, so a new officer reads the wall without asking."""
    def row(colour: str, label: str, size: str) -> html.Div:
        return html.Div(className="legend-row", children=[
            html.Span(className=f"legend-dot legend-{size}", style={"background": colour}), html.Span(label)])

    def group(title: str, rows: list[html.Div]) -> html.Div:
        return html.Div(className="legend-group", children=[html.Div(title, className="legend-head"),
                                                            html.Div(rows, className="legend-items")])

    # Folded by a click on its title (wall.js remembers it per browser): it must not hide markers for good.
    return html.Div(id=LEGEND, className="map-legend", children=[
        html.Button(_("Map key"), className="legend-toggle", type="button", **{"aria-expanded": "true"}),
        html.Div(className="legend-body", children=[
            group(_("Incidents"), [row(PRIORITY_COLOURS[p], f"P{p}", "big") for p in (1, 2, 3, 4)]
                  + [html.Div(className="legend-row", children=[html.Span("3", className="legend-cluster"),
                                                                 html.Span(_("at one place"))])]),
            group(_("Units"), [row(UNIT_COLOURS[k], term("unit", k), "mid unit-square") for k in LEGEND_UNITS]),
            group(_("Cameras"), [row(HEALTH_COLOURS[k], term("health", k), "small") for k in LEGEND_HEALTH]),
        ]),
    ])


def counter(key: str, value: int, id_format: str = COUNTER) -> html.Div:
    """One top-bar figure with its label (the replay's under its own ids)."""
    return html.Div(className=f"counter counter-{key}", children=[
        html.Div(str(value), id=id_format.format(key), className="counter-value", **{"data-figure": key}),
        html.Div(className="counter-label", children=[html.Span(_(COUNTER_NAMES[key]))]),
    ])


GRID_THEME = ("themeQuartz.withParams({backgroundColor: '#0d1422', foregroundColor: '#e6edf3', "
              "headerBackgroundColor: '#131d30', oddRowBackgroundColor: '#0f1727', borderColor: '#1f2a3d', "
              "accentColor: '#4d8dff', selectedRowBackgroundColor: '#24406e', fontSize: '1.1rem', "
              "headerFontSize: '0.9rem', rowHeight: '2.9rem', headerHeight: '2.5rem', wrapperBorderRadius: 6})")

STATUS_QUICK_TEXT = {"function": "kuzetStatus({value: params.value})"}
# Rows carry codes (pushed rows are the same for every language): the browser names them from the catalogue.
TYPE_TEXT = {"function": "kuzetTerm('type', params.value)"}


def column_defs() -> list[dict[str, Any]]:
    """The queue's columns, headed in the language of the moment."""
    return [
        {"field": "queue_key", "hide": True, "sort": "asc"},
        # Small flex shares with pixel floors, not pixel widths: at 4K the text doubles and the columns must too.
        {"field": "priority", "headerName": "P", "flex": 0.36, "minWidth": 62,
         "valueFormatter": {"function": "'P' + params.value"}, "getQuickFilterText": {"function": "'P' + params.value"},
         "cellClassRules": {f"prio-{p}": f"params.value === {p}" for p in (1, 2, 3, 4)}},
        # Time of day (Almaty) beside the age: "14:32 · 05:10".
        {"field": "created_at", "headerName": _("Time · age"), "flex": 0.9, "minWidth": 162,
         "colId": "age", "valueFormatter": {"function": "kuzetClockAge(params)"},
         "cellClassRules": {"age-late": {"function": "kuzetLate(params)"}}},
        {"field": "type", "colId": "type_label", "headerName": _("Type"), "flex": 1.3, "minWidth": 150,
         "wrapText": True, "autoHeight": True, "valueFormatter": TYPE_TEXT, "getQuickFilterText": TYPE_TEXT,
         "tooltipValueGetter": {"function": "kuzetTerm('type', params.value)"}},
        {"field": "address", "headerName": _("Address"), "flex": 1.8, "minWidth": 150, "wrapText": True,
         "autoHeight": True, "tooltipField": "address"},
        {"field": "status", "headerName": _("Status"), "flex": 1.0, "minWidth": 120, "wrapText": True,
         "autoHeight": True, "valueFormatter": {"function": "kuzetStatus(params)"},
         "getQuickFilterText": STATUS_QUICK_TEXT,
         "cellClassRules": {"status-new": "params.value === 'new' || params.value === 'transferred'"}},
        {"field": "event_count", "headerName": "×", "flex": 0.3, "minWidth": 52, "type": "rightAligned",
         "headerTooltip": _("Events merged into the incident")},
        {"field": "id", "headerName": "№", "flex": 0.45, "minWidth": 76},
    ]


DEPARTMENT_TEXT = {"function": "kuzetDepartment(params)"}  # the name from the wall's data-department-names


def department_column() -> dict[str, Any]:
    """The city wall's department column: the department's short name in the language of the moment."""
    return {"field": "department_id", "headerName": _("Department"), "flex": 1.1, "minWidth": 172, "wrapText": True,
            "autoHeight": True, "valueFormatter": DEPARTMENT_TEXT, "getQuickFilterText": DEPARTMENT_TEXT}


def short_name(name: str) -> str:
    """"Алмалинское РУП" stays; a long official name loses the words every department shares."""
    return name.replace("Управление полиции", "УП").replace("Департамент полиции", "ДП")


def queue(rows: list[dict[str, Any]], grid_id: str = QUEUE,
          departments: list[dict[str, Any]] | None = None) -> dag.AgGrid:
    """The incident queue: pinned new P1s, then priority and age; rows updated by transactions (the replay's too)."""
    columns = column_defs()
    if departments:
        columns.insert(4, department_column())
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=columns,
        getRowId="'' + params.data.id",
        className="wall-grid",
        # A click selects one row; Ctrl+click and Shift+click select several (to acknowledge them at once).
        dashGridOptions={"rowSelection": {"mode": "multiRow", "checkboxes": False, "headerCheckbox": False,
                                          "enableClickSelection": True, "enableSelectionWithoutKeys": False},
                         # No row animation: a busy night inserts every few seconds, and each would move every row.
                         "animateRows": False, "tooltipShowDelay": 300,
                         # A new P1 stays on top, marked, until someone acknowledges it (its key starts "0|").
                         "rowClassRules": {"row-pinned": "params.data && params.data.queue_key.startsWith('0|')"},
                         "isExternalFilterPresent": {"function": "kuzetQueueFiltered()"},
                         "doesExternalFilterPass": {"function": "kuzetQueuePasses(params)"},
                         "localeText": grid_locale(noRowsToShow=_("No open incidents")),
                         "theme": {"function": GRID_THEME}},
        defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True},
        style={"height": "100%", "width": "100%"},
    )


def unit_columns() -> list[dict[str, Any]]:
    """The units panel's columns, headed in the language of the moment."""
    return [
        {"field": "call_sign", "headerName": _("Call sign"), "flex": 1, "minWidth": 120, "sort": "asc"},
        {"field": "status", "headerName": _("Status"), "flex": 1.1, "minWidth": 130,
         "valueFormatter": {"function": "kuzetUnitStatus(params)"},
         "cellClassRules": {f"unit-{k}": f"params.value === '{k}'" for k in ("available", "en_route", "on_scene", "off_duty")}},
        {"field": "incident_id", "headerName": _("Incident"), "flex": 0.9, "minWidth": 120,
         "valueFormatter": {"function": "params.value ? '№' + params.value : '—'"}},
        {"field": "since", "headerName": _("Since"), "flex": 1, "minWidth": 150, "colId": "since",
         "valueFormatter": {"function": "kuzetClockAge(params)"}},
    ]


def units_grid(units: list[dict[str, Any]]) -> dag.AgGrid:
    """The units panel: every unit of the wall with its status, its incident and since when."""
    return dag.AgGrid(id=UNITS, rowData=units, columnDefs=unit_columns(), getRowId="'' + params.data.id",
                      className="wall-grid",
                      dashGridOptions={"theme": {"function": GRID_THEME}, "animateRows": False,
                                       "localeText": grid_locale(noRowsToShow=_("No units"))},
                      defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True},
                      style={"height": "100%", "width": "100%"})


def department_chips(departments: list[dict[str, Any]]) -> list[html.Button]:
    """A city wall's department chips: name, open and unacknowledged counts; a click filters the queue."""
    return [html.Button(className="dept-chip", type="button", **{"data-department": str(d["id"])}, children=[
        html.Span(department_name(d), className="dept-chip-name", **{"data-i18n": "data"}),
        html.Span(chip_count(d), id={"type": CHIP_COUNT, "department": d["id"]}, className="dept-chip-count"),
    ]) for d in departments]


def chip_count(department: dict[str, Any]) -> str:
    """"12 · 3 new" on a department chip: open, and unacknowledged when there are any (wall.js writes pushed ones)."""
    unack = department.get("unacknowledged", 0)
    opened = department.get("open", 0)
    return _("%(open)s · %(new)s new", open=opened, new=unack) if unack else str(opened)


def department_name(department: dict[str, Any]) -> str:
    """A department's short name in the language of the moment (Russian when it has none in that language)."""
    return short_name(localized(department.get("name_ru", ""), department.get("name_kk") or "",
                                department.get("name_en") or ""))


def manual_incident_modal(addresses: list[str] | None = None) -> dmc.Modal:
    """The 102-call form, opened by a click on the map or by the 102 button (then a known address places it)."""
    return dmc.Modal(id=MANUAL_MODAL, title=_("New incident from a 102 call"), opened=False, size="lg",
                     children=[
        html.Div(id=MANUAL_COORDS, className="manual-coords"),
        dmc.Select(id=MANUAL_TYPE, label=_("Type"), value="fight", allowDeselect=False, data=type_options(CALL_TYPE_CODES)),
        dmc.Autocomplete(id=MANUAL_ADDRESS, label=_("Address"), placeholder=_("e.g. 10 Abay Ave"), data=addresses or [],
                         limit=12, description=_("Without a map point: pick a known address")),
        dmc.Textarea(id=MANUAL_DESCRIPTION, label=_("What the caller reported"), minRows=3),
        dmc.Group(grow=True, children=[
            dmc.TextInput(id=MANUAL_CALLER, label=_("Caller"), placeholder=_("Surname and name (if given)"),
                          inputProps={"maxLength": 200}),
            dmc.TextInput(id=MANUAL_PHONE, label=_("Phone"), placeholder="+7 701 000 00 00", inputProps={"maxLength": 32}),
        ]),
        dmc.Group(justify="flex-end", mt="md", children=[
            dmc.Button(_("Create"), id=MANUAL_CREATE, color="red"),
        ]),
    ])


def type_options(codes: tuple[str, ...]) -> list[dict[str, str]]:
    """Incident types as a picker's options, by name in the language of the moment."""
    return sorted(({"value": t, "label": term("type", t)} for t in codes), key=lambda option: option["label"])


def transfer_modal(neighbours: list[dict[str, str]]) -> dmc.Modal:
    """Hand the selected incident to a neighbouring department, with a reason."""
    return dmc.Modal(id=TRANSFER_MODAL, title=_("Transfer to the department of the territory"), opened=False,
                     size="lg", children=[
        dmc.Select(id=TRANSFER_TARGET, label=_("Department"), data=neighbours, searchable=True),
        dmc.Textarea(id=TRANSFER_REASON, label=_("Reason"), minRows=2,
                     placeholder=_("the scene is on their territory")),
        dmc.Group(justify="flex-end", mt="md", children=[dmc.Button(_("Transfer"), id=TRANSFER_CONFIRM)]),
    ])


def layout(s: Situation, *, username: str, kiosk: bool = False, attribution: str = "",
           pages: frozenset[Page] = frozenset(), neighbours: list[dict[str, str]] | None = None,
           targets: tuple[int, int] = (30, 60), addresses: list[str] | None = None,
           can: frozenset[Action] = frozenset(), departments: list[dict[str, str]] | None = None) -> html.Div:
    """The whole wall page for one department; ``can`` holds the actions the user may take (the rest are not shown)."""
    dept = s.department
    on_wall = [d["id"] for d in s.departments] or [dept["id"]]
    # Response targets (s) for the age colours; read by the queue's cell rules in the browser. The wall's
    # departments tell wall.js which pushed rows belong here.
    return html.Div(className="wall" + (" kiosk" if kiosk else "") + (" city-wall" if s.departments else ""),
                    **{"data-ack-target": str(targets[0]), "data-dispatch-target": str(targets[1]),
                       "data-can-call": "1" if Action.CREATE_CALL in can else "0",
                       "data-departments": json.dumps(on_wall),
                       # Each department's figures as counted for the page; pushes replace them (wall.js adds up).
                       "data-figures": json.dumps({str(d): f for d, f in s.figures.items()}),
                       "data-department-names": json.dumps({str(d["id"]): department_name(d) for d in s.departments},
                                                           ensure_ascii=False)}, children=[
        DashSocketIO(id=SOCKET, eventNames=["incidents", "units", "cameras"], options={"query": {"department": str(dept["id"])}}),
        dcc.Store(id=DEPARTMENT, data=dept["id"]),
        dcc.Store(id=MANUAL_POINT),
        dcc.Store(id=PUSHED),
        manual_incident_modal(addresses),
        transfer_modal(neighbours or []),
        html.Header(className="wall-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div(className="dept-names", children=[
                          html.Div(_("%(department)s · whole city", department=department_name(dept)) if s.departments
                                   else localized(dept["name_ru"], dept.get("name_kk") or "", dept.get("name_en") or ""),
                                   className="dept-ru", **{"data-i18n": "data"}),
                          *([dmc.Select(id=DEPARTMENT_PICK, data=departments, value=str(dept["id"]), searchable=True,
                                        allowDeselect=False, size="sm", className="department-pick",
                                        placeholder=_("Department"), **{"aria-label": _("Department")}),
                             dcc.Store(id=DEPARTMENT_GO)] if departments and len(departments) > 1 else [])]),
            ]),
            html.Div(className="counters", children=[counter(k, s.counters[k]) for k in COUNTERS]),
            html.Div(className="wall-right", children=[
                html.Div("--:--:--", id=CLOCK, className="clock"),
                html.Div(_("Almaty time"), className="clock-zone"),
                nav(username, pages, "/wall"),
            ]),
        ]),
        html.Main(className="wall-body", children=[
            # The browser refits the view to these bounds once the map knows its real size (wall.js).
            html.Section(className="wall-map kuzet-map", **{"data-bounds": json.dumps(jurisdiction_bounds(s.districts)),
                                                            "data-basemap": dept.get("city", ""),
                                                            "data-cameras-url": f"/map/cameras.json?department={dept['id']}",
                                                            "data-units": json.dumps(s.units),
                                                            "data-palette": json.dumps(map_palette(), ensure_ascii=False)},
                         children=[
                # Drawn by MapLibre itself (wallmap.js), not through a Plotly figure: the wall loads no Plotly.
                html.Div(id=MAP, className="wall-canvas", **{"data-style": json.dumps(wall_style(s), ensure_ascii=False)}),
                map_legend(),
                *([html.Button(_("102 on the map"), id=CALL_HERE, className="call-here",
                               title=_("The next click on the map places a 102 call there (or Shift+click)"))]
                  if Action.CREATE_CALL in can else []),
                html.Div(attribution, className="attribution", **{"data-i18n": "data"}),
                *([html.Div(id=VIDEO_TILE, className="wall-video video-pane", hidden=True, children=[
                    html.Div(_("The selected incident's camera (V)"), className="video-label")])]
                  if Action.WATCH_VIDEO in can else []),
            ]),
            html.Section(className="wall-queue", children=[
                html.Div(className="queue-head", children=[
                    html.Div(_("Queue"), className="queue-title", title=_("Incident queue")),
                    dmc.Group(gap="sm", wrap="nowrap", children=[button for action, button in (
                        (Action.CREATE_CALL, dmc.Button(_("102 call"), id=MANUAL_OPEN, color="red", variant="outline",
                                                        size="md", **{"aria-label": _("New incident from a 102 call")})),
                        (Action.TRANSFER, dmc.Button(_("Transfer"), id=TRANSFER, color="gray", variant="outline",
                                                     size="md",
                                                     **{"aria-label": _("Transfer to a neighbouring department")})),
                        (Action.DISPATCH, dmc.Button(_("Unit (D)"), id=DISPATCH, color="blue", variant="filled",
                                                     size="md", **{"aria-label": _("Dispatch the nearest free unit")})),
                        (Action.ACKNOWLEDGE, dmc.Button(_("Acknowledge (A)"), id=ACK, color="yellow", variant="filled",
                                                        size="md", **{"aria-label": _("Acknowledge")})),
                    ) if action in can]),
                ]),
                html.Div(className="queue-tools", children=[
                    dmc.TextInput(id=QUEUE_SEARCH, placeholder=_("Search: type, address, status, department"),
                                  size="md", className="queue-search", **{"aria-label": _("Search the queue")}),
                    *queue_filters(),
                    html.Div(department_chips(s.departments), id=DEPARTMENT_CHIPS, className="department-chips"),
                ]),
                html.Div(id=FEEDBACK, className="feedback", role="status"),
                dmc.Tabs(id=PANEL, value="queue", className="queue-tabs", keepMounted=True, children=[
                    dmc.TabsList([dmc.TabsTab(_("Incidents"), value="queue"),
                                  dmc.TabsTab(_("Units"), value="units")]),
                    dmc.TabsPanel(html.Div(queue(s.incidents, departments=s.departments), className="queue-grid"),
                                  value="queue", className="tab-fill"),
                    dmc.TabsPanel(html.Div(units_grid(s.units), className="queue-grid"), value="units",
                                  className="tab-fill"),
                ]),
                # Each key's hint a message of its own, between separators.
                html.Div([piece for n, hint in enumerate(keys_hints(can))
                          for piece in ([" · "] if n else []) + [html.Span(hint)]], className="keys-hint"),
            ]),
        ]),
    ])


def queue_filters() -> list[Any]:
    """The queue's type and status filters: several values each, cleared with one click, typed to search."""
    def pick(id_: str, label: str, data: list[dict[str, str]]) -> dmc.MultiSelect:
        return dmc.MultiSelect(id=id_, data=data, value=[], placeholder=label, clearable=True, searchable=True,
                               size="md", className="queue-filter", hidePickedOptions=True, maxDropdownHeight=420,
                               comboboxProps={"withinPortal": True}, **{"aria-label": label})

    return [pick(QUEUE_TYPES, _("Type"), type_options(QUEUE_TYPE_CODES)),
            pick(QUEUE_STATUSES, _("Status"), [{"value": k, "label": term("status", k)} for k in OPEN_STATUSES]),
            dcc.Store(id=QUEUE_FILTERED)]


def keys_hint(can: frozenset[Action]) -> str:
    """The keyboard line under the queue: only the keys this user's role can use."""
    return " · ".join(keys_hints(can))


def keys_hints(can: frozenset[Action]) -> list[str]:
    """The keys this user's role can use, one hint each."""
    keys = [_("↑↓ select")]
    keys += [_("A acknowledge (Ctrl+click: several)")] if Action.ACKNOWLEDGE in can else []
    keys += [_("D nearest unit")] if Action.DISPATCH in can else []
    keys += [_("Enter case file"), _("M mute")]
    keys += [_("Shift+click on the map: 102 call")] if Action.CREATE_CALL in can else []
    return keys


def denied(message: str) -> html.Div:
    """Shown instead of a page the user may not open."""
    return html.Div(className="denied", children=[html.H1(_("Access denied")), html.P(message)])


def choose_department(message: str, departments: list[dict[str, str]], *, refused: bool = False) -> html.Div:
    """A wall asked for with a department that is not one (or not the user's): say so, and offer theirs by name."""
    return html.Div(className="denied department-choice", children=[
        html.H1(_("Access denied") if refused else _("Choose a department")),
        html.P(message, id="department-problem"),
        html.Ul([html.Li(html.A(d["label"], href=f"/wall?department={d['value']}")) for d in departments])])
