"""Priority policy: per-department tables, with a shipped default, decide P1..P4 (not the operator)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.intake.catalogue import DEFAULT_PRIORITY, SENSITIVE_MOUNTS
from services.errors import Invalid
from services.i18n import ALMATY, _
from services.store.models import Department, PriorityRule

NIGHT_HOURS = range(22, 24), range(0, 6)


@dataclass(frozen=True)
class Rule:
    """One policy row, detached from the session."""

    department_id: int | None
    incident_type: str
    mount_kind: str | None
    night_only: bool
    priority: int
    min_confidence: float | None = None

    def specificity(self) -> int:
        """Department beats mount kind beats night beats a confidence floor; more specific rules win."""
        return ((self.department_id is not None) * 8 + (self.mount_kind is not None) * 4 + self.night_only * 2
                + (self.min_confidence is not None))


def is_night(at: datetime) -> bool:
    """22:00-06:00 local (Asia/Almaty) time."""
    hour = at.astimezone(ALMATY).hour
    return hour >= 22 or hour < 6


def default_rules() -> list[Rule]:
    """The shipped table: catalogue priorities, schools and kindergartens raised, night loitering raised."""
    rules = [Rule(None, t, None, False, p) for t, p in DEFAULT_PRIORITY.items()]
    rules += [Rule(None, t, m, False, max(1, p - 1)) for t, p in DEFAULT_PRIORITY.items() for m in SENSITIVE_MOUNTS]
    rules += [Rule(None, t, None, True, max(1, DEFAULT_PRIORITY[t] - 1)) for t in ("loitering", "intrusion", "motion")]
    return rules


def seed_default_policy(session: so.Session) -> int:
    """Store the shipped table if no policy exists yet; returns rows added."""
    if session.scalar(sa.select(sa.func.count(PriorityRule.id))):
        return 0
    rules = default_rules()
    session.add_all(PriorityRule(department_id=r.department_id, incident_type=r.incident_type, mount_kind=r.mount_kind,
                                 night_only=r.night_only, priority=r.priority) for r in rules)
    session.flush()
    return len(rules)


def load_rules(session: so.Session) -> list[Rule]:
    """Every stored rule, or the shipped default when the table is empty."""
    rows = list(session.scalars(sa.select(PriorityRule)))
    if not rows:
        return default_rules()
    return [Rule(r.department_id, r.incident_type, r.mount_kind, r.night_only, r.priority, r.min_confidence)
            for r in rows]


def decide(rules: list[Rule], department_id: int, incident_type: str, mount_kind: str, confidence: float | None,
           at: datetime) -> int:
    """P1..P4: the most specific matching rule; weak detections (confidence < 0.5) one step lower.

    No confidence means a human confirmed it (1.0), so it meets any rule's confidence floor.
    """
    night = is_night(at)
    sure = 1.0 if confidence is None else confidence
    matching = [r for r in rules if r.incident_type == incident_type
                and r.department_id in (None, department_id)
                and r.mount_kind in (None, mount_kind)
                and (night or not r.night_only)
                and (r.min_confidence is None or sure >= r.min_confidence)]
    priority = max(matching, key=Rule.specificity).priority if matching else 3
    if confidence is not None and confidence < 0.5:
        priority += 1
    return min(max(priority, 1), 4)


def set_rule(session: so.Session, department_id: int | None, incident_type: str, priority: int,
             mount_kind: str | None = None, night_only: bool = False,
             min_confidence: float | None = None) -> PriorityRule:
    """Create or change one rule of a department's table (admin action)."""
    from services.intake.catalogue import CATEGORY_OF

    if incident_type not in CATEGORY_OF:
        raise Invalid(_("Unknown incident type %(type)s.", type=repr(incident_type)),
                      errors=[{"pointer": "/incident_type", "detail": "unknown type"}])
    if not 1 <= priority <= 4:
        raise Invalid(_("The priority must be 1 (highest) to 4."), errors=[{"pointer": "/priority", "detail": "1-4"}])
    if department_id is not None and session.get(Department, department_id) is None:
        raise Invalid(_("There is no department #%(id)s.", id=department_id),
                      errors=[{"pointer": "/department_id", "detail": "no such department"}])
    if min_confidence is not None and not 0 < min_confidence <= 1:
        raise Invalid(_("The minimum confidence must be above 0 and at most 1."),
                      errors=[{"pointer": "/min_confidence", "detail": "above 0, at most 1"}])
    seed_default_policy(session)
    rule = session.scalar(sa.select(PriorityRule).where(
        PriorityRule.department_id.is_(None) if department_id is None else PriorityRule.department_id == department_id,
        PriorityRule.incident_type == incident_type,
        PriorityRule.mount_kind.is_(None) if mount_kind is None else PriorityRule.mount_kind == mount_kind,
        PriorityRule.night_only == night_only,
        PriorityRule.min_confidence.is_(None) if min_confidence is None else PriorityRule.min_confidence == min_confidence))
    if rule is None:
        rule = PriorityRule(department_id=department_id, incident_type=incident_type, mount_kind=mount_kind,
                            night_only=night_only, priority=priority, min_confidence=min_confidence)
        session.add(rule)
    rule.priority = priority
    session.flush()
    return rule
