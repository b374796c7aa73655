"""No 500 for any input anywhere: every REST route and every Dash callback, fed forged inputs.

Wrong types, nesting thousands deep, huge and NUL-bearing strings, huge ids; as an admin (who reaches
every handler), as a duty officer and as nobody. Each answer must be below 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings, strategies as st

from services.store.engine import Store
from tests.conftest import credentials, login, seed_world

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
NASTY_TEXT = st.sampled_from(["", "\x00", "a\x00b", "x" * 100_000, "<script>alert(1)</script>", "9" * 30,
                              "-1", "0", "NaN", "../../etc/passwd", "'; DROP TABLE incidents; --", "\ud7ff" * 3,
                              "2026-13-45T99:99:99+05:00", "=HYPERLINK(\"x\")", " ", "null"])
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) |
           st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40) | NASTY_TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(st.text(max_size=10) | st.sampled_from(
                          ["action", "reason", "outcome", "department_id", "unit_ids", "lat", "lon", "type", "text",
                           "priority", "incident_type", "steps", "status", "version", "username", "password",
                           "interval", "target_s", "starts", "mount_kind", "address", "caller_name"]), inner,
                          max_size=6), max_leaves=12)
RAW_BODIES = st.sampled_from([DEEP, DEEP_OBJECT, "{", "\x00", "[]", '"text"', "1e999999", '{"action":["acknowledge"]}',
                              '{"action":"transfer","department_id":99999999999999999999,"reason":"x"}',
                              '{"priority":true,"incident_type":"fight"}', '{"department_id":999999,"priority":1,'
                              '"incident_type":"fight"}', '{"steps":[{"text":"a\\u0000b","mandatory":true}]}'])
QUERY = st.dictionaries(st.sampled_from(["department", "at", "from", "to", "limit", "status", "page", "incident",
                                         "operator", "period", "unmasked", "q", "type", "kind"]),
                        st.text(max_size=20) | NASTY_TEXT | st.integers(-(10**20), 10**20).map(str), max_size=4)
SKIPPED = {"/logout", "/api/v1/auth/revoke"}  # they end the fuzzer's own login; tested on their own


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, dict[str, str]], FlaskClient]]:
    """One app on a SQLite file, with bearer tokens per role and an admin logged in to the pages."""
    from dashboard import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('no500') / 'no500.db'}"
    store = Store(url)
    store.upgrade()
    seed_world(store)
    store.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "no500", "TESTING": True, "WORKER_THREAD": False,
                      "RATE_LIMIT_PER_S": 1_000_000, "LOGIN_PER_ADDRESS_PER_MINUTE": 1_000_000,
                      "LOGIN_PER_SECOND": 1_000_000})
    client = app.test_client()
    tokens = {}
    for name in ("admin", "duty.a"):
        token = client.post("/api/v1/auth/token", json=credentials(name)).get_json()
        tokens[name] = {"Authorization": f"Bearer {token['access_token']}"}
    tokens["nobody"] = {}
    pages = app.test_client()
    login(pages, "admin")
    yield app, tokens, pages
    app.extensions["kuzet"].stop()


def _routes(app: Flask) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if path.startswith(("/_dash", "/assets", "/static", "/_reload", "/_favicon", "/socket.io")) or path in SKIPPED:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, path))
    return sorted(set(out))


def _fill(path: str, value: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", value.replace("/", "%2F")[:200] or "x", path)


@pytest.fixture(scope="module")
def routes(fuzzed: tuple[Flask, dict[str, dict[str, str]], FlaskClient]) -> list[tuple[str, str]]:
    found = _routes(fuzzed[0])
    assert len(found) > 30 and ("POST", "/api/v1/incidents/<int:incident_id>/transitions") in found
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_every_rest_route_answers_forged_input_below_500(fuzzed: tuple[Flask, dict[str, dict[str, str]], FlaskClient],
                                                        routes: list[tuple[str, str]], data: st.DataObject) -> None:
    app, tokens, _ = fuzzed
    method, path = data.draw(st.sampled_from(routes))
    who = data.draw(st.sampled_from(["admin", "admin", "duty.a", "nobody"]))
    segment = data.draw(st.sampled_from(["1", "999999", "9" * 25, "abc", "%00", "-1", "x" * 300]))
    raw = data.draw(st.booleans())
    body = data.draw(RAW_BODIES) if raw else json.dumps(data.draw(VALUES))
    query = data.draw(QUERY)
    client = app.test_client()
    answer = client.open(_fill(path, segment), method=method, query_string=query, data=body,
                         content_type="application/json", headers=tokens[who])
    assert answer.status_code < 500, (method, path, who, body[:200], query, answer.get_data(as_text=True)[:300])


def _callbacks(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    dash_app = app.extensions["dash"]
    out = []
    for output, spec in dash_app.callback_map.items():
        ids = [i["id"] for i in spec["inputs"]] + [s["id"] for s in spec.get("state", [])]
        if any(isinstance(i, dict) or str(i).startswith("{") for i in ids) or "{" in output:
            continue  # pattern-matching callbacks take lists of ids: their own test is in test_both_doors
        out.append((output, spec))
    return out


def _outputs(output: str) -> list[dict[str, str]] | dict[str, str]:
    if output.startswith(".."):
        parts = output.strip(".").split("...")
        return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
    target, prop = output.rsplit(".", 1)
    return {"id": target, "property": prop}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_every_dash_callback_answers_forged_input_below_500(fuzzed: tuple[Flask, dict[str, dict[str, str]],
                                                                          FlaskClient], data: st.DataObject) -> None:
    app, _, pages = fuzzed
    callbacks = _callbacks(app)
    assert len(callbacks) > 15
    output, spec = data.draw(st.sampled_from(callbacks))
    inputs = [{"id": i["id"], "property": i["property"], "value": data.draw(VALUES)} for i in spec["inputs"]]
    state = [{"id": s["id"], "property": s["property"], "value": data.draw(VALUES)} for s in spec.get("state", [])]
    trigger = data.draw(st.sampled_from(inputs)) if inputs else None
    body = {"output": output, "outputs": _outputs(output), "inputs": inputs, "state": state,
            "changedPropIds": [f"{trigger['id']}.{trigger['property']}"] if trigger else []}
    answer = pages.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert answer.status_code < 500, (output, json.dumps(body)[:400], answer.get_data(as_text=True)[:300])


def _pattern_callbacks(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    dash_app = app.extensions["dash"]
    return [(output, spec) for output, spec in dash_app.callback_map.items()
            if any(str(i["id"]).startswith("{") for i in spec["inputs"])]


def _forged_item(data: st.DataObject, dependency: dict[str, Any]) -> Any:
    """One dependency as the browser sends it; a pattern id comes as a list of concrete ids with forged keys."""
    raw = str(dependency["id"])
    if not raw.startswith("{"):
        return {"id": raw, "property": dependency["property"], "value": data.draw(VALUES)}
    pattern = json.loads(raw)
    if data.draw(st.integers(0, 9)) == 0:  # not even a list where Dash expects one
        return data.draw(VALUES)
    items = []
    for _ in range(data.draw(st.integers(0, 3))):
        concrete = {k: (data.draw(VALUES) if isinstance(v, list) else v) for k, v in pattern.items()}
        items.append({"id": concrete, "property": dependency["property"], "value": data.draw(VALUES)})
    return items


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_every_pattern_matching_callback_answers_forged_input_below_500(
        fuzzed: tuple[Flask, dict[str, dict[str, str]], FlaskClient], data: st.DataObject) -> None:
    app, _, pages = fuzzed
    callbacks = _pattern_callbacks(app)
    assert len(callbacks) >= 3
    output, spec = data.draw(st.sampled_from(callbacks))
    inputs = [_forged_item(data, i) for i in spec["inputs"]]
    state = [_forged_item(data, s) for s in spec.get("state", [])]
    first = inputs[0]
    changed = []
    if isinstance(first, list) and first and isinstance(first[0], dict) and isinstance(first[0].get("id"), dict):
        changed = [json.dumps(first[0]["id"], sort_keys=True, separators=(",", ":"), default=str) + "."
                   + spec["inputs"][0]["property"]]
    body = {"output": output, "outputs": _outputs(output), "inputs": inputs, "state": state,
            "changedPropIds": changed}
    answer = pages.post("/_dash-update-component", data=json.dumps(body, default=str), content_type="application/json")
    assert answer.status_code < 500, (output, json.dumps(body, default=str)[:400], answer.get_data(as_text=True)[:300])


def test_a_dash_request_that_is_not_a_callback_is_not_a_500(fuzzed: tuple[Flask, dict[str, dict[str, str]],
                                                                          FlaskClient]) -> None:
    _, _, pages = fuzzed
    for body in ("{}", "[]", DEEP, "not json", json.dumps({"output": "nope.children", "inputs": []})):
        answer = pages.post("/_dash-update-component", data=body, content_type="application/json")
        assert answer.status_code < 500, (body[:50], answer.status_code)
