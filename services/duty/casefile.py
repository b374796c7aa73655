"""Everything about one incident, gathered for its page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely.geometry import mapping, shape

from services.access.permissions import Action, Page, may_open, permitted
from services.i18n import _, format_number, localized, ngettext
from services.i18n.terms import term
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
    names = _department_names(session, incident)
    timeline = [{"at": h.at.isoformat(), "kind": "status", "action": h.action, "from": h.from_status,
                 "to": h.to_status, "text": history_text(h.action, h.from_status, h.to_status),
                 "actor": history_actor(h.actor, redactor),
                 "reason": history_reason(h.action, h.reason or "", redactor, names)} for h in incident.history]
    evidence = []
    withheld = 0
    events = session.scalars(sa.select(Event).where(Event.incident_id == incident.id)
                             .order_by(Event.occurred_at).limit(event_limit))
    for ev in events:
        timeline.append({"at": ev.occurred_at.isoformat(), "kind": "event", "actor": _("camera"), "reason": "",
                         "type": ev.type, "event_id": ev.event_id,
                         "text": _("%(type)s · confidence %(confidence)s · %(event)s", type=term("type", ev.type),
                                   confidence=format_number(ev.confidence or 1, 2), event=ev.event_id)})
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
    related = [{"id": rid, "distance_m": d, "type": t, "status": st}
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


# What the journal stores in words of its own (kept as written: replays and migrations read them).
_FROM_DEPARTMENT = re.compile(r"^from department (\d+):\s?(.*)$", re.DOTALL)
_SOP_OVERRIDE = re.compile(r"^SOP override by (\S+) \((\d+) steps unticked\)\.\s?(.*)$", re.DOTALL)
_REPORTED_BY = re.compile(r"^отметил · reported by (\S+)$")
_UNIT_ACTOR = re.compile(r"^наряд (.+)$")
_FROM_CAMERA = re.compile(r"^(\w+) from camera$")


def _department_names(session: so.Session, incident: Incident) -> dict[int, str]:
    """The names of the departments an incident's transfers came from, in the language of the moment."""
    wanted = {int(m.group(1)) for h in incident.history if h.action == "transfer"
              and (m := _FROM_DEPARTMENT.match(h.reason or ""))}
    if not wanted:
        return {}
    return {d.id: localized(d.name_ru, d.name_kk or "", d.name_en or "")
            for d in session.scalars(sa.select(Department).where(Department.id.in_(wanted)))}


def history_text(action: str, before: str | None, after: str | None) -> str:
    """A journal entry in words: what was done, and the status it left the incident in."""
    if before == after or before is None:
        return _("%(action)s: %(status)s", action=term("action", action), status=term("status", after))
    return _("%(action)s: %(before)s → %(after)s", action=term("action", action), before=term("status", before),
             after=term("status", after))


def history_actor(actor: str | None, redactor: Redactor) -> str:
    """Who did it: an account (masked for training), a unit the journal names, or the system."""
    unit = _UNIT_ACTOR.match(actor or "")
    if unit:
        return _("unit %(unit)s", unit=unit.group(1))
    if actor == "system":
        return _("system")
    return redactor.actor(actor)


def history_reason(action: str, reason: str, redactor: Redactor, departments: dict[int, str]) -> str:
    """Why, in the language of the moment: what the system wrote in words, what a person typed as typed."""
    if action == "transfer" and (moved := _FROM_DEPARTMENT.match(reason)):
        source = departments.get(int(moved.group(1))) or _("department #%(id)s", id=moved.group(1))
        why = redactor.text(moved.group(2))
        return _("from %(department)s: %(reason)s", department=source, reason=why) if why else \
            _("from %(department)s", department=source)
    if (override := _SOP_OVERRIDE.match(reason)):
        said = ngettext("SOP override by %(who)s (%(n)s mandatory step unticked)",
                        "SOP override by %(who)s (%(n)s mandatory steps unticked)", int(override.group(2)),
                        who=redactor.actor(override.group(1)))
        why = redactor.text(override.group(3))
        return _("%(override)s. %(reason)s", override=said, reason=why) if why else said
    if (reported := _REPORTED_BY.match(reason)):
        return _("reported by %(who)s", who=redactor.actor(reported.group(1)))
    if action == "open" and (opened := _FROM_CAMERA.match(reason)):
        return _("%(type)s from a camera", type=term("type", opened.group(1)))
    if action == "open" and reason == "102 call":
        return term("type", "manual_call")
    return redactor.text(reason)
