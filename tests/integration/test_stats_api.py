"""GET /api/v1/stats: scoped like the page, refused to everyone else, bad input answered clearly."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import credentials, World
from tests.integration.test_stats import SHIFT, incident


def _token(client: FlaskClient, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json=credentials(username)).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _seed(app: Flask, world: World) -> None:
    with app.extensions["kuzet"].store.session() as s:
        for n in range(1, 5):
            incident(s, world, SHIFT.start + timedelta(minutes=n), taken=n * 10, dispatched=n * 20)
        incident(s, world, SHIFT.start + timedelta(minutes=9), taken=7, department_id=world.bostandyk_id)


def test_each_role_sees_its_own_scope_and_no_more(app: Flask, client: FlaskClient, world: World) -> None:
    _seed(app, world)
    window = {"from": SHIFT.start.isoformat(), "to": SHIFT.end.isoformat()}
    supervisor = client.get("/api/v1/stats", query_string=window, headers=_token(client, "super.a"))
    assert supervisor.status_code == 200
    body = supervisor.get_json()
    assert body["incidents"] == 4 and body["department_ids"] == [world.almaly_id]
    assert body["time_to_acknowledge_s"]["median"] == 25.0 and body["time_to_dispatch_s"]["target_s"] == 60
    assert set(body["by_priority"]) == {"2"} and body["by_officer"][0]["officer"] == "duty.a"
    other = client.get("/api/v1/stats", query_string={**window, "department": world.bostandyk_id},
                       headers=_token(client, "super.a"))
    assert other.status_code == 404  # another department looks absent
    city = client.get("/api/v1/stats", query_string=window, headers=_token(client, "chief")).get_json()
    assert city["incidents"] == 5 and world.bostandyk_id in city["department_ids"]
    one = client.get("/api/v1/stats", query_string={**window, "department": world.bostandyk_id},
                     headers=_token(client, "chief")).get_json()
    assert one["incidents"] == 1 and one["time_to_acknowledge_s"]["median"] == 7.0
    for role in ("duty.a", "trainer.a"):
        refused = client.get("/api/v1/stats", query_string=window, headers=_token(client, role))
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert client.get("/api/v1/stats").status_code == 401


def test_bad_periods_are_answered_with_a_problem_not_a_500(client: FlaskClient, world: World) -> None:
    headers = _token(client, "super.a")
    for query in ({"from": "yesterday", "to": "2026-12-01T00:00:00+05:00"},
                  {"from": "2026-12-01T00:00:00", "to": "2026-12-02T00:00:00"},  # no offset
                  {"from": "2026-12-02T00:00:00+05:00", "to": "2026-12-01T00:00:00+05:00"},
                  {"from": "2020-01-01T00:00:00+05:00", "to": "2026-12-01T00:00:00+05:00"},
                  {"from": "2026-12-01T00:00:00+05:00"}, {"period": "fortnight"}, {"at": "x" * 5000},
                  {"department": "1" * 30}, {"department": "abc"}):
        answer = client.get("/api/v1/stats", query_string=query, headers=headers)
        assert answer.status_code in (404, 422), (query, answer.status_code)
        assert answer.mimetype == "application/problem+json"
    current = client.get("/api/v1/stats", headers=headers).get_json()
    assert current["period"] == "shift" and current["label"]


def test_a_shift_pattern_moves_the_current_shift(client: FlaskClient, world: World) -> None:
    admin = _token(client, "admin")
    assert client.put(f"/api/v1/departments/{world.almaly_id}/shifts", json={"starts": ["25:00"]},
                      headers=admin).status_code == 422
    assert client.put(f"/api/v1/departments/{world.almaly_id}/shifts", json={"starts": ["07:00", "15:00", "23:00"]},
                      headers=admin).status_code == 200
    body = client.get("/api/v1/stats", query_string={"at": "2026-12-03T16:00:00+05:00"},
                      headers=_token(client, "super.a")).get_json()
    assert (body["from"], body["to"]) == ("2026-12-03T10:00:00+00:00", "2026-12-03T18:00:00+00:00")


def test_the_report_downloads_are_scoped_and_spreadsheet_safe(app: Flask, client: FlaskClient, world: World) -> None:
    import io

    from openpyxl import load_workbook

    from services.store.models import Operator
    from tests.conftest import login

    _seed(app, world)
    with app.extensions["kuzet"].store.session() as s:  # an operator name that a spreadsheet would run
        s.get(Operator, world.operator_id).name = "=HYPERLINK(\"http://evil.example\",\"pay\")"
    window = {"from": SHIFT.start.isoformat(), "to": SHIFT.end.isoformat()}
    login(client, "duty.a")
    assert client.get("/stats/export/report.xlsx", query_string=window).status_code == 403
    client.get("/logout")
    login(client, "super.a")
    assert client.get("/stats/export/summary.csv",
                      query_string={**window, "department": world.bostandyk_id}).status_code == 404
    assert client.get("/stats/export/summary.csv", query_string={"from": "nonsense", "to": "x"}).status_code == 422
    summary = client.get("/stats/export/summary.csv", query_string=window)
    assert summary.status_code == 200 and summary.mimetype == "text/csv"
    text = summary.get_data(as_text=True)
    assert "\r\nПроисшествий,4\r\n" in text and "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    incidents = client.get("/stats/export/incidents.csv", query_string=window).get_data(as_text=True).splitlines()
    assert len(incidents) == 5 and "time_to_dispatch_s" in incidents[0]
    book = load_workbook(io.BytesIO(client.get("/stats/export/report.xlsx", query_string=window).data))
    assert [sheet.title for sheet in book.worksheets] == ["Сводка", "Происшествия"]
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c.startswith("=") for c in cells)
    assert client.get("/shift").headers["Location"].endswith("/stats")


def _forged_show(client: FlaskClient, app: Flask, request: object, department: object) -> tuple[int, str]:
    """POST the page's figures callback as an attacker would, with any inputs."""
    import json

    from layouts import stats as ids

    key = next(k for k, v in app.extensions["dash"].callback_map.items()
               if [i["id"] for i in v["inputs"]] == [ids.REQUEST, ids.DEPARTMENT, ids.SCALE])
    outputs = [{"id": p.split(".", 1)[0], "property": p.split(".", 1)[1]} for p in key.strip(".").split("...")]
    response = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs, "changedPropIds": [f"{ids.REQUEST}.data"], "state": [],
        "inputs": [{"id": ids.REQUEST, "property": "data", "value": request},
                   {"id": ids.DEPARTMENT, "property": "data", "value": department},
                   {"id": ids.SCALE, "property": "data", "value": "huge"}]})
    return response.status_code, json.dumps(response.get_json(silent=True), ensure_ascii=False)


def test_the_page_callback_refuses_and_scopes_like_the_api(app: Flask, client: FlaskClient, world: World) -> None:
    from tests.conftest import login

    _seed(app, world)
    window = {"from": SHIFT.start.isoformat(), "to": SHIFT.end.isoformat()}
    login(client, "trainer.a")
    code, answer = _forged_show(client, app, window, None)
    assert code == 200 and "Нет доступа" in answer and "stats-incidents" not in answer
    client.get("/logout")
    login(client, "super.a")
    code, answer = _forged_show(client, app, window, str(world.bostandyk_id))  # another department
    assert code == 200 and "Такого подразделения нет в вашей зоне ответственности" in answer and "stats-incidents" not in answer
    for request, department in (({"from": "x" * 10_000, "to": None}, None), ({"kind": ["shift"]}, None),
                                ({"step": 1, "from": window["from"], "to": window["to"], "kind": {"a": 1}}, 7),
                                ("not a dict", ["list"]), ({"kind": "month"}, "9" * 30)):
        code, answer = _forged_show(client, app, request, department)
        assert code == 200, (request, department, answer[:200])
    code, answer = _forged_show(client, app, window, str(world.almaly_id))
    assert code == 200 and '"stats-incidents"' in answer
