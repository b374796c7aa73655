"""Recompute a month from its sources (offences, fines, incidents, uptime) and name every difference."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.settlement import ledger, statements
from services.settlement.calendar import bounds, parse_month
from services.settlement.money import kzt
from services.store.models import AuditEntry, Fine, LedgerEntry, Operator, utcnow


def verify(session: so.Session, operator: Operator, month: str, now: datetime | None = None) -> list[str]:
    """Every difference between the ledger and what the sources say it should hold, and in issued statements."""
    month = parse_month(month)
    now = now or utcnow()
    start, end = bounds(month)
    problems: list[str] = []
    fine_ids = sorted(set(session.scalars(sa.select(Fine.id).where(
        Fine.operator_id == operator.id, Fine.paid_at >= start, Fine.paid_at < end))) | set(session.scalars(
        sa.select(LedgerEntry.fine_id).where(LedgerEntry.operator_id == operator.id, LedgerEntry.month == month,
                                             LedgerEntry.fine_id.is_not(None)))))
    wanted = ledger.expected_fines(session, fine_ids)
    held = ledger.held_by(session, LedgerEntry.fine_id, fine_ids, kind=ledger.FINE_SHARE)
    for item in wanted:
        if held.get(item.fine_id, 0) != item.amount_tiyn:
            problems.append(f"fine {item.basis['decision_no']} (offence {item.offence_id}): ledger holds "
                            f"{kzt(held.get(item.fine_id, 0))} KZT, its payment earns {kzt(item.amount_tiyn)} KZT")
    incidents = ledger.expected_incidents(session, operator.id, month)
    held = ledger.held_by(session, LedgerEntry.incident_id, [i.incident_id for i in incidents], kind=ledger.INCIDENT_FEE)
    for item in incidents:
        if held.get(item.incident_id, 0) != item.amount_tiyn:
            problems.append(f"incident #{item.incident_id}: ledger holds {kzt(held.get(item.incident_id, 0))} KZT, "
                            f"its outcome ({item.basis['outcome']}) earns {kzt(item.amount_tiyn)} KZT")
    if now >= end:
        gross = ledger.earned(session, operator.id, month, kinds=(ledger.FINE_SHARE, ledger.INCIDENT_FEE))
        penalty = ledger.expected_penalty(session, operator.id, month, gross,
                                          ledger.operator_uptime_pct(ledger.month_uptime(session, operator.id, month,
                                                                                         now)))
        have = ledger.held_penalty(session, operator.id, month)
        if penalty is not None and have != penalty.amount_tiyn:
            problems.append(f"uptime penalty {month}: ledger holds {kzt(have)} KZT, uptime "
                            f"{penalty.basis['uptime_pct']} % gives {kzt(penalty.amount_tiyn)} KZT")
    for statement in statements.issued(session, operator.id, month):
        content = json.loads(statement.content)
        if statements.digest(content) != statement.sha256 or content.get("sha256") != statement.sha256:
            problems.append(f"statement {month} v{statement.version}: its content no longer matches sha256 "
                            f"{statement.sha256}")
        journaled = session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "settlement.statement.issue", AuditEntry.subject == f"{operator.name}/{month}"))
        if not journaled:
            problems.append(f"statement {month} v{statement.version}: not in the audit journal")
    versions = statements.issued(session, operator.id, month)
    if versions:
        fresh = statements.build(session, operator, month, now, post=False)
        last = json.loads(versions[-1].content)
        if fresh["total_tiyn"] != last["total_tiyn"]:
            problems.append(f"statement {month} v{versions[-1].version} says {kzt(last['total_tiyn'])} KZT; the "
                            f"ledger now gives {kzt(fresh['total_tiyn'])} KZT: issue a correcting statement")
    return problems
