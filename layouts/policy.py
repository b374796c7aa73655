"""Admin: the priority policy and the SOP checklists, each with an editor that checks what it is given."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _
from services.i18n.terms import TERMS, term

PATH = "/admin/policy"
RULES = "policy-rules"
RULE_TYPE = "policy-type"
RULE_DEPARTMENT = "policy-department"
RULE_MOUNT = "policy-mount"
RULE_NIGHT = "policy-night"
RULE_CONFIDENCE = "policy-confidence"
RULE_PRIORITY = "policy-priority"
RULE_SAVE = "policy-save"
RULE_FEEDBACK = "policy-feedback"
SOP_TYPE = "sop-type"
SOP_STEPS = "sop-steps"
SOP_ADD = "sop-add"
SOP_REMOVE = "sop-remove"
SOP_SAVE = "sop-save"
SOP_FEEDBACK = "sop-feedback"
ANY = "*"

RULE_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("department", N_("Department"), 1.6), ("type", N_("Incident type"), 1.4), ("mount", N_("Mount"), 1),
    ("night", N_("Night only"), 0.8), ("confidence", N_("Confidence from"), 0.9), ("priority", N_("Priority"), 0.7),
)


def rule_rows(rules: list[Any], departments: dict[int, str]) -> list[dict[str, Any]]:
    """The policy's rows as people read them: names, not codes; the most specific first."""
    rows = [{"key": f"{r.department_id}|{r.incident_type}|{r.mount_kind}|{r.night_only}|{r.min_confidence}",
             "department": departments.get(r.department_id, "—") if r.department_id else _("every department"),
             "type": term("type", r.incident_type), "mount": term("mount", r.mount_kind) if r.mount_kind else "—",
             "night": _("yes") if r.night_only else "—",
             "confidence": f"{r.min_confidence:.2f}" if r.min_confidence is not None else "—",
             "priority": f"P{r.priority}", "specificity": r.specificity()} for r in rules]
    return sorted(rows, key=lambda row: (row["type"], -row["specificity"]))


def type_options(codes: list[str]) -> list[dict[str, str]]:
    """Incident types by name, for the selects."""
    return sorted(({"value": code, "label": term("type", code)} for code in codes), key=lambda o: o["label"])


def layout(rules: list[dict[str, Any]], types: list[str], departments: dict[int, str], *, username: str,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The policy table and its rule editor; one type's checklist and its step editor."""
    every = {"value": ANY, "label": _("every department")}
    any_mount = {"value": ANY, "label": _("any mount")}
    return html.Div(className="admin-page", children=[
        page_header(_("Priority policy and SOPs"), _("What priority each incident gets, and what the officer does"),
                    username, pages, PATH),
        html.Main(className="admin-body", children=[
            html.H2(_("Priority policy")),
            dag.AgGrid(id=RULES, rowData=rules, getRowId="params.data.key",
                       columnDefs=[{"field": f, "headerName": _(n), "flex": w} for f, n, w in RULE_COLUMNS],
                       dashGridOptions={"theme": {"function": GRID_THEME}, "localeText": grid_locale()},
                       style={"height": "34vh", "width": "100%"}),
            dmc.Group(align="end", mt="sm", children=[
                dmc.Select(id=RULE_TYPE, label=_("Incident type"), data=type_options(types), searchable=True, w=240),
                dmc.Select(id=RULE_DEPARTMENT, label=_("Department"), value=ANY, allowDeselect=False, w=280,
                           searchable=True, data=[every] + [{"value": str(k), "label": v}
                                                            for k, v in sorted(departments.items(), key=lambda i: i[1])]),
                dmc.Select(id=RULE_MOUNT, label=_("Mount"), value=ANY, allowDeselect=False, w=180,
                           data=[any_mount] + [{"value": code, "label": term("mount", code)} for code in TERMS["mount"]]),
                dmc.NumberInput(id=RULE_CONFIDENCE, label=_("Confidence from"), min=0.01, max=1, step=0.05,
                                decimalScale=2, w=150),
                dmc.Checkbox(id=RULE_NIGHT, label=_("Night only (22:00-06:00)"), mb=8),
                dmc.Select(id=RULE_PRIORITY, label=_("Priority"), allowDeselect=False, w=100,
                           data=[{"value": str(p), "label": f"P{p}"} for p in (1, 2, 3, 4)]),
                dmc.Button(_("Save the rule"), id=RULE_SAVE),
            ]),
            html.Div(id=RULE_FEEDBACK, className="feedback", role="status"),
            html.H2(_("SOP checklists"), style={"marginTop": "1.5rem"}),
            dmc.Group(align="end", children=[
                dmc.Select(id=SOP_TYPE, label=_("Incident type"), data=type_options(types), searchable=True, w=240),
                dmc.Button(_("Add a step"), id=SOP_ADD, variant="light"),
                dmc.Button(_("Remove the selected step"), id=SOP_REMOVE, variant="light", color="gray"),
                dmc.Button(_("Save the checklist"), id=SOP_SAVE),
            ]),
            dag.AgGrid(id=SOP_STEPS, rowData=[], getRowId="params.data.key", columnDefs=step_columns(),
                       dashGridOptions={"theme": {"function": GRID_THEME}, "rowDragManaged": True,
                                        "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                         "enableClickSelection": True},
                                        "stopEditingWhenCellsLoseFocus": True,
                                        "localeText": grid_locale(noRowsToShow=_("Choose an incident type"))},
                       style={"height": "34vh", "width": "100%", "marginTop": "0.5rem"}),
            html.Div(id=SOP_FEEDBACK, className="feedback", role="status"),
        ]),
    ])


def step_columns() -> list[dict[str, Any]]:
    """A checklist's editable columns: its text (dragged to reorder) and whether it must be done."""
    return [{"field": "text", "headerName": _("Step"), "flex": 4, "editable": True, "rowDrag": True,
             "cellEditor": "agLargeTextCellEditor", "cellEditorPopup": True, "wrapText": True, "autoHeight": True},
            {"field": "mandatory", "headerName": _("Mandatory"), "flex": 0.8, "editable": True,
             "cellDataType": "boolean"}]
