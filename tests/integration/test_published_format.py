"""The committed schema, the served schema and the validator agree on one corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker

from services.intake.ingest import validate_item
from tools.openapi import event_schema, openapi

DOCS = Path(__file__).resolve().parents[2] / "docs"
BASE = {"spec": "kuzet.event/1", "event_id": "op-1:2026-11-25:0001", "camera_id": "CAM-A",
        "occurred_at": "2026-11-25T10:00:00+05:00", "category": "public_order", "type": "fight"}
PLATE = {"number": "123ABC02", "country": "KZ"}

# (name, event): the schema cannot know the clock, so no case here depends on the time of the test run.
CORPUS: list[tuple[str, Any]] = [
    ("minimal", BASE),
    ("full", {**BASE, "confidence": 0.87, "severity": 2, "location": {"lat": 43.25, "lon": 76.92},
              "media": [{"kind": "snapshot", "url": "https://op.example/s/1.jpg", "sha256": "a" * 64,
                         "expires_at": "2026-12-25T10:00:00Z"}], "attributes": {"vendor": "x", "n": 3}}),
    ("speeding", {**BASE, "category": "traffic", "type": "speeding", "plate": PLATE, "speed_kmh": 92,
                  "limit_kmh": 60}),
    ("pedestrian crossing needs no plate", {**BASE, "category": "traffic", "type": "pedestrian_crossing"}),
    ("heartbeat", {**BASE, "category": "system", "type": "heartbeat"}),
    ("nulls for optional fields", {**BASE, "confidence": None, "location": None}),
    ("utc with Z and fractions", {**BASE, "occurred_at": "2026-11-25T05:00:00.123456Z"}),
    ("unknown major", {**BASE, "spec": "kuzet.event/2"}),
    ("missing camera", {k: v for k, v in BASE.items() if k != "camera_id"}),
    ("bad event id", {**BASE, "event_id": "has space"}),
    ("empty event id", {**BASE, "event_id": ""}),
    ("long camera id", {**BASE, "camera_id": "c" * 65}),
    ("no offset", {**BASE, "occurred_at": "2026-11-25T10:00:00"}),
    ("unix seconds", {**BASE, "occurred_at": 1764064800}),
    ("unknown category", {**BASE, "category": "weather"}),
    ("unknown type", {**BASE, "type": "alien"}),
    ("type from another category", {**BASE, "type": "speeding"}),
    ("plate type without plate", {**BASE, "category": "traffic", "type": "red_light"}),
    ("speeding without speeds", {**BASE, "category": "traffic", "type": "speeding", "plate": PLATE}),
    ("lowercase plate", {**BASE, "category": "traffic", "type": "red_light", "plate": {"number": "123abc02",
                                                                                       "country": "KZ"}}),
    ("confidence above 1", {**BASE, "confidence": 1.5}),
    ("confidence as text", {**BASE, "confidence": "0.9"}),
    ("severity 0", {**BASE, "severity": 0}),
    ("severity as float", {**BASE, "severity": 2.5}),
    ("outside Kazakhstan", {**BASE, "location": {"lat": 55.6, "lon": 76.9}}),
    ("location extra key", {**BASE, "location": {"lat": 43.2, "lon": 76.9, "alt": 800}}),
    ("eleven media", {**BASE, "media": [{"kind": "clip", "url": "https://op.example/c.mp4"}] * 11}),
    ("media bad kind", {**BASE, "media": [{"kind": "audio", "url": "https://op.example/a.mp3"}]}),
    ("media ftp url", {**BASE, "media": [{"kind": "clip", "url": "ftp://op.example/c.mp4"}]}),
    ("short sha256", {**BASE, "media": [{"kind": "clip", "url": "https://x/c.mp4", "sha256": "abc"}]}),
    ("33 attributes", {**BASE, "attributes": {f"k{i}": i for i in range(33)}}),
    ("unknown field", {**BASE, "colour": "red"}),
    ("not an object", ["fight"]),
]


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads((DOCS / "schema" / "event.json").read_text(encoding="utf-8"))


def test_committed_documents_are_what_the_code_generates(committed: dict[str, Any]) -> None:
    assert committed == event_schema(), "docs/schema/event.json is stale: run `kuzet schema`"
    assert json.loads((DOCS / "openapi.json").read_text(encoding="utf-8")) == openapi(), "run `kuzet schema`"


def test_served_documents_match_and_openapi_is_31(client: FlaskClient, committed: dict[str, Any]) -> None:
    served = client.get("/api/v1/schema/event.json")
    assert served.status_code == 200 and served.get_json() == committed
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1") and "/api/v1/events" in document["paths"]
    Draft202012Validator.check_schema(committed)


@pytest.mark.parametrize("name, payload", CORPUS, ids=[c[0] for c in CORPUS])
def test_schema_and_validator_agree(committed: dict[str, Any], name: str, payload: Any) -> None:
    record, errors = validate_item(payload, "")
    schema_ok = Draft202012Validator(committed, format_checker=FormatChecker()).is_valid(payload)
    assert (record is not None) == schema_ok, (name, errors)


def test_the_corpus_has_both_kinds() -> None:
    verdicts = [validate_item(p, "")[0] is not None for _, p in CORPUS]
    assert 5 <= sum(verdicts) < len(verdicts)
