"""Every duty action a person takes, one function each: the only way the record changes from a page or the API.

Each function takes the session, the acting user, the target, the version the user saw (where the
target has one) and the input. It checks the role against the permission table
(``services.access.permissions``), the target against the user's scope (outside it looks absent),
validates the input, makes the change with its history and audit entries, and records it on the
change feed in the same transaction. It raises a ``services.errors.Refused`` subclass otherwise.
The caller commits; the store publishes the feed after the commit. REST routes and Dash callbacks
only translate their input into these calls and the result or refusal into their answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.access.permissions import Action, require
from services.access.scope import MAX_ID, as_id, city_departments, incident_in_scope, visible_departments
from services.duty import dispatch as units_service
from services.duty import incidents as lifecycle
from services.duty import policy, sop
from services.duty.changes import incidents_changed, units_changed
from services.errors import IllegalTransition, Invalid, NotFound, Refused
from services.i18n import N_, _
from services.i18n.terms import term
from services.store import audit
from services.store.models import (DeadLetter, Incident, IncidentHistory, IncidentNote, IncidentUnit, PriorityRule,
                                   SopStep, SopTick, Unit, User, utcnow)

if TYPE_CHECKING:
    from services.geo.routing import Router
    from services.intake.ingest import IngestService

NOTE_MAX = 4000
REASON_MAX = 2000
CASE_NUMBER_MAX = 64
ADDRESS_MAX = 300
DESCRIPTION_MAX = 4000
CALLER_NAME_MAX = 200
CALLER_PHONE_MAX = 32
# What people call the fields a refusal names.
FIELDS: dict[str, str] = {
    "reason": N_("reason"), "text": N_("note"), "steps": N_("step"), "case_number": N_("case number"),
    "address": N_("address"), "description": N_("description"), "caller_name": N_("caller's name"),
    "caller_phone": N_("caller's phone"), "department_id": N_("department"), "unit_id": N_("unit"),
    "step_id": N_("step"), "lat": N_("latitude"), "lon": N_("longitude"),
}
# An empty field that must be filled: what the officer reads.
REQUIRED: dict[str, str] = {"reason": N_("Give a reason."), "text": N_("The note is empty."),
                            "steps": N_("A step is empty.")}


def field_name(field: str) -> str:
    """A field as a refusal names it, in the language of the moment."""
    return _(FIELDS[field]) if field in FIELDS else field


@dataclass(frozen=True)
class Dispatched:
    """Units sent to an incident."""

    incident: Incident
    assignments: list[IncidentUnit]
    call_signs: list[str]


# --- input checks: one place for types, lengths and forbidden characters -------------------------------------

def _text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    """Text input stripped; refused when not text, holding NUL, too long, or empty when required."""
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value:
        raise Invalid(_("The %(field)s must be text.", field=field_name(field)),
                      errors=[{"pointer": f"/{field}", "detail": "must be text"}])
    value = value.strip()
    if required and not value:
        raise Invalid(_(REQUIRED[field]) if field in REQUIRED else _("Fill in the %(field)s.", field=field_name(field)),
                      errors=[{"pointer": f"/{field}", "detail": "required"}])
    if len(value) > limit:
        raise Invalid(_("The %(field)s is longer than %(limit)s characters.", field=field_name(field), limit=limit),
                      errors=[{"pointer": f"/{field}", "detail": f"at most {limit} characters"}])
    return value


def _version(value: object) -> int | None:
    """The version the user saw, or None when the door does not know it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("The version must be the incident's version number."),
                      errors=[{"pointer": "/version", "detail": "must be an integer"}])
    return value


def _id(value: object, field: str) -> int:
    key = as_id(value)
    if key is None:
        raise Invalid(_("The %(field)s must be an id.", field=field_name(field)),
                      errors=[{"pointer": f"/{field}", "detail": "must be an id"}])
    return key


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(_("The %(field)s must be a number.", field=field_name(field)),
                      errors=[{"pointer": f"/{field}", "detail": "must be a number"}])
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise Invalid(_("The %(field)s must be a finite number.", field=field_name(field)),
                      errors=[{"pointer": f"/{field}", "detail": "finite"}])
    return number


def _incident(session: so.Session, actor: User, incident_id: object) -> Incident:
    incident = incident_in_scope(session, actor, incident_id)
    if incident is None:
        raise NotFound(_("Incident #%(id)s was not found.", id=incident_id))
    return incident


def _unit(session: so.Session, actor: User, unit_id: object) -> Unit:
    key = as_id(unit_id)
    unit = session.get(Unit, key) if key is not None else None
    if unit is None or unit.department_id not in visible_departments(session, actor):
        raise NotFound(_("Unit #%(id)s was not found.", id=unit_id))
    return unit


# --- the lifecycle -------------------------------------------------------------------------------------------

def _move(session: so.Session, actor: User, incident_id: object, action: Action, version: object,
          **details: Any) -> Incident:
    """One lifecycle transition with its feed entries (the incident, and any unit it freed)."""
    require(actor, action)
    incident = _incident(session, actor, incident_id)
    before = incident.department_id
    busy = _active_units(session, incident.id)
    lifecycle.transition(session, incident, action.value, actor, expected_version=_version(version), **details)
    incidents_changed(session, [incident], action.value, actor.username, {incident.id: before})
    freed = [u for u in busy if u.status not in ("en_route", "on_scene")]
    if freed:
        units_changed(session, freed, action.value, actor.username)
    return incident


def _active_units(session: so.Session, incident_id: int) -> list[Unit]:
    return list(session.scalars(sa.select(Unit).join(IncidentUnit, IncidentUnit.unit_id == Unit.id).where(
        IncidentUnit.incident_id == incident_id, IncidentUnit.released_at.is_(None))))


def acknowledge(session: so.Session, actor: User, incident_id: object, *, version: object = None) -> Incident:
    """Take a new (or transferred-in) incident: the officer has seen it."""
    return _move(session, actor, incident_id, Action.ACKNOWLEDGE, version)


MANY_MAX = 200  # incidents one press may acknowledge


@dataclass(frozen=True)
class Acknowledged:
    """What one "acknowledge the selected" did: the incidents taken, and why the others were not."""

    done: list[int]
    refused: dict[str, str]


def acknowledge_many(session: so.Session, actor: User, incident_ids: object) -> Acknowledged:
    """Acknowledge several incidents at once (a camera outage opens one per camera): each or its reason."""
    require(actor, Action.ACKNOWLEDGE)
    if not isinstance(incident_ids, list) or not incident_ids or len(incident_ids) > MANY_MAX:
        raise Invalid(_("Choose 1 to %(max)s incidents.", max=MANY_MAX),
                      errors=[{"pointer": "/incident_ids", "detail": f"1 to {MANY_MAX} ids"}])
    done: list[int] = []
    refused: dict[str, str] = {}
    for incident_id in dict.fromkeys(map(str, incident_ids)):  # each once, in the order given
        try:
            with session.begin_nested():  # one refusal leaves the others acknowledged
                done.append(acknowledge(session, actor, incident_id).id)
        except Refused as refusal:
            refused[incident_id] = str(refusal)
    return Acknowledged(done, refused)


def hold(session: so.Session, actor: User, incident_id: object, *, version: object = None,
         reason: object = "") -> Incident:
    """Put an incident on hold, with a reason."""
    return _move(session, actor, incident_id, Action.HOLD, version,
                 reason=_text(reason, "reason", REASON_MAX, required=True))


def resume(session: so.Session, actor: User, incident_id: object, *, version: object = None) -> Incident:
    """Take an incident off hold."""
    return _move(session, actor, incident_id, Action.RESUME, version)


def dismiss(session: so.Session, actor: User, incident_id: object, *, version: object = None,
            reason: object = "") -> Incident:
    """Dismiss a false alarm, with a reason."""
    return _move(session, actor, incident_id, Action.DISMISS, version,
                 reason=_text(reason, "reason", REASON_MAX, required=True))


def transfer(session: so.Session, actor: User, incident_id: object, *, version: object = None,
             department_id: object = None, reason: object = "") -> Incident:
    """Hand an incident to another department (a neighbour, outside the actor's scope too), with a reason."""
    return _move(session, actor, incident_id, Action.TRANSFER, version,
                 reason=_text(reason, "reason", REASON_MAX, required=True),
                 target_department_id=_id(department_id, "department_id"))


def resolve(session: so.Session, actor: User, incident_id: object, *, version: object = None,
            outcome: object = None, case_number: object = "", reason: object = "",
            sop_override: bool = False) -> Incident:
    """Resolve with an outcome; mandatory SOP steps must be ticked unless a supervisor overrides."""
    if outcome is not None and not isinstance(outcome, str):
        raise Invalid(_("The outcome must be one of: %(outcomes)s.",
                        outcomes=", ".join(term("outcome", o) for o in lifecycle.OUTCOMES)),
                      errors=[{"pointer": "/outcome", "detail": "must be a string"}])
    return _move(session, actor, incident_id, Action.RESOLVE, version, outcome=outcome,
                 case_number=_text(case_number, "case_number", CASE_NUMBER_MAX),
                 reason=_text(reason, "reason", REASON_MAX), sop_override=sop_override is True)


def close(session: so.Session, actor: User, incident_id: object, *, version: object = None) -> Incident:
    """Close a resolved incident."""
    return _move(session, actor, incident_id, Action.CLOSE, version)


def reopen(session: so.Session, actor: User, incident_id: object, *, version: object = None,
           reason: object = "") -> Incident:
    """Reopen a resolved, closed or dismissed incident (a supervisor's decision), with a reason."""
    return _move(session, actor, incident_id, Action.REOPEN, version,
                 reason=_text(reason, "reason", REASON_MAX, required=True))


LIFECYCLE = {Action.ACKNOWLEDGE: acknowledge, Action.HOLD: hold, Action.RESUME: resume, Action.DISMISS: dismiss,
             Action.TRANSFER: transfer, Action.RESOLVE: resolve, Action.CLOSE: close, Action.REOPEN: reopen}
"""The transitions that take only a reason, a target department or an outcome, by name."""


def record_outcome(session: so.Session, actor: User, incident_id: object, *, version: object = None,
                   outcome: object = None, case_number: object = "", reason: object = "") -> Incident:
    """Amend the outcome or case number of a resolved or closed incident (a case is often registered later)."""
    require(actor, Action.RECORD_OUTCOME)
    incident = _incident(session, actor, incident_id)
    seen = _version(version)
    if seen is not None and seen != incident.version:
        lifecycle.check_actor(incident, Action.RECORD_OUTCOME.value, actor, seen)
    if incident.status not in lifecycle.OUTCOME_AMENDABLE:
        raise IllegalTransition(_("The incident is %(status)s: its outcome is recorded by resolving it.",
                                  status=term("status", incident.status)))
    if not isinstance(outcome, str) or outcome not in lifecycle.OUTCOMES:
        raise Invalid(_("The outcome must be one of: %(outcomes)s.",
                        outcomes=", ".join(term("outcome", o) for o in lifecycle.OUTCOMES)),
                      errors=[{"pointer": "/outcome", "detail": "must be one of the outcomes"}])
    number = _text(case_number, "case_number", CASE_NUMBER_MAX)
    why = _text(reason, "reason", REASON_MAX)
    lifecycle.claim_version(session, incident)
    previous = (incident.outcome, incident.case_number)
    incident.outcome, incident.case_number = outcome, number
    if why:
        incident.outcome_note = why
    now = utcnow()
    incident.updated_at = now
    incident.history.append(IncidentHistory(
        incident_id=incident.id, action=Action.RECORD_OUTCOME.value, from_status=incident.status,
        to_status=incident.status, actor_user_id=actor.id, actor=actor.username,
        reason=f"{previous[0]} {previous[1]}".strip() + f" -> {outcome} {number}".rstrip() + (f": {why}" if why else ""),
        at=now, department_id=incident.department_id))
    session.flush()
    audit.record(session, actor.username, "incident.record_outcome", f"incident:{incident.id}", outcome=outcome,
                 case_number=number, previous_outcome=previous[0], previous_case_number=previous[1])
    incidents_changed(session, [incident], Action.RECORD_OUTCOME.value, actor.username)
    return incident


# --- units on the incident -----------------------------------------------------------------------------------

def dispatch(session: so.Session, actor: User, incident_id: object, *, version: object = None,
             unit_ids: object = None, nearest: bool = False) -> Dispatched:
    """Send the named units, or the nearest available one; the incident becomes dispatched."""
    require(actor, Action.DISPATCH)
    incident = _incident(session, actor, incident_id)
    seen = _version(version)
    if unit_ids is not None and (not isinstance(unit_ids, list) or not all(
            isinstance(u, int) and not isinstance(u, bool) and 0 < u <= MAX_ID for u in unit_ids)):
        raise Invalid(_("Name the units to dispatch by their ids."),
                      errors=[{"pointer": "/unit_ids", "detail": "must be a list of unit ids"}])
    if unit_ids:
        assignments = units_service.dispatch(session, incident, list(unit_ids), actor, expected_version=seen)
    elif nearest:
        assignments = [units_service.dispatch_nearest(session, incident, actor, expected_version=seen)]
    else:
        raise Invalid(_("Choose the units to dispatch (see the nearest available) or send the nearest one."),
                      errors=[{"pointer": "/unit_ids", "detail": "required unless nearest is true"}])
    units = [session.get(Unit, a.unit_id) for a in assignments]
    sop.tick_dispatched(session, incident, actor)  # "dispatch a unit" is done by the dispatch, by whoever sent it
    incidents_changed(session, [incident], Action.DISPATCH.value, actor.username)
    units_changed(session, [u for u in units if u is not None], Action.DISPATCH.value, actor.username)
    return Dispatched(incident, assignments, [u.call_sign for u in units if u is not None])


def arrive(session: so.Session, actor: User, incident_id: object, *, version: object = None,
           unit_id: object = None) -> Incident:
    """A unit (or every unit on the way, if none named) reports on scene."""
    require(actor, Action.ARRIVE)
    incident = _incident(session, actor, incident_id)
    unit_key = _id(unit_id, "unit_id") if unit_id is not None else None
    busy = _active_units(session, incident.id)
    units_service.arrive(session, incident, actor, unit_id=unit_key, expected_version=_version(version))
    incidents_changed(session, [incident], Action.ARRIVE.value, actor.username)
    units_changed(session, [u for u in busy if unit_key is None or u.id == unit_key], Action.ARRIVE.value,
                  actor.username)
    return incident


# --- the case file -------------------------------------------------------------------------------------------

def add_note(session: so.Session, actor: User, incident_id: object, *, text: object) -> IncidentNote:
    """Add a note to the case file."""
    require(actor, Action.ADD_NOTE)
    incident = _incident(session, actor, incident_id)
    note = IncidentNote(incident_id=incident.id, author=actor.username,
                        text=_text(text, "text", NOTE_MAX, required=True), at=utcnow())
    session.add(note)
    session.flush()
    audit.record(session, actor.username, "incident.note", f"incident:{incident.id}")
    incidents_changed(session, [incident], Action.ADD_NOTE.value, actor.username)
    return note


def tick_sop_step(session: so.Session, actor: User, incident_id: object, *, step_id: object) -> SopTick:
    """Tick one step of the incident's procedure (ticking twice is no new tick)."""
    require(actor, Action.TICK_SOP_STEP)
    incident = _incident(session, actor, incident_id)
    if incident.status not in lifecycle.OPEN_STATUSES:
        raise IllegalTransition(_("The incident is %(status)s: its procedure is finished.",
                                  status=term("status", incident.status)))
    key = _id(step_id, "step_id")
    already = session.scalar(sa.select(SopTick).where(SopTick.incident_id == incident.id, SopTick.step_id == key))
    done = sop.tick(session, incident, key, actor)
    if already is None:
        incidents_changed(session, [incident], Action.TICK_SOP_STEP.value, actor.username)
    return done


def create_call(session: so.Session, actor: User, router: "Router", *, lat: object = None, lon: object = None,
                incident_type: object = None, description: object = "", address: object = "",
                caller_name: object = "", caller_phone: object = "") -> Incident:
    """Open an incident from a citizen's 102 call, at a map point or at an address the centre knows."""
    require(actor, Action.CREATE_CALL)
    where_text = _text(address, "address", ADDRESS_MAX)
    what = _text(description, "description", DESCRIPTION_MAX)
    caller = _text(caller_name, "caller_name", CALLER_NAME_MAX)
    phone = _text(caller_phone, "caller_phone", CALLER_PHONE_MAX)
    if phone and not all(c.isdigit() or c in "+-() " for c in phone):
        raise Invalid(_("The caller's phone may hold digits, spaces and + - ( ) only."),
                      errors=[{"pointer": "/caller_phone", "detail": "digits, spaces and + - ( )"}])
    if not isinstance(incident_type, str):
        raise Invalid(_("Choose the incident type."), errors=[{"pointer": "/type", "detail": "must be a type"}])
    if lat is None and lon is None:
        if not where_text:
            raise Invalid(_("Click the map where it happened, or give an address the centre knows."),
                          errors=[{"pointer": "/lat", "detail": "required"}, {"pointer": "/lon", "detail": "required"}])
        point = lifecycle.locate_address(session, city_departments(session, actor), where_text)
        if point is None:
            raise Invalid(_("No position is known for this address (a street needs a house number, a place its "
                            "name): click the map at the place."),
                          errors=[{"pointer": "/address", "detail": "not a known address"}])
        lat, lon = point
    errors = []
    for name, value in (("lat", lat), ("lon", lon)):
        try:
            _number(value, name)
        except Invalid as bad:
            errors += bad.errors
    if errors:
        raise Invalid(_("The latitude and longitude must be numbers."), errors=errors)
    incident = lifecycle.create_manual(session, router, actor, float(lat), float(lon), incident_type,  # type: ignore[arg-type]
                                       what, where_text, caller, phone)
    incidents_changed(session, [incident], Action.CREATE_CALL.value, actor.username)
    return incident


# --- units ---------------------------------------------------------------------------------------------------

def set_unit_status(session: so.Session, actor: User, unit_id: object, *, status: object) -> Unit:
    """Put a unit on or off duty (dispatch and the incident set the other states)."""
    require(actor, Action.SET_UNIT_STATUS)
    unit = _unit(session, actor, unit_id)
    before = unit.status
    units_service.set_duty(session, unit, status, actor)
    if unit.status != before:
        units_changed(session, [unit], Action.SET_UNIT_STATUS.value, actor.username)
    return unit


def set_unit_position(session: so.Session, actor: User, unit_id: object, *, lat: object, lon: object) -> Unit:
    """A unit's reported position."""
    require(actor, Action.SET_UNIT_POSITION)
    unit = _unit(session, actor, unit_id)
    units_service.update_position(session, unit, _number(lat, "lat"), _number(lon, "lon"))
    units_changed(session, [unit], Action.SET_UNIT_POSITION.value, actor.username)
    return unit


# --- administration ------------------------------------------------------------------------------------------

def set_policy_rule(session: so.Session, actor: User, *, incident_type: object, priority: object,
                    department_id: object = None, mount_kind: object = None, night_only: object = False,
                    min_confidence: object = None) -> PriorityRule:
    """Set one rule of the priority policy (admin)."""
    require(actor, Action.SET_POLICY)
    if not isinstance(incident_type, str) or isinstance(priority, bool) or not isinstance(priority, int) \
            or (department_id is not None and as_id(department_id) is None) \
            or (mount_kind is not None and not isinstance(mount_kind, str)) or not isinstance(night_only, bool) \
            or (min_confidence is not None and (isinstance(min_confidence, bool)
                                                or not isinstance(min_confidence, (int, float)))):
        raise Invalid(_("Send incident_type (text), priority (1-4), optional department_id (id), mount_kind (text), "
                        "night_only (bool), min_confidence (0-1)."))
    rule = policy.set_rule(session, as_id(department_id) if department_id is not None else None, incident_type,
                           priority, mount_kind, night_only,
                           float(min_confidence) if min_confidence is not None else None)
    audit.record(session, actor.username, "admin.policy", incident_type,
                 rule={"incident_type": incident_type, "priority": priority, "department_id": department_id,
                       "mount_kind": mount_kind, "night_only": night_only, "min_confidence": min_confidence})
    return rule


def set_sop(session: so.Session, actor: User, incident_type: object, *, steps: object) -> list[SopStep]:
    """Replace an incident type's checklist (admin): steps of {text, mandatory}."""
    require(actor, Action.SET_SOP)
    if not isinstance(incident_type, str):
        raise Invalid(_("Choose the incident type."))
    if not isinstance(steps, list) or not all(isinstance(s, dict) and isinstance(s.get("text"), str)
                                              and isinstance(s.get("mandatory", True), bool) for s in steps):
        raise Invalid(_("The steps must be a list of {text, mandatory}."),
                      errors=[{"pointer": "/steps", "detail": "a list of {text, mandatory}"}])
    texts = [(_text(s["text"], "steps", 300, required=True), s.get("mandatory", True)) for s in steps]
    return sop.set_steps(session, incident_type, texts, actor)


def replay_dead_letter(session: so.Session, actor: User, ingest: "IngestService", letter_id: object) -> str:
    """Send a kept payload through ingest again, after a fix (admin); returns what became of it."""
    from services.intake.deadletters import replay

    require(actor, Action.REPLAY_DEAD_LETTER)
    key = as_id(letter_id)
    letter = session.get(DeadLetter, key) if key is not None else None
    if letter is None:
        raise NotFound(_("Dead letter #%(id)s was not found.", id=letter_id))
    try:
        return replay(session, ingest, letter, actor)
    except ValueError as exc:
        raise IllegalTransition(str(exc)) from None
