"""Paying the operators: a month computed by hand, imports refused whole, issued statements frozen, verify.

The month (November 2026, Almaty time) of "Test Operator LLP", contract CN-1:
  from 2026-10-01: fine share 25 %, red_light 30 %; fee 5,000 KZT, fight at a school 15,000 KZT;
                   uptime target 98 %, 2 % of the month's earnings per point below; cap 1,000,000 KZT
  from 2026-11-15: fine share 20 % (no red_light rate); the same fees, target and cap
Fines paid in November:
  D-1 speeding of 20 October, 20,000 issued 28 Oct, paid half (10,000) on 3 Nov:   25 % -> 2,500.00
  D-2 red_light of 5 Nov, 15,000 paid in full on 20 Nov (the new tariff):            20 % -> 3,000.00
  D-5 speeding of 12 Nov, 8,000 paid on 12 Nov:                                     25 % -> 2,000.00
  D-3 (issued, unpaid) and D-4 (cancelled) earn nothing.
Incidents resolved in November: a fight at CAM-A (street) detained on 10 Nov -> 5,000.00; a fight at
  CAM-B (a school) administrative protocol on 25 Nov -> 15,000.00; a false alarm at CAM-A on 20 Nov -> 0.
Uptime: CAM-A offline for 3 of November's 30 days (90 %), CAM-B always on (100 %): 95 % -> 3 points
  below 98 -> 6 % of 27,500.00 = 1,650.00 withheld. Total 25,850.00 KZT = 2,585,000 tiyn.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.cli import main
from services.i18n import speaking
from services.settlement import ledger, statements
from services.settlement.calendar import ALMATY
from services.settlement.contracts import Terms, add_contract
from services.settlement.fines import import_fines, read_csv
from services.settlement.verify import verify
from services.store.engine import Store
from services.store.models import (AuditEntry, Camera, CameraHealthChange, Event, Incident, LedgerEntry, Offence,
                                   Operator, utcnow)
from tests.conftest import World

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
HEADER = "offence_id,decision_no,issued_at,amount_kzt,status,paid_at,paid_amount_kzt\n"


def at(day: str, hour: int = 12) -> datetime:
    """A moment in Almaty time, as UTC."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), ALMATY).replace(hour=hour) \
        .astimezone(timezone.utc)


def offence(s: object, world: World, camera: str, when: datetime, kind: str = "speeding") -> int:
    event = Event(operator_id=world.operator_id, event_id=f"ev-{uuid.uuid4().hex[:12]}",
                  camera_id=world.cameras[camera], department_id=world.almaly_id, category="traffic", type=kind,
                  occurred_at=when, received_at=when, lat=43.25, lon=76.92, record={})
    s.add(event)
    s.flush()
    row = Offence(event_id=event.id, operator_id=world.operator_id, camera_id=world.cameras[camera],
                  department_id=world.almaly_id, type=kind, plate="123ABC02", plate_country="KZ", occurred_at=when,
                  evidence={})
    s.add(row)
    s.flush()
    return row.id


def incident(s: object, world: World, camera: str, resolved: datetime, outcome: str, kind: str = "fight") -> int:
    row = Incident(department_id=world.almaly_id, camera_id=world.cameras[camera], category="public_order", type=kind,
                   priority=1, status="closed", lat=43.25, lon=76.92, first_seen_at=resolved - timedelta(hours=1),
                   last_seen_at=resolved - timedelta(hours=1), created_at=resolved - timedelta(hours=1),
                   resolved_at=resolved, closed_at=resolved, outcome=outcome)
    s.add(row)
    s.flush()
    s.add(Event(operator_id=world.operator_id, event_id=f"ev-inc-{row.id}", camera_id=world.cameras[camera],
                department_id=world.almaly_id, incident_id=row.id, category="public_order", type=kind,
                occurred_at=row.first_seen_at, received_at=row.first_seen_at, lat=43.25, lon=76.92, record={}))
    return row.id


def csv_rows(*rows: str) -> list[tuple[int, dict[str, str]]]:
    return list(read_csv(HEADER + "".join(r + "\n" for r in rows)))


@pytest.fixture
def month(app: Flask, world: World) -> dict[str, int]:
    """November as described above; returns the offence ids by decision number."""
    store: Store = app.extensions["kuzet"].store
    with store.session() as s:
        for camera in s.scalars(sa.select(Camera)):
            camera.created_at = at("2026-09-01")
        s.scalar(sa.select(Camera).where(Camera.id == world.cameras["CAM-B"])).mount_kind = "school"
        fees = {"fight:school": "15000"}
        add_contract(s, "admin", "Test Operator LLP", Terms(
            number="CN-1", valid_from=date(2026, 10, 1), fine_share_pct="25", fine_share_by_type={"red_light": "30"},
            incident_fee_kzt="5000", incident_fees_kzt=fees, uptime_target_pct="98", penalty_pct_per_point="2",
            cap_kzt="1000000"))
        add_contract(s, "admin", "Test Operator LLP", Terms(
            number="CN-1", valid_from=date(2026, 11, 15), fine_share_pct="20", incident_fee_kzt="5000",
            incident_fees_kzt=fees, uptime_target_pct="98", penalty_pct_per_point="2", cap_kzt="1000000"))
        ids = {"D-1": offence(s, world, "CAM-A", at("2026-10-20")),
               "D-2": offence(s, world, "CAM-A", at("2026-11-05"), "red_light"),
               "D-3": offence(s, world, "CAM-B", at("2026-11-08")),
               "D-4": offence(s, world, "CAM-B", at("2026-11-10")),
               "D-5": offence(s, world, "CAM-A", at("2026-11-12")),
               "none": offence(s, world, "CAM-A", at("2026-11-13"))}
        incident(s, world, "CAM-A", at("2026-11-10"), "detained")
        incident(s, world, "CAM-B", at("2026-11-25"), "administrative_protocol")
        incident(s, world, "CAM-A", at("2026-11-20"), "false_alarm")
        s.add_all([CameraHealthChange(camera_id=world.cameras["CAM-A"], from_state="online", to_state="offline",
                                      reason="test", at=at("2026-11-04", 0)),
                   CameraHealthChange(camera_id=world.cameras["CAM-A"], from_state="offline", to_state="online",
                                      reason="test", at=at("2026-11-07", 0))])
        s.flush()
        import_fines(s, "test", "test", csv_rows(
            f"{ids['D-1']},D-1,2026-10-28T10:00:00+05:00,20000,paid,2026-11-03T10:00:00+05:00,10000",
            f"{ids['D-2']},D-2,2026-11-06,15000,paid,2026-11-20T15:30:00+05:00,15000",
            f"{ids['D-3']},D-3,2026-11-09,5000,issued,,",
            f"{ids['D-4']},D-4,2026-11-11,5000,cancelled,,",
            f"{ids['D-5']},D-5,2026-11-12,8000,paid,2026-11-12T18:00:00+05:00,8000"))
    return ids


def _operator(s: object) -> Operator:
    return s.scalar(sa.select(Operator).where(Operator.name == "Test Operator LLP"))


def test_the_month_adds_up_as_computed_by_hand(app: Flask, month: dict[str, int]) -> None:
    with app.extensions["kuzet"].store.session() as s:
        content = statements.build(s, _operator(s), "2026-11", NOW)
    lines = {line["code"]: line["amount_tiyn"] for line in content["lines"]}
    assert content["fine_share_tiyn"] == 2_500_00 + 3_000_00 + 2_000_00
    assert content["incident_fees_tiyn"] == 5_000_00 + 15_000_00
    assert content["uptime_pct"] == 95.0
    assert content["uptime_penalty_tiyn"] == -1_650_00
    assert lines["cap"] == 0 and content["total_tiyn"] == 2_585_000 and content["total_kzt"] == "25850.00"
    rec = content["reconciliation"]
    assert rec["offences_registered"] == 5  # D-1 is October's
    assert (rec["fines_issued"], rec["without_fine"]) == (4, 1)
    assert rec["paid"] == {"count": 2, "amount_tiyn": 23_000_00, "paid_tiyn": 23_000_00}
    assert rec["cancelled"]["count"] == 1 and rec["appealed"]["count"] == 0
    assert rec["unpaid_by_age_days"]["8-30"] == {"count": 1, "amount_tiyn": 5_000_00}
    cameras = {c["external_id"]: c for c in content["cameras"]}
    assert cameras["CAM-A"]["uptime_pct"] == 90.0 and cameras["CAM-B"]["uptime_pct"] == 100.0
    assert (cameras["CAM-A"]["incidents_confirmed"], cameras["CAM-A"]["false_alarms"]) == (1, 1)
    assert cameras["CAM-A"]["earned_tiyn"] == 2_500_00 + 3_000_00 + 2_000_00 + 5_000_00
    assert cameras["CAM-B"]["earned_tiyn"] == 15_000_00
    for key in ("operator", "month", "fine_share_tiyn", "incident_fees_tiyn", "uptime_pct", "uptime_penalty_tiyn",
                "total_tiyn", "lines", "reconciliation", "cameras", "status", "sha256"):
        assert key in content


def test_every_entry_points_to_what_earned_it_and_the_ledger_refuses_edits(app: Flask, month: dict[str, int]) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        statements.build(s, _operator(s), "2026-11", NOW)
    with store.session() as s:
        entries = s.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.id)).all()
        fines = [e for e in entries if e.kind == ledger.FINE_SHARE]
        assert {e.offence_id for e in fines} == {month["D-1"], month["D-2"], month["D-5"]}
        assert all(e.event_id and e.fine_id and e.camera_id for e in fines)
        d2 = next(e for e in fines if e.offence_id == month["D-2"])
        assert d2.basis["share_bp"] == 2000 and d2.basis["paid_tiyn"] == 15_000_00 and d2.amount_tiyn == 3_000_00
        fees = [e for e in entries if e.kind == ledger.INCIDENT_FEE]
        assert sorted(e.amount_tiyn for e in fees) == [5_000_00, 15_000_00] and all(e.basis["events"] for e in fees)
        penalty = next(e for e in entries if e.kind == ledger.UPTIME_PENALTY)
        assert penalty.basis["uptime_pct"] == 95.0 and penalty.basis["points_below"] == 3.0
        assert all(isinstance(e.amount_tiyn, int) for e in entries)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with store.session() as s:
            s.execute(sa.text("UPDATE ledger_entries SET amount_tiyn = 1"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with store.session() as s:
            s.execute(sa.text("DELETE FROM ledger_entries"))


def test_posting_twice_adds_nothing_and_the_same_import_changes_nothing(app: Flask, month: dict[str, int]) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        statements.build(s, _operator(s), "2026-11", NOW)
        count = s.scalar(sa.select(sa.func.count(LedgerEntry.id)))
        assert ledger.post_month(s, _operator(s).id, "2026-11", NOW) == 0
        again = import_fines(s, "test", "test", csv_rows(
            f"{month['D-5']},D-5,2026-11-12,8000,paid,2026-11-12T18:00:00+05:00,8000"))
        assert (again.created, again.updated, again.unchanged, again.ledger_entries) == (0, 0, 1, 0)
        assert s.scalar(sa.select(sa.func.count(LedgerEntry.id))) == count


def test_a_cap_cuts_the_total_and_says_so(app: Flask, month: dict[str, int]) -> None:
    with app.extensions["kuzet"].store.session() as s:
        add_contract(s, "admin", "Test Operator LLP", Terms(
            number="CN-1", valid_from=date(2026, 11, 30), fine_share_pct="20", incident_fee_kzt="5000",
            incident_fees_kzt={"fight:school": "15000"}, uptime_target_pct="98", penalty_pct_per_point="2",
            cap_kzt="20000"))
        content = statements.build(s, _operator(s), "2026-11", NOW)
    lines = {line["code"]: line for line in content["lines"]}
    assert lines["subtotal"]["amount_tiyn"] == 2_585_000
    assert lines["cap"]["amount_tiyn"] == -585_000 and content["total_tiyn"] == 2_000_000


def test_an_issued_statement_is_frozen_byte_for_byte_and_journaled(app: Flask, month: dict[str, int],
                                                                    db_url: str) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        with pytest.raises(ValueError, match="ещё не закончился"):
            statements.issue(s, "admin", _operator(s), "2026-12", NOW)
        first = statements.issue(s, "admin", _operator(s), "2026-11", NOW)
        sha = first.sha256
        with pytest.raises(ValueError, match="исправлять нечего"):
            statements.issue(s, "admin", _operator(s), "2026-11", NOW + timedelta(hours=1))
        entry = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "settlement.statement.issue")).one()
        assert entry.detail["sha256"] == sha and len(entry.detail["audit_head"]) == 64
    runner = CliRunner()
    outputs = {}
    for fmt in ("json", "csv", "xlsx"):
        runs = []
        for attempt in range(2):
            if attempt and fmt == "xlsx":
                time.sleep(1.1)  # openpyxl dates what it saves: the two renders fall in different seconds
            runs.append(runner.invoke(main, ["settlement", "statement", "--operator", "Test Operator LLP", "--month",
                                             "2026-11", "--format", fmt, "--db", db_url]))
        assert all(r.exit_code == 0 for r in runs), runs[0].output
        assert runs[0].stdout_bytes == runs[1].stdout_bytes, fmt
        outputs[fmt] = runs[0].stdout_bytes
    statement = json.loads(outputs["json"])
    assert statement["status"] == "issued" and statement["sha256"] == sha and statement["total_tiyn"] == 2_585_000
    assert statements.digest(statement) == sha
    assert b"25850.00" in outputs["csv"] and b"# reconciliation" in outputs["csv"]
    with zipfile.ZipFile(io.BytesIO(outputs["xlsx"])) as book:
        assert "xl/worksheets/sheet2.xml" in book.namelist()
    ok = runner.invoke(main, ["settlement", "verify", "--operator", "Test Operator LLP", "--month", "2026-11",
                              "--db", db_url])
    assert ok.exit_code == 0 and ok.output.startswith("OK"), ok.output


def test_late_news_corrects_forward_and_a_correcting_statement_references_the_first(app: Flask,
                                                                                    month: dict[str, int],
                                                                                    db_url: str) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        first = statements.issue(s, "admin", _operator(s), "2026-11", NOW)
        # D-5 is cancelled after it was paid: taken back on the month it is learned, November stays as issued.
        import_fines(s, "test", "test", csv_rows(
            f"{month['D-5']},D-5,2026-11-12,8000,cancelled,2026-11-12T18:00:00+05:00,8000"))
        back = s.scalars(sa.select(LedgerEntry).where(LedgerEntry.amount_tiyn < 0,
                                                      LedgerEntry.kind == ledger.FINE_SHARE)).one()
        assert back.amount_tiyn == -2_000_00 and back.month == utcnow().astimezone(ALMATY).strftime("%Y-%m")
        assert back.for_month == "2026-11" and back.basis["correction_of"] == "2026-11"
        assert verify(s, _operator(s), "2026-11", NOW) == []
        # D-3, an October decision's November payment reported late: November itself is now short.
        import_fines(s, "test", "test", csv_rows(
            f"{month['D-3']},D-3,2026-11-09,5000,paid,2026-11-28T09:00:00+05:00,5000"))
        problems = verify(s, _operator(s), "2026-11", NOW)
        assert len(problems) == 2 and "correcting statement" in problems[1], problems
        assert problems[0].startswith("uptime penalty 2026-11") and "-1710.00" in problems[0]  # due, not yet posted
        second = statements.issue(s, "admin", _operator(s), "2026-11", NOW)
        content = json.loads(second.content)
        # 20 % of 5,000 = 1,000.00 more; the penalty is 6 % of 28,500.00 = 1,710.00, 60.00 more.
        assert content["corrects"] == {"version": 1, "sha256": first.sha256, "total_tiyn": 2_585_000}
        assert content["difference_tiyn"] == 1_000_00 - 60_00 and second.corrects_id == first.id
        assert json.loads(first.content)["total_tiyn"] == 2_585_000  # the first never changes


def test_verify_catches_a_tampered_ledger_row(app: Flask, month: dict[str, int], db_url: str) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        statements.issue(s, "admin", _operator(s), "2026-11", NOW)
    with store.session() as s:  # someone with the database's keys, not the application
        if s.get_bind().dialect.name == "postgresql":
            s.execute(sa.text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_append_only"))
        else:
            s.execute(sa.text("DROP TRIGGER ledger_append_only_update"))
        s.execute(sa.text("UPDATE ledger_entries SET amount_tiyn = amount_tiyn + 100000 WHERE offence_id = :o"),
                  {"o": month["D-1"]})
    result = CliRunner().invoke(main, ["settlement", "verify", "--operator", "Test Operator LLP", "--month",
                                       "2026-11", "--db", db_url])
    assert result.exit_code == 1 and "fine D-1" in result.output and "2500.00" in result.output, result.output


def test_an_import_with_one_bad_row_applies_nothing_and_names_every_error(app: Flask, month: dict[str, int],
                                                                          db_url: str, tmp_path: object) -> None:
    store = app.extensions["kuzet"].store
    with store.session() as s:
        before = s.scalar(sa.select(sa.func.count(LedgerEntry.id)))
    bad = tmp_path / "fines.csv"
    bad.write_text(HEADER + f"{month['D-3']},D-3,2026-11-09,5000,paid,2026-11-28,5000\n"
                   f"999999,X-1,2026-11-09,5000,issued,,\n"
                   f"{month['D-4']},D-9,2026-11-09,-5,paid,2026-11-01,7000\n"
                   f"{month['D-4']},D-1,2026-11-09,5000,issued,,\n"
                   f"abc,D-10,yesterday,5000,lost,,\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["fines", "import", str(bad), "--db", db_url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    text = result.output
    assert "line 3, offence_id: no offence 999999" in text
    assert "line 4, amount_kzt" in text and "line 4, paid_at: paid before it was issued" in text
    assert "line 5, decision_no: decision D-1 belongs to offence" in text
    assert "line 6, offence_id" in text and "line 6, issued_at" in text and "line 6, status" in text
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count(LedgerEntry.id))) == before, "half an import was applied"
        kept = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "fines.import.rejected")).one()
        assert kept.detail["errors"] >= 6
    header = CliRunner().invoke(main, ["fines", "import", str(_write(tmp_path, "a,b\n1,2\n")), "--db", db_url])
    assert header.exit_code == 1 and "header lacks" in header.output


def _write(folder: object, text: str) -> object:
    path = folder / "other.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fines_api_takes_its_own_key_only(app: Flask, client: FlaskClient, world: World,
                                              month: dict[str, int]) -> None:
    from services.access.service_keys import issue_service_key

    with app.extensions["kuzet"].store.session() as s:
        key = issue_service_key(s, "admin", "fines", "test")
    body = HEADER + f"{month['D-3']},D-3,2026-11-09,5000,paid,2026-11-28,5000\n"
    operator_key = client.post("/api/v1/fines:import", data=body, content_type="text/csv",
                               headers={"Authorization": f"Bearer {world.api_key}"})
    assert operator_key.status_code == 401
    good = client.post("/api/v1/fines:import", data=body, content_type="text/csv",
                       headers={"Authorization": f"Bearer {key}"})
    assert good.status_code == 200 and good.get_json()["updated"] == 1 and good.get_json()["ledger_entries"] == 1
    bad = client.post("/api/v1/fines:import", json={"rows": [{"offence_id": "x"}]},
                      headers={"Authorization": f"Bearer {key}"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert any(e["column"] == "decision_no" and e["line"] == "1" for e in bad.get_json()["errors"])
    assert client.post("/api/v1/fines:import", data=b"\xff\xfe", content_type="text/csv",
                       headers={"Authorization": f"Bearer {key}"}).status_code == 400


def test_contracts_refuse_overlaps_and_nonsense(app: Flask, world: World, db_url: str) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["contracts", "add", "--operator", "Test Operator LLP", "--number", "A-1", "--from",
                              "2026-01-01", "--to", "2026-12-31", "--fine-share-pct", "12.5", "--incident-fee-kzt",
                              "5000", "--incident-fee", "fight:school=15000", "--uptime-target-pct", "98",
                              "--penalty-pct-per-point", "2", "--cap-kzt", "500000", "--db", db_url])
    assert ok.exit_code == 0, ok.output
    for args, reason in [(["--number", "B-1", "--from", "2026-06-01", "--fine-share-pct", "10"], "already covers"),
                         (["--number", "A-1", "--from", "2026-01-01", "--fine-share-pct", "10"], "already has"),
                         (["--number", "C-1", "--from", "2027-01-01", "--fine-share-pct", "101"], "between 0 and 100"),
                         (["--number", "C-1", "--from", "2027-01-01", "--fine-share-pct", "1.005"], "two decimals"),
                         (["--number", "C-1", "--from", "2027-01-01", "--fine-share-pct", "5", "--incident-fee",
                           "fight=1"], "TYPE:MOUNT_KIND"),
                         (["--number", "C-1", "--from", "2027-01-02", "--to", "2027-01-01", "--fine-share-pct", "5"],
                          "ends before")]:
        with speaking("en"):  # the reasons in English, whichever language the command line speaks by default
            result = runner.invoke(main, ["contracts", "add", "--operator", "Test Operator LLP", *args, "--db", db_url])
        assert result.exit_code == 1 and reason in result.output and "Traceback" not in result.output, result.output
    listed = runner.invoke(main, ["contracts", "list", "--db", db_url])
    assert "A-1" in listed.output and "share 12.5 %" in listed.output
