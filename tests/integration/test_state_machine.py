"""Every lifecycle action from every state: allowed exactly where DESIGN.md says, refused clearly elsewhere."""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa

from services.access.permissions import doing
from services.duty.incidents import ACTIONS, TransitionRefused, transition
from services.i18n import speaking
from services.i18n.terms import term
from services.store.models import Incident, IncidentStatus, SopStep, User
from services.store.engine import Store
from tests.conftest import seed_world

ALLOWED = {  # from DESIGN.md: new -> acknowledged -> dispatched -> on_scene -> resolved -> closed, plus the side exits
    "acknowledge": {"new", "transferred"},
    "dispatch": {"new", "acknowledged", "transferred"},
    "arrive": {"dispatched"},
    "resolve": {"acknowledged", "dispatched", "on_scene"},
    "close": {"resolved"},
    "hold": {"new", "acknowledged", "dispatched", "transferred"},
    "resume": {"on_hold"},
    "dismiss": {"new", "acknowledged", "on_hold", "transferred"},
    "transfer": {"new", "acknowledged", "on_hold", "transferred"},
    "reopen": {"resolved", "closed", "dismissed"},
}
TARGET = {"acknowledge": "acknowledged", "dispatch": "dispatched", "arrive": "on_scene", "resolve": "resolved",
          "close": "closed", "hold": "on_hold", "resume": "acknowledged", "dismiss": "dismissed", "transfer": "transferred",
          "reopen": "acknowledged"}


@pytest.fixture
def world_store(db: Store) -> Store:
    seed_world(db)
    with db.session() as s:
        s.execute(sa.update(SopStep).values(mandatory=False))  # SOP rules are tested on their own
    return db


def test_the_whole_matrix(world_store: Store) -> None:
    assert set(ACTIONS) == set(ALLOWED)
    with world_store.session() as s:
        supervisor = s.scalar(sa.select(User).where(User.username == "super.a"))
        bostandyk = s.scalar(sa.select(User.department_id).where(User.username == "duty.b"))
        now = sa.func.now()
        incident = Incident(department_id=supervisor.department_id, category="public_order", type="crowd", priority=2,
                            lat=43.25, lon=76.92, first_seen_at=sa.func.now(), last_seen_at=now)
        s.add(incident)
    checked = 0
    for status, action in itertools.product([st.value for st in IncidentStatus], ACTIONS):
        with world_store.sessionmaker() as s:
            inc = s.get(Incident, incident.id)
            inc.status = status
            inc.department_id = supervisor.department_id
            s.flush()
            actor = s.get(User, supervisor.id)
            kwargs = {"reason": "matrix", "outcome": "warning", "target_department_id": bostandyk}
            if status in ALLOWED[action]:
                entry = transition(s, inc, action, actor, **kwargs)
                assert (entry.from_status, entry.to_status, entry.actor) == (status, TARGET[action], "super.a")
                assert inc.status == TARGET[action]
            else:
                with speaking("en"), pytest.raises(TransitionRefused, match=re.escape(
                        f"Cannot {doing(action)}: the incident is {term('status', status)}; allowed now")):
                    transition(s, inc, action, actor, **kwargs)
            s.rollback()
            checked += 1
    assert checked == 9 * len(ACTIONS)


def test_refusal_lists_what_is_allowed_for_the_role(world_store: Store) -> None:
    with world_store.session() as s:
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        inc = Incident(department_id=officer.department_id, category="public_order", type="crowd", priority=2,
                       lat=43.25, lon=76.92, first_seen_at=sa.func.now(), last_seen_at=sa.func.now(), status="closed")
        s.add(inc)
        s.flush()
        with speaking("en"), pytest.raises(TransitionRefused) as refused:
            transition(s, inc, "acknowledge", officer)
        assert str(refused.value).endswith("allowed now: nothing.")  # reopen is a supervisor's
