"""Kuzet Event Format v1: what is accepted, what is refused and how it is explained."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from dashboard.api.problems import status_of
from services.errors import Rejected
from services.intake.ingest import parse_body, validate_item
from tests.conftest import event


def test_valid_public_order_event_is_accepted() -> None:
    record, errors = validate_item(event(), "")
    assert errors == []
    assert record is not None and record.type == "fight" and record.occurred_at.tzinfo is not None


@pytest.mark.parametrize("change, pointer, fragment", [
    ({"spec": "kuzet.event/2"}, "/spec", "unsupported spec"),
    ({"event_id": "has space"}, "/event_id", "pattern"),
    ({"occurred_at": "2026-11-25 10:00"}, "/occurred_at", "RFC 3339"),
    ({"occurred_at": 1764064800}, "/occurred_at", "RFC 3339"),
    ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "/occurred_at", "before 2000"),
    ({"camera_id": "CAM\u0000X"}, "/camera_id", "pattern"),
    ({"confidence": 1.5}, "/confidence", "less than or equal"),
    ({"confidence": "0.9"}, "/confidence", "valid number"),
    ({"location": {"lat": 91.0, "lon": 76.9}}, "/location/lat", "less than or equal"),
    ({"location": {"lat": 43.2, "lon": 30.0}}, "/location/lon", "greater than or equal"),
    ({"colour": "red"}, "/colour", "Extra inputs"),
    ({"occurred_at": "2099-01-01T00:00:00+05:00"}, "/occurred_at", "in the future"),
    ({"type": "alien"}, "/type", "unknown type"),
    ({"type": "speeding"}, "/type", "belongs to category 'traffic'"),
    ({"type": "red_light", "category": "traffic"}, "/plate", "requires plate"),
    ({"type": "speeding", "category": "traffic", "plate": {"number": "123ABC02", "country": "KZ"},
      "speed_kmh": 90.0}, "/limit_kmh", "requires limit_kmh"),
])
def test_bad_fields_are_named_by_json_pointer(change: dict, pointer: str, fragment: str) -> None:
    record, errors = validate_item({**event(), **change}, "")
    assert record is None
    assert any(e["pointer"] == pointer and fragment in e["detail"] for e in errors), errors


def test_type_must_match_category_and_plate_types_need_a_plate() -> None:
    _, errors = validate_item(event(event_type="speeding"), "")
    assert "belongs to category 'traffic'" in errors[0]["detail"]
    traffic = event(event_type="red_light", category="traffic")
    _, errors = validate_item(traffic, "")
    assert "requires plate" in errors[0]["detail"]
    traffic["plate"] = {"number": "123ABC02", "country": "KZ"}
    record, errors = validate_item(traffic, "")
    assert errors == [] and record is not None


def test_future_timestamps_are_refused_and_old_ones_flagged_late() -> None:
    future = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
    _, errors = validate_item(event(occurred_at=future), "")
    assert "future" in errors[0]["detail"]
    old = (datetime.now(timezone.utc) - timedelta(hours=30)).isoformat()
    record, _ = validate_item(event(occurred_at=old), "")
    assert record is not None and record.is_late(datetime.now(timezone.utc))


def test_batch_pointers_carry_the_item_index() -> None:
    items, batch = parse_body(json.dumps({"events": [event(), {**event(), "confidence": 7}]}).encode(), 1000)
    assert batch and len(items) == 2
    _, errors = validate_item(items[1], "/events/1")
    assert errors[0]["pointer"] == "/events/1/confidence"


@pytest.mark.parametrize("body, status, slug", [
    (b"{not json", 400, "malformed-body"),
    (b'{"confidence": NaN}', 400, "malformed-body"),
    (b'{"confidence": Infinity}', 400, "malformed-body"),
    (b'{"speed_kmh": 1e400}', 400, "malformed-body"),  # no float holds it; json would have made it inf
    (b'{"camera_id": "\\ud800"}', 400, "malformed-body"),  # a lone surrogate is no character
    (b"\xff\xfe", 400, "malformed-body"),
    (b"[1, 2]", 422, "validation"),
    (json.dumps({"events": "x"}).encode(), 422, "validation"),
    (json.dumps({"events": [{}] * 1001}).encode(), 413, "batch-too-large"),
    (b"[" * 40 + b"]" * 40, 400, "too-deep"),
])
def test_bodies_bad_as_a_whole_raise_a_problem(body: bytes, status: int, slug: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_body(body, 1000)
    assert caught.value.code == slug and status_of(caught.value)[0] == status


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_is_validated_or_explained_never_raises(value: object) -> None:
    record, errors = validate_item(value, "")
    assert (record is None) == bool(errors)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(list(event().keys()) + ["x"]), json_values, max_size=8))
def test_mutated_events_are_validated_or_explained(overrides: dict) -> None:
    record, errors = validate_item({**event(), **overrides}, "")
    assert (record is None) == bool(errors)
    assert all(e["pointer"].startswith("/") or e["pointer"] == "" for e in errors)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_raise_problem(body: bytes) -> None:
    try:
        parse_body(body, 1000)
    except Rejected as problem:
        assert 400 <= status_of(problem)[0] < 500


def _nested(levels: int, leaf: str = "1") -> bytes:
    """An event whose attributes hold ``levels`` nested lists in all (the event object counts as one)."""
    inner = json.loads("[" * (levels - 2) + leaf + "]" * (levels - 2))
    return json.dumps({**event(), "attributes": {"n": inner}}, ensure_ascii=False).encode()


# An ASCII body takes the walk that skips strings; a body with other letters normalises every string.
@pytest.mark.parametrize("leaf", ["1", '"Алматы"'], ids=["ascii", "cyrillic"])
def test_nesting_is_capped_at_sixteen_levels_counting_the_leaf(leaf: str) -> None:
    from services.intake.ingest import MAX_DEPTH

    parse_body(_nested(MAX_DEPTH - 1, leaf), 1000)  # event, attributes, 13 lists, and the leaf: 16
    with pytest.raises(Rejected) as caught:
        parse_body(_nested(MAX_DEPTH, leaf), 1000)
    assert caught.value.code == "too-deep"


def test_objects_with_too_many_keys_are_refused_wherever_they_sit() -> None:
    from services.intake.ingest import MAX_KEYS

    wide = {f"k{n}": n for n in range(MAX_KEYS + 1)}
    with pytest.raises(Rejected) as caught:
        parse_body(json.dumps({"events": [{**event(), "attributes": {"inner": wide}}]}).encode(), 1000)
    assert caught.value.code == "too-many-keys" and status_of(caught.value)[0] == 400
    parse_body(json.dumps({**event(), "attributes": {f"k{n}": n for n in range(MAX_KEYS - 20)}}).encode(), 1000)


def test_strings_and_keys_are_normalised_to_nfc() -> None:
    nfd_short_i = "\u0438\u0306"  # "и" + combining breve: "й" as some keyboards and OCR engines send it
    body = json.dumps({**event(), "attributes": {nfd_short_i: f"Алматы {nfd_short_i}"}}, ensure_ascii=False)
    items, _ = parse_body(body.encode(), 1000)
    assert items[0]["attributes"] == {"\u0439": "Алматы \u0439"}


def test_escaped_letters_in_an_ascii_body_are_normalised_too() -> None:
    nfd_e_acute = "e\u0301"
    body = json.dumps({**event(), "attributes": {"place": f"Caf{nfd_e_acute}"}})  # sent as \u escapes: pure ASCII
    assert body.isascii()
    items, _ = parse_body(body.encode(), 1000)
    assert items[0]["attributes"] == {"place": "Caf\u00e9"}
