"""The admin's settlement page: a statement per operator and month, issuing it, the contracts."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import sqlalchemy as sa
from dash import Input, Output, State, html, no_update

from dashboard.auth import logged_in
from dashboard.context import db
from layouts import settlement as ids
from layouts.settlement import layout, statement_view
from layouts.wall import denied
from services.access.permissions import Action, Page, require, open_pages
from services.access.scope import as_id
from services.errors import Refused
from services.settlement import statements
from services.settlement.calendar import month_of, parse_month, previous_month
from services.settlement.contracts import Terms, add_contract
from services.settlement.money import kzt, pct
from services.store.models import Contract, Operator, utcnow


def recent_months(count: int = 13) -> list[str]:
    """This month and the ones before it, newest first (the one just over comes second)."""
    out = [month_of(utcnow())]
    while len(out) < count:
        out.append(previous_month(out[-1]))
    return out


def _contracts() -> list[dict[str, Any]]:
    rows = db().execute(sa.select(Contract, Operator.name).join(Operator, Operator.id == Contract.operator_id)
                        .order_by(Operator.name, Contract.valid_from)).all()
    return [{"operator": name, "number": c.number, "period": f"{c.valid_from} — {c.valid_to or '…'}",
             "share": f"{pct(c.fine_share_bp)} %" + (f" (+{len(c.fine_share_by_type)} по видам)"
                                                     if c.fine_share_by_type else ""),
             "fee": f"{kzt(c.incident_fee_tiyn)} ₸" + (f" (+{len(c.incident_fees)})" if c.incident_fees else ""),
             "uptime": (f"{pct(c.uptime_target_bp)} % / {pct(c.penalty_bp_per_point)} % за пункт"
                        if c.uptime_target_bp is not None else "—"),
             "cap": f"{kzt(c.cap_tiyn)} ₸" if c.cap_tiyn is not None else "—"} for c, name in rows]


def _operators() -> list[dict[str, str]]:
    return [{"value": str(o.id), "label": o.name} for o in db().scalars(sa.select(Operator).order_by(Operator.name))]


def page(**_query: Any) -> html.Div:
    """The page, for admins."""
    user = logged_in(Page.SETTLEMENT)
    if user is None:
        return denied("Расчёты с операторами — только для администратора · Admins only")
    months = recent_months()
    return layout(_operators(), months[1:] + months[:1], _contracts(), username=user.username, pages=open_pages(user.role))


def _statement(operator_id: Any, month: Any) -> Any:
    operator = db().get(Operator, as_id(operator_id)) if as_id(operator_id) else None
    if operator is None:
        return html.Div("Выберите оператора · Pick an operator", className="settlement-empty")
    content = statements.latest(db(), operator, parse_month(month))
    db().commit()  # a draft posts what is due
    return statement_view(content, f"/api/v1/operators/{operator.id}/statements/{content['month']}")


def register(app: dash.Dash) -> None:
    """Show, issue, add terms."""

    @app.callback(Output(ids.STATEMENT, "children"), Input(ids.OPERATOR, "value"), Input(ids.MONTH, "value"))
    def show(operator_id: Any, month: Any) -> Any:
        if logged_in(Page.SETTLEMENT) is None:
            return no_update
        try:
            return _statement(operator_id, month)
        except ValueError as exc:
            return html.Div(str(exc), className="settlement-empty")

    @app.callback(Output(ids.FEEDBACK, "children"), Output(ids.STATEMENT, "children", allow_duplicate=True),
                  Input(ids.ISSUE, "n_clicks"), State(ids.OPERATOR, "value"), State(ids.MONTH, "value"),
                  prevent_initial_call=True)
    def issue(clicks: Any, operator_id: Any, month: Any) -> Any:
        user = logged_in(Page.SETTLEMENT)
        if user is None or not clicks:
            return no_update, no_update
        operator = db().get(Operator, as_id(operator_id)) if as_id(operator_id) else None
        try:
            require(user, Action.ISSUE_STATEMENT)
            if operator is None:
                raise ValueError("выберите оператора · pick an operator")
            statement = statements.issue(db(), user.username, operator, parse_month(month))
            db().commit()
        except (ValueError, Refused) as exc:
            db().rollback()
            return f"Не выпущена · Not issued: {exc}", no_update
        return (f"Выпущена v{statement.version}: {kzt(statement.total_tiyn)} ₸, sha256 {statement.sha256[:16]}…",
                _statement(operator_id, month))

    @app.callback(Output(ids.FEEDBACK, "children", allow_duplicate=True), Output(ids.CONTRACTS, "rowData"),
                  Input(ids.C_SAVE, "n_clicks"),
                  State(ids.C_OPERATOR, "value"), State(ids.C_NUMBER, "value"), State(ids.C_FROM, "value"),
                  State(ids.C_TO, "value"), State(ids.C_SHARE, "value"), State(ids.C_FEE, "value"),
                  State(ids.C_TARGET, "value"), State(ids.C_PENALTY, "value"), State(ids.C_CAP, "value"),
                  State(ids.C_SHARE_BY_TYPE, "value"), State(ids.C_FEES, "value"), prevent_initial_call=True)
    def add_terms(clicks: Any, operator_id: Any, number: Any, start: Any, end: Any, share: Any, fee: Any,
                  target: Any, penalty: Any, cap: Any, share_by_type: Any, fees: Any) -> Any:
        user = logged_in(Page.SETTLEMENT)
        if user is None or not clicks:
            return no_update, no_update
        operator = db().get(Operator, as_id(operator_id)) if as_id(operator_id) else None
        try:
            require(user, Action.SET_CONTRACT)
            if operator is None:
                raise ValueError("выберите оператора · pick an operator")
            terms = Terms(number=_text(number), valid_from=_day(start, "С"), valid_to=_day(end, "По") if _text(end)
                          else None, fine_share_pct=_text(share) or "0", incident_fee_kzt=_text(fee) or "0",
                          uptime_target_pct=_text(target) or None, penalty_pct_per_point=_text(penalty) or "0",
                          cap_kzt=_text(cap) or None, fine_share_by_type=_pairs(share_by_type),
                          incident_fees_kzt=_pairs(fees))
            contract = add_contract(db(), user.username, operator.name, terms)
            db().commit()
        except (ValueError, Refused) as exc:
            db().rollback()
            return f"Условия не добавлены · Not added: {exc}", no_update
        return f"Договор {contract.number}: условия с {contract.valid_from} добавлены", _contracts()


def _text(value: Any) -> str:
    return value.strip()[:200] if isinstance(value, str) else ""


def _pairs(value: Any) -> dict[str, str]:
    """ "red_light=30, bus_lane=25" as a dict; ValueError naming the piece that is not KEY=VALUE."""
    out = {}
    for piece in (p.strip() for p in _text(value).replace(";", ",").split(",")):
        if not piece:
            continue
        key, sep, amount = piece.partition("=")
        if not sep or not key.strip() or not amount.strip():
            raise ValueError(f"«{piece}»: ВИД=ЗНАЧЕНИЕ · write KEY=VALUE")
        out[key.strip()] = amount.strip()
    return out


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise ValueError(f"«{field}»: дата ГГГГ-ММ-ДД · a date YYYY-MM-DD") from None
