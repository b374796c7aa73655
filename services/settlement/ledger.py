"""The ledger: append-only entries in tiyn, each pointing to what earned it; corrections are new entries.

Posting compares what each source (a fine, a confirmed incident, a month's uptime) should have earned
with what the ledger already holds for it, and appends the difference. Posting twice adds nothing,
so it runs after every fines import and before every statement. ``expected_*`` are the same rules
without writing, which ``verify`` uses to recompute the ledger from the sources.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.cameras.health import downtime
from services.settlement.calendar import bounds, day_of, last_day, month_of
from services.settlement.contracts import contracts_of, fine_share_bp, incident_fee_tiyn, terms_on
from services.settlement.money import scaled, share
from services.store.models import Camera, Contract, Event, Fine, Incident, LedgerEntry, Offence, Statement, utcnow

logger = logging.getLogger(__name__)

FINE_SHARE = "fine_share"
INCIDENT_FEE = "incident_fee"
UPTIME_PENALTY = "uptime_penalty"
KINDS = (FINE_SHARE, INCIDENT_FEE, UPTIME_PENALTY)
# Outcomes that confirm an incident from an operator's camera (paid); a false alarm counts against it.
CONFIRMING = frozenset({"detained", "administrative_protocol", "criminal_case", "warning"})
FALSE_ALARM = "false_alarm"
CHUNK = 5000


@dataclass(frozen=True)
class Expected:
    """What one source should have earned, and why."""

    operator_id: int
    kind: str
    amount_tiyn: int
    month: str  # where a first entry goes
    camera_id: int | None
    contract_id: int | None
    basis: dict[str, Any]
    fine_id: int | None = None
    offence_id: int | None = None
    event_id: str | None = None
    incident_id: int | None = None


class _Contracts:
    """Contracts per operator, read once per posting."""

    def __init__(self, session: so.Session) -> None:
        self.session = session
        self.rows: dict[int, list[Contract]] = {}

    def on(self, operator_id: int, moment: datetime) -> Contract | None:
        if operator_id not in self.rows:
            self.rows[operator_id] = contracts_of(self.session, operator_id)
        return terms_on(self.rows[operator_id], day_of(moment))


def expected_fines(session: so.Session, fine_ids: list[int]) -> list[Expected]:
    """What each fine earns its operator: the contract's share of the amount paid, if it is paid."""
    contracts = _Contracts(session)
    out: list[Expected] = []
    for i in range(0, len(fine_ids), CHUNK):
        rows = session.execute(
            sa.select(Fine, Offence.type, Event.event_id).join(Offence, Offence.id == Fine.offence_id)
            .join(Event, Event.id == Offence.event_id).where(Fine.id.in_(fine_ids[i:i + CHUNK]))).all()
        for fine, offence_type, event_id in rows:
            amount, terms, rate = 0, None, 0
            if fine.status == "paid" and fine.paid_at is not None and fine.paid_amount_tiyn:
                terms = contracts.on(fine.operator_id, fine.paid_at)
                if terms is not None:
                    rate = fine_share_bp(terms, offence_type)
                    amount = share(fine.paid_amount_tiyn, rate)
            out.append(Expected(
                fine.operator_id, FINE_SHARE, amount, month_of(fine.paid_at or fine.issued_at), fine.camera_id,
                terms.id if terms else None,
                {"decision_no": fine.decision_no, "status": fine.status, "paid_tiyn": fine.paid_amount_tiyn or 0,
                 "share_bp": rate, "offence_type": offence_type,
                 "paid_at": fine.paid_at.isoformat() if fine.paid_at else None,
                 "contract": terms.number if terms else None},
                fine_id=fine.id, offence_id=fine.offence_id, event_id=event_id))
    return out


def expected_incidents(session: so.Session, operator_id: int, month: str) -> list[Expected]:
    """Fees for the operator's incidents confirmed in the month, and nothing for those that no longer are."""
    start, end = bounds(month)
    contracts = _Contracts(session)
    resolved = sa.select(Incident.id).join(Camera, Camera.id == Incident.camera_id).where(
        Camera.operator_id == operator_id, Incident.resolved_at >= start, Incident.resolved_at < end)
    earlier = sa.select(LedgerEntry.incident_id).where(LedgerEntry.operator_id == operator_id,
                                                       LedgerEntry.kind == INCIDENT_FEE, LedgerEntry.for_month == month)
    ids = sorted(set(session.scalars(resolved)) | set(session.scalars(earlier)))
    out: list[Expected] = []
    for i in range(0, len(ids), CHUNK):
        rows = session.execute(sa.select(Incident, Camera.mount_kind).join(Camera, Camera.id == Incident.camera_id)
                               .where(Incident.id.in_(ids[i:i + CHUNK]))).all()
        events: dict[int, list[str]] = defaultdict(list)
        for incident_id, event_id in session.execute(sa.select(Event.incident_id, Event.event_id)
                                                     .where(Event.incident_id.in_(ids[i:i + CHUNK]))
                                                     .order_by(Event.id)):
            events[incident_id].append(event_id)
        for incident, mount in rows:
            confirmed = (incident.outcome in CONFIRMING and incident.resolved_at is not None
                         and incident.status in ("resolved", "closed"))
            terms = contracts.on(operator_id, incident.resolved_at) if confirmed and incident.resolved_at else None
            amount = incident_fee_tiyn(terms, incident.type, mount) if terms is not None else 0
            out.append(Expected(
                operator_id, INCIDENT_FEE, amount, month, incident.camera_id, terms.id if terms else None,
                {"incident_type": incident.type, "mount_kind": mount, "outcome": incident.outcome,
                 "status": incident.status, "events": events.get(incident.id, [])[:50],
                 "event_count": len(events.get(incident.id, [])),
                 "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
                 "contract": terms.number if terms else None},
                incident_id=incident.id, event_id=(events.get(incident.id) or [None])[0]))
    return out


def month_uptime(session: so.Session, operator_id: int, month: str, now: datetime | None = None) -> dict[int, float]:
    """Each of the operator's cameras' share of the month (so far) not offline, in percent."""
    start, end = bounds(month)
    end = min(end, now or utcnow())
    cameras = list(session.scalars(sa.select(Camera.id).where(Camera.operator_id == operator_id,
                                                             Camera.created_at < end)))
    if end <= start:
        return {c: 100.0 for c in cameras}
    # The same rule as the operator-wide figure on /operators, per camera: offline time from the transitions.
    down = downtime(session, cameras, start, end)
    window = (end - start).total_seconds()
    return {c: round(100 * (1 - down.get(c, (0.0, 0))[0] / window), 3) for c in cameras}


def operator_uptime_pct(per_camera: dict[int, float]) -> float:
    """The operator's month uptime: the mean over its cameras (each camera-second counts the same)."""
    return round(sum(per_camera.values()) / len(per_camera), 3) if per_camera else 100.0


def expected_penalty(session: so.Session, operator_id: int, month: str, gross_tiyn: int,
                     uptime_pct: float) -> Expected | None:
    """The month's uptime penalty: penalty percent per point below target, of the month's earnings; None if no target."""
    terms = terms_on(contracts_of(session, operator_id), last_day(month))
    if terms is None or terms.uptime_target_bp is None:
        return None
    uptime_milli = round(uptime_pct * 1000)
    points_milli = max(0, terms.uptime_target_bp * 10 - uptime_milli)  # thousandths of a percentage point
    penalty = min(gross_tiyn, scaled(max(gross_tiyn, 0), terms.penalty_bp_per_point * points_milli, 10_000 * 1000))
    return Expected(operator_id, UPTIME_PENALTY, -penalty, month, None, terms.id,
                    {"uptime_pct": uptime_pct, "target_pct": terms.uptime_target_bp / 100,
                     "points_below": points_milli / 1000, "penalty_bp_per_point": terms.penalty_bp_per_point,
                     "of_tiyn": gross_tiyn, "contract": terms.number})


def _issued(session: so.Session, operator_id: int, month: str) -> bool:
    return session.scalar(sa.select(Statement.id).where(Statement.operator_id == operator_id,
                                                        Statement.month == month).limit(1)) is not None


def held_penalty(session: so.Session, operator_id: int, month: str) -> int:
    """What the ledger holds as the uptime penalty earned by a month (with its corrections)."""
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_tiyn), 0))
                              .where(LedgerEntry.operator_id == operator_id, LedgerEntry.kind == UPTIME_PENALTY,
                                     LedgerEntry.for_month == month)) or 0)


def held_by(session: so.Session, column: Any, keys: list[Any], **where: Any) -> dict[Any, int]:
    """What the ledger holds per source (``column``: fine_id or incident_id) for these keys, in tiyn."""
    held: dict[Any, int] = {}
    for i in range(0, len(keys), CHUNK):
        query = sa.select(column, sa.func.sum(LedgerEntry.amount_tiyn)).where(column.in_(keys[i:i + CHUNK]))
        for name, value in where.items():
            query = query.where(getattr(LedgerEntry, name) == value)
        held.update(dict(session.execute(query.group_by(column)).all()))
    return {k: int(v or 0) for k, v in held.items()}


def _append(session: so.Session, wanted: list[Expected], held: dict[Any, int], key: Any,
            now: datetime) -> int:
    """Append the difference between what each source should have and what the ledger holds for it."""
    current = month_of(now)
    issued: dict[tuple[int, str], bool] = {}  # asked once per operator and month, not once per entry
    entries = []
    for item in wanted:
        have = held.get(key(item), 0)
        diff = item.amount_tiyn - have
        if diff == 0:
            continue
        # A first entry goes to the month that earned it; a change to one already entered goes to the
        # month it was learned, unless the earning month's statement is still a draft. A month's uptime
        # penalty follows that month's own earnings, so it stays on that month (a correcting statement).
        if have and item.kind != UPTIME_PENALTY and (item.operator_id, item.month) not in issued:
            issued[(item.operator_id, item.month)] = _issued(session, item.operator_id, item.month)
        month = item.month if (have == 0 or item.kind == UPTIME_PENALTY
                               or not issued[(item.operator_id, item.month)]) else current
        entries.append(dict(operator_id=item.operator_id, month=month, for_month=item.month, kind=item.kind, amount_tiyn=diff,
                            recorded_at=now, contract_id=item.contract_id, fine_id=item.fine_id,
                            offence_id=item.offence_id, event_id=item.event_id, incident_id=item.incident_id,
                            camera_id=item.camera_id,
                            basis=item.basis | ({"correction_of": item.month, "held_tiyn": have} if have else {})))
    for i in range(0, len(entries), CHUNK):
        session.execute(sa.insert(LedgerEntry), entries[i:i + CHUNK])
    return len(entries)


def post_fines(session: so.Session, fine_ids: list[int], now: datetime | None = None) -> int:
    """Post what these fines earn (after an import); returns how many entries were appended."""
    wanted = expected_fines(session, sorted(fine_ids))
    held = held_by(session, LedgerEntry.fine_id, [w.fine_id for w in wanted], kind=FINE_SHARE)
    return _append(session, wanted, held, lambda w: w.fine_id, now or utcnow())


def post_month(session: so.Session, operator_id: int, month: str, now: datetime | None = None) -> int:
    """Post a month's incident fees and, once the month is over, its uptime penalty; idempotent."""
    now = now or utcnow()
    wanted = expected_incidents(session, operator_id, month)
    held = held_by(session, LedgerEntry.incident_id, [w.incident_id for w in wanted], kind=INCIDENT_FEE)
    count = _append(session, wanted, held, lambda w: w.incident_id, now)
    if now >= bounds(month)[1]:
        gross = earned(session, operator_id, month, kinds=(FINE_SHARE, INCIDENT_FEE))
        penalty = expected_penalty(session, operator_id, month, gross,
                                   operator_uptime_pct(month_uptime(session, operator_id, month, now)))
        if penalty is not None:
            count += _append(session, [penalty], {month: held_penalty(session, operator_id, month)},
                             lambda w: w.month, now)
    session.flush()
    if count:
        logger.info("posted %d ledger entries for operator %s, %s", count, operator_id, month)
    return count


def earned(session: so.Session, operator_id: int, month: str, kinds: tuple[str, ...] = KINDS) -> int:
    """The sum of the month's entries of these kinds."""
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_tiyn), 0))
                              .where(LedgerEntry.operator_id == operator_id, LedgerEntry.month == month,
                                     LedgerEntry.kind.in_(kinds))) or 0)
