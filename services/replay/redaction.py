"""Applying the masking rules to what replay and the trainer's views show: rows, timelines, people."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from services.replay.masking import PHONE, mask_name, mask_plate, mask_text
from services.i18n import _
from services.i18n.terms import TERMS, term
from services.store.models import User

ROLES = frozenset(TERMS["role"]) - {"operator"}  # an officer is shown by role, not by login
TEXT_FIELDS = ("description", "reason", "text", "outcome_note")


@dataclass(frozen=True)
class Redactor:
    """Masks personal data for training (``masked``) or passes it through for an admin's audited view."""

    masked: bool = True
    roles: dict[str, str] = field(default_factory=dict)  # username -> role, so officers appear by role
    logins: re.Pattern[str] | None = None  # any known login written in free text ("SOP override by duty.a")

    @classmethod
    def for_session(cls, session: so.Session, masked: bool = True) -> "Redactor":
        """A redactor that knows every user's role (officers are shown by role, not by login)."""
        roles = dict(session.execute(sa.select(User.username, User.role)).all()) if masked else {}
        names = sorted(roles, key=len, reverse=True)
        logins = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?![\w.])") if names else None
        return cls(masked=masked, roles=roles, logins=logins)

    @classmethod
    def for_viewer(cls, session: so.Session, user: User) -> "Redactor":
        """Masked for a role the permission table does not let see personal data (trainers), else as recorded."""
        from services.access.permissions import Action, allows

        return cls(masked=False) if allows(user.role, Action.VIEW_PERSONAL_DATA) else cls.for_session(session)

    def actor(self, username: str | None) -> str:
        """An officer by role, the system and units as they are."""
        if not username or not self.masked:
            return username or ""
        if username in self.roles:
            return term("role", self.roles[username]) if self.roles[username] in ROLES else _("staff member")
        return username if username in ("system", "camera") else _("staff member")

    def text(self, value: str | None) -> str:
        """Free text with phones, IINs, plates, e-mails, introduced names and officers' logins masked."""
        if not self.masked:
            return value or ""
        text = mask_text(value or "")
        return self.logins.sub(lambda m: self.actor(m.group(1)), text) if self.logins else text

    def plate(self, value: str | None) -> str:
        """A plate reduced to its region code."""
        return mask_plate(value or "") if self.masked else (value or "")

    def phone(self, value: str | None) -> str:
        """A caller's recorded phone number: withheld entirely."""
        return (PHONE if value else "") if self.masked else (value or "")

    def person(self, value: str | None) -> str:
        """A citizen's recorded name."""
        return mask_name(value or "") if self.masked else (value or "")

    def row(self, row: dict[str, Any]) -> dict[str, Any]:
        """An incident row (queue, archive, API) with its free text and people masked."""
        if not self.masked:
            return row
        out = dict(row)
        for key in TEXT_FIELDS:
            if isinstance(out.get(key), str):
                out[key] = self.text(out[key])
        for key in ("caller_name",):
            if out.get(key):
                out[key] = mask_name(out[key])
        if out.get("caller_phone"):
            out["caller_phone"] = PHONE  # a recorded caller's number, whatever its shape
        for key in ("acknowledged_by", "actor", "author"):
            if isinstance(out.get(key), str):
                out[key] = self.actor(out[key])
        if isinstance(out.get("plate"), str):
            out["plate"] = mask_plate(out["plate"])
        return out

    def record(self, record: dict[str, Any]) -> dict[str, Any]:
        """An event's normalized record: plate reduced, snapshots and clips withheld, free text masked."""
        if not self.masked:
            return record
        out = {k: v for k, v in record.items() if k not in ("media", "raw", "attributes")}
        plate = record.get("plate")
        if isinstance(plate, dict):
            out["plate"] = {**plate, "number": mask_plate(str(plate.get("number", "")))}
        elif isinstance(plate, str):
            out["plate"] = mask_plate(plate)
        for key in ("description", "text", "note"):
            if isinstance(out.get(key), str):
                out[key] = mask_text(out[key])
        if "media" in record:
            out["media_withheld"] = len(record.get("media") or [])
        return out
