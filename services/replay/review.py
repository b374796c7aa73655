"""What reviewers do: replay a department's wall, open a past incident's window, browse the archive.

One function per thing a person does; each checks the page permission and the department scope,
masks personal data unless an admin asked otherwise, and records an unmasked view in the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.permissions import Action, Page, allows, may_open
from services.access.scope import as_id, incident_in_scope, visible_departments
from services.errors import Forbidden, Invalid, NotFound
from services.i18n import _, localized
from services.i18n.terms import term
from services.replay.redaction import Redactor
from services.replay.state import Moment, changes_between, state_at
from services.store import audit
from services.store.models import Department, Incident, IncidentHistory, User, utcnow
from services.supervision.shifts import parse_time

MARGIN = timedelta(minutes=10)  # a past incident's replay opens this long before it and runs as long after
MAX_WINDOW = timedelta(days=7)
DEFAULT_LIMIT = 5000


@dataclass(frozen=True)
class Window:
    """A department and a stretch of time to replay."""

    department_id: int
    start: datetime
    end: datetime
    incident_id: int | None = None


def require_reviewer(user: User) -> None:
    """Refuse roles that may not replay (duty officers work the live wall)."""
    if not may_open(user.role, Page.REPLAY):
        raise Forbidden(_("The role %(role)s may not replay", role=term("role", user.role)), action=Page.REPLAY.value)


def reviewable_departments(session: so.Session, user: User) -> list[tuple[int, str]]:
    """The departments the user may replay, (id, name in the language of the moment), by Russian name."""
    require_reviewer(user)
    return [(i, localized(ru, kk or "", en or "")) for i, ru, kk, en in session.execute(
        sa.select(Department.id, Department.name_ru, Department.name_kk, Department.name_en)
        .where(Department.id.in_(visible_departments(session, user))).order_by(Department.name_ru))]


def department_in_scope(session: so.Session, user: User, department: object) -> int:
    """The department id asked for, if the user may replay it; otherwise NotFound (outside looks like absent)."""
    require_reviewer(user)
    key = as_id(department)
    if key is None or key not in visible_departments(session, user):
        raise NotFound(_("No such department in your jurisdiction"),
                       errors=[{"pointer": "/department", "detail": "not one of your departments"}])
    return key


def redactor_for(session: so.Session, user: User, unmasked: object, what: str, detail: dict[str, Any]) -> Redactor:
    """Masked for everyone; unmasked only for an admin who asked, and that view goes into the journal."""
    if unmasked not in (True, "1", "true", "yes"):
        return Redactor.for_session(session)
    if not allows(user.role, Action.VIEW_UNMASKED):
        raise Forbidden(_("Only an admin may see a replay unmasked"), action=Action.VIEW_UNMASKED.value)
    audit.record(session, user.username, "replay.view_unmasked", what, **detail)
    return Redactor(masked=False)


def state(session: so.Session, user: User, department: object, at: object, unmasked: object = None,
          outlined: bool = True) -> Moment:
    """The wall of ``department`` at ``at`` (ISO 8601 with offset), masked unless an admin asked."""
    department_id = department_in_scope(session, user, department)
    moment = parse_time(at, "/at")
    if moment is None:
        raise Invalid(_("at is required"), errors=[{"pointer": "/at", "detail": "required"}])
    redactor = redactor_for(session, user, unmasked, f"department:{department_id}", {"at": moment.isoformat()})
    return state_at(session, department_id, moment, redactor, outlined)


def changes(session: so.Session, user: User, department: object, start: object, end: object,
            unmasked: object = None, limit: object = None) -> dict[str, Any]:
    """The ordered changes of ``department`` between ``from`` and ``to`` (at most a week), masked unless an admin asked."""
    department_id = department_in_scope(session, user, department)
    begin, finish = parse_time(start, "/from"), parse_time(end, "/to")
    if begin is None or finish is None:
        raise Invalid(_("from and to are required"), errors=[{"pointer": "/from" if begin is None else "/to",
                                                            "detail": "required"}])
    if finish < begin or finish - begin > MAX_WINDOW:
        raise Invalid(_("The window must run forward and last at most 7 days"),
                      errors=[{"pointer": "/to", "detail": "after from, at most 7 days later"}])
    cap = as_id(limit) if limit not in (None, "") else DEFAULT_LIMIT
    if cap is None or cap > DEFAULT_LIMIT:
        raise Invalid(_("limit must be a whole number from 1 to %(most)s", most=DEFAULT_LIMIT),
                      errors=[{"pointer": "/limit", "detail": f"1..{DEFAULT_LIMIT}"}])
    redactor = redactor_for(session, user, unmasked, f"department:{department_id}",
                            {"from": begin.isoformat(), "to": finish.isoformat()})
    found, truncated = changes_between(session, {department_id}, begin, finish, redactor, cap)
    return {"department_id": department_id, "from": begin.isoformat(), "to": finish.isoformat(),
            "changes": found, "truncated": truncated,
            "next_from": found[-1]["at"] if truncated and found else None}


def incident_window(session: so.Session, user: User, incident_id: object) -> Window:
    """A past incident's replay: its department when it opened, from 10 minutes before it to 10 after its last entry."""
    require_reviewer(user)
    incident = incident_in_scope(session, user, incident_id)
    if incident is None:
        raise NotFound(_("No such incident"), errors=[{"pointer": "/incident", "detail": "not found"}])
    first, last = session.execute(sa.select(sa.func.min(IncidentHistory.at), sa.func.max(IncidentHistory.at))
                                  .where(IncidentHistory.incident_id == incident.id)).one()
    opened = session.scalar(sa.select(IncidentHistory.department_id).where(IncidentHistory.incident_id == incident.id)
                            .order_by(IncidentHistory.at, IncidentHistory.id).limit(1))
    department_id = opened if opened in visible_departments(session, user) else incident.department_id
    begin = min(filter(None, (first, incident.created_at)))
    finish = max(filter(None, (last, incident.updated_at, incident.created_at)))
    return Window(department_id, begin - MARGIN, min(finish + MARGIN, max(begin + MARGIN, utcnow())), incident.id)


def incident_for_review(session: so.Session, user: User, incident_id: object) -> Incident:
    """A past incident the reviewer may open, or NotFound."""
    require_reviewer(user)
    incident = incident_in_scope(session, user, incident_id)
    if incident is None:
        raise NotFound(_("No such incident"))
    return incident
