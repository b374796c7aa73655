"""The trainer's replay: the wall as it was at the playhead, a timeline of what happened, the player's controls."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.wall import (COUNTERS, GRID_THEME, STATUS_LABELS, UNIT_LABELS, counter, jurisdiction_bounds,
                          map_figure, map_legend, queue)
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

KIND_LABELS = {"incident": "статус", "event": "событие", "note": "заметка", "unit": "наряд", "camera": "камера"}
ACTION_LABELS = {"open": "открыто", "acknowledge": "принято", "dispatch": "наряд направлен", "arrive": "наряд на месте",
                 "resolve": "решено", "close": "закрыто", "hold": "отложено", "resume": "возобновлено",
                 "dismiss": "отклонено", "transfer": "передано", "reopen": "открыто заново",
                 "record_outcome": "итог исправлен", "auto_close": "закрыто автоматически"}
HEALTH_WORDS = {"online": "на связи", "stale": "нет сигнала", "offline": "офлайн", "unknown": "неизвестно"}


def local(iso: str) -> str:
    """An ISO time as Almaty wall-clock time of day."""
    return datetime.fromisoformat(iso).astimezone(ALMATY).strftime("%H:%M:%S")


def describe(change: dict[str, Any]) -> str:
    """One timeline line, as a duty officer would say it."""
    kind = change["kind"]
    who = change.get("actor") or ""
    if kind == "incident":
        what = ACTION_LABELS.get(change["action"], change["action"])
        status = STATUS_LABELS.get(change.get("to_status") or "", change.get("to_status") or "")
        text = f"№{change['incident_id']} {change.get('type_label', '')}: {what}"
        if status.casefold() != what.casefold():
            text += f" → {status}"
        if change.get("text"):
            text += f" ({change['text']})"
        return f"{text} · {who}" if who else text
    if kind == "event":
        plate = f" · номер {change['plate']}" if change.get("plate") else ""
        return f"№{change['incident_id']} {change.get('type_label', '')}: событие камеры {change.get('camera', '')}{plate}"
    if kind == "note":
        return f"№{change['incident_id']} заметка: {change.get('text', '')} · {who}"
    if kind == "unit":
        status = UNIT_LABELS.get(change.get("to_status") or "", change.get("to_status") or "")
        return f"{change.get('unit', '')}: {status}"
    return (f"камера {change.get('camera', '')}: {HEALTH_WORDS.get(change.get('from_status') or '', '')} → "
            f"{HEALTH_WORDS.get(change.get('to_status') or '', change.get('to_status') or '')}")


def timeline_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the timeline grid: time of day, kind, the line, and the moment (ms) a click seeks to."""
    # Rounded up: the playhead lands on the change, never a fraction of a millisecond before it.
    return [{"n": n, "ms": math.ceil(datetime.fromisoformat(c["at"]).timestamp() * 1000), "time": local(c["at"]),
             "kind": KIND_LABELS.get(c["kind"], c["kind"]), "k": c["kind"], "text": describe(c),
             "incident_id": c.get("incident_id")}
            for n, c in enumerate(changes)]


TIMELINE_COLUMNS: list[dict[str, Any]] = [
    {"field": "time", "headerName": "Время", "flex": 0.55, "minWidth": 100},
    {"field": "kind", "headerName": "Что", "flex": 0.6, "minWidth": 110,
     "cellClassRules": {f"tl-{k}": f"params.data.k === '{k}'" for k in KIND_LABELS}},
    {"field": "text", "headerName": "Событие · Change", "flex": 3, "wrapText": True, "autoHeight": True},
]


def timeline(rows: list[dict[str, Any]]) -> dag.AgGrid:
    """The changes of the window in order; a click moves the playhead there."""
    return dag.AgGrid(
        id=TIMELINE, rowData=rows, columnDefs=TIMELINE_COLUMNS, getRowId="'' + params.data.n",
        className="replay-timeline-grid",
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                         "localeText": {"noRowsToShow": "В этом окне ничего не происходило · Nothing happened"},
                         "theme": {"function": GRID_THEME}},
        defaultColDef={"sortable": False, "resizable": True, "suppressMovable": True},
        style={"height": "100%", "width": "100%"},
    )


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
                   w=300, size="md", **{"aria-label": "Department"}),
        dcc.Input(id=FROM, type="datetime-local", value=window_input(start), className="replay-when",
                  name="from"),
        html.Span("—", className="replay-dash"),
        dcc.Input(id=TO, type="datetime-local", value=window_input(end), className="replay-when",
                  name="to"),
    ]
    if may_unmask:
        controls.append(dmc.Switch(id=UNMASKED, checked=unmasked, label="Без маскирования (в журнал)", size="md"))
    controls.append(html.Button("Показать", id=SHOW, className="stats-step", n_clicks=0))
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
                html.Div([html.Div(f"Разбор · {dept['name_ru']}", className="dept-ru"),
                          html.Div("Replay · " + ("БЕЗ МАСКИРОВАНИЯ" if unmasked else "персональные данные скрыты"),
                                   className="dept-other" + (" replay-unmasked" if unmasked else ""))]),
            ]),
            html.Div(className="counters", children=[counter(k, s.counters[k], COUNTER) for k in COUNTERS]),
            html.Div(className="wall-right", children=[
                html.Div("--:--:--", id=CLOCK, className="clock"),
                html.Div("Алматы · UTC+5", className="clock-zone"),
                nav(username, pages, "/replay"),
            ]),
        ]),
        html.Div(className="replay-controls", children=[
            html.Div(className="replay-window", children=controls),
            html.Div(className="replay-player", children=[
                html.Button("|◀", id=PREVIOUS, className="replay-button", title="Предыдущее изменение (←)",
                            **{"aria-label": "Previous change"}),
                html.Button("▶", id=PLAY, className="replay-button replay-play", title="Пуск / пауза (пробел)",
                            **{"aria-label": "Play or pause"}),
                html.Button("▶|", id=NEXT, className="replay-button", title="Следующее изменение (→)",
                            **{"aria-label": "Next change"}),
                html.Div(className="replay-speeds", children=[
                    html.Button(f"{k}×", id=SPEED.format(k), className="replay-speed" + (" active" if k == 1 else ""),
                                **{"data-speed": str(k)}) for k in SPEEDS]),
                dcc.Input(id=SCRUBBER, type="range", min=start_ms, max=end_ms, step=1000, value=start_ms,
                          className="replay-scrubber", name="playhead"),
            ]),
            html.Div(id=FEEDBACK, className="feedback", role="status",
                     children="Показаны первые 5000 изменений окна; сузьте окно" if truncated else ""),
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
                    html.Div("Очередь на этот момент", className="queue-title"),
                    html.Div(queue(s.incidents, QUEUE), className="queue-grid"),
                ]),
                html.Div(id=DETAIL, className="replay-detail",
                         children="Выберите происшествие в очереди · Pick an incident in the queue"),
                html.Div(className="replay-timeline", children=[
                    html.Div("Хронология · Timeline", className="queue-title"),
                    html.Div(timeline(rows), className="queue-grid"),
                ]),
                html.Div("Пробел — пуск/пауза · ← → — изменения · Home/End — начало/конец", className="keys-hint"),
            ]),
        ]),
    ])


def detail(row: dict[str, Any] | None, history: list[dict[str, Any]]) -> html.Div | str:
    """The selected incident as it stood at the playhead: what, where, who called (masked), its entries so far."""
    if row is None:
        return "Происшествие не открыто в этот момент · Not open at this moment"
    lines: list[Any] = [
        html.Div(f"№{row['id']} P{row['priority']} {row['type_label']} · "
                 f"{STATUS_LABELS.get(row['status'], row['status'])}", className="detail-head"),
        html.Div(row.get("address") or "", className="detail-address"),
    ]
    if row.get("description"):
        lines.append(html.Div(row["description"], className="detail-description"))
    if row.get("caller_name") or row.get("caller_phone"):
        lines.append(html.Div(f"Заявитель: {row.get('caller_name') or '—'} · {row.get('caller_phone') or '—'}",
                              className="detail-caller"))
    lines.append(html.Ul([html.Li(f"{local(h['at'])} {ACTION_LABELS.get(h['action'], h['action'])} · {h['actor']}"
                                  + (f" ({h['text']})" if h.get("text") else "")) for h in history],
                         className="detail-history"))
    lines.append(html.A("Карточка происшествия", href=f"/incidents/{row['id']}", className="detail-link"))
    return html.Div(lines)
