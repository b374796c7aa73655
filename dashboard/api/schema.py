"""The published format: JSON Schema and OpenAPI, generated from the models the validator uses."""

from __future__ import annotations

from flask import Response, jsonify

from dashboard.api import api
from tools.openapi import event_schema, openapi


@api.get("/schema/event.json")
def get_event_schema() -> Response:
    """JSON Schema 2020-12 of one v1 event."""
    response = jsonify(event_schema())
    response.mimetype = "application/schema+json"
    return response


@api.get("/openapi.json")
def get_openapi() -> Response:
    """OpenAPI 3.1 of the operator-facing API."""
    return jsonify(openapi())
