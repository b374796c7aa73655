"""Both doors are the same door: every role against every action, through REST and through forged Dash callbacks.

For each (role, action) a fresh target is set up in the same state twice; one copy is acted on over the REST
API, the other through the real ``/_dash-update-component`` endpoint with forged inputs, as an attacker would
send them. Both must agree with the permission table: allowed means the record changed, refused means nothing
was written (no note, no tick, no history entry, no incident).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from layouts import incident as case_ids
from layouts import wall as wall_ids
from services.access.permissions import PERMISSIONS, Action, table_markdown
from services.duty.incidents import open_incident
from services.store.models import (Camera, Incident, IncidentNote, IncidentUnit, Role, SopStep, SopTick, Unit,
                                   UnitStatus, utcnow)
from tests.conftest import credentials, ALMALY_POINT, World, login

USERS = {Role.DUTY_OFFICER: "duty.a", Role.SUPERVISOR: "super.a", Role.CHIEF: "chief", Role.TRAINER: "trainer.a",
         Role.ADMIN: "admin"}


def _fresh(app: Flask, world: World, status: str = "new", kind: str = "fight") -> int:
    """An incident of CAM-A in ``status``, every unit available again."""
    with app.extensions["kuzet"].store.session() as s:
        camera = s.get(Camera, world.cameras["CAM-A"])
        incident = open_incident(s, camera, kind, "public_order", 2, utcnow(), camera.lat, camera.lon)
        incident.status = status
        s.execute(sa.update(IncidentUnit).where(IncidentUnit.released_at.is_(None)).values(released_at=utcnow()))
        s.execute(sa.update(Unit).values(status=UnitStatus.AVAILABLE.value))
        s.flush()
        return incident.id


def _dash(client: FlaskClient, app: Flask, input_id: Any, prop: str, value: Any,
          states: dict[str, Any]) -> str:
    """POST the callback whose input is ``input_id`` as the browser would, with forged values; the answer's text."""
    dash_app = app.extensions["dash"]
    pattern = isinstance(input_id, dict)
    wanted = input_id["type"] if pattern else input_id

    def matches(spec: dict[str, Any]) -> bool:
        ident = spec["id"]
        if pattern:
            return ident.startswith("{") and json.loads(ident).get("type") == wanted
        return ident == wanted

    key, entry = next((k, v) for k, v in dash_app.callback_map.items() if any(matches(i) for i in v["inputs"]))
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outputs = [{"id": p.split(".", 1)[0], "property": p.split(".", 1)[1]} for p in parts]
    if pattern:
        inputs: list[Any] = [[{"id": input_id, "property": prop, "value": value}]]
        changed = json.dumps(input_id, sort_keys=True, separators=(",", ":")) + f".{prop}"
    else:
        inputs = [{"id": input_id, "property": prop, "value": value}]
        changed = f"{input_id}.{prop}"
    state = [{"id": s["id"], "property": s["property"], "value": states.get(s["id"])} for s in entry["state"]]
    response = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs, "state": state,
        "changedPropIds": [changed]})
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return json.dumps(response.get_json(), ensure_ascii=False) if response.status_code == 200 else ""


def _status(app: Flask, incident_id: int) -> str:
    with app.extensions["kuzet"].store.session() as s:
        return s.get(Incident, incident_id).status


def _count(app: Flask, model: Any, **where: Any) -> int:
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def _first_step(app: Flask, kind: str = "fight") -> int:
    with app.extensions["kuzet"].store.session() as s:
        return s.scalar(sa.select(SopStep.id).where(SopStep.incident_type == kind).order_by(SopStep.position))


def test_every_role_gets_the_same_answer_from_rest_and_from_dash(app: Flask, world: World) -> None:
    clients: dict[Role, FlaskClient] = {}
    tokens: dict[Role, dict[str, str]] = {}
    for role, username in USERS.items():
        clients[role] = app.test_client()
        login(clients[role], username)
        clients[role].get("/_dash-layout")
        token = clients[role].post("/api/v1/auth/token", json=credentials(username))
        tokens[role] = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    wall_state = {wall_ids.DEPARTMENT: world.almaly_id}

    def wall(role: Role, button: str, incident_id: int, **extra: Any) -> str:
        return _dash(clients[role], app, button, "n_clicks", 1,
                     {**wall_state, wall_ids.QUEUE: [{"id": incident_id}], **extra})

    def case(role: Role, input_id: Any, incident_id: int, prop: str = "n_clicks", value: Any = 1,
             **extra: Any) -> str:
        return _dash(clients[role], app, input_id, prop, value, {case_ids.INCIDENT: incident_id, **extra})

    def rest_transition(role: Role, incident_id: int, **body: Any) -> int:
        return clients[role].post(f"/api/v1/incidents/{incident_id}/transitions", json=body,
                                  headers=tokens[role]).status_code

    # action -> (state to set up, REST door, Dash door, did it happen?)
    Door = Callable[[Role, int], Any]
    cases: dict[Action, tuple[str, Door, Door, Callable[[int], bool]]] = {
        Action.ACKNOWLEDGE: ("new", lambda r, i: rest_transition(r, i, action="acknowledge"),
                             lambda r, i: wall(r, wall_ids.ACK, i),
                             lambda i: _status(app, i) == "acknowledged"),
        Action.DISPATCH: ("acknowledged", lambda r, i: rest_transition(r, i, action="dispatch", nearest=True),
                          lambda r, i: wall(r, wall_ids.DISPATCH, i),
                          lambda i: _status(app, i) == "dispatched"),
        Action.HOLD: ("acknowledged", lambda r, i: rest_transition(r, i, action="hold", reason="waiting"),
                      lambda r, i: case(r, {"type": case_ids.ACTION, "action": "hold"}, i,
                                        **{case_ids.REASON: "waiting"}),
                      lambda i: _status(app, i) == "on_hold"),
        Action.RESUME: ("on_hold", lambda r, i: rest_transition(r, i, action="resume"),
                        lambda r, i: case(r, {"type": case_ids.ACTION, "action": "resume"}, i),
                        lambda i: _status(app, i) == "acknowledged"),
        Action.DISMISS: ("new", lambda r, i: rest_transition(r, i, action="dismiss", reason="shadows"),
                         lambda r, i: case(r, {"type": case_ids.ACTION, "action": "dismiss"}, i,
                                           **{case_ids.REASON: "shadows"}),
                         lambda i: _status(app, i) == "dismissed"),
        Action.TRANSFER: ("new", lambda r, i: rest_transition(r, i, action="transfer", reason="their side",
                                                              department_id=world.bostandyk_id),
                          lambda r, i: wall(r, wall_ids.TRANSFER_CONFIRM, i,
                                            **{wall_ids.TRANSFER_TARGET: str(world.bostandyk_id),
                                               wall_ids.TRANSFER_REASON: "their side"}),
                          lambda i: _status(app, i) == "transferred"),
        Action.OVERRIDE_SOP: ("acknowledged", lambda r, i: rest_transition(r, i, action="resolve", outcome="warning",
                                                                           sop_override=True),
                              lambda r, i: case(r, case_ids.RESOLVE, i, **{case_ids.OUTCOME: "warning",
                                                                           case_ids.OVERRIDE: True}),
                              lambda i: _status(app, i) == "resolved"),
        Action.CLOSE: ("resolved", lambda r, i: rest_transition(r, i, action="close"),
                       lambda r, i: case(r, {"type": case_ids.ACTION, "action": "close"}, i),
                       lambda i: _status(app, i) == "closed"),
        Action.REOPEN: ("dismissed", lambda r, i: rest_transition(r, i, action="reopen", reason="it was real"),
                        lambda r, i: case(r, {"type": case_ids.ACTION, "action": "reopen"}, i,
                                          **{case_ids.REASON: "it was real"}),
                        lambda i: _status(app, i) == "acknowledged"),
        Action.ADD_NOTE: ("new", lambda r, i: clients[r].post(f"/api/v1/incidents/{i}/notes", json={"text": "seen"},
                                                              headers=tokens[r]).status_code,
                          lambda r, i: case(r, case_ids.NOTE_ADD, i, **{case_ids.NOTE_TEXT: "seen"}),
                          lambda i: _count(app, IncidentNote, incident_id=i) == 1),
        Action.TICK_SOP_STEP: ("acknowledged",
                               lambda r, i: clients[r].post(f"/api/v1/incidents/{i}/sop/{_first_step(app)}",
                                                            headers=tokens[r]).status_code,
                               lambda r, i: case(r, {"type": case_ids.SOP_STEP, "step": _first_step(app)}, i,
                                                 prop="checked", value=True),
                               lambda i: _count(app, SopTick, incident_id=i) == 1),
    }
    mismatches: list[str] = []
    allowed_seen = refused_seen = 0
    for action, (state, rest, dash_door, happened) in cases.items():
        for role in USERS:
            allowed = role in PERMISSIONS[action]
            by_rest, by_dash = _fresh(app, world, state), _fresh(app, world, state)
            code = rest(role, by_rest)
            answer = dash_door(role, by_dash)
            rest_did, dash_did = happened(by_rest), happened(by_dash)
            if rest_did != allowed or (allowed and code >= 300) or (not allowed and code != 403):
                mismatches.append(f"REST {role}/{action}: status {code}, changed={rest_did}, table says {allowed}")
            if dash_did != allowed:
                mismatches.append(f"Dash {role}/{action}: changed={dash_did}, table says {allowed}: {answer[:200]}")
            if not allowed and not any(s in answer for s in ("не может", "Только руководитель может", "Нет доступа")):
                mismatches.append(f"Dash {role}/{action}: refused without saying so: {answer[:200]}")
            allowed_seen += allowed
            refused_seen += not allowed
    assert mismatches == []
    assert allowed_seen and refused_seen  # the table was exercised both ways

    # A 102 call: a new incident or none, through either door.
    for role in USERS:
        allowed = role in PERMISSIONS[Action.CREATE_CALL]
        before = _count(app, Incident, source="manual")
        code = clients[role].post("/api/v1/incidents", json={"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1],
                                                             "type": "fight"}, headers=tokens[role]).status_code
        made_rest = _count(app, Incident, source="manual") - before
        _dash(clients[role], app, wall_ids.MANUAL_CREATE, "n_clicks", 1,
              {wall_ids.MANUAL_POINT: {"lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1]}, wall_ids.MANUAL_TYPE: "fight"})
        made_dash = _count(app, Incident, source="manual") - before - made_rest
        assert (code == 201, made_rest, made_dash) == ((True, 1, 1) if allowed else (False, 0, 0)), (role, code)


def test_rest_only_actions_follow_the_table(app: Flask, client: FlaskClient, world: World) -> None:
    unit = world.units["ALM-1"]
    calls: dict[Action, Callable[[dict[str, str]], int]] = {
        Action.SET_UNIT_STATUS: lambda h: client.post(f"/api/v1/units/{unit}/status", json={"status": "off_duty"},
                                                      headers=h).status_code,
        Action.SET_UNIT_POSITION: lambda h: client.post(f"/api/v1/units/{unit}/position",
                                                        json={"lat": 43.25, "lon": 76.93}, headers=h).status_code,
        Action.SET_POLICY: lambda h: client.put("/api/v1/policy", json={"incident_type": "fight", "priority": 1},
                                                headers=h).status_code,
        Action.SET_SOP: lambda h: client.put("/api/v1/sop/fight", json={"steps": [{"text": "Look", "mandatory": True}]},
                                             headers=h).status_code,
        Action.SET_RESPONSE_TARGET: lambda h: client.put("/api/v1/stats/targets", json={
            "interval": "response_s", "target_s": 600, "department_id": world.almaly_id}, headers=h).status_code,
        Action.SET_SHIFT_PATTERN: lambda h: client.put(f"/api/v1/departments/{world.almaly_id}/shifts",
                                                       json={"starts": ["09:00", "21:00"]}, headers=h).status_code,
    }
    tokens = {role: client.post("/api/v1/auth/token", json=credentials(username)).get_json()["access_token"]
              for role, username in USERS.items()}
    for action, call in calls.items():
        for role in USERS:
            with app.extensions["kuzet"].store.session() as s:
                s.execute(sa.update(Unit).values(status=UnitStatus.AVAILABLE.value))
            code = call({"Authorization": f"Bearer {tokens[role]}"})
            assert (code < 300) == (role in PERMISSIONS[action]), (action, role, code)
            assert code < 300 or code == 403, (action, role, code)


def test_the_permission_table_in_the_docs_is_the_one_in_the_code() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert table_markdown() in doc
