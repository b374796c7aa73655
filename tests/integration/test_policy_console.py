"""The policy and SOP editors' callbacks as forged by a duty officer: refused in words, nothing stored."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from layouts import policy as ids
from services.store.models import PriorityRule, SopStep
from tests.conftest import World, login
from tests.integration.test_boundaries_console import _callback


def _post(client: FlaskClient, first_output: str, trigger: str, state: list[dict]) -> str:
    key, outputs = _callback(client, first_output)
    answer = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{"id": trigger, "property": "n_clicks", "value": 1}], "state": state,
        "changedPropIds": [f"{trigger}.n_clicks"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return json.dumps(answer.get_json(), ensure_ascii=False)


def test_a_duty_officer_cannot_set_a_rule_or_a_checklist(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    rule = _post(client, f"{ids.RULE_FEEDBACK}.children", ids.RULE_SAVE, [
        {"id": ids.RULE_TYPE, "property": "value", "value": "vandalism"},
        {"id": ids.RULE_DEPARTMENT, "property": "value", "value": ids.ANY},
        {"id": ids.RULE_MOUNT, "property": "value", "value": ids.ANY},
        {"id": ids.RULE_NIGHT, "property": "checked", "value": False},
        {"id": ids.RULE_CONFIDENCE, "property": "value", "value": None},
        {"id": ids.RULE_PRIORITY, "property": "value", "value": "1"}])
    steps = _post(client, f"{ids.SOP_FEEDBACK}.children@", ids.SOP_SAVE, [
        {"id": ids.SOP_TYPE, "property": "value", "value": "fight"},
        {"id": ids.SOP_STEPS, "property": "virtualRowData", "value": [{"text": "forged", "mandatory": True}]}])
    assert "Только для администраторов" in rule and "Только для администраторов" in steps
    with app.extensions["kuzet"].store.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PriorityRule).where(
            PriorityRule.incident_type == "vandalism", PriorityRule.priority == 1)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(SopStep).where(SopStep.text == "forged")) == 0


def test_an_admin_gets_words_for_a_bad_checklist(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, "admin")
    text = _post(client, f"{ids.SOP_FEEDBACK}.children@", ids.SOP_SAVE, [
        {"id": ids.SOP_TYPE, "property": "value", "value": "fight"},
        {"id": ids.SOP_STEPS, "property": "virtualRowData", "value": [{"text": "   ", "mandatory": True}, "junk"]}])
    assert "Traceback" not in text and "Сохранено" not in text and "children" in text
