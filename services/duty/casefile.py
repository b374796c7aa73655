"""Everything about one incident, gathered for its page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping, shape

from services.access.permissions import Action, Page, may_open, permitted
from services.intake.catalogue import TYPE_LABELS_RU
from services.duty.dispatch import Suggestion, assigned_units, suggest
from services.duty.incidents import OUTCOMES, allowed_actions, rows_for
from services.store.models import Camera, Department, District, Event, Incident, IncidentLink, IncidentNote, Operator
from services.duty.situation import DISPLAY_TOLERANCE_DEG
from services.duty.sop import checklist

if TYPE_CHECKING:
    from services.replay.redaction import Redactor


@dataclass(frozen=True)
class CaseFile:
    """The incident page's data: row, timeline, evidence, camera, SOP, units, notes, related."""

    incident: dict[str, Any]
    timeline: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    camera: dict[str, Any] | None
    sop: list[dict[str, Any]]
    units: list[dict[str, Any]]
    suggestions: list[Suggestion]
    notes: list[dict[str, Any]]
    related: list[dict[str, Any]]
    actions: list[str]
    outcomes: tuple[str, ...]
    permitted: frozenset[Action]  # what the viewer's role may do at all: the page shows no other control
    districts: list[dict[str, Any]] = field(default_factory=list)  # the department's outlines, for the inset map
    withheld: int = 0  # snapshots and clips not shown (a trainer's masked view)
    replay: str = ""  # the link to this incident's replay, for roles that may replay
    city: str = ""  # whose street map the inset draws


def case_file(session: so.Session, incident: Incident, role: str, event_limit: int = 200,
              speed_kmh: float = 40.0, redactor: "Redactor | None" = None) -> CaseFile:
    """Gather the case file of an incident for a user of ``role``; with a masking ``redactor``, as trainers see it."""
    from services.replay.redaction import Redactor

    redactor = redactor or Redactor(masked=False)
    row = rows_for(session, [incident])[0]
    row.update(case_number=incident.case_number, outcome_note=incident.outcome_note,
               caller_name=incident.caller_name, caller_phone=incident.caller_phone)
    row = redactor.row(row)
    timeline = [{"at": h.at.isoformat(), "kind": "status", "text": f"{h.action}: {h.from_status or '—'} → {h.to_status}",
                 "actor": redactor.actor(h.actor), "reason": redactor.text(h.reason)} for h in incident.history]
    evidence = []
    withheld = 0
    events = session.scalars(sa.select(Event).where(Event.incident_id == incident.id)
                             .order_by(Event.occurred_at).limit(event_limit))
    for ev in events:
        timeline.append({"at": ev.occurred_at.isoformat(), "kind": "event", "actor": "camera", "reason": "",
                         "text": f"{TYPE_LABELS_RU.get(ev.type, ev.type)} · conf {ev.confidence or 1:.2f} · {ev.event_id}"})
        for media in ev.record.get("media", []):
            if redactor.masked:
                withheld += 1  # a face or a plate may be in the picture: not shown in training
                continue
            evidence.append({**media, "event_id": ev.event_id, "at": ev.occurred_at.isoformat()})
    timeline.sort(key=lambda t: t["at"])
    camera = None
    if incident.camera_id is not None:
        cam = session.get(Camera, incident.camera_id)
        operator = session.get(Operator, cam.operator_id) if cam else None
        if cam is not None:
            camera = {"id": cam.id, "external_id": cam.external_id, "operator": operator.name if operator else "",
                      "mount_kind": cam.mount_kind, "address": cam.address,
                      "live_url": "" if redactor.masked else cam.live_url,
                      "health": cam.health, "lat": cam.lat, "lon": cam.lon,
                      "last_seen_at": cam.last_seen_at.isoformat() if cam.last_seen_at else None}
    sop = checklist(session, incident)
    steps = [{"id": s.id, "position": s.position, "text": s.text, "mandatory": s.mandatory,
              "ticked_by": sop.ticked[s.id].actor if s.id in sop.ticked else None,
              "ticked_at": sop.ticked[s.id].at.isoformat() if s.id in sop.ticked else None}
             for s in sop.steps if s.position < 1000]
    notes = [{"author": redactor.actor(n.author), "text": redactor.text(n.text), "at": n.at.isoformat()}
             for n in session.scalars(
        sa.select(IncidentNote).where(IncidentNote.incident_id == incident.id).order_by(IncidentNote.id))]
    related = [{"id": rid, "distance_m": d, "type": TYPE_LABELS_RU.get(t, t), "status": st}
               for rid, d, t, st in session.execute(
                   sa.select(IncidentLink.related_id, IncidentLink.distance_m, Incident.type, Incident.status)
                   .join(Incident, Incident.id == IncidentLink.related_id)
                   .where(IncidentLink.incident_id == incident.id))]
    return CaseFile(row, timeline, evidence, camera, steps, assigned_units(session, incident.id),
                    suggest(session, incident, speed_kmh=speed_kmh), notes, related, allowed_actions(incident.status, role), OUTCOMES,
                    permitted(role), _outlines(session, incident.department_id), withheld,
                    f"/replay?incident={incident.id}" if may_open(role, Page.REPLAY) else "",
                    session.scalar(sa.select(Department.city).where(Department.id == incident.department_id)) or "")


def _outlines(session: so.Session, department_id: int) -> list[dict[str, Any]]:
    return [{"name": d.name, "geometry": mapping(shape(d.geometry).simplify(DISPLAY_TOLERANCE_DEG,
                                                                            preserve_topology=True))}
            for d in session.scalars(sa.select(District).where(District.department_id == department_id))]
