"""Standard operating procedures: an ordered checklist per incident type, ticks recorded."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.errors import Invalid, NotFound
from services.i18n import N_, _, speaking
from services.i18n.terms import term
from services.store import audit
from services.store.models import Incident, SopStep, SopTick, User, utcnow

# Shipped defaults (admins edit them): (step, mandatory). Ordered as a duty officer works them.
DEFAULT_SOPS: dict[str, list[tuple[str, bool]]] = {
    "weapon": [(N_("Notify the supervisor"), True), (N_("Dispatch 2+ units"), True),
               (N_("View the live camera"), True), (N_("Ambulance if injured"), False)],
    "fight": [(N_("View the live camera"), True), (N_("Dispatch a unit"), True), (N_("Ambulance if injured"), False)],
    "fire_smoke": [(N_("Call the fire service"), True), (N_("Dispatch a unit to cordon"), True)],
    "panic_button": [(N_("Call the site back"), True), (N_("Dispatch a unit"), True)],
    "abandoned_object": [(N_("Keep away, cordon"), True), (N_("Call EOD / dog unit"), True)],
}
# Steps the dispatch itself completes, by their shipped message: how many units must have been sent.
DISPATCH_STEPS: dict[str, int] = {"Dispatch a unit": 1, "Dispatch a unit to cordon": 1, "Dispatch 2+ units": 2}
RETIRED_POSITION = 1000  # a step removed from a procedure moves past this, keeping the ticks it had
# Steps that watching the incident's video through the centre completes (the view is on record).
VIDEO_STEPS: frozenset[str] = frozenset({"View the live camera", "Verify on video"})
GENERIC_SOP: list[tuple[str, bool]] = [(N_("Verify on video"), True), (N_("Decide on dispatch"), True)]
SHIPPED: frozenset[str] = frozenset(text for steps in (*DEFAULT_SOPS.values(), GENERIC_SOP) for text, _m in steps)


def stored_text(message: str) -> str:
    """How a shipped step is stored: its Russian and English words ("Направить наряд · Dispatch a unit"), as
    checklists have always been kept and admins edit them; pages show it in the language of the moment."""
    with speaking("ru"):
        russian = _(message)
    return f"{russian} · {message}"


def shipped_message(text: str) -> str | None:
    """The shipped step a stored text is (its message id), or None for a step an admin wrote."""
    text = text.strip()
    english = text.rsplit(" · ", 1)[-1]
    return english if english in SHIPPED and (text == english or text == stored_text(english)) else None


def step_text(text: str) -> str:
    """A step as people read it: a shipped one in the language of the moment, an admin's as written."""
    message = shipped_message(text)
    return _(message) if message else text


def _flags(text: str) -> tuple[int | None, bool]:
    """What completes a step by itself: (units a dispatch must send, whether watching the video does)."""
    message = shipped_message(text)
    return (DISPATCH_STEPS.get(message) if message else None), message in VIDEO_STEPS


@dataclass(frozen=True)
class Checklist:
    """One incident's SOP with its ticks."""

    steps: list[SopStep]
    ticked: dict[int, SopTick]

    def missing_mandatory(self) -> list[SopStep]:
        """Mandatory steps not ticked yet."""
        return [s for s in self.steps if s.mandatory and s.id not in self.ticked]


def seed_default_sops(session: so.Session) -> int:
    """Store the shipped checklists for every incident type that has none; returns steps added."""
    from services.intake.catalogue import PUBLIC_ORDER_TYPES, TRAFFIC_INCIDENT_TYPES

    have = set(session.scalars(sa.select(SopStep.incident_type).distinct()))
    added = 0
    for incident_type in sorted(PUBLIC_ORDER_TYPES | TRAFFIC_INCIDENT_TYPES):
        if incident_type in have:
            continue
        for position, (message, mandatory) in enumerate(DEFAULT_SOPS.get(incident_type, GENERIC_SOP), start=1):
            session.add(SopStep(incident_type=incident_type, position=position, text=stored_text(message),
                                mandatory=mandatory, done_by_dispatch=DISPATCH_STEPS.get(message),
                                done_by_video=message in VIDEO_STEPS))
            added += 1
    session.flush()
    return added


def _ensure_steps(session: so.Session, incident_type: str) -> list[SopStep]:
    steps = list(session.scalars(sa.select(SopStep).where(SopStep.incident_type == incident_type)
                                 .order_by(SopStep.position)))
    if steps:
        return steps
    for position, (message, mandatory) in enumerate(DEFAULT_SOPS.get(incident_type, GENERIC_SOP), start=1):
        session.add(SopStep(incident_type=incident_type, position=position, text=stored_text(message),
                            mandatory=mandatory, done_by_dispatch=DISPATCH_STEPS.get(message),
                            done_by_video=message in VIDEO_STEPS))
    session.flush()
    return list(session.scalars(sa.select(SopStep).where(SopStep.incident_type == incident_type)
                                .order_by(SopStep.position)))


def checklist(session: so.Session, incident: Incident, create: bool = False) -> Checklist:
    """The incident type's steps and this incident's ticks; ``create`` stores defaults for a new type."""
    if create:
        steps = _ensure_steps(session, incident.type)
    else:
        steps = list(session.scalars(sa.select(SopStep).where(SopStep.incident_type == incident.type)
                                     .order_by(SopStep.position)))
    ticks = {t.step_id: t for t in session.scalars(sa.select(SopTick).where(SopTick.incident_id == incident.id))}
    return Checklist(steps, ticks)


def tick(session: so.Session, incident: Incident, step_id: int, actor: User) -> SopTick:
    """Tick one step (idempotent); recorded with who and when."""
    steps = {s.id: s for s in checklist(session, incident, create=True).steps}
    if step_id not in steps:
        raise NotFound(_("Step #%(step)s is not part of the procedure for “%(type)s”.", step=step_id,
                         type=term("type", incident.type)))
    existing = session.scalar(sa.select(SopTick).where(SopTick.incident_id == incident.id, SopTick.step_id == step_id))
    if existing is not None:
        return existing
    done = SopTick(incident_id=incident.id, step_id=step_id, actor=actor.username, at=utcnow())
    session.add(done)
    session.flush()
    audit.record(session, actor.username, "sop.tick", f"incident:{incident.id}", step=steps[step_id].position,
                 text=steps[step_id].text)
    return done


def tick_dispatched(session: so.Session, incident: Incident, actor: User) -> list[SopTick]:
    """Tick the steps a dispatch completes ("dispatch a unit", "2+ units") once enough units have been sent."""
    from services.store.models import IncidentUnit

    sent = session.scalar(sa.select(sa.func.count(IncidentUnit.id)).where(IncidentUnit.incident_id == incident.id)) or 0
    done = []
    for step in checklist(session, incident, create=True).steps:
        if step.done_by_dispatch and sent >= step.done_by_dispatch:
            done.append(tick(session, incident, step.id, actor))
    return done


def ticked_steps(session: so.Session, incident_id: int) -> int:
    """How many steps of an incident's current procedure are ticked (as its page counts them)."""
    return session.scalar(sa.select(sa.func.count(SopTick.id)).join(SopStep, SopStep.id == SopTick.step_id).where(
        SopTick.incident_id == incident_id, SopStep.position < RETIRED_POSITION)) or 0


def tick_watched(session: so.Session, incident: Incident, actor: User) -> list[SopTick]:
    """Tick the steps that watching the incident's video completes ("view the live camera"), while it is open;
    returns the ticks made now."""
    from services.store.models import OPEN_STATUSES

    if incident.status not in OPEN_STATUSES:
        return []
    done = checklist(session, incident, create=True)
    # Only the steps not ticked yet: a second view changes nothing, so nothing is pushed for it.
    return [tick(session, incident, step.id, actor) for step in done.steps if step.done_by_video and step.id not in done.ticked]


def set_steps(session: so.Session, incident_type: str, steps: list[tuple[str, bool]], actor: User) -> list[SopStep]:
    """Replace a type's checklist (admin); steps already ticked somewhere keep their row, with new text."""
    from services.intake.catalogue import CATEGORY_OF

    if incident_type not in CATEGORY_OF:
        raise Invalid(_("Unknown incident type %(type)s.", type=repr(incident_type)))
    if not steps or any(not text.strip() for text, _ in steps):
        raise Invalid(_("A procedure needs at least one step, none of them empty."),
                      errors=[{"pointer": "/steps", "detail": "at least one step, none empty"}])
    current = {s.position: s for s in session.scalars(sa.select(SopStep).where(SopStep.incident_type == incident_type))}
    for position, (text, mandatory) in enumerate(steps, start=1):
        step = current.pop(position, None) or SopStep(incident_type=incident_type, position=position, text="")
        step.text, step.mandatory = text.strip()[:300], mandatory
        step.done_by_dispatch, step.done_by_video = _flags(step.text)
        session.add(step)
    for leftover in current.values():
        if session.scalar(sa.select(sa.func.count(SopTick.id)).where(SopTick.step_id == leftover.id)):
            leftover.mandatory = False  # ticked on past incidents: kept for the record, no longer required
            leftover.position += RETIRED_POSITION
        else:
            session.delete(leftover)
    session.flush()
    audit.record(session, actor.username, "admin.sop", incident_type, steps=[t for t, _ in steps])
    return _ensure_steps(session, incident_type)


def steps_of(session: so.Session, incident_type: str) -> list[SopStep]:
    """An incident type's checklist as it stands (the shipped one until an admin changes it), for its editor."""
    return _ensure_steps(session, incident_type)
