"""Statements on a page: the admin's settlement page and the operator's portal share the statement view."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from layouts.cameras import page_header
from layouts.coverage import GRID_THEME
from services.access.permissions import Page

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

CAMERA_COLUMNS: list[dict[str, Any]] = [
    {"field": "external_id", "headerName": "Камера", "flex": 1},
    {"field": "offences", "headerName": "Нарушений", "flex": 0.7, "type": "rightAligned"},
    {"field": "fines_paid", "headerName": "Оплачено штрафов", "flex": 0.8, "type": "rightAligned"},
    {"field": "incidents_confirmed", "headerName": "Подтверждено происшествий", "flex": 1, "type": "rightAligned"},
    {"field": "false_alarms", "headerName": "Ложных", "flex": 0.6, "type": "rightAligned"},
    {"field": "uptime_pct", "headerName": "Доступность, %", "flex": 0.8, "type": "rightAligned"},
    {"field": "earned", "headerName": "Начислено, ₸", "flex": 0.9, "type": "rightAligned"},
]
CONTRACT_COLUMNS: list[dict[str, Any]] = [
    {"field": "operator", "headerName": "Оператор", "flex": 1.3},
    {"field": "number", "headerName": "Договор", "flex": 0.8},
    {"field": "period", "headerName": "Действует", "flex": 1.1},
    {"field": "share", "headerName": "Доля штрафов", "flex": 0.8},
    {"field": "fee", "headerName": "За происшествие", "flex": 0.9},
    {"field": "uptime", "headerName": "Доступность / удержание", "flex": 1.1},
    {"field": "cap", "headerName": "Предел", "flex": 0.8},
]
RECONCILIATION = [("offences_registered", "Зарегистрировано нарушений · Offences registered"),
                  ("fines_issued", "Вынесено постановлений · Fines issued"),
                  ("without_fine", "Без постановления · No fine (yet)")]
STATUSES = [("paid", "Оплачено · Paid"), ("cancelled", "Отменено · Cancelled"), ("appealed", "Обжаловано · Appealed"),
            ("unpaid", "Не оплачено · Unpaid")]
AGES = [("0-7", "0–7 дней"), ("8-30", "8–30 дней"), ("over_30", "более 30 дней")]


def money(tiyn: int | None) -> str:
    """Tiyn as a Russian-style tenge amount: 25 850,00 ₸."""
    if tiyn is None:
        return "—"
    sign = "−" if tiyn < 0 else ""
    whole = f"{abs(tiyn) // 100:,}".replace(",", "\u202f")
    return f"{sign}{whole},{abs(tiyn) % 100:02d} ₸"


def statement_view(content: dict[str, Any], download_base: str) -> html.Div:
    """One statement: the total, its lines, the reconciliation of the month's offences, the cameras."""
    status = ("выпущена · issued v" + str(content["version"])) if content["status"] == "issued" else \
        "черновик · draft (до выпуска может измениться)"
    lines = [html.Tr([html.Td(line["label"]), html.Td("" if line.get("count") is None else line["count"],
                                                        className="num"),
                      html.Td(money(line["amount_tiyn"]), className="num")],
                     className=f"line-{line['code']}") for line in content["lines"]]
    rec = content["reconciliation"]
    recon = [html.Tr([html.Td(label), html.Td(rec[key], className="num"), html.Td("")]) for key, label in RECONCILIATION]
    recon += [html.Tr([html.Td(label), html.Td(rec[key]["count"], className="num"),
                       html.Td(money(rec[key]["amount_tiyn"]), className="num")]) for key, label in STATUSES]
    recon += [html.Tr([html.Td("  не оплачено " + label, className="indent"),
                       html.Td(rec["unpaid_by_age_days"][key]["count"], className="num"),
                       html.Td(money(rec["unpaid_by_age_days"][key]["amount_tiyn"]), className="num")])
              for key, label in AGES]
    cameras = [{**c, "earned": money(c["earned_tiyn"])} for c in content["cameras"]]
    corrects = content.get("corrects")
    return html.Div(className="statement", children=[
        html.Div(className="statement-head", children=[
            html.Div([html.Div(f"{content['operator']} · {content['month']}", className="statement-title"),
                      html.Div(status, id=STATUS, className=f"statement-status {content['status']}"),
                      html.Div(f"Договор {content['contract']['number']}" if content.get("contract") else
                               "Нет договора на этот месяц", className="statement-contract"),
                      html.Div(f"Исправляет v{corrects['version']}: разница {money(content.get('difference_tiyn'))}",
                               className="statement-corrects") if corrects else None]),
            html.Div([html.Div("К выплате · Total payable", className="statement-total-label"),
                      html.Div(money(content["total_tiyn"]), id=TOTAL, className="statement-total"),
                      html.Div(f"доступность {content['uptime_pct']} %", className="statement-uptime")]),
        ]),
        html.Div(id=DOWNLOADS, className="statement-downloads", children=[
            html.A(f"Скачать {fmt.upper()}", href=f"{download_base}?format={fmt}", className="stats-step",
                   **({"download": ""} if fmt != "json" else {"target": "_blank"})) for fmt in ("json", "csv", "xlsx")
        ] + [html.Span(f"sha256 {content['sha256'][:16]}…", className="statement-sha")]),
        html.Div(className="statement-tables", children=[
            html.Table(className="statement-lines", children=[
                html.Thead(html.Tr([html.Th("Строка · Line"), html.Th("Кол-во"), html.Th("Сумма")])),
                html.Tbody(lines)]),
            html.Table(className="statement-lines", children=[
                html.Thead(html.Tr([html.Th("Сверка нарушений месяца · Reconciliation"), html.Th("Кол-во"),
                                    html.Th("Сумма")])),
                html.Tbody(recon)]),
        ]),
        dag.AgGrid(id=CAMERAS, rowData=cameras, columnDefs=CAMERA_COLUMNS,
                   dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight"},
                   style={"width": "100%"}),
    ])


def layout(operators: list[dict[str, str]], months: list[str], contracts: list[dict[str, Any]], *,
           username: str, pages: frozenset[Page] = frozenset()) -> html.Div:
    """The admin's settlement page: pick an operator and a month, read, issue; contracts below."""
    return html.Div(className="admin-page", children=[
        page_header("Расчёты с операторами · Operator settlement",
                    "Доля оплаченных штрафов, вознаграждения, удержания; выпущенная ведомость не меняется",
                    username, pages, "/settlement"),
        html.Main(className="admin-body", children=[
            html.Div(className="settlement-pick", children=[
                dmc.Select(id=OPERATOR, label="Оператор", data=operators,
                           value=operators[0]["value"] if operators else None, w=320, allowDeselect=False),
                dmc.Select(id=MONTH, label="Месяц", data=months, value=months[0] if months else None, w=160,
                           allowDeselect=False),
                html.Button("Выпустить ведомость · Issue", id=ISSUE, className="stats-step", n_clicks=0),
                html.Div(id=FEEDBACK, className="settlement-feedback", role="status"),
            ]),
            html.Div(id=STATEMENT),
            html.H2("Договоры · Contracts", className="settlement-h2"),
            dag.AgGrid(id=CONTRACTS, rowData=contracts, columnDefs=CONTRACT_COLUMNS,
                       dashGridOptions={"theme": {"function": GRID_THEME}, "domLayout": "autoHeight"},
                       style={"width": "100%"}),
            html.Div(className="contract-form", children=[
                dmc.Select(id=C_OPERATOR, label="Оператор", data=operators, w=260),
                dmc.TextInput(id=C_NUMBER, label="Номер договора", w=160),
                dmc.TextInput(id=C_FROM, label="С (ГГГГ-ММ-ДД)", w=150),
                dmc.TextInput(id=C_TO, label="По (необязательно)", w=150),
                dmc.TextInput(id=C_SHARE, label="Доля штрафов, %", w=130),
                dmc.TextInput(id=C_SHARE_BY_TYPE, label="Доля по видам: red_light=30, …", w=240),
                dmc.TextInput(id=C_FEE, label="За происшествие, ₸", w=150),
                dmc.TextInput(id=C_FEES, label="По виду и месту: fight:school=15000, …", w=280),
                dmc.TextInput(id=C_TARGET, label="Цель доступности, %", w=150),
                dmc.TextInput(id=C_PENALTY, label="Удержание за пункт, %", w=160),
                dmc.TextInput(id=C_CAP, label="Предел в месяц, ₸", w=150),
                html.Button("Добавить условия · Add terms", id=C_SAVE, className="stats-step", n_clicks=0),
            ]),
        ]),
    ])
