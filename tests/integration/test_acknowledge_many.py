"""Acknowledging several incidents with one press: each taken or refused on its own, in one commit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.duty import actions
from services.errors import Forbidden, Invalid
from services.store.models import Incident, IncidentHistory, User
from tests.conftest import World, event
from tests.integration.test_duty_work import _post


def test_each_is_taken_or_refused_on_its_own(app: Flask, client: FlaskClient, world: World) -> None:
    _post(client, world, event("CAM-A", "vandalism"), event("CAM-A", "motion"), event("CAM-B", "loitering"))
    app.extensions["kuzet"].worker.drain()
    store = app.extensions["kuzet"].store
    changes: list = []
    store.subscribe(lambda batch: changes.extend(batch))
    with store.session() as s:
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        ids = {i.type: i.id for i in s.scalars(sa.select(Incident))}
        actions.acknowledge(s, officer, ids["vandalism"])
        s.commit()
        taken = actions.acknowledge_many(s, officer, [ids["vandalism"], ids["motion"], ids["loitering"], 999_999,
                                                      ids["motion"]])
        s.commit()
        # Already taken, another department's (out of scope looks absent), no such incident: refused, the rest taken.
        assert taken.done == [ids["motion"]]
        assert set(taken.refused) == {str(ids["vandalism"]), str(ids["loitering"]), "999999"}
        assert "не найдено" in taken.refused[str(ids["loitering"])]
    with store.session() as s:
        status = {i.type: i.status for i in s.scalars(sa.select(Incident))}
        assert status == {"vandalism": "acknowledged", "motion": "acknowledged", "loitering": "new"}
        pushed = {c.entity_id for c in changes if c.entity == "incident" and c.data["status"] == "acknowledged"}
        assert pushed == {ids["vandalism"], ids["motion"]}, "a refused item's savepoint keeps the others' pushes"
        journal = s.scalars(sa.select(IncidentHistory.incident_id).where(IncidentHistory.action == "acknowledge"))
        assert sorted(journal) == sorted([ids["vandalism"], ids["motion"]]), "one entry each, none for the refused"


def test_a_role_that_may_not_acknowledge_and_a_malformed_list_are_refused(app: Flask, world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        trainer = s.scalar(sa.select(User).where(User.username == "trainer.a"))
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        with pytest.raises(Forbidden):
            actions.acknowledge_many(s, trainer, [1])
        for wrong in ([], "1,2", None, list(range(1, 202))):
            with pytest.raises(Invalid):
                actions.acknowledge_many(s, officer, wrong)
