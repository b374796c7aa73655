"""The incident page: timeline, evidence, camera, map inset, SOP, units, notes, actions, outcome."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from layouts.basemap import map_layers
from layouts.wall import BLANK_DARK_STYLE, PRIORITY_COLOURS, STATUS_LABELS, UNIT_COLOURS, ago, hover
from layouts.nav import nav
from services.access.permissions import Action, Page
from services.duty.incidents import DISPATCHABLE
from services.duty.casefile import CaseFile

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

ALMATY = timezone(timedelta(hours=5))
ACTION_LABELS = {
    "acknowledge": "Принять (A)", "dispatch": "Ближайший наряд (D)", "arrive": "На месте (N)",
    "close": "Закрыть (C)", "hold": "Отложить", "resume": "Возобновить", "dismiss": "Ложный вызов",
    "transfer": "Передать", "reopen": "Переоткрыть", "resolve": "Решить (R)",
}
# Actions with their own form on this page (resolve: outcome form; transfer: on the wall).
FORM_ACTIONS = ("resolve", "transfer")
OUTCOME_LABELS = {
    "detained": "Задержан · Detained", "administrative_protocol": "Адм. протокол · Administrative protocol",
    "criminal_case": "Возбуждено уголовное дело · Criminal case", "warning": "Предупреждение · Warning",
    "no_offence": "Правонарушения нет · No offence", "false_alarm": "Ложный вызов · False alarm",
    "handed_over": "Передано другой службе · Handed to another service",
}


def local_time(iso: str | None) -> str:
    """HH:MM:SS in Asia/Almaty."""
    return datetime.fromisoformat(iso).astimezone(ALMATY).strftime("%d.%m %H:%M:%S") if iso else "—"


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
                                    text=[f"{u[0]} · {u[1]}" for u in units], hoverinfo="text"))
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
        children=[html.Div(label, className="video-label")])


def _evidence(case: CaseFile) -> list[Any]:
    items = []
    incident_id = case.incident["id"]
    for media in case.evidence[-12:]:
        where = f"{media['camera_id']}/{{}}/{media['event_pk']}/{media['position']}"
        caption = html.Div([media["kind"], " · ", local_time(media["at"]),
                            html.Code(f" sha256 {media['sha256'][:16]}…") if media.get("sha256") else "",
                            # Filled in by assets/video.js from the centre's check of what the operator serves.
                            html.Span(className="evidence-hash", **{"data-check": "/video/" + where.format("check")})],
                           className="evidence-caption")
        if media["kind"] == "snapshot":
            src = "/video/" + where.format("snapshot")
            items.append(html.A(href=src, target="_blank", className="evidence", children=[
                html.Img(src=src, alt=f"снимок {media['event_id']}"), caption]))
        elif media["kind"] == "clip":
            items.append(html.Div(className="evidence clip", children=[
                html.Video(src="/video/" + where.format("clip") + f"?incident={incident_id}", controls=True,
                           preload="none", className="evidence-clip"), caption]))
        else:  # a "live" reference: the camera's live view above is the one to watch
            items.append(html.Div(className="evidence link", children=[f"● {media['kind']}", caption]))
    return items or [html.Div("Нет материалов · No evidence", className="muted")]


def _video_block(case: CaseFile) -> list[Any]:
    camera, incident_id = case.camera, case.incident["id"]
    if camera is None or not camera["video"]:
        return [html.Div("Нет живого видео · No live view", className="muted")] if camera else []
    blocks: list[Any] = [video_pane(camera["id"], camera["video"], incident_id=incident_id,
                                    label=f"{camera['external_id']} · {camera['address']}", pane_id=LIVE_VIDEO)]
    others = [c for c in case.nearby if c["id"] != camera["id"]][:3]
    if others:
        blocks += [html.Button("Ближайшие камеры 2×2 · Nearest cameras (G)", id=NEARBY_OPEN, className="nearby-open",
                               **{"aria-expanded": "false", "aria-controls": NEARBY_GRID}),
                   html.Div(id=NEARBY_GRID, className="video-grid", hidden=True, children=[
                       video_pane(c["id"], c["video"], incident_id=incident_id, pane_id=f"nearby-{c['id']}",
                                  label=f"{c['external_id']} · {c['distance_m']:.0f} м · {c['address']}")
                       for c in [camera_entry(camera), *others]])]
    return blocks


def camera_entry(camera: dict[str, Any]) -> dict[str, Any]:
    """The incident's own camera as the first of the nearest."""
    return {"id": camera["id"], "external_id": camera["external_id"], "address": camera["address"],
            "video": camera["video"], "distance_m": 0.0}


def body(case: CaseFile, feedback: str = "") -> html.Div:
    """The page body; re-rendered after every action on this page."""
    inc = case.incident
    header = html.Div(className="case-head", children=[
        html.A("← Пульт (Esc)", href="/wall", className="back"),
        html.Div(f"P{inc['priority']}", className=f"case-prio prio-{inc['priority']}"),
        html.Div([html.Div(f"№{inc['id']} · {inc['type_label']}", className="case-title"),
                  html.Div(f"{inc['address']} · {inc['source']} · создано {local_time(inc['created_at'])}",
                           className="muted")]),
        html.Div(STATUS_LABELS.get(inc["status"], inc["status"]), className=f"case-status status-{inc['status']}",
                 id="incident-status"),
        dmc.Group(gap="xs", className="case-actions", children=[
            # Always present (the action callback reads it), shown only when an action needs a reason.
            dmc.TextInput(id=REASON, placeholder="Причина · Reason (отложить, ложный вызов, переоткрыть)",
                          size="md", w=360, **{"aria-label": "Reason for hold, dismiss or reopen"},
                          style={} if any(a in REASON_ACTIONS for a in case.actions) else {"display": "none"}),
            *[dmc.Button(ACTION_LABELS.get(a, a), id={"type": ACTION, "action": a}, size="md",
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
                        className="sop-step", size="md",
                        label=f"{s['position']}. {s['text']}" + (" *" if s["mandatory"] else "")
                        + (f" — {s['ticked_by']}, {local_time(s['ticked_at'])}" if s["ticked_by"] else ""))
           for s in case.sop]
    units = [html.Div(className="unit-row", children=[
        html.Span(u["call_sign"], className="call-sign"),
        html.Span(f" {u['status']}", style={"color": UNIT_COLOURS.get(u["status"], "#fff")}),
        html.Span(f" · {u['distance_m']:.0f} м · направлен {local_time(u['dispatched_at'])}"
                  + (f" · прибыл {local_time(u['arrived_at'])}" if u["arrived_at"] else ""), className="muted"),
    ]) for u in case.units]
    can_dispatch = Action.DISPATCH in case.permitted and inc["status"] in DISPATCHABLE
    suggestions = [html.Div(className="unit-row", children=[
        html.Span(s.call_sign, className="call-sign"),
        html.Span(f" {s.distance_m / 1000:.1f} км · ~{max(1, round(s.eta_s / 60))} мин · экипаж {s.crew_size}",
                  className="muted"),
        *([dmc.Button("Направить", id={"type": DISPATCH_UNIT, "unit": s.unit_id}, size="xs", ml="sm")]
          if can_dispatch else []),
    ]) for s in case.suggestions]
    resolvable = "resolve" in case.actions
    recorded = [html.Div(OUTCOME_LABELS.get(inc["outcome"], inc["outcome"] or "—")
                         + (f" · № {inc['case_number']}" if inc["case_number"] else ""), id="incident-outcome-text")]
    # A finished incident (or a role that may not resolve) shows what was recorded, not a form to fill.
    outcome_form = recorded if Action.RESOLVE not in case.permitted or not resolvable else [
        dmc.Select(id=OUTCOME, label="Итог · Outcome (O)", data=[{"value": o, "label": OUTCOME_LABELS.get(o, o)}
                                                                for o in case.outcomes],
                   value=inc["outcome"], searchable=True),
        dmc.TextInput(id=CASE_NUMBER, label="№ дела / протокола · Case number", value=inc["case_number"]),
        dmc.Textarea(id=OUTCOME_NOTE, label="Примечание · Note", value="", minRows=2),
        dmc.Checkbox(id=OVERRIDE, label="Решить без отмеченных шагов (руководитель) · Supervisor override",
                     disabled=Action.OVERRIDE_SOP not in case.permitted, checked=False),
        dmc.Button("Решить · Resolve (R)", id=RESOLVE, color="green", mt="sm"),
    ]
    camera = case.camera
    camera_block = [html.Div("Ручной вызов 102 · Manual (102 call)", className="muted")] if camera is None else [
        html.Div(f"{camera['external_id']} · {camera['operator']} · {camera['mount_kind']}"),
        html.Div(f"{camera['address']} · состояние {camera['health']} · посл. сигнал {local_time(camera['last_seen_at'])}"
                 f" ({ago(camera['last_seen_at'])})",
                 className="muted"),
        *_video_block(case),
    ]
    return html.Div(className="case", children=[
        header,
        html.Div(feedback, id=FEEDBACK, className="feedback", role="status"),
        html.Div(className="case-grid", children=[
            html.Div(className="case-col", children=[
                _section("Хронология · Timeline", html.Ol(className="timeline", children=[
                    html.Li(className=f"tl-{t['kind']}", children=[
                        html.Span(local_time(t["at"]), className="tl-time"), " ", t["text"],
                        html.Span(f" — {t['actor']}" + (f": {t['reason']}" if t["reason"] else ""), className="muted")])
                    for t in case.timeline[-60:]])),
                _section("Материалы · Evidence",
                         *([html.Div("Камера сейчас не на связи: материалы могут быть устаревшими · camera offline, "
                                     "evidence may be stale", className="stale-banner")]
                           if camera and camera["health"] in ("offline", "stale") else []),
                         html.Div(_evidence(case) if not case.withheld else [html.Div(
                             f"Снимки и видео скрыты для обучения ({case.withheld}) · "
                             "Snapshots and clips withheld in training", className="muted")],
                                  className="evidence-grid")),
                _section("Описание · Description", html.Div(inc["description"] or "—"),
                         *([html.Div(f"Заявитель · Caller: {inc.get('caller_name') or '—'} · "
                                     f"{inc.get('caller_phone') or '—'}", className="caller")]
                           if inc.get("caller_name") or inc.get("caller_phone") else []),
                         *([html.A("▶ Разбор · Replay", href=case.replay, className="replay-link")]
                           if case.replay else [])),
            ]),
            html.Div(className="case-col", children=[
                _section("Камера · Camera", *camera_block),
                html.Div(className="kuzet-map case-map-box", **{"data-basemap": case.city}, children=[
                    dcc.Graph(figure=inset(case), config={"displayModeBar": False, "scrollZoom": True},
                              className="case-map")]),
                _section("Связанные · Related", *([html.A(f"№{r['id']} {r['type']} · {r['distance_m']:.0f} м · {r['status']}",
                                                          href=f"/incidents/{r['id']}", className="related")
                                                   for r in case.related] or [html.Div("—", className="muted")])),
                _section("Заметки · Notes",
                         *[html.Div([html.B(n["author"]), f" {local_time(n['at'])}: ", n["text"]], className="note")
                           for n in case.notes],
                         *([dmc.Textarea(id=NOTE_TEXT, placeholder="Заметка · Note", minRows=2),
                            dmc.Button("Добавить · Add note", id=NOTE_ADD, size="xs", mt="xs")]
                           if Action.ADD_NOTE in case.permitted else [])),
            ]),
            html.Div(className="case-col", children=[
                _section("Порядок действий · SOP (1–9)", *sop),
                _section("Наряды · Units", *(units or [html.Div("Не направлены", className="muted")])),
                *([_section("Ближайшие свободные · Nearest available",
                            *(suggestions or [html.Div("Нет свободных", className="muted")]))] if can_dispatch else []),
                _section("Итог · Outcome", *outcome_form),
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
