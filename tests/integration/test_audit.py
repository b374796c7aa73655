"""The audit journal: everything is recorded, and `kuzet audit verify` catches edits and deletions."""

from __future__ import annotations

import threading

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

    login(client, "duty.a")  # an entry of the main chain before the batch, which goes to the worker's chain
    kinds = ("fight", "crowd", "vandalism", "intrusion", "fall")
    body = {"events": [event(camera, kind) for camera in ("CAM-A", "CAM-B") for kind in kinds]}
    assert client.post("/api/v1/events", json=body,
                       headers={"Authorization": f"Bearer {world.api_key}"}).status_code == 202
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        opened = s.scalars(sa.select(AuditEntry.subject).where(AuditEntry.action == "incident.open")).all()
        incidents = s.scalars(sa.select(Incident.id)).all()
        assert sorted(opened) == sorted(f"incident:{i}" for i in incidents) and len(incidents) == 10
        chains = {action: chain for action, chain in s.execute(sa.select(AuditEntry.action, AuditEntry.chain))}
        assert chains["login"] == "main" and chains["incident.open"] == app.extensions["kuzet"].worker.chain
        assert verify(s).intact


def _append_in_open_transaction(url: str, chain: str, started: threading.Event, release: threading.Event) -> None:
    from services.store import audit
    from services.store.engine import Store

    store = Store(url)
    try:
        with store.session() as s:
            audit.use_chain(s, chain)
            audit.record(s, "system", "incident.open", "incident:1")
            started.set()
            release.wait(10)  # holds the chain's lock until the transaction ends, as a worker's batch does
    finally:
        store.dispose()


def _appends_while_held(url: str, held: str, other: str) -> bool:
    """Whether an append to ``other`` finishes while a transaction holding ``held`` is still open."""
    from services.store import audit
    from services.store.engine import Store

    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_append_in_open_transaction, args=(url, held, started, release))
    holder.start()
    assert started.wait(10)
    done = threading.Event()

    def append() -> None:
        store = Store(url)
        try:
            with store.session() as s:
                audit.use_chain(s, other)
                audit.record(s, "duty.a", "login")
            done.set()
        finally:
            store.dispose()

    second = threading.Thread(target=append)
    second.start()
    finished = done.wait(1.5)
    release.set()
    holder.join(10)
    second.join(10)
    assert done.is_set()  # it gets through in the end either way
    return finished


def test_workers_append_to_their_own_chains_without_waiting_for_each_other(postgres_url: str) -> None:
    """Two workers' batches never wait for each other's audit tail; writers of one chain still take turns."""
    from services.store.audit import head, verify
    from services.store.engine import Store

    from tests.conftest import _truncate

    _truncate(postgres_url)
    assert _appends_while_held(postgres_url, "worker:one", "worker:two")
    assert not _appends_while_held(postgres_url, "worker:one", "worker:one")
    store = Store(postgres_url)
    try:
        with store.session() as s:
            verdict = verify(s)
            chains = s.scalars(sa.select(AuditEntry.chain).order_by(AuditEntry.id)).all()
            before = head(s)
            assert verdict.intact and verdict.entries == 4 and set(chains) == {"worker:one", "worker:two"}
            last_of_two = s.scalar(sa.select(sa.func.max(AuditEntry.id)).where(AuditEntry.chain == "worker:two"))
            s.execute(sa.delete(AuditEntry).where(AuditEntry.id == last_of_two))
        with store.session() as s:
            assert head(s) != before  # a tail cut off any chain changes the head kept outside
            first_of_one = s.scalar(sa.select(sa.func.min(AuditEntry.id)).where(AuditEntry.chain == "worker:one"))
            s.execute(sa.delete(AuditEntry).where(AuditEntry.id == first_of_one))
        with store.session() as s:
            assert verify(s).reason.startswith("previous entry missing")  # each chain's links are checked
    finally:
        store.dispose()
