"""Incidents: opening and merging from events, the lifecycle state machine, queue rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.i18n.terms import term
from services.geo import basemap
from services.geo.basemap import name_key
from services.geo.distance import cells_within, distance_m
from services.access.permissions import Action, allows, doing
from services.i18n import _
from services.errors import Conflict, Forbidden, IllegalTransition, Invalid
from services.store import audit
from services.store.models import (OPEN_STATUSES, Camera, Department, Incident, IncidentHistory, IncidentLink,
                             IncidentStatus as S, IncidentUnit, Operator, Unit, UnitStatus, User, utcnow)

if TYPE_CHECKING:
    from services.geo.routing import Router

OUTCOMES = ("detained", "administrative_protocol", "criminal_case", "warning", "no_offence",
            "false_alarm", "handed_over")


# Kept for callers that name the old refusals; both are the domain errors every door translates.
TransitionRefused = IllegalTransition


@dataclass(frozen=True)
class Lifecycle:
    """One lifecycle action: from which states, to which. Who may take it is in the permission table."""

    name: str
    sources: frozenset[str]
    target: str
    needs_reason: bool = False


ACTIONS: dict[str, Lifecycle] = {a.name: a for a in (
    # A transferred incident waits in the receiving department's queue until someone there takes it.
    Lifecycle("acknowledge", frozenset({S.NEW, S.TRANSFERRED}), S.ACKNOWLEDGED),
    Lifecycle("dispatch", frozenset({S.NEW, S.ACKNOWLEDGED, S.TRANSFERRED}), S.DISPATCHED),
    Lifecycle("arrive", frozenset({S.DISPATCHED}), S.ON_SCENE),
    Lifecycle("resolve", frozenset({S.ACKNOWLEDGED, S.DISPATCHED, S.ON_SCENE}), S.RESOLVED),
    Lifecycle("close", frozenset({S.RESOLVED}), S.CLOSED),
    Lifecycle("hold", frozenset({S.NEW, S.ACKNOWLEDGED, S.DISPATCHED, S.TRANSFERRED}), S.ON_HOLD, needs_reason=True),
    Lifecycle("resume", frozenset({S.ON_HOLD}), S.ACKNOWLEDGED),
    Lifecycle("dismiss", frozenset({S.NEW, S.ACKNOWLEDGED, S.ON_HOLD, S.TRANSFERRED}), S.DISMISSED,
              needs_reason=True),
    Lifecycle("transfer", frozenset({S.NEW, S.ACKNOWLEDGED, S.ON_HOLD, S.TRANSFERRED}), S.TRANSFERRED,
              needs_reason=True),
    Lifecycle("reopen", frozenset({S.RESOLVED, S.CLOSED, S.DISMISSED}), S.ACKNOWLEDGED, needs_reason=True),
)}
# More units may join an incident already dispatched or on scene; that is not a lifecycle move.
DISPATCHABLE = frozenset({S.NEW, S.ACKNOWLEDGED, S.TRANSFERRED, S.DISPATCHED, S.ON_SCENE})
# A case number or outcome may be amended after resolving (a criminal case is registered later).
OUTCOME_AMENDABLE = frozenset({S.RESOLVED, S.CLOSED})


def allowed_actions(status: str, role: str) -> list[str]:
    """Lifecycle actions this role may take on an incident in this status."""
    return [a.name for a in ACTIONS.values() if status in a.sources and allows(role, a.name)]


def check_actor(incident: Incident, action_name: str, actor: User, expected_version: int | None = None) -> None:
    """Refuse a stale view (Conflict naming who changed it) or a role the permission table does not allow."""
    if expected_version is not None and expected_version != incident.version:
        last = incident.history[-1].actor if incident.history else _("another user")
        raise Conflict(_("Incident #%(id)s was changed by %(who)s; reload the page and try again.",
                         id=incident.id, who=last))
    if not allows(actor.role, action_name):
        raise Forbidden(_("The role “%(role)s” may not %(doing)s; allowed for you now: %(allowed)s.",
                          role=term("role", actor.role), doing=doing(action_name),
                          allowed=allowed_now(incident.status, actor.role)), action=action_name)


def allowed_now(status: str, role: str) -> str:
    """What a refusal says the role may do to an incident in this status, in words ("nothing" when nothing)."""
    return ", ".join(doing(a) for a in allowed_actions(status, role)) or _("nothing")


def transition(session: so.Session, incident: Incident, action_name: str, actor: User, *,
               expected_version: int | None = None, reason: str = "", outcome: str | None = None,
               target_department_id: int | None = None, case_number: str = "",
               sop_override: bool = False, done_by: str | None = None) -> IncidentHistory:
    """Apply one lifecycle action, recording who, when and why; ``done_by`` names a unit that did what an account reported."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise Invalid(_("Unknown action %(action)s; the actions are: %(actions)s.", action=repr(action_name),
                        actions=", ".join(ACTIONS)),
                      errors=[{"pointer": "/action", "detail": "unknown action"}])
    check_actor(incident, action.name, actor, expected_version)
    if incident.status not in action.sources:
        raise TransitionRefused(_("Cannot %(doing)s: the incident is %(status)s; allowed now: %(allowed)s.",
                                  doing=doing(action.name), status=term("status", incident.status),
                                  allowed=allowed_now(incident.status, actor.role)))
    reason = reason.strip()
    if action.needs_reason and not reason:
        raise Invalid(_("Give a reason to %(doing)s.", doing=doing(action.name)), errors=[{"pointer": "/reason", "detail": "required"}])
    if action.name == "resolve":
        if outcome not in OUTCOMES:
            raise Invalid(_("To resolve an incident, choose its outcome: %(outcomes)s.",
                            outcomes=", ".join(term("outcome", o) for o in OUTCOMES)),
                          errors=[{"pointer": "/outcome", "detail": "must be one of the outcomes"}])
        from services.duty.sop import checklist, step_text

        missing = checklist(session, incident, create=True).missing_mandatory()
        if missing and not sop_override:
            steps = "; ".join(_("%(position)s. %(step)s", position=s.position, step=step_text(s.text))
                              for s in missing)
            raise TransitionRefused(_("Mandatory SOP steps are not done: %(steps)s. A supervisor may override.",
                                      steps=steps))
        if missing:
            if not allows(actor.role, Action.OVERRIDE_SOP):
                raise Forbidden(_("Only a supervisor may resolve with mandatory SOP steps unticked."),
                                action=Action.OVERRIDE_SOP.value)
            reason = f"SOP override by {actor.username} ({len(missing)} steps unticked). {reason}".strip()
        incident.outcome = outcome
        incident.case_number = case_number.strip()[:64]
        incident.outcome_note = reason
    if action.name == "transfer":
        if target_department_id is None or target_department_id == incident.department_id:
            raise Invalid(_("Choose another department to transfer the incident to."),
                          errors=[{"pointer": "/department_id", "detail": "must be another department"}])
        if session.get(Department, target_department_id) is None:
            raise Invalid(_("There is no department #%(id)s.", id=target_department_id),
                          errors=[{"pointer": "/department_id", "detail": "no such department"}])
        from services.geo.departments import transfer_targets

        if target_department_id not in transfer_targets(session, incident.department_id):
            raise Invalid(_("An incident goes only to a neighbouring department or the city's."),
                          errors=[{"pointer": "/department_id", "detail": "not a neighbour of this department"}])
        reason = f"from department {incident.department_id}: {reason}"
        incident.department_id = target_department_id
    claim_version(session, incident)
    now = utcnow()
    entry = IncidentHistory(incident_id=incident.id, action=action.name, from_status=incident.status,
                            to_status=action.target, actor_user_id=actor.id, actor=done_by or actor.username,
                            reason=reason, at=now, department_id=incident.department_id)
    if action.name in ("acknowledge", "dispatch") and incident.acknowledged_at is None:
        incident.acknowledged_at, incident.acknowledged_by = now, actor.username  # first taken, for statistics
    if action.name == "resolve":
        incident.resolved_at = now
    elif action.name == "close":
        incident.closed_at = now
    if action.name in ("resolve", "dismiss", "transfer"):
        release_units(session, incident.id, now)
    incident.status = action.target
    incident.updated_at = now
    # Appending (not session.add) keeps the loaded history free of a second copy after autoflush.
    incident.history.append(entry)
    session.flush()
    audit.record(session, actor.username, f"incident.{action.name}", f"incident:{incident.id}",
                 from_status=entry.from_status, to_status=entry.to_status, reason=reason, outcome=incident.outcome)
    return entry


def claim_version(session: so.Session, incident: Incident) -> None:
    """Bump the incident's version atomically, or raise Conflict if a concurrent change committed first."""
    claimed = session.execute(
        sa.update(Incident).where(Incident.id == incident.id, Incident.version == incident.version)
        .values(version=incident.version + 1).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        winner = session.scalar(sa.select(IncidentHistory.actor).where(IncidentHistory.incident_id == incident.id)
                                .order_by(IncidentHistory.id.desc()).limit(1))
        raise Conflict(_("Incident #%(id)s was changed by %(who)s at the same time; reload the page and try again.",
                         id=incident.id, who=winner or _("another user")))
    incident.version += 1


def release_units(session: so.Session, incident_id: int, at: datetime) -> list[Unit]:
    """Free every unit still on the incident; returns the units freed."""
    active = list(session.scalars(sa.select(IncidentUnit).where(IncidentUnit.incident_id == incident_id,
                                                                IncidentUnit.released_at.is_(None))))
    freed = []
    for assignment in active:
        assignment.released_at = at
        unit = session.get(Unit, assignment.unit_id)
        if unit is not None and unit.status in (UnitStatus.EN_ROUTE.value, UnitStatus.ON_SCENE.value):
            unit.status = UnitStatus.AVAILABLE.value
            unit.updated_at = at
            freed.append(unit)
    return freed


def parse_cooldowns(text: str) -> dict[str, int]:
    """Per-type merge windows from "type=seconds,..." (KUZET_INCIDENT_COOLDOWNS); unknown types are an error."""
    from services.intake.catalogue import CATEGORY_OF

    out: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, seconds = part.partition("=")
        name = name.strip()
        if name not in CATEGORY_OF:
            raise ValueError(f"incident cooldowns name an unknown type {name!r}")
        if not seconds.strip().isdigit():
            raise ValueError(f"incident cooldown for {name!r} must be whole seconds, not {seconds!r}")
        out[name] = int(seconds)
    return out


def open_candidates(session: so.Session, keys: set[tuple[int, str]], earliest: datetime,
                    latest: datetime) -> dict[tuple[int, str], list[Incident]]:
    """Open incidents of these (camera, type) pairs seen between ``earliest`` and ``latest``, by pair.

    One query for a whole batch of events; ``find_mergeable`` then picks among them per event.
    """
    if not keys:
        return {}
    found: dict[tuple[int, str], list[Incident]] = defaultdict(list)
    for incident in session.scalars(sa.select(Incident).where(
            Incident.camera_id.in_({camera for camera, _kind in keys}), Incident.type.in_({kind for _camera, kind in keys}),
            Incident.status.in_(OPEN_STATUSES), Incident.last_seen_at >= earliest,
            Incident.first_seen_at <= latest)):
        if (incident.camera_id, incident.type) in keys:
            found[incident.camera_id, incident.type].append(incident)
    return found


def find_mergeable(candidates: list[Incident], occurred_at: datetime, cooldown: timedelta) -> Incident | None:
    """The open incident among ``candidates`` seen within the cooldown of ``occurred_at``, latest seen first."""
    fitting = [i for i in candidates if i.status in OPEN_STATUSES and i.last_seen_at >= occurred_at - cooldown
               and i.first_seen_at <= occurred_at + cooldown]
    return max(fitting, key=lambda i: i.last_seen_at) if fitting else None


@dataclass
class Openings:
    """Incidents opened in one transaction, whose history and audit entries are written together at its end."""

    incidents: list[tuple[Incident, str]] = field(default_factory=list)  # with the camera's external id

    def write(self, session: so.Session) -> None:
        """Add the "open" history rows and append the audit entries (one lock on the journal for all)."""
        if self.incidents:  # one multi-row insert: hundreds of rows per batch, none read back as objects
            session.execute(sa.insert(IncidentHistory), [
                {"incident_id": i.id, "action": "open", "from_status": None, "to_status": S.NEW.value,
                 "actor": "system", "reason": f"{i.type} from camera", "at": i.created_at,
                 "department_id": i.department_id} for i, _ in self.incidents])
        audit.record_many(session, [("system", "incident.open", f"incident:{i.id}",
                                     {"type": i.type, "camera": camera, "priority": i.priority})
                                    for i, camera in self.incidents])
        self.incidents = []


def open_incident(session: so.Session, camera: Camera, event_type: str, category: str, priority: int,
                  occurred_at: datetime, lat: float, lon: float, openings: Openings | None = None) -> Incident:
    """Open a new incident from a camera event.

    With ``openings`` the incident is only added (the caller flushes many at once and then writes their
    history and audit entries through ``openings``); without, it is stored and recorded now.
    """
    now = utcnow()
    incident = Incident(department_id=camera.department_id, camera_id=camera.id, source="camera",
                        category=category, type=event_type, priority=priority, status=S.NEW.value,
                        lat=lat, lon=lon, address=camera.address, event_count=1, first_seen_at=occurred_at,
                        last_seen_at=occurred_at, created_at=now, updated_at=now)
    session.add(incident)
    pending = openings if openings is not None else Openings()
    pending.incidents.append((incident, camera.external_id))
    if openings is None:
        session.flush()
        pending.write(session)
    return incident


def create_manual(session: so.Session, router: "Router", actor: User, lat: float, lon: float, event_type: str,
                  description: str = "", address: str = "", caller_name: str = "", caller_phone: str = "") -> Incident:
    """Open an incident from a citizen's 102 call at a map point; the point decides the department."""
    from services.intake.catalogue import PUBLIC_ORDER_TYPES
    from services.duty.policy import decide, load_rules

    if event_type not in PUBLIC_ORDER_TYPES:
        raise Invalid(_("Unknown incident type %(type)s; the types are: %(types)s.", type=repr(event_type),
                        types=", ".join(term("type", t) for t in sorted(PUBLIC_ORDER_TYPES))),
                      errors=[{"pointer": "/type", "detail": "must be a public-order incident type"}])
    if not (40.5 <= lat <= 55.5 and 46.4 <= lon <= 87.4):
        raise Invalid(_("The point lies outside Kazakhstan."),
                      errors=[{"pointer": "/lat", "detail": "outside Kazakhstan"},
                              {"pointer": "/lon", "detail": "outside Kazakhstan"}])
    where = router.resolve(lat, lon)
    now = utcnow()
    priority = decide(load_rules(session), where.department_id, event_type, "street", None, now)
    incident = Incident(department_id=where.department_id, camera_id=None, source="manual", category="public_order",
                        type=event_type, priority=priority,
                        status=S.NEW.value, lat=lat, lon=lon, address=address.strip()[:300],
                        description=description.strip()[:4000], caller_name=caller_name.strip()[:200],
                        caller_phone=caller_phone.strip()[:32], event_count=1, first_seen_at=now, last_seen_at=now,
                        created_at=now, updated_at=now)
    session.add(incident)
    session.flush()
    incident.history.append(IncidentHistory(incident_id=incident.id, action="open", from_status=None,
                                            to_status=S.NEW.value, actor_user_id=actor.id, actor=actor.username,
                                            reason="102 call", at=now, department_id=incident.department_id))
    session.flush()
    audit.record(session, actor.username, "incident.open", f"incident:{incident.id}", type=event_type,
                 source="102", lat=lat, lon=lon)
    return incident




def known_places(session: so.Session, department_ids: set[int], limit: int = 5000) -> dict[str, tuple[float, float]]:
    """Addresses the centre already knows a position for (cameras, earlier 102 calls), keyed as typed.

    There is no street geocoder offline; a caller's address that matches one of these needs no map click.
    """
    rows = list(session.execute(sa.select(Camera.address, Camera.lat, Camera.lon)
                                .where(Camera.department_id.in_(department_ids), Camera.address != "")
                                .order_by(Camera.id).limit(limit)))
    rows += list(session.execute(sa.select(Incident.address, Incident.lat, Incident.lon)
                                 .where(Incident.department_id.in_(department_ids), Incident.source == "manual",
                                        Incident.address != "")
                                 .order_by(Incident.id.desc()).limit(limit)))
    places: dict[str, tuple[float, float]] = {}
    for address, lat, lon in rows:
        places.setdefault(address.strip(), (lat, lon))
    return places


def locate_address(session: so.Session, department_ids: set[int], address: str) -> tuple[float, float] | None:
    """The position of an address (case, commas and spacing aside) the centre knows, or that the departments'
    city map names (a place, an addressed building), or None."""
    wanted = name_key(address)
    if not wanted:
        return None
    known = next((where for known, where in known_places(session, department_ids).items()
                  if name_key(known) == wanted), None)
    if known is not None:
        return known
    cities = session.scalars(sa.select(Department.city).where(Department.id.in_(department_ids)).distinct())
    return next((where for city in sorted(cities) if (where := basemap.locate(session, city, address)) is not None), None)


def link_related(session: so.Session, incidents: list[Incident], within_m: float,
                 window: timedelta) -> list[dict[str, Any]]:
    """Link new camera incidents (flushed, in opening order) to open incidents of other cameras nearby within the
    window, both ways; each links to those opened before it, so each pair once, as if opened one by one.

    One query for the whole batch: the H3 cells around the points bound it through ix_incidents_cell, so its cost
    stays flat however many incidents are open in the city; the distance below makes it exact.
    """
    if not incidents:
        return []
    around = {i.id: cells_within(i.lat, i.lon, within_m) for i in incidents}
    nearby: dict[str, list[Any]] = defaultdict(list)
    for row in session.execute(sa.select(Incident.id, Incident.cell, Incident.camera_id, Incident.lat, Incident.lon,
                                         Incident.last_seen_at).where(
            Incident.cell.in_({cell for cells in around.values() for cell in cells}),
            Incident.status.in_(OPEN_STATUSES), Incident.camera_id.is_not(None),
            Incident.last_seen_at >= min(i.first_seen_at for i in incidents) - window)):
        nearby[row.cell].append(row)
    later = {i.id for i in incidents}
    links = []
    for incident in incidents:
        later.discard(incident.id)
        since = incident.first_seen_at - window
        for cell in around[incident.id]:
            for other in nearby.get(cell, ()):
                if other.id == incident.id or other.id in later or other.camera_id == incident.camera_id \
                        or other.last_seen_at < since:
                    continue
                metres = distance_m(incident.lat, incident.lon, other.lat, other.lon)
                if metres <= within_m:
                    links += [{"incident_id": incident.id, "related_id": other.id, "distance_m": round(metres, 1)},
                              {"incident_id": other.id, "related_id": incident.id, "distance_m": round(metres, 1)}]
    if links:  # one multi-row insert, not a unit of work of objects nobody reads back
        session.execute(sa.insert(IncidentLink), links)
    return links


def offence_row(event_pk: int, record: dict[str, Any], camera: Camera) -> dict[str, Any]:
    """The offence-register row for a stored traffic event (for a bulk insert; occurred_at as ISO text)."""
    return {"event_id": event_pk, "operator_id": camera.operator_id, "camera_id": camera.id,
            "department_id": camera.department_id, "type": record["type"], "plate": record["plate"]["number"],
            "plate_country": record["plate"]["country"], "speed_kmh": record.get("speed_kmh"),
            "limit_kmh": record.get("limit_kmh"), "occurred_at": record["occurred_at"],
            "evidence": {"media": record.get("media", [])}}


def queue_key(priority: int, status: str, created_at: datetime) -> str:
    """The queue's one sort key: unacknowledged P1s pinned on top, newest first; then priority, then oldest first."""
    created = created_at.astimezone(timezone.utc)
    if priority == 1 and status in (S.NEW.value, S.TRANSFERRED.value):
        # Milliseconds to the year 9999 shrink as time goes on: as text they put the newest first.
        return f"0|{253402300799000 - int(created.timestamp() * 1000):015d}"
    # ISO timestamps in UTC sort as text: priority, then age.
    return f"{priority}|{created.isoformat()}"


def queue_row(incident: Incident, camera_label: str = "", operator_name: str = "", video: str = "") -> dict[str, Any]:
    """The JSON-ready row for queues, pushes and the REST API."""
    return {
        "id": incident.id,
        "department_id": incident.department_id,
        "type": incident.type,
        # In the language of the moment (Russian in a push, the same for every wall): the wall names "type" itself.
        "type_label": term("type", incident.type),
        "category": incident.category,
        "priority": incident.priority,
        "status": incident.status,
        "open": incident.status in OPEN_STATUSES,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "description": incident.description,
        "camera": camera_label,
        "camera_id": incident.camera_id,
        "video": video,  # the camera's live view, through the centre: hls, whep, or "" for none
        "operator": operator_name,
        "source": incident.source,
        "event_count": incident.event_count,
        "created_at": incident.created_at.isoformat(),
        "first_seen_at": incident.first_seen_at.isoformat(),
        "last_seen_at": incident.last_seen_at.isoformat(),
        "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
        "outcome": incident.outcome,
        "version": incident.version,
        "queue_key": queue_key(incident.priority, incident.status, incident.created_at),
    }


def rows_for(session: so.Session, incidents: list[Incident]) -> list[dict[str, Any]]:
    """Queue rows for several incidents, with camera and operator labels in one query."""
    camera_ids = {i.camera_id for i in incidents if i.camera_id is not None}
    labels: dict[int, tuple[str, str, str]] = {}
    if camera_ids:
        for cam_id, ext, op_name, protocol in session.execute(
            sa.select(Camera.id, Camera.external_id, Operator.name, Camera.live_protocol).join(Operator)
            .where(Camera.id.in_(camera_ids))
        ):
            labels[cam_id] = (ext, op_name, protocol)
    return [queue_row(i, *labels.get(i.camera_id or -1, ("", "", ""))) for i in incidents]


def open_queue(session: so.Session, department_ids: set[int]) -> list[dict[str, Any]]:
    """Every open incident of the departments, priority first then oldest: no cap hides one (the grid scrolls virtually)."""
    if not department_ids:
        return []
    incidents = list(session.scalars(
        sa.select(Incident).where(Incident.department_id.in_(department_ids), Incident.status.in_(OPEN_STATUSES))
        .order_by(Incident.priority, Incident.created_at)
    ))
    return rows_for(session, incidents)
