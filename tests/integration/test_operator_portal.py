"""The operator's portal: an operator's login sees its own figures, statements, dead letters and keys, nothing else."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from services.access.users import create_user
from services.errors import NotFound
from services.settlement import portal
from services.store.models import ApiKey, Operator, User
from tests.conftest import PASSWORD, World, event, login


def _logins(app: Flask, world: World) -> dict[str, int]:
    with app.extensions["kuzet"].store.session() as s:
        create_user(s, "op.test", PASSWORD, "operator", None, operator_name="Test Operator LLP")
        create_user(s, "op.other", PASSWORD, "operator", None, operator_name="Other Operator LLP")
        return {o.name: o.id for o in s.scalars(sa.select(Operator))}


def test_an_operators_login_reaches_its_portal_only(app: Flask, client: FlaskClient, world: World) -> None:
    ids = _logins(app, world)
    login(client, "op.test")
    own = client.get(f"/api/v1/operators/{ids['Test Operator LLP']}/statements/2026-11")
    assert own.status_code == 200 and own.get_json()["operator"] == "Test Operator LLP"
    other = client.get(f"/api/v1/operators/{ids['Other Operator LLP']}/statements/2026-11")
    assert other.status_code == 404 and "Other Operator" not in other.get_data(as_text=True)
    for path in ("/api/v1/incidents", "/api/v1/units", f"/api/v1/cameras/{world.cameras['CAM-A']}",
                 "/api/v1/offences.csv", "/api/v1/stats", f"/api/v1/operators/{ids['Test Operator LLP']}/uptime"):
        answer = client.get(path)
        assert answer.status_code in (403, 404), (path, answer.status_code)
    issue = client.post(f"/api/v1/operators/{ids['Test Operator LLP']}/statements/2026-11/issue")
    assert issue.status_code == 403


def test_the_police_see_no_operators_statement_but_admins_do(app: Flask, world: World) -> None:
    ids = _logins(app, world)
    officer = app.test_client()
    login(officer, "duty.a")
    assert officer.get(f"/api/v1/operators/{ids['Test Operator LLP']}/statements/2026-11").status_code == 404
    admin = app.test_client()
    login(admin, "admin")
    assert admin.get(f"/api/v1/operators/{ids['Test Operator LLP']}/statements/2026-11").status_code == 200


def test_the_portal_page_and_forged_callbacks_stay_inside_the_operator(app: Flask, client: FlaskClient,
                                                                       world: World) -> None:
    _logins(app, world)
    client.post("/api/v1/events", json=event(), headers={"Authorization": f"Bearer {world.other_key}"})
    login(client, "op.test")
    client.get("/_dash-layout")
    dash_app = app.extensions["dash"]
    page_output = next(k for k in dash_app.callback_map if "_pages_content" in k)

    def render(path: str) -> str:
        spec = dash_app.callback_map[page_output]
        inputs = [{"id": i["id"], "property": i["property"], "value": path if i["property"] == "pathname" else None}
                  for i in spec["inputs"]]
        state = [{"id": s["id"], "property": s["property"], "value": None} for s in spec.get("state", [])]
        body = {"output": page_output, "outputs": [{"id": "_pages_content", "property": "children"},
                                                   {"id": "_pages_store", "property": "data"}],
                "inputs": inputs, "state": state, "changedPropIds": ["_pages_location.pathname"]}
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        return answer.get_data(as_text=True)

    portal_page = render("/operators")
    assert "Test Operator LLP" in portal_page and "Other Operator LLP" not in portal_page
    for path in ("/wall", "/cameras", "/incidents", "/coverage", "/stats", "/replay", "/settlement",
                 "/admin/dead-letters"):
        shown = render(path)
        assert "CAM-A" not in shown and "Other Operator" not in shown and "denied" in shown, path


def test_keys_are_the_operators_own(app: Flask, world: World) -> None:
    _logins(app, world)
    with app.extensions["kuzet"].store.session() as s:
        mine = s.scalar(sa.select(User).where(User.username == "op.test"))
        theirs = s.scalar(sa.select(User).where(User.username == "op.other"))
        key = portal.create_key(s, mine, "  nightly <b>upload</b> ")
        prefix = key.split("_")[1]
        listed = portal.keys(s, portal.own_operator(s, mine))
        assert prefix in {k["prefix"] for k in listed} and all("key_hash" not in k for k in listed)
        try:
            portal.revoke_own_key(s, theirs, prefix)
            raise AssertionError("another operator revoked the key")
        except NotFound:
            pass
        portal.revoke_own_key(s, mine, prefix)
        assert s.scalar(sa.select(ApiKey.revoked_at).where(ApiKey.prefix == prefix)) is not None
        officer = s.scalar(sa.select(User).where(User.username == "duty.a"))
        try:
            portal.create_key(s, officer, "x")
            raise AssertionError("a duty officer made an operator's key")
        except Exception as refused:  # noqa: BLE001 - Forbidden, from the permission table
            assert "не может" in str(refused)


def test_operator_logins_need_an_operator_and_no_department(app: Flask, world: World) -> None:
    import pytest

    from services.i18n import speaking

    with speaking("en"), app.extensions["kuzet"].store.session() as s:  # the refusals as the CLI says them
        with pytest.raises(ValueError, match="needs --operator"):
            create_user(s, "op.x", PASSWORD, "operator", None)
        with pytest.raises(ValueError, match="no operator"):
            create_user(s, "op.y", PASSWORD, "operator", None, operator_name="Nobody LLP")
        with pytest.raises(ValueError, match="only an operator"):
            create_user(s, "duty.z", PASSWORD, "duty_officer", "almaty-almaly", operator_name="Test Operator LLP")


def test_an_admin_adds_contract_terms_and_issues_on_the_page(app: Flask, client: FlaskClient, world: World) -> None:
    from layouts import settlement as ids
    from services.store.models import Contract

    login(client, "admin")
    client.get("/_dash-layout")
    dash_app = app.extensions["dash"]
    output = next(k for k in dash_app.callback_map if ids.CONTRACTS in k and ids.FEEDBACK in k)
    spec = dash_app.callback_map[output]
    operator_id = str(world.operator_id)

    def add(**values: str) -> str:
        state = [{"id": s["id"], "property": s["property"], "value": values.get(s["id"])} for s in spec["state"]]
        body = {"output": output, "outputs": [{"id": ids.FEEDBACK, "property": "children"},
                                              {"id": ids.CONTRACTS, "property": "rowData"}],
                "inputs": [{"id": ids.C_SAVE, "property": "n_clicks", "value": 1}], "state": state,
                "changedPropIds": [f"{ids.C_SAVE}.n_clicks"]}
        answer = client.post("/_dash-update-component", json=body)
        assert answer.status_code == 200
        return str(answer.get_json()["response"][ids.FEEDBACK]["children"])

    bad = add(**{ids.C_OPERATOR: operator_id, ids.C_NUMBER: "P-1", ids.C_FROM: "1 ноября", ids.C_SHARE: "25"})
    assert "Условия не добавлены" in bad and "ГГГГ-ММ-ДД" in bad
    good = add(**{ids.C_OPERATOR: operator_id, ids.C_NUMBER: "P-1", ids.C_FROM: "2026-11-01", ids.C_SHARE: "25",
                  ids.C_FEE: "5000", ids.C_TARGET: "98", ids.C_PENALTY: "2", ids.C_CAP: "1000000",
                  ids.C_SHARE_BY_TYPE: "red_light=30", ids.C_FEES: "fight:school=15000, *:kindergarten=12000"})
    assert "P-1" in good and "добавлены" in good
    with app.extensions["kuzet"].store.session() as s:
        contract = s.scalars(sa.select(Contract)).one()
        assert (contract.fine_share_bp, contract.incident_fee_tiyn, contract.cap_tiyn) == (2500, 500000, 100000000)
        assert contract.fine_share_by_type == {"red_light": 3000}
        assert contract.incident_fees == {"fight:school": 1500000, "*:kindergarten": 1200000}
        assert s.scalar(sa.select(sa.func.count()).select_from(sa.text("audit_log"))
                        .where(sa.text("action = 'admin.contract.add'"))) == 1
    officer = app.test_client()
    login(officer, "duty.a")
    officer.get("/_dash-layout")
    body = {"output": output, "outputs": [{"id": ids.FEEDBACK, "property": "children"},
                                          {"id": ids.CONTRACTS, "property": "rowData"}],
            "inputs": [{"id": ids.C_SAVE, "property": "n_clicks", "value": 1}],
            "state": [{"id": s["id"], "property": s["property"], "value": "2027-01-01"} for s in spec["state"]],
            "changedPropIds": [f"{ids.C_SAVE}.n_clicks"]}
    answer = officer.post("/_dash-update-component", json=body)
    assert answer.status_code in (200, 204) and "P-1" not in str(answer.get_json(silent=True))
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count(Contract.id))) == 1
