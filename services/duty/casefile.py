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
from services.duty.sop import RETIRED_POSITION, checklist
from services.geo.distance import distance_m

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
    nearby: list[dict[str, Any]] = field(default_factory=list)  # the nearest cameras with a live view (the 2x2 grid)


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
        for position, media in enumerate(ev.record.get("media", [])):
            if redactor.masked:
                withheld += 1  # a face or a plate may be in the picture: not shown in training
                continue
            # Shown through the centre (/video/<camera>/snapshot|clip/<event>/<position>), never from the operator's URL.
            evidence.append({"kind": media.get("kind"), "sha256": media.get("sha256"), "event_id": ev.event_id,
                             "event_pk": ev.id, "position": position, "camera_id": ev.camera_id,
                             "at": ev.occurred_at.isoformat()})
    timeline.sort(key=lambda t: t["at"])
    camera = None
    if incident.camera_id is not None:
        cam = session.get(Camera, incident.camera_id)
        operator = session.get(Operator, cam.operator_id) if cam else None
        if cam is not None:
            camera = {"id": cam.id, "external_id": cam.external_id, "operator": operator.name if operator else "",
                      "mount_kind": cam.mount_kind, "address": cam.address,
                      "video": "" if redactor.masked or Action.WATCH_VIDEO not in permitted(role) else cam.live_protocol,
                      "health": cam.health, "lat": cam.lat, "lon": cam.lon,
                      "last_seen_at": cam.last_seen_at.isoformat() if cam.last_seen_at else None}
    sop = checklist(session, incident)
    steps = [{"id": s.id, "position": s.position, "text": s.text, "mandatory": s.mandatory,
              "ticked_by": sop.ticked[s.id].actor if s.id in sop.ticked else None,
              "ticked_at": sop.ticked[s.id].at.isoformat() if s.id in sop.ticked else None}
             for s in sop.steps if s.position < RETIRED_POSITION]
    notes = [{"author": redactor.actor(n.author), "text": redactor.text(n.text), "at": n.at.isoformat()}
             for n in session.scalars(
        sa.select(IncidentNote).where(IncidentNote.incident_id == incident.id).order_by(IncidentNote.id))]
    related = [{"id": rid, "distance_m": d, "type": TYPE_LABELS_RU.get(t, t), "status": st}
               for rid, d, t, st in session.execute(
                   sa.select(IncidentLink.related_id, IncidentLink.distance_m, Incident.type, Incident.status)
                   .join(Incident, Incident.id == IncidentLink.related_id)
                   .where(IncidentLink.incident_id == incident.id))]
    nearby = [] if redactor.masked or Action.WATCH_VIDEO not in permitted(role) else nearest_cameras(
        session, incident.department_id, incident.lat, incident.lon)
    return CaseFile(row, timeline, evidence, camera, steps, assigned_units(session, incident.id),
                    suggest(session, incident, speed_kmh=speed_kmh), notes, related, allowed_actions(incident.status, role), OUTCOMES,
                    permitted(role), _outlines(session, incident.department_id), withheld,
                    f"/replay?incident={incident.id}" if may_open(role, Page.REPLAY) else "",
                    session.scalar(sa.select(Department.city).where(Department.id == incident.department_id)) or "",
                    nearby)


def nearest_cameras(session: so.Session, department_id: int, lat: float, lon: float, n: int = 4,
                    within_deg: float = 0.03) -> list[dict[str, Any]]:
    """The department's ``n`` cameras with a live view nearest to a point (about 3 km around), nearest first."""
    rows = session.execute(sa.select(Camera.id, Camera.external_id, Camera.address, Camera.live_protocol,
                                     Camera.lat, Camera.lon, Camera.health).where(
        Camera.department_id == department_id, Camera.live_protocol != "",
        Camera.lat.between(lat - within_deg, lat + within_deg), Camera.lon.between(lon - within_deg, lon + within_deg)))
    found = sorted(({"id": cid, "external_id": ext, "address": address, "video": protocol, "health": health,
                     "distance_m": distance_m(lat, lon, clat, clon)} for cid, ext, address, protocol, clat, clon, health in rows),
                   key=lambda c: c["distance_m"])
    return found[:n]


def _outlines(session: so.Session, department_id: int) -> list[dict[str, Any]]:
    return [{"name": d.name, "geometry": mapping(shape(d.geometry).simplify(DISPLAY_TOLERANCE_DEG,
                                                                            preserve_topology=True))}
            for d in session.scalars(sa.select(District).where(District.department_id == department_id))]
