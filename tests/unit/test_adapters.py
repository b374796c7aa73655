"""Every vendor adapter against its fixture corpus: native bytes in, the expected v1 records out."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from services.intake.adapters import Context, adapter_names, get
from services.intake.ingest import validate_item

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "adapters"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
RECEIVED = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def run(case: dict[str, Any]) -> Any:
    body = (CORPUS / case["adapter"] / case["file"]).read_bytes()
    return get(case["adapter"])(body, Context(case.get("content_type", ""), case.get("params", {}), RECEIVED))


def test_every_adapter_has_a_corpus() -> None:
    assert {c["adapter"] for c in CASES} == set(adapter_names())
    on_disk = {(p.parent.name, p.name) for p in CORPUS.glob("*/*")}
    assert on_disk == {(c["adapter"], c["file"]) for c in CASES}, "every sample needs an expected output"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['adapter']}/{c['file']}" for c in CASES])
def test_adapter_output(case: dict[str, Any]) -> None:
    result = run(case)
    expect = case["expect"]
    if expect.get("refused"):
        assert result.refused and not result.events
        return
    assert result.refused is None
    got = [[e["camera_id"], e["occurred_at"], e["category"], e["type"]] for e in result.events]
    want = [[cam, RECEIVED.isoformat() if at == "RECEIVED" else at, cat, typ] for cam, at, cat, typ in expect["events"]]
    assert got == want
    assert len(result.ignored) == expect.get("ignored", 0)
    assert len(result.unmapped) == expect.get("unmapped", 0)
    for event in result.events:
        record, errors = validate_item(event, "")
        assert record is not None, errors  # adapters only ever produce valid v1 records
    if "plate" in expect:
        assert result.events[0]["plate"]["number"] == expect["plate"]
    if "attribute" in expect:
        assert expect["attribute"] in result.events[0]["attributes"]


@pytest.mark.parametrize("case", CASES[:1] + CASES[9:10], ids=["hikvision", "dahua"])
def test_resent_notifications_get_the_same_event_id(case: dict[str, Any]) -> None:
    assert [e["event_id"] for e in run(case).events] == [e["event_id"] for e in run(case).events]


@pytest.mark.parametrize("adapter", adapter_names())
@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe", b"{}", b"<a/>", b"[]", b"null", "Код=1".encode()])
def test_garbage_never_raises(adapter: str, body: bytes) -> None:
    result = get(adapter)(body, Context())
    assert result.refused or result.unmapped or result.ignored or result.events == []
