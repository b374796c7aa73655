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
from services.i18n import _, format_date, format_percent, ngettext
from layouts.settlement import tiyn_money
from services.store.models import Contract, Operator, utcnow


def recent_months(count: int = 13) -> list[str]:
    """This month and the ones before it, newest first (the one just over comes second)."""
    out = [month_of(utcnow())]
    while len(out) < count:
        out.append(previous_month(out[-1]))
    return out


def _percent(bp: int) -> str:
    """Basis points as the language writes a percentage (two decimals only when there are any)."""
    return format_percent(bp / 10_000, 0 if bp % 100 == 0 else 2)


def _contracts() -> list[dict[str, Any]]:
    rows = db().execute(sa.select(Contract, Operator.name).join(Operator, Operator.id == Contract.operator_id)
                        .order_by(Operator.name, Contract.valid_from)).all()
    return [{"operator": name, "number": c.number,
             "period": f"{format_date(c.valid_from)} — {format_date(c.valid_to) if c.valid_to else '…'}",
             "share": _percent(c.fine_share_bp) + (" " + ngettext("(+%(n)s by type)", "(+%(n)s by type)",
                                                                  len(c.fine_share_by_type))
                                                   if c.fine_share_by_type else ""),
             "fee": tiyn_money(c.incident_fee_tiyn) + (f" (+{len(c.incident_fees)})" if c.incident_fees else ""),
             "uptime": (_("%(target)s / %(penalty)s per point", target=_percent(c.uptime_target_bp),
                          penalty=_percent(c.penalty_bp_per_point)) if c.uptime_target_bp is not None else "—"),
             "cap": tiyn_money(c.cap_tiyn)} for c, name in rows]


def _operators() -> list[dict[str, str]]:
    return [{"value": str(o.id), "label": o.name} for o in db().scalars(sa.select(Operator).order_by(Operator.name))]


def page(**_query: Any) -> html.Div:
    """The page, for admins."""
    user = logged_in(Page.SETTLEMENT)
    if user is None:
        return denied(_("Administrators only"))
    months = recent_months()
    return layout(_operators(), months[1:] + months[:1], _contracts(), username=user.username, pages=open_pages(user.role))


def _statement(operator_id: Any, month: Any) -> Any:
    operator = db().get(Operator, as_id(operator_id)) if as_id(operator_id) else None
    if operator is None:
        return html.Div(_("Pick an operator"), className="settlement-empty")
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
                raise ValueError(_("Pick an operator"))
            statement = statements.issue(db(), user.username, operator, parse_month(month))
            db().commit()
        except (ValueError, Refused) as exc:
            db().rollback()
            return _("Not issued: %(why)s", why=exc), no_update
        return (_("Issued v%(version)s: %(total)s, sha256 %(sha)s…", version=statement.version,
                  total=tiyn_money(statement.total_tiyn), sha=statement.sha256[:16]),
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
                raise ValueError(_("Pick an operator"))
            terms = Terms(number=_text(number), valid_from=_day(start, _("From (YYYY-MM-DD)")),
                          valid_to=_day(end, _("To (optional)")) if _text(end)
                          else None, fine_share_pct=_text(share) or "0", incident_fee_kzt=_text(fee) or "0",
                          uptime_target_pct=_text(target) or None, penalty_pct_per_point=_text(penalty) or "0",
                          cap_kzt=_text(cap) or None, fine_share_by_type=_pairs(share_by_type),
                          incident_fees_kzt=_pairs(fees))
            contract = add_contract(db(), user.username, operator.name, terms)
            db().commit()
        except (ValueError, Refused) as exc:
            db().rollback()
            return _("Terms not added: %(why)s", why=exc), no_update
        return (_("Contract %(number)s: terms from %(start)s added", number=contract.number,
                  start=format_date(contract.valid_from)), _contracts())


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
            raise ValueError(_("«%(piece)s»: write KIND=VALUE", piece=piece))
        out[key.strip()] = amount.strip()
    return out


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise ValueError(_("«%(field)s»: a date YYYY-MM-DD", field=field)) from None
