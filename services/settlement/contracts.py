"""Operators' contracts: what a camera's work earns, from a date onward."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n import _
from services.settlement.money import parse_kzt, parse_pct
from services.store import audit
from services.store.models import Contract, Operator, utcnow

CITY = "almaty"


@dataclass(frozen=True)
class Terms:
    """The terms of one contract row, as typed by an admin (percentages and tenge as text)."""

    number: str
    valid_from: date
    valid_to: date | None = None
    fine_share_pct: str = "0"
    fine_share_by_type: dict[str, str] | None = None  # offence type -> percent
    incident_fee_kzt: str = "0"
    incident_fees_kzt: dict[str, str] | None = None  # "type:mount_kind", "type:*" or "*:mount_kind" -> tenge
    uptime_target_pct: str | None = None
    penalty_pct_per_point: str = "0"
    cap_kzt: str | None = None
    city: str = CITY


def add_contract(session: so.Session, actor: str, operator_name: str, terms: Terms) -> Contract:
    """Record a contract (or a tariff change: the same number from a later date); ValueError names what is wrong."""
    operator = session.scalar(sa.select(Operator).where(Operator.name == operator_name))
    if operator is None:
        raise ValueError(_("no operator %(name)r (see `kuzet operators list`)", name=operator_name))
    number = terms.number.strip()
    if not number or len(number) > 64 or not number.isprintable():
        raise ValueError(_("the contract number must be 1 to 64 printable characters"))
    if terms.valid_to is not None and terms.valid_to < terms.valid_from:
        raise ValueError(_("the contract ends before it starts (--to is earlier than --from)"))
    other = session.scalar(sa.select(Contract).where(Contract.operator_id == operator.id, Contract.number != number,
                                                     Contract.valid_from <= (terms.valid_to or date.max),
                                                     sa.or_(Contract.valid_to.is_(None),
                                                            Contract.valid_to >= terms.valid_from)))
    if other is not None:
        raise ValueError(_("contract %(number)s of this operator already covers part of that period",
                           number=other.number))
    if session.scalar(sa.select(Contract.id).where(Contract.operator_id == operator.id, Contract.number == number,
                                                   Contract.valid_from == terms.valid_from)):
        raise ValueError(_("contract %(number)s already has terms from %(start)s", number=number,
                           start=terms.valid_from))
    fees = {}
    for key, value in (terms.incident_fees_kzt or {}).items():
        kind, _sep, mount = key.partition(":")
        if not kind or not mount:
            raise ValueError(_("incident fee %(key)s: write TYPE:MOUNT_KIND=TENGE, with * for any (fight:school=15000)",
                               key=repr(key)))
        fees[f"{kind}:{mount}"] = parse_kzt(value)
    contract = Contract(
        operator_id=operator.id, city=terms.city, number=number, valid_from=terms.valid_from, valid_to=terms.valid_to,
        fine_share_bp=parse_pct(terms.fine_share_pct),
        fine_share_by_type={k: parse_pct(v) for k, v in (terms.fine_share_by_type or {}).items()},
        incident_fee_tiyn=parse_kzt(terms.incident_fee_kzt), incident_fees=fees,
        uptime_target_bp=parse_pct(terms.uptime_target_pct) if terms.uptime_target_pct is not None else None,
        penalty_bp_per_point=parse_pct(terms.penalty_pct_per_point),
        cap_tiyn=parse_kzt(terms.cap_kzt) if terms.cap_kzt is not None else None,
        created_at=utcnow(), created_by=actor[:64])
    session.add(contract)
    session.flush()
    audit.record(session, actor, "admin.contract.add", f"{operator.name}/{number}", valid_from=str(terms.valid_from),
                 valid_to=str(terms.valid_to) if terms.valid_to else None, fine_share_bp=contract.fine_share_bp,
                 incident_fee_tiyn=contract.incident_fee_tiyn, cap_tiyn=contract.cap_tiyn)
    return contract


def contracts_of(session: so.Session, operator_id: int) -> list[Contract]:
    """Every contract row of an operator, oldest terms first."""
    return list(session.scalars(sa.select(Contract).where(Contract.operator_id == operator_id)
                                .order_by(Contract.valid_from, Contract.id)))


def terms_on(contracts: list[Contract], day: date) -> Contract | None:
    """The terms in force on a day: the latest-starting row that covers it."""
    best = None
    for row in contracts:
        if row.valid_from <= day and (row.valid_to is None or day <= row.valid_to):
            if best is None or row.valid_from >= best.valid_from:
                best = row
    return best


def fine_share_bp(terms: Contract, offence_type: str) -> int:
    """The share of a paid fine the operator earns for this offence type."""
    return int((terms.fine_share_by_type or {}).get(offence_type, terms.fine_share_bp))


def incident_fee_tiyn(terms: Contract, incident_type: str, mount_kind: str) -> int:
    """The fee for a confirmed incident: the most specific of type:mount, type:*, *:mount, then the default."""
    fees = terms.incident_fees or {}
    for key in (f"{incident_type}:{mount_kind}", f"{incident_type}:*", f"*:{mount_kind}"):
        if key in fees:
            return int(fees[key])
    return int(terms.incident_fee_tiyn)
