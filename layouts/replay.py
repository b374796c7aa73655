"""The trainer's replay: the wall as it was at the playhead, a timeline of what happened, the player's controls."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.grid import grid_locale
from layouts.wall import COUNTERS, GRID_THEME, counter, jurisdiction_bounds, map_figure, map_legend, queue
from services.i18n import _, format_number, format_time, localized, pgettext
from services.i18n.terms import NP_, term
from services.duty.situation import Situation
from services.supervision.shifts import ALMATY
from layouts.nav import nav
from services.access.permissions import Page

ROOT = "replay-root"
DEPARTMENT = "replay-department"
FROM = "replay-from"
TO = "replay-to"
SHOW = "replay-show"
UNMASKED = "replay-unmasked"  # an admin's switch: personal data shown, the view journaled
LOCATION = "replay-location"
PLAY = "replay-play"
SPEEDS = (1, 2, 4, 8, 16, 60)
SPEED = "replay-speed-{}"
PREVIOUS = "replay-previous"
NEXT = "replay-next"
SCRUBBER = "replay-scrubber"
CLOCK = "replay-clock"
PLAYHEAD = "replay-playhead"  # dcc.Store: the moment (ms since the epoch) the page asks the server for
SHOWN = "replay-shown"  # dcc.Store: the moment the map, queue and counters show
WINDOW = "replay-window"  # dcc.Store: {department, from, to, unmasked}
MAP = "replay-map"
QUEUE = "replay-queue"
TIMELINE = "replay-timeline"
DETAIL = "replay-detail"
ACK = "replay-ack"  # set by the browser once it has drawn an answer (the next request may go)
COUNTER = "replay-counter-{}"
FEEDBACK = "replay-feedback"

# What kind of change a timeline line is (translated where shown, in the "timeline" context).
KIND_LABELS = {"incident": NP_("timeline", "status"), "event": NP_("timeline", "event"),
               "note": NP_("timeline", "note"), "unit": NP_("timeline", "unit"), "camera": NP_("timeline", "camera")}


def local(iso: str) -> str:
    """An ISO time as Almaty wall-clock time of day."""
    return format_time(datetime.fromisoformat(iso))


def _type(change: dict[str, Any]) -> str:
    return term("type", change["type"]) if change.get("type") else str(change.get("type_label") or "")


def describe(change: dict[str, Any]) -> str:
    """One timeline line, as a duty officer would say it."""
    kind = change["kind"]
    who = change.get("actor") or ""
    if kind == "incident":
        what = term("action", change["action"])
        status = term("status", change["to_status"]) if change.get("to_status") else ""
        if status and status.casefold() != what.casefold():
            text = _("No. %(id)s %(type)s: %(what)s → %(status)s", id=change["incident_id"], type=_type(change),
                     what=what, status=status)
        else:
            text = _("No. %(id)s %(type)s: %(what)s", id=change["incident_id"], type=_type(change), what=what)
        if change.get("text"):
            text = f"{text} ({change['text']})"
        return f"{text} · {who}" if who else text
    if kind == "event":
        if change.get("plate"):
            return _("No. %(id)s %(type)s: camera %(camera)s event · plate %(plate)s", id=change["incident_id"],
                     type=_type(change), camera=change.get("camera", ""), plate=change["plate"])
        return _("No. %(id)s %(type)s: camera %(camera)s event", id=change["incident_id"], type=_type(change),
                 camera=change.get("camera", ""))
    if kind == "note":
        text = _("No. %(id)s note: %(text)s", id=change["incident_id"], text=change.get("text", ""))
        return f"{text} · {who}" if who else text
    if kind == "unit":
        return f"{change.get('unit', '')}: {term('unit', change.get('to_status'))}"
    before = term("health", change["from_status"]) if change.get("from_status") else ""
    return _("camera %(camera)s: %(before)s → %(after)s", camera=change.get("camera", ""), before=before,
             after=term("health", change.get("to_status")))


def kind_name(kind: str) -> str:
    """What kind of change a timeline line is, in the language of the moment."""
    return pgettext("timeline", KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def timeline_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the timeline grid: time of day, kind, the line, and the moment (ms) a click seeks to."""
    # Rounded up: the playhead lands on the change, never a fraction of a millisecond before it.
    return [{"n": n, "ms": math.ceil(datetime.fromisoformat(c["at"]).timestamp() * 1000), "time": local(c["at"]),
             "kind": kind_name(c["kind"]), "k": c["kind"], "text": describe(c),
             "incident_id": c.get("incident_id")}
            for n, c in enumerate(changes)]


def timeline_columns() -> list[dict[str, Any]]:
    """The timeline grid's columns, headed in the language of the moment."""
    return [
        {"field": "time", "headerName": _("Time"), "flex": 0.55, "minWidth": 100},
        {"field": "kind", "headerName": _("What"), "flex": 0.6, "minWidth": 110,
         "cellClassRules": {f"tl-{k}": f"params.data.k === '{k}'" for k in KIND_LABELS}},
        {"field": "text", "headerName": _("Change"), "flex": 3, "wrapText": True, "autoHeight": True},
    ]


def timeline(rows: list[dict[str, Any]]) -> dag.AgGrid:
    """The changes of the window in order; a click moves the playhead there."""
    return dag.AgGrid(
        id=TIMELINE, rowData=rows, columnDefs=timeline_columns(), getRowId="'' + params.data.n",
        className="replay-timeline-grid",
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "localeText": grid_locale(noRowsToShow=_("Nothing happened in this window")),
                         "theme": {"function": GRID_THEME}},
        defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True},
        style={"height": "100%", "width": "100%"},
    )


def glyph(sign: str) -> html.Span:
    """A button's sign (▶, |◀): no word of any language; the button's aria-label and title say what it does."""
    return html.Span(sign, className="glyph", **{"aria-hidden": "true", "data-i18n": "data"})


def window_input(value: datetime) -> str:
    """A moment as a datetime-local value in Almaty time."""
    return value.astimezone(ALMATY).strftime("%Y-%m-%dT%H:%M")


def layout(s: Situation, *, username: str, departments: list[dict[str, str]], start: datetime, end: datetime,
           changes: list[dict[str, Any]], truncated: bool, may_unmask: bool, unmasked: bool,
           incident_id: int | None = None, attribution: str = "", pages: frozenset[Page] = frozenset()) -> html.Div:
    """The replay page of one department's window, opened at its start."""
    dept = s.department
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    rows = timeline_rows(changes)
    marks = sorted({r["ms"] for r in rows})
    window = {"department": dept["id"], "from": start.isoformat(), "to": end.isoformat(), "unmasked": unmasked,
              "incident": incident_id}
    controls: list[Any] = [
        dmc.Select(id=DEPARTMENT, data=departments, value=str(dept["id"]), allowDeselect=False, searchable=True,
                   w=300, size="md", **{"aria-label": _("Department")}),
        dcc.Input(id=FROM, type="datetime-local", value=window_input(start), className="replay-when",
                  name="from"),
        html.Span("—", className="replay-dash"),
        dcc.Input(id=TO, type="datetime-local", value=window_input(end), className="replay-when",
                  name="to"),
    ]
    if may_unmask:
        controls.append(dmc.Switch(id=UNMASKED, checked=unmasked, label=_("Unmasked (recorded in the journal)"),
                                   size="md"))
    controls.append(html.Button(_("Show"), id=SHOW, className="stats-step", n_clicks=0))
    return html.Div(id=ROOT, className="replay", **{
        "data-start": str(start_ms), "data-end": str(end_ms), "data-playhead": str(start_ms),
        "data-changes": json.dumps(marks)}, children=[
        dcc.Location(id=LOCATION, refresh=True),
        dcc.Store(id=WINDOW, data=window),
        dcc.Store(id=PLAYHEAD, data=start_ms),
        dcc.Store(id=SHOWN, data=start_ms),
        dcc.Store(id=ACK),
        html.Header(className="wall-top replay-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div(_("Replay: %(department)s", department=department_name(dept)), className="dept-ru"),
                          html.Div(_("UNMASKED") if unmasked else _("personal data hidden"),
                                   className="dept-other" + (" replay-unmasked" if unmasked else ""))]),
            ]),
            html.Div(className="counters", children=[counter(k, s.counters[k], COUNTER) for k in COUNTERS]),
            html.Div(className="wall-right", children=[
                html.Div("--:--:--", id=CLOCK, className="clock"),
                html.Div(_("Almaty time"), className="clock-zone"),
                nav(username, pages, "/replay"),
            ]),
        ]),
        html.Div(className="replay-controls", children=[
            html.Div(className="replay-window", children=controls),
            html.Div(className="replay-player", children=[
                html.Button(glyph("|◀"), id=PREVIOUS, className="replay-button", title=_("Previous change (←)"),
                            **{"aria-label": _("Previous change")}),
                html.Button(glyph("▶"), id=PLAY, className="replay-button replay-play", title=_("Play / pause (space)"),
                            **{"aria-label": _("Play or pause")}),
                html.Button(glyph("▶|"), id=NEXT, className="replay-button", title=_("Next change (→)"),
                            **{"aria-label": _("Next change")}),
                html.Div(className="replay-speeds", children=[
                    html.Button(f"{k}×", id=SPEED.format(k), className="replay-speed" + (" active" if k == 1 else ""),
                                title=_("Speed %(n)s×", n=k), **{"data-speed": str(k)}) for k in SPEEDS]),
                dcc.Input(id=SCRUBBER, type="range", min=start_ms, max=end_ms, step=1000, value=start_ms,
                          className="replay-scrubber", name="playhead"),
            ]),
            html.Div(id=FEEDBACK, className="feedback", role="status",
                     children=_("Showing the window's first %(n)s changes; narrow the window", n=format_number(5000))
                     if truncated else ""),
        ]),
        html.Main(className="wall-body replay-body", children=[
            html.Section(className="wall-map kuzet-map", **{"data-bounds": json.dumps(jurisdiction_bounds(s.districts)),
                                                            "data-basemap": s.department.get("city", "")},
                         children=[
                dcc.Graph(id=MAP, figure=map_figure(s, start), config={"displayModeBar": False, "scrollZoom": True},
                          style={"height": "100%", "width": "100%"}),
                map_legend(),
                html.Div(attribution, className="attribution"),
            ]),
            html.Section(className="replay-side", children=[
                html.Div(className="replay-queue", children=[
                    html.Div(_("The queue at this moment"), className="queue-title"),
                    html.Div(queue(s.incidents, QUEUE), className="queue-grid"),
                ]),
                html.Div(id=DETAIL, className="replay-detail",
                         children=_("Pick an incident in the queue")),
                html.Div(className="replay-timeline", children=[
                    html.Div(_("Timeline"), className="queue-title"),
                    html.Div(timeline(rows), className="queue-grid"),
                ]),
                html.Div(_("Space — play/pause · ← → — changes · Home/End — start/end"), className="keys-hint"),
            ]),
        ]),
    ])


def detail(row: dict[str, Any] | None, history: list[dict[str, Any]]) -> html.Div | str:
    """The selected incident as it stood at the playhead: what, where, who called (masked), its entries so far."""
    if row is None:
        return _("Not open at this moment")
    lines: list[Any] = [
        html.Div(_("No. %(id)s P%(priority)s %(type)s · %(status)s", id=row["id"], priority=row["priority"],
                   type=_type(row), status=term("status", row["status"])), className="detail-head"),
        html.Div(row.get("address") or "", className="detail-address", **{"data-i18n": "data"}),
    ]
    if row.get("description"):
        lines.append(html.Div(row["description"], className="detail-description", **{"data-i18n": "data"}))
    if row.get("caller_name") or row.get("caller_phone"):
        lines.append(html.Div(_("Caller: %(name)s · %(phone)s", name=row.get("caller_name") or "—",
                                phone=row.get("caller_phone") or "—"), className="detail-caller"))
    lines.append(html.Ul([html.Li(_history_line(h)) for h in history], className="detail-history"))
    lines.append(html.A(_("Incident card"), href=f"/incidents/{row['id']}", className="detail-link"))
    return html.Div(lines)


def _history_line(entry: dict[str, Any]) -> str:
    """One entry of the incident so far: when (Almaty), what, who, and why when said."""
    line = _("%(time)s %(action)s · %(actor)s", time=local(entry["at"]), action=term("action", entry["action"]),
             actor=entry["actor"])
    return f"{line} ({entry['text']})" if entry.get("text") else line


def department_name(department: dict[str, Any]) -> str:
    """A department's name in the language of the moment (Russian when it has none in it)."""
    return localized(department.get("name_ru", ""), department.get("name_kk", "") or "",
                     department.get("name_en", "") or "")
