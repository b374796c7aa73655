"""Monthly statements: what an operator earned, why, and how it reconciles; frozen and hashed once issued."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n import N_, _
from services.settlement import ledger
from services.settlement.calendar import bounds, last_day, parse_month
from services.settlement.contracts import contracts_of, terms_on
from services.settlement.money import kzt
from services.store import audit
from services.access.permissions import Action, allows
from services.store.models import (Camera, Fine, Incident, LedgerEntry, Offence, Operator, Statement,
                                   User, utcnow)

logger = logging.getLogger(__name__)

AGES = (("0-7", 0, 7), ("8-30", 8, 30), ("over_30", 31, None))
# What people read for a statement's line, by its code (the content keeps the label it was issued with).
LINE_NAMES = {
    "fine_share": N_("Share of fines paid"), "incident_fees": N_("Fees for confirmed incidents"),
    "uptime_penalty": N_("Uptime penalty"), "subtotal": N_("Subtotal"), "cap": N_("Contract cap"),
    "total": N_("Total payable"),
}


def line_name(code: str, issued_label: str = "") -> str:
    """A statement line's name in the language of the moment; an unknown code keeps the label it was issued with."""
    english = LINE_NAMES.get(code)
    return _(english) if english is not None else (issued_label or code)


def canonical(content: dict[str, Any]) -> bytes:
    """The statement's bytes: sorted keys, no spaces, UTF-8; the same content always gives the same bytes."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(content: dict[str, Any]) -> str:
    """sha256 of a statement's canonical bytes, its own sha256 field left out."""
    return hashlib.sha256(canonical({k: v for k, v in content.items() if k != "sha256"})).hexdigest()


def find_operator(session: so.Session, name_or_id: str) -> Operator:
    """An operator by exact name or id, or ValueError."""
    operator = session.scalar(sa.select(Operator).where(
        sa.or_(Operator.name == name_or_id, sa.cast(Operator.id, sa.String) == name_or_id)))
    if operator is None:
        raise ValueError(_("no operator %(name)r (see `kuzet operators list`)", name=name_or_id))
    return operator


def may_read(user: User, operator_id: int) -> bool:
    """Whether this person may read the operator's statements: any for admins, its own for an operator's login."""
    if allows(user.role, Action.READ_ANY_STATEMENT):
        return True
    return allows(user.role, Action.READ_OWN_STATEMENT) and user.operator_id == operator_id


def build(session: so.Session, operator: Operator, month: str, now: datetime | None = None, *,
          post: bool = True) -> dict[str, Any]:
    """The month's statement as it stands now (a draft): posts what is due first, unless ``post`` is False."""
    month = parse_month(month)
    now = now or utcnow()
    if post:
        ledger.post_month(session, operator.id, month, now)
    start, end = bounds(month)
    as_of = min(end, now)
    entries = session.execute(
        sa.select(LedgerEntry.kind, LedgerEntry.camera_id, sa.func.count(LedgerEntry.id),
                  sa.func.coalesce(sa.func.sum(LedgerEntry.amount_tiyn), 0),
                  sa.func.sum(sa.case((LedgerEntry.for_month != month, LedgerEntry.amount_tiyn), else_=0)))
        .where(LedgerEntry.operator_id == operator.id, LedgerEntry.month == month)
        .group_by(LedgerEntry.kind, LedgerEntry.camera_id)).all()
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_camera: dict[int, int] = defaultdict(int)
    for kind, camera_id, count, amount, corrections in entries:
        by_kind[kind][0] += int(count)
        by_kind[kind][1] += int(amount)
        by_kind[kind][2] += int(corrections or 0)
        if camera_id is not None:
            by_camera[camera_id] += int(amount)
    fine_share, fees, penalty = by_kind[ledger.FINE_SHARE][1], by_kind[ledger.INCIDENT_FEE][1], \
        by_kind[ledger.UPTIME_PENALTY][1]
    subtotal = fine_share + fees + penalty
    terms = terms_on(contracts_of(session, operator.id), last_day(month))
    cap = terms.cap_tiyn if terms is not None else None
    cap_cut = -(subtotal - cap) if cap is not None and subtotal > cap else 0
    total = subtotal + cap_cut
    per_camera_uptime = ledger.month_uptime(session, operator.id, month, now)
    uptime_pct = ledger.operator_uptime_pct(per_camera_uptime)
    lines = [
        _line("fine_share", "Доля оплаченных штрафов · Share of fines paid", by_kind[ledger.FINE_SHARE]),
        _line("incident_fees", "Вознаграждение за подтверждённые происшествия · Fees for confirmed incidents",
              by_kind[ledger.INCIDENT_FEE]),
        _line("uptime_penalty", "Удержание за доступность ниже целевой · Uptime penalty", by_kind[ledger.UPTIME_PENALTY]),
        {"code": "subtotal", "label": "Итого до ограничения · Subtotal", "count": None, "amount_tiyn": subtotal},
        {"code": "cap", "label": "Ограничение по договору · Contract cap", "count": None, "amount_tiyn": cap_cut,
         "cap_tiyn": cap},
        {"code": "total", "label": "К выплате · Total payable", "count": None, "amount_tiyn": total},
    ]
    content: dict[str, Any] = {
        "kind": "kuzet.statement/1", "operator": operator.name, "operator_id": operator.id, "month": month,
        "period": {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat()},
        "contract": _terms(terms), "currency": "KZT", "amounts_in": "tiyn (1 KZT = 100 tiyn)",
        "fine_share_tiyn": fine_share, "incident_fees_tiyn": fees, "uptime_pct": uptime_pct,
        "uptime_penalty_tiyn": penalty, "cap_tiyn": cap, "cap_applied_tiyn": cap_cut, "total_tiyn": total,
        "total_kzt": kzt(total), "lines": lines,
        "reconciliation": _reconciliation(session, operator.id, start, end, as_of),
        "cameras": _cameras(session, operator.id, month, start, end, by_camera, per_camera_uptime),
        "status": "draft", "version": 0, "corrects": None,
    }
    content["sha256"] = digest(content)
    return content


def _line(code: str, label: str, figures: list[int]) -> dict[str, Any]:
    return {"code": code, "label": label, "count": figures[0], "amount_tiyn": figures[1],
            "corrections_tiyn": figures[2]}


def _terms(terms: Any) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {"number": terms.number, "from": terms.valid_from.isoformat(),
            "to": terms.valid_to.isoformat() if terms.valid_to else None, "fine_share_bp": terms.fine_share_bp,
            "fine_share_by_type_bp": dict(sorted((terms.fine_share_by_type or {}).items())),
            "incident_fee_tiyn": terms.incident_fee_tiyn, "incident_fees_tiyn": dict(sorted((terms.incident_fees or {})
                                                                                            .items())),
            "uptime_target_bp": terms.uptime_target_bp, "penalty_bp_per_point": terms.penalty_bp_per_point,
            "cap_tiyn": terms.cap_tiyn}


def _reconciliation(session: so.Session, operator_id: int, start: datetime, end: datetime,
                    as_of: datetime) -> dict[str, Any]:
    """The month's offences: registered, then fines issued, paid, cancelled or appealed, unpaid by age."""
    registered = session.scalar(sa.select(sa.func.count(Offence.id)).where(
        Offence.operator_id == operator_id, Offence.occurred_at >= start, Offence.occurred_at < end)) or 0
    fines = (sa.select(Fine.status, sa.func.count(Fine.id), sa.func.coalesce(sa.func.sum(Fine.amount_tiyn), 0),
                       sa.func.coalesce(sa.func.sum(Fine.paid_amount_tiyn), 0))
             .join(Offence, Offence.id == Fine.offence_id)
             .where(Offence.operator_id == operator_id, Offence.occurred_at >= start, Offence.occurred_at < end)
             .group_by(Fine.status))
    by_status = {status: (int(n), int(amount), int(paid)) for status, n, amount, paid in session.execute(fines)}
    unpaid: dict[str, dict[str, int]] = {}
    for name, low, high in AGES:
        query = (sa.select(sa.func.count(Fine.id), sa.func.coalesce(sa.func.sum(Fine.amount_tiyn), 0))
                 .join(Offence, Offence.id == Fine.offence_id)
                 .where(Offence.operator_id == operator_id, Offence.occurred_at >= start, Offence.occurred_at < end,
                        Fine.status == "issued", Fine.issued_at <= as_of - timedelta(days=low)))
        if high is not None:
            query = query.where(Fine.issued_at > as_of - timedelta(days=high + 1))
        n, amount = session.execute(query).one()
        unpaid[name] = {"count": int(n), "amount_tiyn": int(amount)}
    issued = sum(v[0] for v in by_status.values())

    def figure(status: str) -> dict[str, int]:
        n, amount, paid = by_status.get(status, (0, 0, 0))
        return {"count": n, "amount_tiyn": amount, "paid_tiyn": paid}

    return {"offences_registered": int(registered), "fines_issued": issued,
            "without_fine": int(registered) - issued, "paid": figure("paid"), "cancelled": figure("cancelled"),
            "appealed": figure("appealed"), "unpaid": figure("issued"), "unpaid_by_age_days": unpaid,
            "as_of": as_of.isoformat()}


def _cameras(session: so.Session, operator_id: int, month: str, start: datetime, end: datetime,
             earned: dict[int, int], uptime: dict[int, float]) -> list[dict[str, Any]]:
    offences = dict(session.execute(sa.select(Offence.camera_id, sa.func.count(Offence.id)).where(
        Offence.operator_id == operator_id, Offence.occurred_at >= start, Offence.occurred_at < end)
        .group_by(Offence.camera_id)).all())
    paid = dict(session.execute(sa.select(LedgerEntry.camera_id, sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.operator_id == operator_id, LedgerEntry.month == month, LedgerEntry.kind == ledger.FINE_SHARE,
        LedgerEntry.amount_tiyn > 0).group_by(LedgerEntry.camera_id)).all())
    outcomes = session.execute(sa.select(Incident.camera_id, Incident.outcome, sa.func.count(Incident.id))
                               .join(Camera, Camera.id == Incident.camera_id)
                               .where(Camera.operator_id == operator_id, Incident.resolved_at >= start,
                                      Incident.resolved_at < end, Incident.status.in_(("resolved", "closed")))
                               .group_by(Incident.camera_id, Incident.outcome)).all()
    confirmed: dict[int, int] = defaultdict(int)
    false_alarms: dict[int, int] = defaultdict(int)
    for camera_id, outcome, n in outcomes:
        if outcome in ledger.CONFIRMING:
            confirmed[camera_id] += int(n)
        elif outcome == ledger.FALSE_ALARM:
            false_alarms[camera_id] += int(n)
    names = dict(session.execute(sa.select(Camera.id, Camera.external_id).where(Camera.operator_id == operator_id)).all())
    ids = sorted(set(uptime) | set(offences) | set(earned) | set(confirmed) | set(false_alarms))
    return [{"camera_id": c, "external_id": names.get(c, ""), "offences": int(offences.get(c, 0)),
             "fines_paid": int(paid.get(c, 0)), "incidents_confirmed": confirmed.get(c, 0),
             "false_alarms": false_alarms.get(c, 0), "uptime_pct": uptime.get(c, 100.0),
             "earned_tiyn": earned.get(c, 0)} for c in ids]


def issued(session: so.Session, operator_id: int, month: str) -> list[Statement]:
    """The statements issued for a month, first one first (later ones correct it)."""
    return list(session.scalars(sa.select(Statement).where(Statement.operator_id == operator_id,
                                                           Statement.month == month).order_by(Statement.version)))


def latest(session: so.Session, operator: Operator, month: str, now: datetime | None = None) -> dict[str, Any]:
    """The last issued version as frozen, or else the draft as it stands."""
    versions = issued(session, operator.id, parse_month(month))
    return json.loads(versions[-1].content) if versions else build(session, operator, month, now)


_COMPARED_OUT = ("status", "version", "corrects", "sha256", "issued_at", "issued_by", "period")


def issue(session: so.Session, actor: str, operator: Operator, month: str, now: datetime | None = None) -> Statement:
    """Freeze the month's statement (or a correcting one, when the ledger moved since), hashed and journaled."""
    month = parse_month(month)
    now = now or utcnow()
    if now < bounds(month)[1]:
        raise ValueError(_("%(month)s is not over yet: a statement is issued once its month has ended", month=month))
    content = build(session, operator, month, now)
    versions = issued(session, operator.id, month)
    previous = versions[-1] if versions else None
    if previous is not None:
        before = json.loads(previous.content)
        if {k: v for k, v in before.items() if k not in _COMPARED_OUT} == \
                {k: v for k, v in content.items() if k not in _COMPARED_OUT}:
            raise ValueError(_("statement %(month)s v%(version)s already says this: nothing to correct", month=month,
                               version=previous.version))
    version = previous.version + 1 if previous else 1
    content.update(status="issued", version=version, corrects=(
        {"version": previous.version, "sha256": previous.sha256, "total_tiyn": json.loads(previous.content)["total_tiyn"]}
        if previous else None), issued_at=now.isoformat(), issued_by=actor[:64])
    if previous is not None:
        content["difference_tiyn"] = content["total_tiyn"] - content["corrects"]["total_tiyn"]
    content["sha256"] = digest(content)
    head = audit.head(session)
    statement = Statement(operator_id=operator.id, month=month, version=version,
                          corrects_id=previous.id if previous else None, content=canonical(content).decode(),
                          sha256=content["sha256"], total_tiyn=content["total_tiyn"], issued_at=now,
                          issued_by=actor[:64], audit_head=head)
    session.add(statement)
    session.flush()
    audit.record(session, actor, "settlement.statement.issue", f"{operator.name}/{month}", version=version,
                 sha256=content["sha256"], audit_head=head, total_tiyn=content["total_tiyn"],
                 corrects=previous.sha256 if previous else None)
    logger.info("statement %s %s v%d issued: %s tiyn, sha256 %s", operator.name, month, version,
                content["total_tiyn"], content["sha256"])
    return statement
