"""Training packs: exported masked, loaded into another Kuzet, replayed there the same way."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.cli import main
from services.replay.redaction import Redactor
from services.replay.state import changes_between, state_at
from services.store.engine import Store
from services.store.models import AuditEntry, Department, IncidentHistory, utcnow
from tests.integration.test_replay import _opened, _story

PHONE = "+7 701 123 45 67"


def _target(tmp_path: Path) -> str:
    """Another Kuzet with the same city's departments and nothing else."""
    from services.geo.departments import seed_defaults, seed_departments

    url = f"sqlite:///{tmp_path / 'training.db'}"
    store = Store(url)
    store.upgrade()
    with store.session() as s:
        seed_defaults(s)
        seed_departments(s)
    store.dispose()
    return url


def _picture(store: Store, department_code: str, at: object) -> dict[str, object]:
    """What the wall showed, minus the ids and call signs a load gives anew."""
    with store.session() as s:
        department = s.scalar(sa.select(Department.id).where(Department.code == department_code))
        moment = state_at(s, department, at, Redactor.for_session(s))
        situation = moment.situation
        return {"incidents": sorted((r["type"], r["priority"], r["status"], r["created_at"], r["description"])
                                    for r in situation.incidents),
                "units": sorted((u["status"], round(u["lat"], 6), round(u["lon"], 6)) for u in situation.units),
                "counters": {k: v for k, v in situation.counters.items()},
                "offline": len(moment.cameras_offline)}


def test_a_pack_round_trip_replays_the_same_and_carries_no_personal_data(app: Flask, client: FlaskClient, world: object,
                                                                         db_url: str, tmp_path: Path) -> None:
    first = _opened(app, client, world)
    _story(app, first, world)
    second = _opened(app, client, world)
    source = app.extensions["kuzet"].store
    with source.session() as s:
        times = sorted(s.scalars(sa.select(IncidentHistory.at)))
    start, end = times[0] - timedelta(minutes=1), utcnow() + timedelta(seconds=1)
    runner = CliRunner()
    pack_file = tmp_path / "pack.json"
    exported = runner.invoke(main, ["replay", "export", "--department", "almaty-almaly", "--from", start.isoformat(),
                                    "--to", end.isoformat(), "--output", str(pack_file), "--db", db_url])
    assert exported.exit_code == 0, exported.output
    text = pack_file.read_text(encoding="utf-8")
    pack = json.loads(text)
    assert pack["format"] == "kuzet.training-pack/1" and pack["masked"] is True
    assert {i["ref"] for i in pack["incidents"]} == {first, second}
    assert PHONE not in text and "123 45 67" not in text and "[phone]" in text
    assert "duty.a" not in text and "super.a" not in text and "Test Operator" not in text
    target_url = _target(tmp_path)
    loaded = runner.invoke(main, ["replay", "import", str(pack_file), "--db", target_url])
    assert loaded.exit_code == 0, loaded.output
    assert "2 incidents" in loaded.output
    target = Store(target_url)
    try:
        moments = [start, *times, times[-1] + timedelta(seconds=1)]
        moments += [t - timedelta(microseconds=1) for t in times]
        for at in moments:
            assert _picture(target, "almaty-almaly", at) == _picture(source, "almaty-almaly", at), at
        with source.session() as s:
            here = [(c["kind"], c["action"], c["at"]) for c in
                    changes_between(s, {world.almaly_id}, start, end, Redactor.for_session(s))[0]
                    if c["kind"] != "camera"]
        with target.session() as s:
            there_id = s.scalar(sa.select(Department.id).where(Department.code == "almaty-almaly"))
            there = [(c["kind"], c["action"], c["at"]) for c in
                     changes_between(s, {there_id}, start, end, Redactor.for_session(s))[0] if c["kind"] != "camera"]
            assert there == here
            assert s.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "replay.import_pack"))
    finally:
        target.dispose()
    with source.session() as s:
        assert s.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "replay.export_pack"))


def test_a_damaged_pack_is_refused_clearly_and_loads_nothing(tmp_path: Path) -> None:
    target_url = _target(tmp_path)
    runner = CliRunner()
    for content in ("not json", json.dumps({"format": "something/1"}),
                    json.dumps({"format": "kuzet.training-pack/1", "department": {"code": "nowhere"}}),
                    json.dumps({"format": "kuzet.training-pack/1", "department": {"code": "almaty-almaly"},
                                "cameras": [{"ref": "x"}]})):
        path = tmp_path / "bad.json"
        path.write_text(content, encoding="utf-8")
        answer = runner.invoke(main, ["replay", "import", str(path), "--db", target_url])
        assert answer.exit_code == 1 and "Error:" in answer.output, answer.output
        assert "Traceback" not in answer.output
    store = Store(target_url)
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count(IncidentHistory.id))) == 0
    store.dispose()
    bad_window = runner.invoke(main, ["replay", "export", "--department", "almaty-almaly", "--from", "yesterday",
                                      "--to", "2026-12-01T00:00:00+05:00", "--db", target_url])
    assert bad_window.exit_code != 0 and "Traceback" not in bad_window.output
