"""Admin: departments and their districts from a boundary file, with a preview of what moves before it moves."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _

PATH = "/admin/boundaries"
UPLOAD = "boundaries-upload"
FILE_NAME = "boundaries-file"
CITY = "boundaries-city"
NAME_FIELD = "boundaries-name-field"
LOCAL_FIELD = "boundaries-local-field"
PREVIEW = "boundaries-preview"
CONFIRM = "boundaries-confirm"
SUMMARY = "boundaries-summary"
MOVES = "boundaries-moves"
PREVIEWED = "boundaries-previewed"  # the sha256 and form of the file last previewed: only that one may be imported
FEEDBACK = "boundaries-feedback"

MOVE_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("external_id", N_("Camera"), 1), ("operator", N_("Operator"), 1.2),
    ("from_department", N_("From department"), 1.6), ("to_department", N_("To department"), 1.6),
)


def move_columns() -> list[dict[str, Any]]:
    """The moving cameras' columns, in the language of the moment."""
    return [{"field": field, "headerName": _(name), "flex": flex, "tooltipField": field}
            for field, name, flex in MOVE_COLUMNS]


def layout(*, username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """Upload a file, see what it changes (districts, cameras that change department), then import it."""
    return html.Div(className="admin-page", children=[
        page_header(_("Departments and boundaries"),
                    _("Import district boundaries: nothing moves before you have seen what moves"),
                    username, pages, PATH),
        html.Main(className="admin-body", children=[
            dmc.Group(align="end", mb="sm", children=[
                dcc.Upload(id=UPLOAD, className="upload-box", multiple=False, max_size=50 * 1024 * 1024,
                           children=html.Div(_("Drop a GeoJSON or GeoPackage file here, or click to choose one"))),
                html.Span(id=FILE_NAME, className="muted", **{"data-i18n": "data"}),
            ]),
            dmc.Group(align="end", mb="sm", children=[
                dmc.TextInput(id=CITY, label=_("City"), w=180),
                dmc.TextInput(id=NAME_FIELD, label=_("Column with the district name"), w=240),
                dmc.TextInput(id=LOCAL_FIELD, label=_("Column with the Kazakh name (optional)"), w=260),
                dmc.Button(_("Preview"), id=PREVIEW, color="blue"),
                dmc.Button(_("Import"), id=CONFIRM, color="red", disabled=True),
            ]),
            html.Div(id=FEEDBACK, className="feedback", role="status"),
            html.Div(id=SUMMARY, className="boundaries-summary"),
            dag.AgGrid(id=MOVES, rowData=[], columnDefs=move_columns(), getRowId="'' + params.data.camera_id",
                       dashGridOptions={"theme": {"function": GRID_THEME},
                                        "localeText": grid_locale(noRowsToShow=_("No camera changes department"))},
                       style={"height": "45vh", "width": "100%"}),
            dcc.Store(id=PREVIEWED),
        ]),
    ])


def summary(created: list[str], changed: list[str], removed: list[str], moved: int, checked: int) -> html.Div:
    """What the preview found, in words: the districts by name, and how many cameras change department."""
    def line(label: str, names: list[str]) -> html.Div:
        return html.Div([html.B(f"{label}: "), html.Span(", ".join(names) if names else "—", **{"data-i18n": "data"})])

    return html.Div(children=[
        line(_("New districts"), created), line(_("Changed districts"), changed), line(_("Removed districts"), removed),
        html.Div(_("%(moved)s of %(checked)s cameras would change department", moved=moved, checked=checked),
                 className="boundaries-moving" if moved else None),
    ])
