"""Who watched which camera: every live view and clip view on record, for chiefs and admins."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.coverage import GRID_THEME
from layouts.incident import local_time
from layouts.cameras import page_header
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _

GRID = "views-grid"
CAMERA = "views-camera"
USER = "views-user"
APPLY = "views-apply"
FEEDBACK = "views-feedback"

KINDS = {"live": N_("live"), "clip": N_("clip")}


def columns() -> list[dict[str, Any]]:
    """The views' columns, headed in the language of the moment."""
    return [
        {"field": "started", "headerName": _("From"), "flex": 1.1},
        {"field": "ended", "headerName": _("To"), "flex": 1.1},
        {"field": "user", "headerName": _("Who"), "flex": 1},
        {"field": "camera", "headerName": _("Camera"), "flex": 1},
        {"field": "kind", "headerName": _("Kind"), "flex": 0.9},
        {"field": "incident", "headerName": _("Incident"), "flex": 0.8,
         "cellRenderer": "markdown", "linkTarget": "_self"},
    ]


def rows(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grid rows of views as services.video.views.list_views gives them, times in Almaty."""
    return [{"id": v["view"], "started": local_time(v["started_at"]),
             "ended": local_time(v["ended_at"]) if v["ended_at"] else
             _("watching (%(time)s)", time=local_time(v["last_seen_at"])),
             "user": v["user"], "camera": f"{v['camera']} (№{v['camera_id']})",
             "kind": f"{_(KINDS[v['kind']]) if v['kind'] in KINDS else v['kind']} · {v['protocol']}",
             "incident": f"[№{v['incident_id']}](/incidents/{v['incident_id']})" if v["incident_id"] else "—"}
            for v in views]


def layout(views: list[dict[str, Any]], *, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The video views page."""
    return html.Div(className="admin-page", children=[
        page_header(_("Video views"), _("Who watched which camera, when and for which incident"),
                    username, pages, "/views"),
        html.Main(className="admin-body", children=[
            dmc.Group(mb="sm", children=[
                dmc.TextInput(id=CAMERA, label=_("Camera (operator's name or No.)"),
                              placeholder=_("ALM-001 or 41"), w=280),
                dmc.TextInput(id=USER, label=_("Staff member (username)"), placeholder=_("duty.almaly"), w=240),
                dmc.Button(_("Show"), id=APPLY, mt=24),
                html.Div(id=FEEDBACK, className="feedback", role="status"),
            ]),
            dag.AgGrid(id=GRID, rowData=rows(views), columnDefs=columns(), getRowId="'' + params.data.id",
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": grid_locale(noRowsToShow=_("No views"))},
                       style={"height": "70vh", "width": "100%"}),
        ]),
    ])
