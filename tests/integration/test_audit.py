"""The audit journal: everything is recorded, and `kuzet audit verify` catches edits and deletions."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.cli import main
from services.store.models import AuditEntry
from tests.conftest import PASSWORD, World, event, login


def _work_an_incident(app: Flask, client: FlaskClient, world: World) -> None:
    client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {world.api_key}"})
    app.extensions["kuzet"].worker.drain()
    login(client, "duty.a")
    login(client, "duty.b", "wrong-password")
    incident_id = client.get("/api/v1/incidents").get_json()["incidents"][0]["id"]
    client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "acknowledge"})
    client.post(f"/api/v1/incidents/{incident_id}/transitions", json={"action": "dispatch", "nearest": True})
    step = client.get(f"/api/v1/incidents/{incident_id}").get_json()["sop"][0]["id"]
    client.post(f"/api/v1/incidents/{incident_id}/sop/{step}")
    client.get(f"/api/v1/incidents/{incident_id}/cap")


def test_state_changes_logins_ticks_dispatches_and_exports_are_journalled(app: Flask, client: FlaskClient,
                                                                           world: World) -> None:
    _work_an_incident(app, client, world)
    with app.extensions["kuzet"].store.session() as s:
        actions = [a for (a,) in s.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["user.second_factor.enrol", "incident.open", "login", "login.refused", "incident.acknowledge", "incident.dispatch",
                       "unit.dispatch", "sop.tick", "sop.tick", "export.cap"]  # the dispatch ticks "dispatch a unit"


def test_verify_names_the_first_edited_or_deleted_entry(app: Flask, client: FlaskClient, world: World,
                                                        runner: CliRunner, db_url: str) -> None:
    _work_an_incident(app, client, world)
    ok = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert ok.exit_code == 0 and ok.output.startswith("OK: 10 entries")
    store = app.extensions["kuzet"].store
    with store.session() as s:
        ids = s.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id)).all()
        s.execute(sa.text("UPDATE audit_log SET actor = 'someone.else' WHERE id = :id"), {"id": ids[4]})
    edited = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert edited.exit_code == 1 and f"BROKEN at entry #{ids[4]}: entry altered" in edited.output
    with store.session() as s:
        s.execute(sa.text("UPDATE audit_log SET actor = 'duty.a' WHERE id = :id"), {"id": ids[4]})
        s.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[6]})
    deleted = runner.invoke(main, ["audit", "verify", "--db", db_url])
    assert deleted.exit_code == 1 and f"BROKEN at entry #{ids[7]}: previous entry missing" in deleted.output


def test_a_cut_off_tail_is_caught_against_an_external_head(app: Flask, client: FlaskClient, world: World,
                                                           runner: CliRunner, db_url: str) -> None:
    _work_an_incident(app, client, world)
    head = runner.invoke(main, ["audit", "verify", "--db", db_url]).output.split()[-1]
    with app.extensions["kuzet"].store.session() as s:
        last = s.scalar(sa.select(sa.func.max(AuditEntry.id)))
        s.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": last})
    assert runner.invoke(main, ["audit", "verify", "--db", db_url]).exit_code == 0  # the chain alone cannot tell
    cut = runner.invoke(main, ["audit", "verify", "--db", db_url, "--expect-head", head])
    assert cut.exit_code == 1 and "removed from the end" in cut.output


def test_hostile_usernames_do_not_break_the_journal(client: FlaskClient, world: World) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "x\u0000y", "password": PASSWORD})
    assert response.status_code == 401


def test_incidents_the_worker_opens_together_are_journalled_in_one_unbroken_chain(app: Flask, client: FlaskClient,
                                                                               world: World) -> None:
    """A batch that opens several incidents appends their entries at once, each chained to the one before."""
    from services.store.audit import verify
    from services.store.models import Incident

    login(client, "duty.a")  # an entry before the batch: the batch must chain onto it
    kinds = ("fight", "crowd", "vandalism", "intrusion", "fall")
    body = {"events": [event(camera, kind) for camera in ("CAM-A", "CAM-B") for kind in kinds]}
    assert client.post("/api/v1/events", json=body,
                       headers={"Authorization": f"Bearer {world.api_key}"}).status_code == 202
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        opened = s.scalars(sa.select(AuditEntry.subject).where(AuditEntry.action == "incident.open")).all()
        incidents = s.scalars(sa.select(Incident.id)).all()
        assert sorted(opened) == sorted(f"incident:{i}" for i in incidents) and len(incidents) == 10
        assert verify(s).intact
