"""The archive of past incidents: filters, paging, masked for trainers, every row a way into its replay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.permissions import Page, may_open
from services.access.scope import MAX_ID, visible_departments
from services.duty.incidents import OUTCOMES
from services.errors import Forbidden, Invalid
from services.i18n import _, localized
from services.i18n.terms import term
from services.intake.catalogue import TYPE_LABELS_RU
from services.replay.redaction import Redactor
from services.store.models import Department, Incident, IncidentStatus, User
from services.supervision.shifts import parse_time

PAGE_SIZE = 50
SOURCES = ("camera", "manual", "health")
TEXT_MAX = 200


@dataclass(frozen=True)
class ArchivePage:
    """One page of the archive and how many incidents match in all."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return max(1, -(-self.total // self.page_size))


def _choice(value: object, allowed: tuple[str, ...] | frozenset[str], pointer: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(_("%(field)s must be one of: %(allowed)s", field=pointer.strip("/"), allowed=", ".join(sorted(allowed))),
                      errors=[{"pointer": pointer, "detail": "not one of the allowed values"}])
    return value


def _number(value: object, pointer: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(_("%(field)s must be a whole number from %(low)s to %(high)s", field=pointer.strip("/"), low=low, high=high),
                      errors=[{"pointer": pointer, "detail": f"{low}..{high}"}])
    return value


def search(session: so.Session, user: User, filters: dict[str, Any], page: object = 1,
           page_size: int = PAGE_SIZE) -> ArchivePage:
    """Incidents of the user's departments matching ``filters``, newest first; personal data masked for trainers."""
    if not may_open(user.role, Page.ARCHIVE):
        raise Forbidden(_("The role %(role)s may not browse the archive", role=term("role", user.role)), action=Page.ARCHIVE.value)
    scope = visible_departments(session, user)
    number = _number(page, "/page", 1, 100_000) or 1
    start, end = parse_time(filters.get("from"), "/from"), parse_time(filters.get("to"), "/to")
    kind = _choice(filters.get("type"), tuple(TYPE_LABELS_RU), "/type")
    status = _choice(filters.get("status"), tuple(s.value for s in IncidentStatus), "/status")
    outcome = _choice(filters.get("outcome"), OUTCOMES, "/outcome")
    source = _choice(filters.get("source"), SOURCES, "/source")
    priority = _number(filters.get("priority"), "/priority", 1, 4)
    department = _number(filters.get("department"), "/department", 1, MAX_ID)
    text = filters.get("q")
    if text is not None and (not isinstance(text, str) or len(text) > TEXT_MAX or "\x00" in text):
        raise Invalid(_("The search text must be at most %(most)s characters", most=TEXT_MAX),
                      errors=[{"pointer": "/q", "detail": f"text up to {TEXT_MAX} characters"}])
    wanted = scope if department is None else scope & {department}
    query = sa.select(Incident).where(Incident.department_id.in_(wanted))
    if start is not None:
        query = query.where(Incident.created_at >= start)
    if end is not None:
        query = query.where(Incident.created_at < end)
    for column, value in ((Incident.type, kind), (Incident.status, status), (Incident.outcome, outcome),
                          (Incident.source, source), (Incident.priority, priority)):
        if value is not None:
            query = query.where(column == value)
    text = (text or "").strip()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle = f"%{escaped}%"
        matches = [Incident.address.ilike(needle, escape="\\"), Incident.description.ilike(needle, escape="\\")]
        # A type by its name: as the page of the moment calls it, or in Russian (the words officers type).
        matches += [Incident.type == t for t, label in TYPE_LABELS_RU.items()
                    if text.casefold() in label.casefold() or text.casefold() in term("type", t).casefold()]
        if text.lstrip("№#").isdigit() and len(text.lstrip("№#")) <= 10:
            matches.append(Incident.id == int(text.lstrip("№#")))
        query = query.where(sa.or_(*matches))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    found = list(session.scalars(query.order_by(Incident.created_at.desc(), Incident.id.desc())
                                 .offset((number - 1) * page_size).limit(page_size)))
    names = {i: localized(ru, kk or "", en or "") for i, ru, kk, en in session.execute(
        sa.select(Department.id, Department.name_ru, Department.name_kk, Department.name_en)
        .where(Department.id.in_({i.department_id for i in found}))).all()} if found else {}
    redactor = Redactor.for_viewer(session, user)
    rows = [redactor.row(_row(i, names.get(i.department_id, ""))) for i in found]
    return ArchivePage(rows, total, number, page_size)


def _row(incident: Incident, department: str) -> dict[str, Any]:
    description = incident.description if len(incident.description) <= 300 else incident.description[:299] + "…"
    return {"id": incident.id, "created_at": incident.created_at.isoformat(), "department_id": incident.department_id,
            "department": department, "type": incident.type,
            "type_label": term("type", incident.type), "priority": incident.priority,
            "status": incident.status, "outcome": incident.outcome, "source": incident.source,
            "address": incident.address, "description": description,
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
            "replay": f"/replay?incident={incident.id}", "link": f"/incidents/{incident.id}"}

