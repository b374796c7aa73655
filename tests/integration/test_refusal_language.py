"""API refusals speak the language of Accept-Language: title and detail translated, the machine fields never."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from dashboard.http import PROBLEM_BASE
from services.store.models import Incident
from tests.conftest import World, credentials, event


def _incident_and_token(app: Flask, client: FlaskClient, world: World, username: str) -> tuple[int, str]:
    client.post("/api/v1/events", json=event("CAM-A"), headers={"Authorization": f"Bearer {world.api_key}"})
    app.extensions["kuzet"].worker.drain()
    with app.extensions["kuzet"].store.session() as s:
        incident_id = s.scalar(sa.select(Incident.id))
    return incident_id, client.post("/api/v1/auth/token", json=credentials(username)).get_json()["access_token"]


def test_a_refusal_is_told_in_the_language_asked_for_with_its_code_unchanged(app: Flask, client: FlaskClient,
                                                                               world: World) -> None:
    incident_id, token = _incident_and_token(app, client, world, "trainer.a")
    url = f"/api/v1/incidents/{incident_id}/transitions"
    answers = {}
    for language in ("kk", "en", None):
        headers = {"Authorization": f"Bearer {token}", **({"Accept-Language": language} if language else {})}
        answer = client.post(url, json={"action": "acknowledge"}, headers=headers)
        assert answer.status_code == 403 and answer.mimetype == "application/problem+json"
        answers[language] = answer.get_json()
    for doc in answers.values():
        assert doc["type"] == PROBLEM_BASE + "forbidden" and doc["status"] == 403
    assert answers["en"]["title"] == "Not allowed"
    assert answers["en"]["detail"] == "The role “trainer” may not acknowledge an incident."
    assert answers["kk"]["title"] == "Рұқсат етілмеген"
    assert "рөліне рұқсат жоқ: оқиғаны қабылдау" in answers["kk"]["detail"]
    assert answers[None]["detail"] == "Роль «инструктор» не может принять происшествие."  # Russian by default


def test_bad_input_names_the_outcomes_by_name_and_keeps_its_pointers(app: Flask, client: FlaskClient,
                                                                     world: World) -> None:
    incident_id, token = _incident_and_token(app, client, world, "duty.a")
    url = f"/api/v1/incidents/{incident_id}/transitions"
    auth = {"Authorization": f"Bearer {token}"}
    client.post(url, json={"action": "acknowledge"}, headers=auth)
    docs = {language: client.post(url, json={"action": "resolve", "outcome": "nonsense"},
                                  headers={**auth, "Accept-Language": language}).get_json()
            for language in ("kk", "en")}
    for doc in docs.values():
        assert doc["type"] == PROBLEM_BASE + "validation" and doc["status"] == 422
        assert doc["errors"] == [{"pointer": "/outcome", "detail": "must be one of the outcomes"}]
    assert docs["en"]["detail"].startswith("To resolve an incident, choose its outcome: Detained, Administrative")
    assert "detained" not in docs["en"]["detail"]  # names, not codes
    assert docs["kk"]["detail"].startswith("Оқиғаны шешу үшін нәтижесін таңдаңыз: ")
    assert "Әкімшілік хаттама" in docs["kk"]["detail"]
    stale = client.post(url, json={"action": "hold", "reason": "x", "version": 1},
                        headers={**auth, "Accept-Language": "kk"}).get_json()
    assert stale["type"] == PROBLEM_BASE + "conflict" and stale["status"] == 409
    assert stale["detail"] == f"№{incident_id} оқиғаны duty.a өзгертті; бетті жаңартып, қайталаңыз."
    assert stale["title"] == "Басқа қызметкер өзгертті"
