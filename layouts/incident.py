"""The incident page: timeline, evidence, camera, map inset, SOP, units, notes, actions, outcome."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.basemap import map_layers
from layouts.wall import BLANK_DARK_STYLE, PRIORITY_COLOURS, UNIT_COLOURS, ago, hover
from layouts.nav import nav
from services.access.permissions import Action, Page
from services.duty.incidents import DISPATCHABLE
from services.duty.casefile import CaseFile
from services.duty.sop import step_text
from services.i18n import N_, _, format_date, format_number, format_time
from services.i18n.terms import term

BODY = "incident-body"
INCIDENT = "incident-id"
FEEDBACK = "incident-feedback"
ACTION = "incident-action"  # pattern id type: {"type": ACTION, "action": name}
SOP_STEP = "incident-sop-step"  # pattern id type: {"type": SOP_STEP, "step": id}
DISPATCH_UNIT = "incident-dispatch-unit"  # pattern id type: {"type": DISPATCH_UNIT, "unit": id}
OUTCOME = "incident-outcome"
CASE_NUMBER = "incident-case-number"
OUTCOME_NOTE = "incident-outcome-note"
OVERRIDE = "incident-sop-override"
RESOLVE = "incident-resolve"
NOTE_TEXT = "incident-note-text"
NOTE_ADD = "incident-note-add"
REASON = "incident-reason"  # why: required to hold, dismiss or reopen
VERSION = "incident-version"  # the version this page shows; an action on a stale page is refused
SOP_TICKED = "incident-sop-ticked"  # how many steps this page shows ticked: a tick changes no version
LIVE_VIDEO = "incident-live-video"  # the camera's live view (assets/video.js)
NEARBY_OPEN = "incident-nearby-open"  # opens the 2x2 grid of the nearest cameras (also the G key)
NEARBY_GRID = "incident-nearby-grid"
SOCKET = "incident-socket"  # the department's pushes: the page redraws when someone else changes this incident
REASON_ACTIONS = ("hold", "dismiss", "reopen")

# The buttons of the actions, with their keys (assets/incident.js).
BUTTONS: dict[str, str] = {
    "acknowledge": N_("Acknowledge (A)"), "dispatch": N_("Nearest unit (D)"), "arrive": N_("On scene (N)"),
    "close": N_("Close (C)"), "hold": N_("Hold"), "resume": N_("Resume"), "dismiss": N_("False call"),
    "transfer": N_("Transfer"), "reopen": N_("Reopen"), "resolve": N_("Resolve (R)"),
}
# Actions with their own form on this page (resolve: outcome form; transfer: on the wall).
FORM_ACTIONS = ("resolve", "transfer")
# What a piece of evidence is.
MEDIA_KINDS: dict[str, str] = {"snapshot": N_("snapshot"), "clip": N_("clip"), "live": N_("live view")}
DATA = {"data-i18n": "data"}  # an element holding only data (names, addresses, call signs, typed text)


def button_label(action: str) -> str:
    """An action's button, in the language of the moment."""
    return _(BUTTONS[action]) if action in BUTTONS else term("action", action)


def local_time(iso: str | None) -> str:
    """A moment as the language writes its date, with the time to the second, in Asia/Almaty; "—" for none."""
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso)
    return f"{format_date(moment, 'short')} {format_time(moment)}"


def metres(value: float) -> str:
    """A distance in whole metres, as the language writes the number."""
    return format_number(round(value))


def inset_view(points: list[tuple[float, float]], width_px: int = 560, height_px: int = 220) -> tuple[dict[str, float], float]:
    """Centre and zoom that keep every (lat, lon) in view on a small map (at least a few streets wide)."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    lat, lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    # Web-Mercator: at zoom z, 512 * 2^z px span 360 degrees of longitude (and ~cos(lat) as much latitude).
    span_lon = max(max(lons) - min(lons), 0.004) * 1.4
    span_lat = max(max(lats) - min(lats), 0.004) * 1.4 / math.cos(math.radians(lat))
    zoom = min(math.log2(360 * width_px / (512 * span_lon)), math.log2(360 * height_px / (512 * span_lat)))
    return {"lat": lat, "lon": lon}, round(min(max(zoom, 10.0), 16.0), 2)


def inset(case: CaseFile) -> go.Figure:
    """A small map: the incident, its camera, the units on it and the nearest free ones, all in view."""
    inc = case.incident
    fig = go.Figure()
    points = [(inc["lat"], inc["lon"])]
    if case.camera:
        points.append((case.camera["lat"], case.camera["lon"]))
        fig.add_trace(go.Scattermap(lat=[case.camera["lat"]], lon=[case.camera["lon"]], mode="markers",
                                    marker={"size": 10, "color": "#30d158"}, text=[hover(case.camera["external_id"])],
                                    hoverinfo="text"))
    units = [(u["call_sign"], u["status"], u["lat"], u["lon"]) for u in case.units if not u["released_at"]]
    units += [(s.call_sign, "available", s.lat, s.lon) for s in case.suggestions[:3]]
    if units:
        points += [(lat, lon) for _, _, lat, lon in units]
        fig.add_trace(go.Scattermap(lat=[u[2] for u in units], lon=[u[3] for u in units], mode="markers",
                                    # No text labels: map text needs a glyph server, and this map fetches nothing.
                                    marker={"size": 13, "color": [UNIT_COLOURS.get(u[1], "#0a84ff") for u in units]},
                                    text=[hover(f"{u[0]} · {term('unit', u[1])}") for u in units],
                                    hoverinfo="text"))
    fig.add_trace(go.Scattermap(lat=[inc["lat"]], lon=[inc["lon"]], mode="markers",
                                marker={"size": 22, "color": PRIORITY_COLOURS.get(inc["priority"], "#fff")},
                                text=[f"№{inc['id']}"], hoverinfo="text"))
    center, zoom = inset_view(points)
    fig.update_layout(map={"style": BLANK_DARK_STYLE, "center": center, "zoom": zoom,
                           "layers": map_layers(case.districts, case.city)},
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor="#0b0f17", showlegend=False,
                      uirevision=f"incident-{inc['id']}")
    return fig


def _section(title: str, *children: Any) -> html.Section:
    return html.Section(className="case-section", children=[html.H3(title), *children])


def video_pane(camera_id: int, protocol: str, *, incident_id: int | None = None, label: str = "",
               pane_id: str | None = None) -> html.Div:
    """A live view of one camera through the centre; assets/video.js plays it while it is on screen."""
    return html.Div(className="video-pane", id=pane_id or f"video-{camera_id}", **{
        "data-kuzet-video": protocol, "data-camera": str(camera_id),
        "data-incident": "" if incident_id is None else str(incident_id), "data-label": label},
        children=[html.Div(label, className="video-label", **DATA)])


def _evidence(case: CaseFile) -> list[Any]:
    items = []
    incident_id = case.incident["id"]
    for media in case.evidence[-12:]:
        where = f"{media['camera_id']}/{{}}/{media['event_pk']}/{media['position']}"
        kind = _(MEDIA_KINDS[media["kind"]]) if media["kind"] in MEDIA_KINDS else str(media["kind"])
        caption = html.Div([_("%(kind)s · %(time)s", kind=kind, time=local_time(media["at"])),
                            html.Code(f" sha256 {media['sha256'][:16]}…", **DATA) if media.get("sha256") else "",
                            # Filled in by assets/video.js from the centre's check of what the operator serves.
                            html.Span(className="evidence-hash", **{"data-check": "/video/" + where.format("check")})],
                           className="evidence-caption")
        if media["kind"] == "snapshot":
            src = "/video/" + where.format("snapshot")
            items.append(html.A(href=src, target="_blank", className="evidence", children=[
                html.Img(src=src, alt=_("snapshot %(event)s", event=media["event_id"])), caption]))
        elif media["kind"] == "clip":
            items.append(html.Div(className="evidence clip", children=[
                html.Video(src="/video/" + where.format("clip") + f"?incident={incident_id}", controls=True,
                           preload="none", className="evidence-clip"), caption]))
        else:  # a "live" reference: the camera's live view above is the one to watch
            items.append(html.Div(className="evidence link", children=[_("● %(kind)s", kind=kind), caption]))
    return items or [html.Div(_("No evidence"), className="muted")]


def _video_block(case: CaseFile) -> list[Any]:
    camera, incident_id = case.camera, case.incident["id"]
    if camera is None or not camera["video"]:
        return [html.Div(_("No live view"), className="muted")] if camera else []
    blocks: list[Any] = [video_pane(camera["id"], camera["video"], incident_id=incident_id,
                                    label=f"{camera['external_id']} · {camera['address']}", pane_id=LIVE_VIDEO)]
    others = [c for c in case.nearby if c["id"] != camera["id"]][:3]
    if others:
        blocks += [html.Button(_("Nearest cameras 2×2 (G)"), id=NEARBY_OPEN, className="nearby-open",
                               **{"aria-expanded": "false", "aria-controls": NEARBY_GRID}),
                   html.Div(id=NEARBY_GRID, className="video-grid", hidden=True, children=[
                       video_pane(c["id"], c["video"], incident_id=incident_id, pane_id=f"nearby-{c['id']}",
                                  label=_("%(camera)s · %(distance)s m · %(address)s", camera=c["external_id"],
                                          distance=metres(c["distance_m"]), address=c["address"]))
                       for c in [camera_entry(camera), *others]])]
    return blocks


def camera_entry(camera: dict[str, Any]) -> dict[str, Any]:
    """The incident's own camera as the first of the nearest."""
    return {"id": camera["id"], "external_id": camera["external_id"], "address": camera["address"],
            "video": camera["video"], "distance_m": 0.0}


def _sop_label(step: dict[str, Any]) -> str:
    label = _("%(position)s. %(step)s", position=step["position"], step=step_text(step["text"]))
    if step["mandatory"]:
        label = _("%(step)s *", step=label)
    if step["ticked_by"]:
        label = _("%(step)s — %(who)s, %(time)s", step=label, who=step["ticked_by"], time=local_time(step["ticked_at"]))
    return label


def _unit_row(unit: dict[str, Any]) -> html.Div:
    shown = {"distance": metres(unit["distance_m"]), "dispatched": local_time(unit["dispatched_at"]),
             "arrived": local_time(unit["arrived_at"])}
    return html.Div(className="unit-row", children=[
        html.Span(unit["call_sign"], className="call-sign", **DATA), " ",
        html.Span(term("unit", unit["status"]), style={"color": UNIT_COLOURS.get(unit["status"], "#fff")}), " · ",
        html.Span(_("%(distance)s m · dispatched %(dispatched)s · arrived %(arrived)s", **shown) if unit["arrived_at"]
                  else _("%(distance)s m · dispatched %(dispatched)s", **shown), className="muted"),
    ])


def _timeline_entry(entry: dict[str, Any]) -> html.Li:
    who = _("— %(who)s: %(reason)s", who=entry["actor"], reason=entry["reason"]) if entry["reason"] \
        else _("— %(who)s", who=entry["actor"])
    return html.Li(className=f"tl-{entry['kind']}", children=[
        html.Span(local_time(entry["at"]), className="tl-time"), " ", entry["text"], " ",
        html.Span(who, className="muted")])


def body(case: CaseFile, feedback: str = "") -> html.Div:
    """The page body; re-rendered after every action on this page."""
    inc = case.incident
    source = term("type", "manual_call") if inc["source"] == "manual" else _("camera")
    header = html.Div(className="case-head", children=[
        html.A(_("← Wall (Esc)"), href="/wall", className="back"),
        html.Div(f"P{inc['priority']}", className=f"case-prio prio-{inc['priority']}"),
        html.Div([html.Div(_("#%(id)s · %(type)s", id=inc["id"], type=term("type", inc["type"])),
                           className="case-title"),
                  html.Div(_("%(address)s · %(source)s · created %(time)s", address=inc["address"] or "—",
                             source=source, time=local_time(inc["created_at"])), className="muted")]),
        html.Div(term("status", inc["status"]), className=f"case-status status-{inc['status']}",
                 id="incident-status"),
        dmc.Group(gap="xs", className="case-actions", children=[
            # Always present (the action callback reads it), shown only when an action needs a reason.
            dmc.TextInput(id=REASON, placeholder=_("Reason (hold, false call, reopen)"),
                          size="md", w=360, **{"aria-label": _("Reason for hold, dismiss or reopen")},
                          style={} if any(a in REASON_ACTIONS for a in case.actions) else {"display": "none"}),
            *[dmc.Button(button_label(a), id={"type": ACTION, "action": a}, size="md",
                         color="yellow" if a == "acknowledge" else "blue", variant="filled")
              for a in case.actions if a not in FORM_ACTIONS],
        ]),
        dcc.Store(id=VERSION, data=inc["version"]),
        dcc.Store(id=SOP_TICKED, data=sum(1 for s in case.sop if s["ticked_by"])),
    ])
    sop = [dmc.Checkbox(id={"type": SOP_STEP, "step": s["id"]}, checked=bool(s["ticked_by"]),
                        disabled=bool(s["ticked_by"]) or Action.TICK_SOP_STEP not in case.permitted
                        or inc["status"] not in ("new", "transferred", "acknowledged", "dispatched",
                                                 "on_scene", "on_hold"),
                        className="sop-step", size="md", label=_sop_label(s))
           for s in case.sop]
    units = [_unit_row(u) for u in case.units]
    can_dispatch = Action.DISPATCH in case.permitted and inc["status"] in DISPATCHABLE
    suggestions = [html.Div(className="unit-row", children=[
        html.Span(s.call_sign, className="call-sign", **DATA), " ",
        html.Span(_("%(distance)s km · ~%(minutes)s min · crew of %(crew)s", distance=format_number(s.distance_m / 1000, 1),
                    minutes=max(1, round(s.eta_s / 60)), crew=s.crew_size), className="muted"),
        *([dmc.Button(_("Dispatch"), id={"type": DISPATCH_UNIT, "unit": s.unit_id}, size="xs", ml="sm")]
          if can_dispatch else []),
    ]) for s in case.suggestions]
    resolvable = "resolve" in case.actions
    outcome = term("outcome", inc["outcome"])
    recorded = [html.Div(_("%(outcome)s · No. %(number)s", outcome=outcome, number=inc["case_number"])
                         if inc["case_number"] else outcome, id="incident-outcome-text")]
    # A finished incident (or a role that may not resolve) shows what was recorded, not a form to fill.
    outcome_form = recorded if Action.RESOLVE not in case.permitted or not resolvable else [
        dmc.Select(id=OUTCOME, label=_("Outcome (O)"), data=[{"value": o, "label": term("outcome", o)}
                                                            for o in case.outcomes],
                   value=inc["outcome"], searchable=True),
        dmc.TextInput(id=CASE_NUMBER, label=_("Case or protocol number"), value=inc["case_number"]),
        dmc.Textarea(id=OUTCOME_NOTE, label=_("Note"), value="", minRows=2),
        dmc.Checkbox(id=OVERRIDE, label=_("Resolve with steps unticked (supervisor override)"),
                     disabled=Action.OVERRIDE_SOP not in case.permitted, checked=False),
        dmc.Button(_("Resolve (R)"), id=RESOLVE, color="green", mt="sm"),
    ]
    camera = case.camera
    camera_block = [html.Div(_("102 call, no camera"), className="muted")] if camera is None else [
        html.Div(_("%(camera)s · %(operator)s · %(mount)s", camera=camera["external_id"], operator=camera["operator"],
                   mount=term("mount", camera["mount_kind"]))),
        html.Div(_("%(address)s · %(health)s · last signal %(time)s (%(ago)s)", address=camera["address"] or "—",
                   health=term("health", camera["health"]), time=local_time(camera["last_seen_at"]),
                   ago=ago(camera["last_seen_at"])), className="muted"),
        *_video_block(case),
    ]
    withheld = [html.Div(_("Snapshots and clips are withheld in training (%(count)s)", count=case.withheld),
                         className="muted")]
    return html.Div(className="case", children=[
        header,
        html.Div(feedback, id=FEEDBACK, className="feedback", role="status"),
        html.Div(className="case-grid", children=[
            html.Div(className="case-col", children=[
                _section(_("Timeline"), html.Ol(className="timeline",
                                                children=[_timeline_entry(t) for t in case.timeline[-60:]])),
                _section(_("Evidence"),
                         *([html.Div(_("The camera is offline: the evidence may be stale"), className="stale-banner")]
                           if camera and camera["health"] in ("offline", "stale") else []),
                         html.Div(_evidence(case) if not case.withheld else withheld, className="evidence-grid")),
                _section(_("Description"), html.Div(inc["description"] or "—", **DATA),
                         *([html.Div(_("Caller: %(name)s · %(phone)s", name=inc.get("caller_name") or "—",
                                       phone=inc.get("caller_phone") or "—"), className="caller")]
                           if inc.get("caller_name") or inc.get("caller_phone") else []),
                         *([html.A(_("▶ Replay"), href=case.replay, className="replay-link")]
                           if case.replay else [])),
            ]),
            html.Div(className="case-col", children=[
                _section(_("Camera"), *camera_block),
                html.Div(className="kuzet-map case-map-box", **{"data-basemap": case.city}, children=[
                    dcc.Graph(figure=inset(case), config={"displayModeBar": False, "scrollZoom": True},
                              className="case-map")]),
                _section(_("Related"), *([html.A(_("#%(id)s %(type)s · %(distance)s m · %(status)s", id=r["id"],
                                                   type=term("type", r["type"]), distance=metres(r["distance_m"]),
                                                   status=term("status", r["status"])),
                                                 href=f"/incidents/{r['id']}", className="related")
                                          for r in case.related] or [html.Div("—", className="muted")])),
                _section(_("Notes"),
                         *[html.Div([html.B(n["author"], **DATA), " ", local_time(n["at"]), ": ",
                                     html.Span(n["text"], **DATA)], className="note")
                           for n in case.notes],
                         *([dmc.Textarea(id=NOTE_TEXT, placeholder=_("Note"), minRows=2),
                            dmc.Button(_("Add note"), id=NOTE_ADD, size="xs", mt="xs")]
                           if Action.ADD_NOTE in case.permitted else [])),
            ]),
            html.Div(className="case-col", children=[
                _section(_("SOP (1–9)"), *sop),
                _section(_("Units"), *(units or [html.Div(_("None dispatched"), className="muted")])),
                *([_section(_("Nearest available"),
                            *(suggestions or [html.Div(_("No free units"), className="muted")]))] if can_dispatch else []),
                _section(_("Outcome"), *outcome_form),
            ]),
        ]),
    ])


def layout(case: CaseFile, *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The incident page."""
    from dash_socketio import DashSocketIO

    return html.Div(className="incident-page", children=[
        dcc.Store(id=INCIDENT, data=case.incident["id"]),
        DashSocketIO(id=SOCKET, eventNames=["incidents"],
                     options={"query": {"department": str(case.incident["department_id"])}}),
        html.Div(className="incident-nav", children=[nav(username, pages, "")]),
        html.Div(id=BODY, children=body(case)),
    ])
