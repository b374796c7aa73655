"""Kuzet Event Format v1, defined once as pydantic models."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal, Optional

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.intake.catalogue import CATEGORY_OF, PLATE_TYPES

SPEC = "kuzet.event/1"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
MAX_FUTURE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)  # older than any camera in service
LATE_AFTER = timedelta(hours=24)

StrictFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str) or not RFC3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp with an offset, e.g. 2026-11-25T10:00:00+05:00")
    return value


class Location(BaseModel):
    """WGS 84 point inside Kazakhstan's bounding box."""

    model_config = ConfigDict(extra="forbid")
    lat: Annotated[StrictFloat, Field(ge=40.5, le=55.5)]
    lon: Annotated[StrictFloat, Field(ge=46.4, le=87.4)]


class Plate(BaseModel):
    """Normalised licence plate."""

    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, Field(strict=True, pattern=r"^[A-Z0-9]{2,16}$")]
    country: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$")]


class Media(BaseModel):
    """A link to evidence kept by the operator."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["snapshot", "clip", "live"]
    url: Annotated[str, Field(strict=True, pattern=r"^https?://", max_length=2048)]
    sha256: Optional[Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]] = None
    expires_at: Optional[AwareDatetime] = None

    _check_expires = field_validator("expires_at", mode="before")(lambda v: v if v is None else _rfc3339(v))


class EventV1(BaseModel):
    """One normalised camera event."""

    model_config = ConfigDict(extra="forbid")
    spec: str
    event_id: Annotated[str, Field(strict=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
    camera_id: Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
    occurred_at: AwareDatetime
    category: Literal["traffic", "public_order", "system"]
    type: Annotated[str, Field(strict=True, max_length=64)]
    confidence: Optional[Annotated[StrictFloat, Field(ge=0, le=1)]] = None
    severity: Optional[Annotated[int, Field(strict=True, ge=1, le=5)]] = None
    location: Optional[Location] = None
    # validate_default: a missing plate or speed must still meet the rules of the event's type.
    plate: Optional[Plate] = Field(default=None, validate_default=True)
    speed_kmh: Optional[Annotated[StrictFloat, Field(ge=0, le=500)]] = Field(default=None, validate_default=True)
    limit_kmh: Optional[Annotated[StrictFloat, Field(ge=0, le=200)]] = Field(default=None, validate_default=True)
    # Factories, not literal defaults: pydantic deep-copies a mutable default for every record.
    media: Annotated[list[Media], Field(max_length=10, default_factory=list,
                                        json_schema_extra={"default": []})]
    attributes: Annotated[dict[str, Any], Field(max_length=32, default_factory=dict,
                                                json_schema_extra={"default": {}})]

    _check_time = field_validator("occurred_at", mode="before")(lambda v: _rfc3339(v))

    @field_validator("spec")
    @classmethod
    def _known_spec(cls, value: str) -> str:
        if value != SPEC:
            raise ValueError(f"unsupported spec {value!r}: this centre accepts {SPEC!r} only")
        return value

    @field_validator("attributes")
    @classmethod
    def _small_attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False).encode()) > 4096:
            raise ValueError("attributes exceed 4 KiB serialised")
        return value

    # Cross-field rules live on the field they are about, so each error carries that field's JSON pointer.
    @field_validator("occurred_at", mode="after")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value < EARLIEST:
            raise ValueError("occurred_at is before 2000-01-01 (check the camera clock)")
        if value - datetime.now(timezone.utc) > MAX_FUTURE:
            raise ValueError("occurred_at is more than 5 minutes in the future (check the camera clock)")
        return value

    @field_validator("type", mode="after")
    @classmethod
    def _known_type(cls, value: str, info: ValidationInfo) -> str:
        expected = CATEGORY_OF.get(value)
        if expected is None:
            raise ValueError(f"unknown type {value!r}; see the type catalogue of {SPEC}")
        category = info.data.get("category")
        if category is not None and expected.value != category:
            raise ValueError(f"type {value!r} belongs to category {expected.value!r}, not {category!r}")
        return value

    @field_validator("plate", mode="after")
    @classmethod
    def _plate_when_needed(cls, value: Plate | None, info: ValidationInfo) -> Plate | None:
        if value is None and info.data.get("type") in PLATE_TYPES:
            raise ValueError(f"type {info.data['type']!r} requires plate")
        return value

    @field_validator("speed_kmh", "limit_kmh", mode="after")
    @classmethod
    def _speeds_when_speeding(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None and info.data.get("type") == "speeding":
            raise ValueError(f"type 'speeding' requires {info.field_name}")
        return value

    def is_late(self, received_at: datetime) -> bool:
        """Older than 24 h on arrival: accepted but flagged."""
        return received_at - self.occurred_at > LATE_AFTER
