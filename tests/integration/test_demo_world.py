"""The demo as `kuzet demo` builds it: seeded world, real HTTP server, the simulator sending signed vendor traffic."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.store.models import Camera, DeadLetter, Department, Event, Incident, Offence, Operator, Unit, User
from tools.seed import DEMO_USERS, DEMO_VENDORS, seed_demo
from tools.simulator import Simulator, operators_for
from services.store.engine import Store
from tests.conftest import serve_in_thread


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, dict[str, str]]]:
    """A demo database seeded like `kuzet demo`, served on a free port with the worker thread running."""
    from dashboard import create_app

    url = f"sqlite:///{Path(tmp_path_factory.mktemp('demo')) / 'demo.db'}"
    store = Store(url)
    store.upgrade()
    with store.session() as session:
        keys = seed_demo(session)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "demo-test"})
    base = serve_in_thread(app)
    yield base, store, keys
    app.extensions["kuzet"].stop()
    store.dispose()


def test_the_demo_seeds_a_whole_duty_room(demo_server: tuple[str, Store, dict[str, str]]) -> None:
    _, store, keys = demo_server
    with store.session() as s:
        assert {u.username for u in s.scalars(sa.select(User))} >= {u.username for u in DEMO_USERS}
        assert {u.role for u in s.scalars(sa.select(User))} == {"duty_officer", "supervisor", "chief", "trainer",
                                                                 "admin", "operator"}
        almaty = s.scalars(sa.select(Department.id).where(Department.city == "almaty",
                                                          Department.parent_id.is_not(None))).all()
        assert len(almaty) == 8
        per_department = dict(s.execute(sa.select(Camera.department_id, sa.func.count(Camera.id))
                                        .group_by(Camera.department_id)).all())
        assert set(per_department) == set(almaty) and min(per_department.values()) >= 30  # cameras in every district
        assert s.scalar(sa.select(sa.func.count(Unit.id)).where(Unit.department_id.in_(almaty))) == 8 * 4
        assert set(keys) == set(DEMO_VENDORS)
        assert s.scalar(sa.select(sa.func.count(Incident.id)).where(Incident.status == "closed")) > 100  # history
    _the_demo_pays(store)


def _the_demo_pays(store: Store) -> None:
    """Contracts for the three operators and last month's fines, about 60 % paid, so a statement shows at once."""
    from services.settlement import statements
    from services.settlement.calendar import bounds, month_of, previous_month
    from services.store.models import Contract, Fine, Offence, Operator, utcnow

    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count(sa.distinct(Contract.operator_id)))) == 3
        last = previous_month(month_of(utcnow()))
        start, end = bounds(previous_month(last))  # the month before last: its fines have had time to be paid
        of_last_month = (sa.select(Fine.status, sa.func.count(Fine.id)).join(Offence, Offence.id == Fine.offence_id)
                         .where(Offence.occurred_at >= start, Offence.occurred_at < end))
        statuses = dict(s.execute(of_last_month.group_by(Fine.status)).all())
        total = sum(statuses.values())
        assert total > 1000 and {"paid", "issued", "cancelled", "appealed"} <= set(statuses)
        assert 0.45 < statuses["paid"] / total < 0.7  # about 60 % paid
        halved = s.scalar(sa.select(sa.func.count(Fine.id)).join(Offence, Offence.id == Fine.offence_id).where(
            Offence.occurred_at >= start, Offence.occurred_at < end, Fine.paid_amount_tiyn * 2 == Fine.amount_tiyn))
        assert 0.35 < halved / statuses["paid"] < 0.75  # about half of them within 7 days, at half price
        operator = s.scalar(sa.select(Operator).where(Operator.name == "AlmaVision LLP"))
        content = statements.build(s, operator, last)
        assert content["fine_share_tiyn"] > 0 and content["incident_fees_tiyn"] > 0 and content["total_tiyn"] > 0


def test_the_simulator_drives_incidents_offences_and_dead_letters_through_every_vendor_path(
        demo_server: tuple[str, Store, dict[str, str]]) -> None:
    base, store, keys = demo_server
    with store.session() as s:
        operators = operators_for(s, keys)
        before = s.scalar(sa.select(sa.func.count(Incident.id)).where(Incident.status == "new")) or 0
    assert {o.vendor for o in operators} == {"json", "hikvision-isapi", "frigate"}
    simulator = Simulator(base, operators, seed=7, incidents_per_min=600, traffic_per_s=6, bad_every=2,
                          death_chance=0)
    totals: dict[str, int] = {}
    for _ in range(6):
        for status, count in simulator.tick(seconds=1.0).items():
            totals[status] = totals.get(status, 0) + count
    assert totals.get("accepted", 0) > 30 and totals.get("rejected", 0) >= 1, totals
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with store.session() as s:
            opened = (s.scalar(sa.select(sa.func.count(Incident.id)).where(Incident.status == "new")) or 0) - before
            by_operator = set(s.scalars(sa.select(Operator.name).join(Event, Event.operator_id == Operator.id)
                                        .where(Event.category == "public_order").distinct()))
            offences = s.scalar(sa.select(sa.func.count(Offence.id))) or 0
            letters = s.scalar(sa.select(sa.func.count(DeadLetter.id))) or 0
        if opened > 0 and by_operator == set(DEMO_VENDORS) and offences > 0 and letters > 0:
            break
        time.sleep(0.3)
    # Incidents from all three operators, i.e. through the JSON API and the Hikvision and Frigate adapters,
    # offences in the register, and the broken GPS fixes kept for review.
    assert opened > 0 and by_operator == set(DEMO_VENDORS), (opened, by_operator)
    assert offences > 0 and letters > 0
