"""Who watched which camera: every live view and clip view on record, for chiefs and admins."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.incident import local_time
from layouts.cameras import page_header
from services.access.permissions import Page

GRID = "views-grid"
CAMERA = "views-camera"
USER = "views-user"
APPLY = "views-apply"
FEEDBACK = "views-feedback"

KINDS = {"live": "эфир · live", "clip": "запись · clip"}
COLUMNS: list[dict[str, Any]] = [
    {"field": "started", "headerName": "Начало · From", "flex": 1.1},
    {"field": "ended", "headerName": "Конец · To", "flex": 1.1},
    {"field": "user", "headerName": "Сотрудник · Who", "flex": 1},
    {"field": "camera", "headerName": "Камера · Camera", "flex": 1},
    {"field": "kind", "headerName": "Вид · Kind", "flex": 0.9},
    {"field": "incident", "headerName": "Происшествие", "flex": 0.8,
     "cellRenderer": "markdown", "linkTarget": "_self"},
]


def rows(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grid rows of views as services.video.views.list_views gives them, times in Almaty."""
    return [{"id": v["view"], "started": local_time(v["started_at"]),
             "ended": local_time(v["ended_at"]) if v["ended_at"] else f"смотрит · watching ({local_time(v['last_seen_at'])})",
             "user": v["user"], "camera": f"{v['camera']} (№{v['camera_id']})",
             "kind": f"{KINDS.get(v['kind'], v['kind'])} · {v['protocol']}",
             "incident": f"[№{v['incident_id']}](/incidents/{v['incident_id']})" if v["incident_id"] else "—"}
            for v in views]


def layout(views: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The video views page."""
    return html.Div(className="admin-page", children=[
        page_header("Просмотры видео · Video views", "Кто смотрел какую камеру, когда и по какому происшествию",
                    username, pages, "/views"),
        html.Main(className="admin-body", children=[
            dmc.Group(mb="sm", children=[
                dmc.TextInput(id=CAMERA, label="Камера (имя оператора или №) · Camera", placeholder="ALM-001 или 41",
                              w=280),
                dmc.TextInput(id=USER, label="Сотрудник (логин) · User", placeholder="duty.almaly", w=240),
                dmc.Button("Показать · Show", id=APPLY, mt=24),
                html.Div(id=FEEDBACK, className="feedback", role="status"),
            ]),
            dag.AgGrid(id=GRID, rowData=rows(views), columnDefs=COLUMNS, getRowId="'' + params.data.id",
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": {"noRowsToShow": "Просмотров нет · No views"}},
                       style={"height": "70vh", "width": "100%"}),
        ]),
    ])
