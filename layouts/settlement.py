"""Statements on a page: the admin's settlement page and the operator's portal share the statement view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from layouts.grid import grid_locale
from services.access.permissions import Page
from services.i18n import N_, _, format_money, format_number, format_percent
from services.settlement.statements import line_name

OPERATOR = "settlement-operator"
MONTH = "settlement-month"
STATEMENT = "settlement-statement"
ISSUE = "settlement-issue"
FEEDBACK = "settlement-feedback"
CONTRACTS = "settlement-contracts"
CAMERAS = "settlement-cameras"
TOTAL = "settlement-total"
STATUS = "settlement-status"
DOWNLOADS = "settlement-downloads"
# The contract form
C_OPERATOR, C_NUMBER, C_FROM, C_TO = "contract-operator", "contract-number", "contract-from", "contract-to"
C_SHARE, C_FEE, C_TARGET, C_PENALTY, C_CAP = ("contract-share", "contract-fee", "contract-target", "contract-penalty",
                                              "contract-cap")
C_SHARE_BY_TYPE, C_FEES = "contract-share-by-type", "contract-fees"
C_SAVE = "contract-save"



def tiyn_money(tiyn: int | None) -> str:
    """An amount kept in tiyn, as the language writes tenge (services.i18n.format_money); "—" for none."""
    return "—" if tiyn is None else format_money(Decimal(tiyn) / 100)


def camera_columns() -> list[dict[str, Any]]:
    """The statement's per-camera columns, headed in the language of the moment."""
    return [
        {"field": "external_id", "headerName": _("Camera"), "flex": 1},
        {"field": "offences", "headerName": _("Offences"), "flex": 0.7, "type": "rightAligned"},
        {"field": "fines_paid", "headerName": _("Fines paid"), "flex": 0.8, "type": "rightAligned"},
        {"field": "incidents_confirmed", "headerName": _("Incidents confirmed"), "flex": 1, "type": "rightAligned"},
        {"field": "false_alarms", "headerName": _("False alarms"), "flex": 0.6, "type": "rightAligned"},
        {"field": "uptime_pct", "headerName": _("Uptime, %"), "flex": 0.8, "type": "rightAligned"},
        {"field": "earned", "headerName": _("Earned, ₸"), "flex": 0.9, "type": "rightAligned"},
    ]


def contract_columns() -> list[dict[str, Any]]:
    """The contracts table's columns, headed in the language of the moment."""
    return [
        {"field": "operator", "headerName": _("Operator"), "flex": 1.3},
        {"field": "number", "headerName": _("Contract"), "flex": 0.8},
        {"field": "period", "headerName": _("In force"), "flex": 1.1},
        {"field": "share", "headerName": _("Share of fines"), "flex": 0.8},
        {"field": "fee", "headerName": _("Per incident"), "flex": 0.9},
        {"field": "uptime", "headerName": _("Uptime / penalty"), "flex": 1.1},
        {"field": "cap", "headerName": _("Cap"), "flex": 0.8},
    ]


RECONCILIATION = [("offences_registered", N_("Offences registered")), ("fines_issued", N_("Fines issued")),
                  ("without_fine", N_("No fine (yet)"))]
# A fine's status (the fines import's codes), as the reconciliation names them.
STATUSES = [("paid", N_("Paid")), ("cancelled", N_("Cancelled")), ("appealed", N_("Appealed")),
            ("unpaid", N_("Unpaid"))]
AGES = [("0-7", N_("0–7 days")), ("8-30", N_("8–30 days")), ("over_30", N_("over 30 days"))]


def statement_view(content: dict[str, Any], download_base: str) -> html.Div:
    """One statement: the total, its lines, the reconciliation of the month's offences, the cameras."""
    status = _("issued v%(version)s", version=content["version"]) if content["status"] == "issued" else \
        _("draft (may change until it is issued)")
    lines = [html.Tr([html.Td(line_name(line["code"], line["label"])),
                      html.Td("" if line.get("count") is None else format_number(line["count"]), className="num"),
                      html.Td(tiyn_money(line["amount_tiyn"]), className="num")],
                     className=f"line-{line['code']}") for line in content["lines"]]
    rec = content["reconciliation"]
    recon = [html.Tr([html.Td(_(label)), html.Td(format_number(rec[key]), className="num"), html.Td("")])
             for key, label in RECONCILIATION]
    recon += [html.Tr([html.Td(_(label)), html.Td(format_number(rec[key]["count"]), className="num"),
                       html.Td(tiyn_money(rec[key]["amount_tiyn"]), className="num")]) for key, label in STATUSES]
    recon += [html.Tr([html.Td(_("unpaid, %(age)s", age=_(label)), className="indent"),
                       html.Td(format_number(rec["unpaid_by_age_days"][key]["count"]), className="num"),
                       html.Td(tiyn_money(rec["unpaid_by_age_days"][key]["amount_tiyn"]), className="num")])
              for key, label in AGES]
    cameras = [{**c, "earned": tiyn_money(c["earned_tiyn"])} for c in content["cameras"]]
    corrects = content.get("corrects")
    return html.Div(className="statement", children=[
        html.Div(className="statement-head", children=[
            html.Div([html.Div(f"{content['operator']} · {content['month']}", className="statement-title",
                               **{"data-i18n": "data"}),
                      html.Div(status, id=STATUS, className=f"statement-status {content['status']}"),
                      html.Div(_("Contract %(number)s", number=content["contract"]["number"]) if content.get("contract")
                               else _("No contract for this month"), className="statement-contract"),
                      html.Div(_("Corrects v%(version)s: difference %(difference)s", version=corrects["version"],
                                 difference=tiyn_money(content.get("difference_tiyn"))),
                               className="statement-corrects") if corrects else None]),
            html.Div([html.Div(_("Total payable"), className="statement-total-label"),
                      html.Div(tiyn_money(content["total_tiyn"]), id=TOTAL, className="statement-total"),
                      html.Div(_("uptime %(pct)s", pct=format_percent(content["uptime_pct"] / 100, 1)),
                               className="statement-uptime")]),
        ]),
        html.Div(id=DOWNLOADS, className="statement-downloads", children=[
            html.A(_("Download %(format)s", format=fmt.upper()), href=f"{download_base}?format={fmt}",
                   className="stats-step", **({"download": ""} if fmt != "json" else {"target": "_blank"}))
            for fmt in ("json", "csv", "xlsx")
        ] + [html.Span(f"sha256 {content['sha256'][:16]}…", className="statement-sha", **{"data-i18n": "data"})]),
        html.Div(className="statement-tables", children=[
            html.Table(className="statement-lines", children=[
                html.Thead(html.Tr([html.Th(_("Line")), html.Th(_("Count")), html.Th(_("Amount"))])),
                html.Tbody(lines)]),
            html.Table(className="statement-lines", children=[
                html.Thead(html.Tr([html.Th(_("Reconciliation of the month's offences")), html.Th(_("Count")),
                                    html.Th(_("Amount"))])),
                html.Tbody(recon)]),
        ]),
        dag.AgGrid(id=CAMERAS, rowData=cameras, columnDefs=camera_columns(),
                   dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                    "localeText": grid_locale()},
                   style={"width": "100%"}),
    ])


def layout(operators: list[dict[str, str]], months: list[str], contracts: list[dict[str, Any]], *,
           username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The admin's settlement page: pick an operator and a month, read, issue; contracts below."""
    return html.Div(className="admin-page", children=[
        page_header(_("Operator settlement"),
                    _("Share of fines paid, fees, penalties; an issued statement never changes"),
                    username, pages, "/settlement"),
        html.Main(className="admin-body", children=[
            html.Div(className="settlement-pick", children=[
                dmc.Select(id=OPERATOR, label=_("Operator"), data=operators,
                           value=operators[0]["value"] if operators else None, w=320, allowDeselect=False),
                dmc.Select(id=MONTH, label=_("Month"), data=months, value=months[0] if months else None, w=160,
                           allowDeselect=False),
                html.Button(_("Issue the statement"), id=ISSUE, className="stats-step", n_clicks=0),
                html.Div(id=FEEDBACK, className="settlement-feedback", role="status"),
            ]),
            html.Div(id=STATEMENT),
            html.H2(_("Contracts"), className="settlement-h2"),
            dag.AgGrid(id=CONTRACTS, rowData=contracts, columnDefs=contract_columns(),
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight",
                                        "localeText": grid_locale()},
                       style={"width": "100%"}),
            html.Div(className="contract-form", children=[
                dmc.Select(id=C_OPERATOR, label=_("Operator"), data=operators, w=260),
                dmc.TextInput(id=C_NUMBER, label=_("Contract number"), w=160),
                dmc.TextInput(id=C_FROM, label=_("From (YYYY-MM-DD)"), w=150),
                dmc.TextInput(id=C_TO, label=_("To (optional)"), w=150),
                dmc.TextInput(id=C_SHARE, label=_("Share of fines, %"), w=130),
                dmc.TextInput(id=C_SHARE_BY_TYPE, label=_("Share by type: red_light=30, …"), w=240),
                dmc.TextInput(id=C_FEE, label=_("Per incident, ₸"), w=150),
                dmc.TextInput(id=C_FEES, label=_("By type and mount: fight:school=15000, …"), w=280),
                dmc.TextInput(id=C_TARGET, label=_("Uptime target, %"), w=150),
                dmc.TextInput(id=C_PENALTY, label=_("Penalty per point, %"), w=160),
                dmc.TextInput(id=C_CAP, label=_("Cap per month, ₸"), w=150),
                html.Button(_("Add the terms"), id=C_SAVE, className="stats-step", n_clicks=0),
            ]),
        ]),
    ])
