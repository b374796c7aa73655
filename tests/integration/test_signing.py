"""Operator authentication: keys hashed and rotatable, HMAC signatures with a ±5 min window."""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.cli import main
from services.store.models import ApiKey, Operator
from services.access.operators import sign
from tests.conftest import World, event


def _signing_operator(app: Flask) -> str:
    with app.extensions["kuzet"].store.session() as s:
        s.execute(sa.update(Operator).where(Operator.name == "Test Operator LLP").values(signing_required=True))
    return "Test Operator LLP"


def _post(client: FlaskClient, key: str, body: bytes, stamp: str | None, signature: str | None):  # noqa: ANN202
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if stamp is not None:
        headers["X-Kuzet-Timestamp"] = stamp
    if signature is not None:
        headers["X-Kuzet-Signature"] = signature
    return client.post("/api/v1/events", data=body, headers=headers)


def test_signed_requests_pass_and_every_fault_is_a_401_problem(app: Flask, client: FlaskClient, world: World) -> None:
    _signing_operator(app)
    body = json.dumps(event("CAM-A")).encode()
    now = str(int(time.time()))
    good = _post(client, world.api_key, body, now, sign(world.api_key, now, body))
    assert good.status_code == 202 and good.get_json()["accepted"] == 1
    stale = str(int(time.time()) - 301)
    cases = {
        "unsigned": (now, None),
        "wrong signature": (now, "sha256=" + "0" * 64),
        "signed with another key": (now, sign(world.other_key, now, body)),
        "stale timestamp": (stale, sign(world.api_key, stale, body)),
        "timestamp not unix seconds": ("2026-11-25T10:00:00Z", sign(world.api_key, "x", body)),
        "body changed after signing": (now, sign(world.api_key, now, body + b" ")),
    }
    for name, (stamp, signature) in cases.items():
        response = _post(client, world.api_key, body, stamp, signature)
        assert response.status_code == 401, name
        assert response.mimetype == "application/problem+json" and response.get_json()["type"].endswith("bad-signature")


def test_rotation_with_overlap_then_revocation(app: Flask, client: FlaskClient, world: World, runner: CliRunner,
                                               db_url: str) -> None:
    added = runner.invoke(main, ["operators", "key-add", "--db", db_url, "Test Operator LLP", "--label", "rotation"])
    new_key = added.output.strip().split()[-1]
    assert new_key.startswith("kz_") and new_key != world.api_key
    for key in (world.api_key, new_key):  # both work during the overlap
        assert client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {key}"}).status_code == 202
    old_prefix = world.api_key.split("_")[1]
    assert runner.invoke(main, ["operators", "key-revoke", "--db", db_url, "Test Operator LLP", old_prefix]).exit_code == 0
    refused = client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {world.api_key}"})
    assert refused.status_code == 401
    listing = runner.invoke(main, ["operators", "keys", "--db", db_url, "Test Operator LLP"]).output
    assert f"{old_prefix}\t" in listing and "revoked" in listing and "last used 20" in listing
    with app.extensions["kuzet"].store.session() as s:
        hashes = s.scalars(sa.select(ApiKey.key_hash)).all()
    assert world.api_key not in hashes and new_key not in hashes  # only hashes at rest


def test_new_operators_must_sign_by_default(runner: CliRunner, db_url: str, app: Flask) -> None:
    runner.invoke(main, ["operators", "add", "--db", db_url, "Fresh Operator"])
    listing = runner.invoke(main, ["operators", "keys", "--db", db_url, "Fresh Operator"]).output
    assert listing.startswith("signing required: yes")
