"""The admin console's users, API keys and audit journal: the service functions the CLI and the pages share
(each journaled under who acted), the pages' callbacks as an admin sends them, and as a duty officer forges them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from dashboard.callbacks.audit import almaty_moment
from layouts import audit as audit_ids
from layouts import keys as key_ids
from layouts import users as user_ids
from services.access import operators, sessions, users
from services.access.throttle import LoginGuard, MemoryCounters
from services.store import audit
from services.store.models import (
    ApiKey,
    AuditEntry,
    DepartmentGrant,
    LoginSession,
    Operator,
    User,
)
from tests.conftest import PASSWORD, World, login
from tests.integration.test_boundaries_console import _callback

NEW_PASSWORD = "a quiet river at dawn"


def _store(app: Flask) -> Any:
    return app.extensions["kuzet"].store


def _journal(app: Flask, action: str) -> list[AuditEntry]:
    with _store(app).session() as s:
        entries = list(s.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
        s.expunge_all()
        return entries


def _post(client: FlaskClient, first_output: str, trigger: str, inputs: list[str], state: list[dict]) -> str:
    """Send one callback as the browser would: ``trigger`` clicked, the other ``inputs`` (buttons) never."""
    key, outputs = _callback(client, first_output)
    answer = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{"id": i, "property": "n_clicks", "value": 1 if i == trigger else None} for i in inputs],
        "state": state, "changedPropIds": [f"{trigger}.n_clicks"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    text = json.dumps(answer.get_json(), ensure_ascii=False)
    assert "Traceback" not in text
    return text


def _create(client: FlaskClient, username: str, role: str, department: str | None, password: str) -> str:
    return _post(client, f"{user_ids.CREATE_FEEDBACK}.children", user_ids.CREATE, [user_ids.CREATE], [
        {"id": user_ids.NEW_USERNAME, "property": "value", "value": username},
        {"id": user_ids.NEW_ROLE, "property": "value", "value": role},
        {"id": user_ids.NEW_DEPARTMENT, "property": "value", "value": department},
        {"id": user_ids.NEW_OPERATOR, "property": "value", "value": None},
        {"id": user_ids.NEW_PASSWORD, "property": "value", "value": password}])


def _account(client: FlaskClient, button: str, account: str, password: str = "", department: str = "") -> str:
    return _post(client, f"{user_ids.ACCOUNT_FEEDBACK}.children", button, list(user_ids.ACCOUNT_BUTTONS), [
        {"id": user_ids.ACCOUNT, "property": "value", "value": account},
        {"id": user_ids.RESET_PASSWORD, "property": "value", "value": password},
        {"id": user_ids.GRANT_DEPARTMENT, "property": "value", "value": department}])


# --- the services, as both doors call them ---


def test_add_user_checks_the_password_rules_and_journals_who_added(app: Flask, world: World) -> None:
    with _store(app).session() as s:
        with pytest.raises(ValueError, match="12"):
            users.add_user(s, "admin", "petrov", "short", "duty_officer", "almaty-almaly")
        users.add_user(s, "admin", "petrov", NEW_PASSWORD, "duty_officer", "almaty-almaly")
    entry = _journal(app, "admin.user.add")[-1]
    assert (entry.actor, entry.subject, entry.detail["role"]) == ("admin", "petrov", "duty_officer")


def test_reset_password_ends_every_login_and_disable_enable_round_trip(app: Flask, world: World) -> None:
    with _store(app).session() as s:
        user = users.find_user(s, "duty.a")
        sessions.open_session(s, user, "web")
        with pytest.raises(ValueError):
            users.reset_password(s, "admin", "duty.a", "duty.a12")
        assert len(users.reset_password(s, "admin", "duty.a", NEW_PASSWORD)) == 1
        assert users.authenticate(s, "duty.a", NEW_PASSWORD, LoginGuard(MemoryCounters())).username == "duty.a"
        sessions.disable_user(s, "admin", "duty.a")
        assert sessions.enable_user(s, "admin", "duty.a") is True
        assert sessions.enable_user(s, "admin", "duty.a") is False
        assert users.find_user(s, "duty.a").active
    assert [e.actor for e in _journal(app, "admin.user.reset_password")] == ["admin"]
    assert len(_journal(app, "admin.user.enable")) == 1


def test_unlock_forgets_the_failures_from_every_address(app: Flask, world: World) -> None:
    guard = LoginGuard(MemoryCounters(), attempts=3)
    for address in ("10.0.0.1", "10.0.0.2"):
        for _ in range(3):
            guard.claim("duty.a", address)
    assert guard.locked_for("duty.a") > 0 and guard.locked_for("duty.b") == 0
    with _store(app).session() as s:
        row = next(r for r in users.user_rows(s, guard) if r["username"] == "duty.a")
        assert row["locked_until"] is not None
        assert users.unlock_user(s, "admin", "duty.a", guard) == 2
    assert guard.locked_for("duty.a") == 0 and guard.claim("duty.a", "10.0.0.1")
    assert _journal(app, "admin.user.unlock")[-1].detail == {"addresses": 2}


def test_unlock_reaches_the_counters_every_web_process_shares(redis_url: str, redis_prefix: str) -> None:
    from services.access.throttle import RedisCounters

    guard = LoginGuard(RedisCounters(redis_url, redis_prefix), attempts=2)
    for address in ("10.0.0.1", "::1"):
        guard.claim("duty*[a]", address)
        guard.claim("duty*[a]", address)
    guard.claim("duty-a", "10.0.0.1")  # a glob-alike name is matched literally, not as a pattern
    assert guard.locked_for("duty*[a]") > 0 and guard.locked_for("duty-a") == 0
    assert guard.unlock("duty*[a]") == 2 and guard.locked_for("duty*[a]") == 0
    assert guard.counters.find("fail:", ":duty-a")


def test_the_cli_uses_the_same_functions(app: Flask, world: World, db_url: str) -> None:
    from dashboard.cli import main

    runner = CliRunner()
    done = runner.invoke(main, ["users", "reset-password", "--db", db_url, "duty.b", "--password-stdin"],
                         input=f"{NEW_PASSWORD}\n")
    assert done.exit_code == 0, done.output
    weak = runner.invoke(main, ["users", "reset-password", "--db", db_url, "duty.b", "--password-stdin"],
                         input="duty.b2026\n")
    assert weak.exit_code == 1 and "at least 12" in weak.output  # the CLI speaks English
    assert runner.invoke(main, ["users", "disable", "--db", db_url, "duty.b"]).exit_code == 0
    assert "enabled" in runner.invoke(main, ["users", "enable", "--db", db_url, "duty.b"]).output
    added = runner.invoke(main, ["operators", "key-add", "--db", db_url, "Test Operator LLP", "--label", "x"])
    assert added.exit_code == 0 and "kz_" in added.output
    missing = runner.invoke(main, ["operators", "key-add", "--db", db_url, "No Such LLP"])
    assert missing.exit_code == 1 and "no operator" in missing.output
    assert [e.actor for e in _journal(app, "admin.user.reset_password")] == ["cli"]
    assert [e.actor for e in _journal(app, "admin.key.add")] == ["cli"]


def test_keys_are_issued_listed_and_revoked_through_the_service(app: Flask, world: World) -> None:
    with _store(app).session() as s:
        key = operators.add_key(s, "admin", "Test Operator LLP", "  rotation\n2026 ")
        prefix = key.split("_")[1]
        row = next(r for r in operators.key_rows(s) if r["prefix"] == prefix)
        assert row["label"] == "rotation 2026" and row["revoked_at"] is None and "key" not in row
        operators.revoke_operator_key(s, "admin", "Test Operator LLP", prefix)
        with pytest.raises(ValueError):
            operators.revoke_operator_key(s, "admin", "Other Operator LLP", prefix)
        assert operators.authenticate_key(s, key) is None
    assert [e.detail["prefix"] for e in _journal(app, "admin.key.revoke")] == [prefix]


def test_the_journal_is_searched_by_actor_action_target_and_time(app: Flask, world: World) -> None:
    with _store(app).session() as s:
        for i in range(3):
            audit.record(s, "admin", "admin.user.add", f"user_{i}%")
        audit.record(s, "cli", "admin.key.add", "Test Operator LLP")
    with _store(app).session() as s:
        found, total = audit.search(s, actor="admin", action="admin.user.add", limit=2)
        assert total == 3 and [e.subject for e in found] == ["user_2%", "user_1%"]
        assert audit.search(s, subject="_1%")[1] == 1  # LIKE's wildcards are taken literally
        assert audit.search(s, since=almaty_moment("2000-01-01"), until=almaty_moment("2001-01-01 00:00"))[1] == 0
        assert "admin.key.add" in audit.actions(s)
    with pytest.raises(ValueError):
        almaty_moment("yesterday")
    assert almaty_moment("2026-05-01 08:00").isoformat() == "2026-05-01T03:00:00+00:00"  # Almaty is UTC+5


# --- the pages' callbacks, as an admin sends them ---


def test_an_admin_creates_a_user_and_manages_the_account(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "admin")
    weak = _create(client, "sidorov", "duty_officer", "almaty-almaly", "qwertyuiop12")
    assert "слишком распространённый" in weak
    assert "нужен отдел" in _create(client, "sidorov", "duty_officer", None, NEW_PASSWORD)
    done = _create(client, "sidorov", "trainer", "almaty-almaly", NEW_PASSWORD)
    assert "Пользователь sidorov создан" in done and '"sidorov"' in done
    assert "уже есть" in _create(client, "sidorov", "trainer", "almaty-almaly", NEW_PASSWORD)
    reset = _account(client, user_ids.RESET, "sidorov", "another long passphrase")
    assert "пароль изменён; завершено 0 сеансов" in reset
    assert "отключён" in _account(client, user_ids.DISABLE, "sidorov")
    assert "Нельзя отключить" in _account(client, user_ids.DISABLE, "admin")
    assert "снова может входить" in _account(client, user_ids.ENABLE, "sidorov")
    assert "не был заблокирован" in _account(client, user_ids.UNLOCK, "sidorov")
    assert "выдан" in _account(client, user_ids.GRANT, "sidorov", department="almaty-bostandyk")
    assert "только инструкторам" in _account(client, user_ids.GRANT, "duty.a", department="almaty-bostandyk")
    assert "Сначала выберите пользователя" in _account(client, user_ids.DISABLE, "")
    assert "нет пользователя" in _account(client, user_ids.DISABLE, "nobody")
    with _store(app).session() as s:
        user = s.scalar(sa.select(User).where(User.username == "sidorov"))
        assert user.active and user.role == "trainer"
        assert s.scalar(sa.select(sa.func.count()).select_from(DepartmentGrant)
                        .where(DepartmentGrant.user_id == user.id)) == 1
    actions = [(e.action, e.actor) for e in _journal(app, "admin.user.add") + _journal(app, "admin.user.disable")]
    assert ("admin.user.add", "admin") in actions and ("admin.user.disable", "admin") in actions


def test_an_admin_issues_a_key_once_and_revokes_it(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "admin")
    text = _post(client, f"{key_ids.NEW_KEY_BOX}.children", key_ids.CREATE, [key_ids.CREATE], [
        {"id": key_ids.OPERATOR, "property": "value", "value": "Test Operator LLP"},
        {"id": key_ids.LABEL, "property": "value", "value": "rotation"}])
    assert "kz_" in text and "не будет" in text
    with _store(app).session() as s:
        key = s.scalar(sa.select(ApiKey).where(ApiKey.label == "rotation"))
        prefix = key.prefix
    page = client.get("/admin/keys")  # the shell: the key itself is never served again
    assert "kz_" not in page.get_data(as_text=True)
    revoked = _post(client, f"{key_ids.FEEDBACK}.children", key_ids.REVOKE, [key_ids.REVOKE], [
        {"id": key_ids.GRID, "property": "selectedRows", "value": [{"operator": "Test Operator LLP",
                                                                    "prefix": prefix}]}])
    assert f"Ключ {prefix}" in revoked and "отозван" in revoked
    nothing = _post(client, f"{key_ids.FEEDBACK}.children", key_ids.REVOKE, [key_ids.REVOKE], [
        {"id": key_ids.GRID, "property": "selectedRows", "value": "junk"}])
    assert "Сначала выберите ключ" in nothing
    assert [e.actor for e in _journal(app, "admin.key.add")] == ["admin"]
    assert [e.actor for e in _journal(app, "admin.key.revoke")] == ["admin"]


def _show(client: FlaskClient, trigger: str = audit_ids.APPLY, offset: Any = 0, **filters: Any) -> str:
    return _post(client, f"{audit_ids.GRID}.rowData", trigger, [audit_ids.APPLY, audit_ids.PREVIOUS, audit_ids.NEXT], [
        {"id": audit_ids.ACTOR, "property": "value", "value": filters.get("actor")},
        {"id": audit_ids.ACTION, "property": "value", "value": filters.get("action")},
        {"id": audit_ids.SUBJECT, "property": "value", "value": filters.get("subject")},
        {"id": audit_ids.SINCE, "property": "value", "value": filters.get("since")},
        {"id": audit_ids.UNTIL, "property": "value", "value": filters.get("until")},
        {"id": audit_ids.OFFSET, "property": "data", "value": offset}])


def test_an_admin_filters_pages_and_verifies_the_journal(app: Flask, client: FlaskClient, world: World) -> None:
    with _store(app).session() as s:
        audit.record_many(s, [("cli", "admin.test", f"t{i}", {}) for i in range(60)])
    login(client, "admin")
    first = json.loads(_show(client, action="admin.test"))
    assert len(first["response"][audit_ids.GRID]["rowData"]) == 50
    assert first["response"][audit_ids.OFFSET]["data"] == 0
    older = json.loads(_show(client, audit_ids.NEXT, offset=0, action="admin.test"))
    assert len(older["response"][audit_ids.GRID]["rowData"]) == 10 and "51–60 из 60" in json.dumps(
        older, ensure_ascii=False)
    assert "Укажите время" in _show(client, since="tomorrow")
    assert "позже его начала" in _show(client, since="2026-05-02", until="2026-05-01")
    assert "Записей нет" in _show(client, actor="nobody")
    verdict = _post(client, f"{audit_ids.VERDICT}.children", audit_ids.VERIFY, [audit_ids.VERIFY], [])
    assert "Журнал цел" in verdict
    with _store(app).session() as s:
        s.execute(sa.update(AuditEntry).where(AuditEntry.subject == "t7").values(subject="forged"))
    broken = _post(client, f"{audit_ids.VERDICT}.children", audit_ids.VERIFY, [audit_ids.VERIFY], [])
    assert "НАРУШЕН" in broken and "не совпадает с хешем" in broken


# --- forged: a duty officer posting to the admin callbacks ---


def test_a_duty_officer_is_refused_every_admin_callback(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    before = len(_journal(app, "admin.user.add"))
    assert "Только для администраторов" in _create(client, "mole", "admin", None, NEW_PASSWORD)
    for button in (user_ids.RESET, user_ids.DISABLE, user_ids.UNLOCK, user_ids.GRANT):
        assert "Только для администраторов" in _account(client, button, "admin", NEW_PASSWORD, "almaty-almaly")
    created = _post(client, f"{key_ids.NEW_KEY_BOX}.children", key_ids.CREATE, [key_ids.CREATE], [
        {"id": key_ids.OPERATOR, "property": "value", "value": "Test Operator LLP"},
        {"id": key_ids.LABEL, "property": "value", "value": "mole"}])
    assert "Только для администраторов" in created and "kz_" not in created
    assert "Только для администраторов" in _show(client)
    assert "Только для администраторов" in _post(client, f"{audit_ids.VERDICT}.children", audit_ids.VERIFY,
                                                 [audit_ids.VERIFY], [])
    with _store(app).session() as s:
        assert s.scalar(sa.select(User).where(User.username == "mole")) is None
        admin = s.scalar(sa.select(User).where(User.username == "admin"))
        assert admin.active and users._verify(admin.password_hash, PASSWORD)
        assert s.scalar(sa.select(ApiKey).where(ApiKey.label == "mole")) is None
        assert s.scalar(sa.select(sa.func.count()).select_from(LoginSession)
                        .where(LoginSession.revoked_at.is_not(None))) == 0
    assert len(_journal(app, "admin.user.add")) == before


def test_an_admin_registers_an_operator_with_its_first_key(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "admin")
    made = _post(client, f"{key_ids.NEW_KEY_BOX}.children@", key_ids.ADD_OPERATOR, [key_ids.ADD_OPERATOR], [
        {"id": key_ids.NEW_OPERATOR, "property": "value", "value": "  Qala   Vision LLP "}])
    assert "kz_" in made and "Qala Vision LLP" in made  # the key once, and the operator in the picker
    again = _post(client, f"{key_ids.NEW_KEY_BOX}.children@", key_ids.ADD_OPERATOR, [key_ids.ADD_OPERATOR], [
        {"id": key_ids.NEW_OPERATOR, "property": "value", "value": "Qala Vision LLP"}])
    assert "kz_" not in again and "уже" in again
    with _store(app).session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ApiKey).join(Operator)
                        .where(Operator.name == "Qala Vision LLP")) == 1
    assert [e.actor for e in _journal(app, "admin.operator.add")] == ["admin"]
    login(client, "duty.a")
    refused = _post(client, f"{key_ids.NEW_KEY_BOX}.children@", key_ids.ADD_OPERATOR, [key_ids.ADD_OPERATOR], [
        {"id": key_ids.NEW_OPERATOR, "property": "value", "value": "Mole LLP"}])
    assert "Только для администраторов" in refused and "kz_" not in refused
