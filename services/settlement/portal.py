"""What an operator's own login sees and does: its scorecard, statements, dead letters and API keys."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.operators import issue_key, revoke_key
from services.access.permissions import Action, require
from services.cameras.scorecards import operator_uptime
from services.errors import NotFound
from services.i18n import _
from services.settlement.ledger import CONFIRMING, FALSE_ALARM
from services.store import audit
from services.store.models import ApiKey, Camera, CameraHealth, DeadLetter, Event, Incident, Operator, User, utcnow

LAG_SAMPLE = 2000  # the newest events the median lag is taken over


def own_operator(session: so.Session, user: User) -> Operator:
    """The operator an operator's login belongs to (NotFound for anyone else: no portal, no probing)."""
    require(user, Action.MANAGE_OWN_KEYS)
    operator = session.get(Operator, user.operator_id) if user.operator_id else None
    if operator is None:
        raise NotFound(_("this login belongs to no operator"))
    return operator


def scorecard(session: so.Session, operator: Operator, now: datetime | None = None) -> dict[str, Any]:
    """The operator's own figures over the last 30 days: cameras, uptime, events, refusals, false alarms, lag."""
    now = now or utcnow()
    since = now - timedelta(days=30)
    health = dict(session.execute(sa.select(Camera.health, sa.func.count(Camera.id))
                                  .where(Camera.operator_id == operator.id).group_by(Camera.health)).all())
    uptime = operator_uptime(session, operator.id, now)
    events = session.scalar(sa.select(sa.func.count(Event.id)).where(Event.operator_id == operator.id,
                                                                    Event.received_at >= since)) or 0
    dead = session.scalar(sa.select(sa.func.count(DeadLetter.id)).where(DeadLetter.operator_id == operator.id,
                                                                       DeadLetter.received_at >= since)) or 0
    outcomes = dict(session.execute(
        sa.select(Incident.outcome, sa.func.count(Incident.id)).join(Camera, Camera.id == Incident.camera_id)
        .where(Camera.operator_id == operator.id, Incident.resolved_at >= since).group_by(Incident.outcome)).all())
    resolved = sum(outcomes.values())
    lags = [(received - occurred).total_seconds() for occurred, received in session.execute(
        sa.select(Event.occurred_at, Event.received_at).where(Event.operator_id == operator.id)
        .order_by(Event.id.desc()).limit(LAG_SAMPLE))]
    return {
        "operator": operator.name, "cameras": sum(health.values()),
        "online": health.get(CameraHealth.ONLINE.value, 0), "offline": health.get(CameraHealth.OFFLINE.value, 0),
        "uptime_day": uptime["day"].uptime_pct, "uptime_month": uptime["month"].uptime_pct,
        "events_30d": int(events), "dead_letters_30d": int(dead),
        "rejected_share_pct": round(100 * dead / (events + dead), 2) if events + dead else 0.0,
        "confirmed_30d": sum(n for o, n in outcomes.items() if o in CONFIRMING),
        "false_alarms_30d": outcomes.get(FALSE_ALARM, 0),
        "false_alarm_share_pct": round(100 * outcomes.get(FALSE_ALARM, 0) / resolved, 1) if resolved else 0.0,
        "median_lag_s": round(statistics.median(lags), 1) if lags else None,
    }


def dead_letters(session: so.Session, operator: Operator, limit: int = 200) -> list[dict[str, Any]]:
    """The operator's own refused payloads, newest first (the reason, never another operator's)."""
    return [{"id": d.id, "received_at": d.received_at.isoformat(), "endpoint": d.endpoint, "reason": d.reason[:500],
             "replayed": d.replayed_at is not None}
            for d in session.scalars(sa.select(DeadLetter).where(DeadLetter.operator_id == operator.id)
                                     .order_by(DeadLetter.id.desc()).limit(limit))]


def keys(session: so.Session, operator: Operator) -> list[dict[str, Any]]:
    """The operator's API keys: prefix, label, created, last used, revoked; never the key itself."""
    return [{"prefix": k.prefix, "label": k.label, "created_at": k.created_at.isoformat(),
             "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None}
            for k in session.scalars(sa.select(ApiKey).where(ApiKey.operator_id == operator.id)
                                     .order_by(ApiKey.id.desc()))]


def create_key(session: so.Session, user: User, label: str) -> str:
    """A new API key for the user's own operator; the plaintext is returned once."""
    operator = own_operator(session, user)
    label = " ".join(str(label or "").split())[:100]
    key = issue_key(session, operator, label=label or "portal")
    audit.record(session, user.username, "operator.key.create", operator.name, prefix=key.split("_")[1], label=label)
    return key


def revoke_own_key(session: so.Session, user: User, prefix: object) -> None:
    """Revoke one of the user's own operator's keys (another operator's prefix is answered as unknown)."""
    operator = own_operator(session, user)
    if not isinstance(prefix, str) or len(prefix) > 16:
        raise NotFound(_("no such key"))
    try:
        revoke_key(session, operator, prefix)
    except ValueError:
        raise NotFound(_("no such key")) from None
    audit.record(session, user.username, "operator.key.revoke", operator.name, prefix=prefix)
