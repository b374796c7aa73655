"""The conformance kit's verdicts, and arbitrary bytes and JSON thrown at every ingest endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import HealthCheck, given, settings, strategies as st

from dashboard.cli import main
from services.store.engine import Store
from tests.conftest import event, seed_world

ADAPTERS = Path(__file__).resolve().parents[1] / "fixtures" / "adapters"


def test_conformance_prints_a_verdict_per_file_and_exits_1_on_any_reject(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"events": [event("CAM-A"), event("CAM-B", "crowd")]}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**event("CAM-A"), "confidence": 2, "type": "speeding"}))
    passed = runner.invoke(main, ["conformance", str(good)])
    assert passed.exit_code == 0 and passed.output.strip() == f"{good}: ACCEPTED (2 events)"
    failed = runner.invoke(main, ["conformance", str(good), str(bad)])
    assert failed.exit_code == 1
    # Every bad field at once, each by its pointer, so the integrator fixes them in one go.
    assert f"{bad}: REJECTED /type type 'speeding' belongs to category 'traffic', not 'public_order'" in failed.output
    assert "/confidence Input should be less than or equal to 1" in failed.output
    native = runner.invoke(main, ["conformance", str(ADAPTERS / "dahua" / "multipart_line_heartbeat.txt"),
                                  "--adapter", "dahua", "--device", "DH-SN1"])
    assert native.exit_code == 0 and "ACCEPTED (2 events)" in native.output
    unsafe = runner.invoke(main, ["conformance", str(ADAPTERS / "hikvision-isapi" / "xxe.xml"), "--adapter",
                                  "hikvision-isapi"])
    assert unsafe.exit_code == 1 and "REJECTED unsafe XML refused" in unsafe.output


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    from dashboard import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    store = Store(url)
    store.upgrade()
    world = seed_world(store)
    store.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "fuzz", "TESTING": True, "WORKER_THREAD": False,
                      "RATE_LIMIT_PER_S": 1_000_000})
    yield app, world.api_key
    app.extensions["kuzet"].stop()


ENDPOINTS = ["/api/v1/events", "/api/v1/cameras/FUZZ-1", "/api/v1/cameras:bulk", "/api/v1/ingest/hikvision-isapi",
             "/api/v1/ingest/dahua", "/api/v1/ingest/axis", "/api/v1/ingest/onvif", "/api/v1/ingest/frigate",
             "/api/v1/auth/token", "/api/v1/incidents"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), body=st.binary(max_size=300), gz=st.booleans())
def test_arbitrary_bytes_never_get_a_5xx(fuzz_app: tuple[Flask, str], endpoint: str, body: bytes, gz: bool) -> None:
    app, key = fuzz_app
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/octet-stream"}
    if gz:
        headers["Content-Encoding"] = "gzip"
    method = "put" if endpoint.startswith("/api/v1/cameras/") else "post"
    response = getattr(app.test_client(), method)(endpoint, data=body, headers=headers)
    assert response.status_code < 500, (endpoint, body, response.get_data(as_text=True)[:200])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), value=json_values, as_event=st.booleans())
def test_arbitrary_json_never_gets_a_5xx(fuzz_app: tuple[Flask, str], endpoint: str, value: object,
                                         as_event: bool) -> None:
    app, key = fuzz_app
    payload = {**event("CAM-A"), "attributes": {"x": value}} if as_event else value
    method = "put" if endpoint.startswith("/api/v1/cameras/") else "post"
    response = getattr(app.test_client(), method)(endpoint, data=json.dumps(payload), headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert response.status_code < 500, (endpoint, payload, response.get_data(as_text=True)[:200])


DEEP = "[" * 5000 + "]" * 5000
VENDOR_CRASHERS = [  # each once escaped an adapter as an exception (found by review); now each is a clear answer
    ("dahua", "device=DH-SN1", b"Code=VideoMotion;action=Start;index=0;data=[1]"),
    ("dahua", "device=DH-SN1", b'Code=VideoMotion;action=Start;index=0;data={"UTC":1e20}'),
    ("dahua", "device=DH-SN1", f"Code=VideoMotion;action=Start;index=0;data={DEEP}".encode()),
    ("axis", "", json.dumps({"apiVersion": "1.0", "method": "events:notify", "params": {"notification": {
        "topic": "tns1:VideoSource/tnsaxis:MotionAlarm", "timestamp": 1e300,
        "message": {"source": {"VideoSourceConfigurationToken": "1"}, "data": {"State": "1"}}}}}).encode()),
    ("axis", "", b'{"apiVersion": "1.0", "method": "events:notify", "params": [1]}'),
    ("frigate", "device=nvr1&topic=frigate/events", json.dumps({"type": "new", "after": {
        "id": "x", "camera": "yard_east", "label": "person", "start_time": 1e20, "top_score": 0.9}}).encode()),
    ("frigate", "device=nvr1&topic=frigate/events", DEEP.encode()),
]


@pytest.mark.parametrize("adapter, query, body", VENDOR_CRASHERS)
def test_odd_vendor_payloads_are_answered_and_kept_not_500(fuzz_app: tuple[Flask, str], adapter: str, query: str,
                                                          body: bytes, runner: CliRunner, tmp_path: Path) -> None:
    app, key = fuzz_app
    response = app.test_client().post(f"/api/v1/ingest/{adapter}?{query}", data=body, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json" if adapter != "dahua" else "text/plain"})
    assert response.status_code in (202, 400), response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert answer.get("accepted", 0) == 0 and (answer.get("unmapped") or answer.get("results") or answer["type"])
    sample = tmp_path / "sample.txt"
    sample.write_bytes(body)
    params = [arg for pair in query.split("&") if pair for k, v in [pair.split("=")] for arg in (f"--{k}", v)]
    verdict = runner.invoke(main, ["conformance", str(sample), "--adapter", adapter, *params])
    assert verdict.exit_code == 1 and "REJECTED" in verdict.output, verdict.output
    assert verdict.exception is None or isinstance(verdict.exception, SystemExit), verdict.exception


def test_heartbeat_with_an_impossible_date_is_a_422_with_a_pointer(fuzz_app: tuple[Flask, str]) -> None:
    app, key = fuzz_app
    response = app.test_client().post("/api/v1/heartbeats", json={"heartbeats": [
        {"camera_id": "CAM-A", "at": "2026-13-45T99:00:00Z"}]}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code < 500
    assert "/heartbeats/0/at" in response.get_data(as_text=True)


def _fixture_bodies() -> list[tuple[str, str, bytes]]:
    cases = json.loads((ADAPTERS / "cases.json").read_text())
    return [(c["adapter"], "&".join(f"{k}={v}" for k, v in c.get("params", {}).items()),
             (ADAPTERS / c["adapter"] / c["file"]).read_bytes()) for c in cases if c["file"].endswith(".json")]


def _mutate(value: object, replacement: object, position: int) -> object:
    """``value`` with its ``position``-th leaf (depth first, modulo the leaf count) replaced."""
    leaves: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for k, v in list(items):
            if isinstance(v, (dict, list)) and v:
                walk(v)
            else:
                leaves.append((node, k))

    copy = json.loads(json.dumps(value))
    walk(copy)
    if leaves:
        parent, key = leaves[position % len(leaves)]
        parent[key] = replacement  # type: ignore[index]
    return copy


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(_fixture_bodies()), replacement=json_values, position=st.integers(0, 200))
def test_vendor_shaped_json_with_any_field_changed_never_gets_a_5xx(fuzz_app: tuple[Flask, str],
                                                                    case: tuple[str, str, bytes],
                                                                    replacement: object, position: int) -> None:
    app, key = fuzz_app
    adapter, query, body = case
    mutated = json.dumps(_mutate(json.loads(body), replacement, position)).encode()
    response = app.test_client().post(f"/api/v1/ingest/{adapter}?{query}", data=mutated, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert response.status_code < 500, (adapter, mutated[:300], response.get_data(as_text=True)[:200])
