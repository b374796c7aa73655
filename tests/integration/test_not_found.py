"""Unknown paths: a Kuzet 404 page with HTTP 404 and a way back; under /api/ problem+json; real pages unchanged."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import World, login


def test_unknown_pages_are_a_kuzet_404_with_a_way_back(client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    for path in ("/nope", "/wall/extra", "/incidents/12/more", "/admin"):
        answer = client.get(path)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 404 and 'id="not-found"' in page and 'href="/wall"' in page, path
        assert "Traceback" not in page and "Page not found" not in page
    for path in ("/wall", "/incidents", "/incidents/12", "/operators", "/account/security"):
        assert client.get(path).status_code == 200, path


def test_unknown_api_paths_answer_problem_json(client: FlaskClient, world: World) -> None:
    login(client, "duty.a")
    for path in ("/api/v1/nope", "/api/v2/incidents", "/api/v1/incidents/1/nope"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json", path
    assert client.post("/api/v1/nope", json={}).mimetype == "application/problem+json"


def test_an_operator_is_sent_back_to_its_portal(app: object, client: FlaskClient, world: World) -> None:
    from services.access.users import create_user

    with app.extensions["kuzet"].store.session() as s:
        create_user(s, "op.test", "operator-portal-2026", "operator", None, operator_name="Test Operator LLP")
    login(client, "op.test", "operator-portal-2026")
    answer = client.get("/nope")
    assert answer.status_code == 404 and 'href="/operators"' in answer.get_data(as_text=True)
