"""The published forms of Kuzet Event Format v1: JSON Schema and the OpenAPI 3.1 document of the ingest API.

Both are generated from the pydantic models in services.intake.event_format and services.cameras.registry, so the
validator, the schema and the API description cannot drift apart (a test checks the committed copy).
"""

from __future__ import annotations

import copy
from typing import Any

from services.cameras.registry import CameraV1
from services.intake.catalogue import CATEGORY_OF, PLATE_TYPES
from services.intake.event_format import RFC3339, SPEC, EventV1

SCHEMA_ID = "https://kuzet.kz/schema/event/1.json"
TIMESTAMP = {"type": "string", "format": "date-time", "pattern": RFC3339.pattern,
             "description": "RFC 3339 with an offset; more than 5 min in the future is refused by the centre"}


def event_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of one v1 event, including the rules that tie type, category and fields."""
    schema = copy.deepcopy(EventV1.model_json_schema(mode="validation"))
    props = schema["properties"]
    props["spec"] = {"const": SPEC, "description": "format and major version; other majors are refused"}
    props["occurred_at"] = dict(TIMESTAMP)
    props["type"] = {"enum": sorted(CATEGORY_OF), "description": "from the type catalogue"}
    media = schema["$defs"]["Media"]["properties"]
    media["expires_at"] = {"anyOf": [dict(TIMESTAMP, description="when the link stops working"), {"type": "null"}],
                           "default": None}
    props["attributes"]["description"] = "vendor extras kept verbatim: at most 32 keys, 4 KiB serialised"
    rules: list[dict[str, Any]] = []
    for category in sorted({c.value for c in CATEGORY_OF.values()}):
        types = sorted(t for t, c in CATEGORY_OF.items() if c.value == category)
        rules.append({"if": {"properties": {"category": {"const": category}}, "required": ["category"]},
                      "then": {"properties": {"type": {"enum": types}}}})
    rules.append({"if": {"properties": {"type": {"enum": sorted(PLATE_TYPES)}}, "required": ["type"]},
                  "then": {"required": ["plate"], "properties": {"plate": {"$ref": "#/$defs/Plate"}}}})
    rules.append({"if": {"properties": {"type": {"const": "speeding"}}, "required": ["type"]},
                  "then": {"required": ["speed_kmh", "limit_kmh"],
                           "properties": {"speed_kmh": {"type": "number"}, "limit_kmh": {"type": "number"}}}})
    schema["allOf"] = rules
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "Kuzet Event Format v1", "description": "One normalised camera event (EVENT_FORMAT.md).",
            **{k: v for k, v in schema.items() if k != "title"}}


def camera_schema() -> dict[str, Any]:
    """JSON Schema of a camera registration body."""
    return CameraV1.model_json_schema(mode="validation")


PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string", "format": "uri"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object", "required": ["pointer", "detail"],
                                                         "properties": {"pointer": {"type": "string"},
                                                                        "detail": {"type": "string"}}}}},
}


def _problems(*codes: int) -> dict[str, Any]:
    text = {400: "malformed body", 401: "unknown key or bad signature", 403: "names another operator's camera (forbidden-camera)", 404: "not found",
            413: "too large (body, batch, or inflated gzip)", 415: "unsupported Content-Encoding",
            422: "invalid fields (JSON pointers in errors)", 429: "rate limited; see Retry-After"}
    return {str(c): {"description": text[c], "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for c in codes}


def _person_problems(*codes: int) -> dict[str, Any]:
    text = {400: "malformed input (a bad month or format)", 401: "no session or token",
            403: "your role may not (see docs/permissions.md)", 404: "not found, or outside your jurisdiction",
            409: "refused in the record's present state", 422: "invalid input (JSON pointers in errors)"}
    return {str(c): {"description": text[c], "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for c in codes}


FIGURES = {"type": "object", "description": "one interval, in seconds; percentiles are continuous (PostgreSQL "
           "percentile_cont)", "properties": {
               "n": {"type": "integer"}, "median": {"type": ["number", "null"]}, "p90": {"type": ["number", "null"]},
               "p95": {"type": ["number", "null"]}, "target_s": {"type": ["integer", "null"]},
               "within_target_pct": {"type": ["number", "null"]},
               "excluded": {"type": "object", "description": "records left out, by reason (missing_start, out_of_order)",
                            "additionalProperties": {"type": "integer"}}}}
INTERVALS = ("time_to_acknowledge_s", "time_to_dispatch_s", "travel_s", "response_s", "time_on_scene_s",
             "time_to_close_s")


def openapi() -> dict[str, Any]:
    """OpenAPI 3.1 document of the operator-facing API."""
    event = event_schema()
    defs = event.pop("$defs")
    event_ref = {"$ref": "#/components/schemas/Event"}
    signed = [{"operatorKey": [], "timestamp": [], "signature": []}, {"operatorKey": []}]
    result = {"type": "object", "properties": {
        "index": {"type": "integer"}, "status": {"enum": ["accepted", "duplicate", "rejected"]},
        "event_id": {"type": "string"}, "reason": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}}}}
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Kuzet API", "version": "1.0.0",
                 "description": "Kuzet Event Format v1 for camera operators (see docs/operators.md), the "
                                "shift statistics for supervisors (see docs/statistics.md), the replay for "
                                "trainers (see docs/replay.md) and the operators' settlement (docs/settlement.md)."},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": {"Event": event, **defs, "Camera": camera_schema(), "Problem": PROBLEM,
                        "ItemResult": result},
            "securitySchemes": {
                "operatorKey": {"type": "http", "scheme": "bearer", "description": "operator API key (kz_...)"},
                "timestamp": {"type": "apiKey", "in": "header", "name": "X-Kuzet-Timestamp",
                              "description": "Unix time in seconds, within ±300 s of the centre"},
                "signature": {"type": "apiKey", "in": "header", "name": "X-Kuzet-Signature",
                              "description": "sha256=<hex HMAC-SHA256 of 'timestamp.body' keyed with the API key>"},
                "personToken": {"type": "http", "scheme": "bearer",
                                "description": "a person's token from POST /api/v1/auth/token (or the session cookie)"},
                "finesKey": {"type": "http", "scheme": "bearer",
                             "description": "the fines system's own key (kzs_..., from `kuzet fines key`)"},
            },
        },
        "paths": {
            "/api/v1/events": {"post": {
                "summary": "Send one event or a batch of up to 1,000 (body ≤ 1 MiB; gzip accepted)",
                "security": signed,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                    event_ref,
                    {"type": "object", "required": ["events"], "additionalProperties": False,
                     "properties": {"events": {"type": "array", "maxItems": 1000, "items": event_ref}}}]}}}},
                "responses": {"202": {"description": "one result per item", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}},
                        "accepted": {"type": "integer"}, "duplicate": {"type": "integer"},
                        "rejected": {"type": "integer"}}}}}},
                    **_problems(400, 401, 403, 413, 415, 422, 429)}}},
            "/api/v1/ingest/{adapter}": {"post": {
                "summary": "Send a vendor's native payload; an adapter translates it into v1 events",
                "security": signed,
                "parameters": [
                    {"name": "adapter", "in": "path", "required": True, "schema": {
                        "enum": ["hikvision-isapi", "dahua", "axis", "onvif", "frigate"]}},
                    {"name": "device", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "the sending device's own name (serial, MAC or NVR id) for dahua, onvif and "
                                    "frigate; with the channel it forms the vendor identity of a registered camera"},
                    {"name": "topic", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "frigate: the MQTT topic (frigate/events, frigate/reviews, frigate/available) "
                                    "when the body is the bare payload"},
                    {"name": "camera", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "hikvision-isapi: your camera id, when the device cannot be named by a vendor id"}],
                "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string"}}}},
                "responses": {"202": {"description": "one result per translated event"},
                              **_problems(400, 401, 403, 404, 413, 415, 422, 429)}}},
            "/api/v1/cameras/{camera_id}": {"put": {
                "summary": "Register or update one camera; the centre resolves its jurisdiction",
                "security": signed,
                "parameters": [{"name": "camera_id", "in": "path", "required": True,
                                "schema": {"type": "string", "maxLength": 64}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Camera"}}}},
                "responses": {"200": {"description": "updated"}, "201": {"description": "created"},
                              **_problems(400, 401, 422, 429)}}},
            "/api/v1/cameras:bulk": {"post": {
                "summary": "Register many cameras from a GeoJSON FeatureCollection of Points",
                "security": signed,
                "requestBody": {"required": True, "content": {"application/geo+json": {"schema": {"type": "object"}},
                                                              "application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "one result per feature"}, **_problems(400, 401, 413, 422)}}},
            "/api/v1/heartbeats": {"post": {
                "summary": "Keep-alives: {\"heartbeats\": [{camera_id, at?, status?}]} up to 10,000; cheap path",
                "security": signed,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["heartbeats"], "properties": {"heartbeats": {
                        "type": "array", "maxItems": 10000, "items": {
                            "type": "object", "required": ["camera_id"], "additionalProperties": False,
                            "properties": {"camera_id": {"type": "string", "maxLength": 128},
                                           "at": dict(TIMESTAMP),
                                           "status": {"enum": ["ok", "video_loss", "tamper", "storage_failure"]}}}}}}}}},
                "responses": {"202": {"description": "one result per heartbeat"},
                              **_problems(400, 401, 403, 413, 422, 429)}}},
            "/api/v1/stats": {"get": {
                "summary": "Shift statistics: response intervals against targets, counts, workload, outcomes",
                "description": "For supervisors (own department), chiefs (their city, or one department) and "
                               "admins. Incidents created in [from, to); without from/to, the period "
                               "(shift by default) around `at` (now). Times ISO 8601 with offset; shifts and "
                               "hours in Asia/Almaty. Same figures as the /stats page and its report.",
                "security": [{"personToken": []}],
                "parameters": [
                    {"name": "department", "in": "query", "required": False, "schema": {"type": "integer"},
                     "description": "a department in your jurisdiction; omitted: all of them (a chief's city)"},
                    {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"},
                     "description": "with from: any range up to 400 days"},
                    {"name": "period", "in": "query", "required": False,
                     "schema": {"enum": ["shift", "day", "week", "month"], "default": "shift"}},
                    {"name": "at", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"}}],
                "responses": {"200": {"description": "the statistics", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "from": {"type": "string"}, "to": {"type": "string"}, "period": {"type": "string"},
                        "label": {"type": "string"}, "department_ids": {"type": "array", "items": {"type": "integer"}},
                        "incidents": {"type": "integer"}, "by_source": {"type": "object"},
                        "open_at_start": {"type": "integer"}, "open_at_end": {"type": "integer"},
                        "transfers_in": {"type": "integer"}, "transfers_out": {"type": "integer"},
                        **{name: FIGURES for name in INTERVALS},
                        "by_priority": {"type": "object", "description": "priority -> interval -> figures"},
                        "by_source_intervals": {"type": "object", "description": "source -> interval -> figures"},
                        "by_type": {"type": "object"}, "outcomes": {"type": "object"},
                        "per_hour": {"type": "array", "items": {"type": "object"}},
                        "heatmap": {"type": "array", "description": "[weekday Monday..Sunday][hour 0..23]"},
                        "by_operator": {"type": "array", "items": {"type": "object"}},
                        "by_officer": {"type": "array", "items": {"type": "object"}},
                        "by_unit": {"type": "array", "items": {"type": "object"}},
                        "exclusions": {"type": "array", "items": {"type": "object"}}}}}}},
                    **_person_problems(401, 403, 404, 422)}}},
            "/api/v1/stats/targets": {"put": {
                "summary": "Set an interval's target for a department and priority, or for all (admins)",
                "security": [{"personToken": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["interval", "target_s"], "properties": {
                        "interval": {"enum": list(INTERVALS)}, "target_s": {"type": "integer", "minimum": 1},
                        "department_id": {"type": ["integer", "null"]},
                        "priority": {"type": ["integer", "null"], "minimum": 1, "maximum": 4}}}}}},
                "responses": {"200": {"description": "the target"}, **_person_problems(401, 403, 422)}}},
            "/api/v1/departments/{department_id}/shifts": {"put": {
                "summary": "Set when a department's shifts begin, Asia/Almaty (admins)",
                "security": [{"personToken": []}],
                "parameters": [{"name": "department_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["starts"], "properties": {"starts": {
                        "type": "array", "minItems": 1, "maxItems": 6,
                        "items": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}}}}}}},
                "responses": {"200": {"description": "the pattern"}, **_person_problems(401, 403, 422)}}},
            "/api/v1/replay/state": {"get": {
                "summary": "A department's wall as it was at a moment (trainers, supervisors, chiefs, admins)",
                "description": "Reconstructed from the incident history, the camera health changes and the units' "
                               "track. Each incident carries its status at that time. Personal data are masked "
                               "(docs/masking.md); an admin may ask `unmasked=1`, which is written to the audit "
                               "journal. Scoped like the wall: another department answers 404.",
                "security": [{"personToken": []}],
                "parameters": [
                    {"name": "department", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "at", "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"},
                     "description": "ISO 8601 with offset"},
                    {"name": "unmasked", "in": "query", "required": False, "schema": {"enum": ["1"]},
                     "description": "admins only; audited"}],
                "responses": {"200": {"description": "the state", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["at", "incidents", "units", "cameras_offline", "counters"],
                    "properties": {
                        "at": {"type": "string", "format": "date-time"}, "department": {"type": "object"},
                        "incidents": {"type": "array", "items": {"type": "object", "description":
                                      "a queue row as the wall showed it, with status at that time"}},
                        "units": {"type": "array", "items": {"type": "object", "properties": {
                            "id": {"type": "integer"}, "call_sign": {"type": "string"}, "status": {"type": "string"},
                            "lat": {"type": "number"}, "lon": {"type": "number"}}}},
                        "cameras_offline": {"type": "array", "items": {"type": "object"}},
                        "counters": {"type": "object", "properties": {
                            name: {"type": "integer"} for name in ("open", "unacknowledged", "units_free",
                                                                   "cameras_offline", "cameras")}}}}}}},
                    **_person_problems(401, 403, 404, 422)}}},
            "/api/v1/replay/changes": {"get": {
                "summary": "What happened in a department between two moments, in order",
                "description": "Status changes (dispatches, arrivals, transfers in and out), events merged into "
                               "incidents, notes, units' status changes and cameras' health changes. At most 7 days "
                               "and `limit` entries (5000); `truncated` and `next_from` page on. Masked as the state.",
                "security": [{"personToken": []}],
                "parameters": [
                    {"name": "department", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 5000}},
                    {"name": "unmasked", "in": "query", "required": False, "schema": {"enum": ["1"]}}],
                "responses": {"200": {"description": "the changes", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "department_id": {"type": "integer"}, "from": {"type": "string"}, "to": {"type": "string"},
                        "truncated": {"type": "boolean"}, "next_from": {"type": ["string", "null"]},
                        "changes": {"type": "array", "items": {"type": "object", "required": ["at", "kind", "action"],
                                    "properties": {
                                        "at": {"type": "string", "format": "date-time"},
                                        "kind": {"enum": ["incident", "event", "note", "unit", "camera"]},
                                        "action": {"type": "string"}, "incident_id": {"type": "integer"},
                                        "from_status": {"type": ["string", "null"]},
                                        "to_status": {"type": ["string", "null"]},
                                        "actor": {"type": "string", "description": "a role, call sign or system"},
                                        "text": {"type": "string"}}}}}}}}},
                    **_person_problems(401, 403, 404, 422)}}},
            "/api/v1/fines:import": {"post": {
                "summary": "The fines system reports decisions on Kuzet's offences: all rows applied, or none",
                "description": "CSV (text/csv, UTF-8, a header naming the columns) or JSON {\"rows\": [...]}, rows of "
                               "offence_id, decision_no, issued_at, amount_kzt, status (issued, paid, cancelled, "
                               "appealed), paid_at, paid_amount_kzt. The same row twice changes nothing; a later row "
                               "for a decision updates it. One bad row and nothing is applied: 422 with line, column "
                               "and reason for each. See docs/settlement.md.",
                "security": [{"finesKey": []}],
                "requestBody": {"required": True, "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object", "required": ["rows"], "properties": {
                        "rows": {"type": "array", "items": {"type": "object", "properties": {
                            name: {"type": ["string", "number"]} for name in (
                                "offence_id", "decision_no", "issued_at", "amount_kzt", "status", "paid_at",
                                "paid_amount_kzt")}}}}}}}},
                "responses": {"200": {"description": "what the import changed", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {name: {"type": "integer"} for name in (
                        "import_id", "rows", "created", "updated", "unchanged", "ledger_entries")}}}}},
                    **_problems(400, 401, 413, 422)}}},
            "/api/v1/operators/{operator_id}/statements/{month}": {"get": {
                "summary": "An operator's monthly statement: the last issued one byte for byte, else the draft",
                "description": "Admins, and the operator's own login (another operator's answers 404). Amounts in "
                               "tiyn (1 KZT = 100 tiyn). See docs/settlement.md.",
                "security": [{"personToken": []}],
                "parameters": [
                    {"name": "operator_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "month", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}},
                    {"name": "format", "in": "query", "required": False, "schema": {"enum": ["json", "csv", "xlsx"]}}],
                "responses": {"200": {"description": "the statement", "content": {
                    "application/json": {"schema": {"type": "object", "required": [
                        "operator", "month", "fine_share_tiyn", "incident_fees_tiyn", "uptime_pct",
                        "uptime_penalty_tiyn", "total_tiyn", "lines", "reconciliation", "cameras", "status",
                        "sha256"]}},
                    "text/csv": {"schema": {"type": "string"}}}},
                    **_person_problems(400, 401, 403, 404)}}},
            "/api/v1/operators/{operator_id}/statements/{month}/issue": {"post": {
                "summary": "Issue the month's statement (admins): frozen, hashed, journaled; again for a correction",
                "security": [{"personToken": []}],
                "parameters": [
                    {"name": "operator_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the issued version and its sha256"},
                              **_person_problems(401, 403, 404, 409)}}},
            "/api/v1/schema/event.json": {"get": {
                "summary": "This JSON Schema of the v1 event", "security": [],
                "responses": {"200": {"description": "JSON Schema 2020-12"}}}},
        },
    }
