"""The duty room's vocabulary, once: what each stored code (a status, an outcome, a type...) is called.

Each kind is a gettext context, so one English word may be two things in Russian and Kazakh (a unit's
"on scene" and an incident's). The codes themselves never change: the API, exports' code columns and the
database keep them; people read ``term(kind, code)``. The terms used and their sources are in docs/i18n.md.
"""

from __future__ import annotations

from services.i18n import pgettext


def NP_(context: str, message: str) -> str:
    """Mark a message of a context for the catalogue without translating it now."""
    return message


TERMS: dict[str, dict[str, str]] = {
    "status": {
        "new": NP_("status", "NEW"), "acknowledged": NP_("status", "acknowledged"),
        "dispatched": NP_("status", "unit dispatched"), "on_scene": NP_("status", "unit on scene"),
        "resolved": NP_("status", "resolved"), "closed": NP_("status", "closed"),
        "on_hold": NP_("status", "on hold"), "dismissed": NP_("status", "false call"),
        "transferred": NP_("status", "TRANSFERRED"),
    },
    "outcome": {
        "detained": NP_("outcome", "Detained"), "administrative_protocol": NP_("outcome", "Administrative protocol"),
        "criminal_case": NP_("outcome", "Criminal case opened"), "warning": NP_("outcome", "Warning"),
        "no_offence": NP_("outcome", "No offence"), "false_alarm": NP_("outcome", "False alarm"),
        "handed_over": NP_("outcome", "Handed to another service"),
    },
    "unit": {
        "available": NP_("unit", "free"), "en_route": NP_("unit", "en route"),
        "on_scene": NP_("unit", "on scene"), "off_duty": NP_("unit", "off duty"),
    },
    "health": {
        "online": NP_("health", "online"), "stale": NP_("health", "no signal"),
        "offline": NP_("health", "offline"), "unknown": NP_("health", "unknown"),
    },
    "type": {
        "weapon": NP_("type", "Weapon"), "panic_button": NP_("type", "Panic button"), "fight": NP_("type", "Fight"),
        "fire_smoke": NP_("type", "Smoke/fire"), "wanted_person": NP_("type", "Wanted: person"),
        "wanted_vehicle": NP_("type", "Wanted: vehicle"), "intrusion": NP_("type", "Intrusion"),
        "fall": NP_("type", "Person fallen"), "crowd": NP_("type", "Crowd"),
        "abandoned_object": NP_("type", "Abandoned object"), "vandalism": NP_("type", "Vandalism"),
        "loitering": NP_("type", "Loitering"), "motion": NP_("type", "Motion"),
        "camera_offline": NP_("type", "Camera offline"), "operator_outage": NP_("type", "Operator outage"),
        "video_loss": NP_("type", "Video loss"), "tamper": NP_("type", "Camera tampering"),
        "storage_failure": NP_("type", "Storage failure"), "reboot": NP_("type", "Camera restarted"),
        "heartbeat": NP_("type", "Heartbeat"),
        "red_light": NP_("type", "Red light"), "speeding": NP_("type", "Speeding"),
        "wrong_way": NP_("type", "Wrong way"), "no_seatbelt": NP_("type", "No seat belt"),
        "phone_use": NP_("type", "Phone while driving"), "lane_violation": NP_("type", "Lane violation"),
        "stop_line": NP_("type", "Stop line crossed"), "pedestrian_crossing": NP_("type", "Pedestrian not given way"),
        "bus_lane": NP_("type", "Bus lane"), "parking": NP_("type", "Parking"),
        "no_insurance": NP_("type", "No insurance"),
        "manual_call": NP_("type", "102 call"),
    },
    "category": {
        "traffic": NP_("category", "traffic"), "public_order": NP_("category", "public order"),
        "system": NP_("category", "camera health"),
    },
    "source": {
        "camera": NP_("source", "cameras"), "manual": NP_("source", "102 calls"), "health": NP_("source", "camera health"),
    },
    "mount": {
        "road": NP_("mount", "road"), "street": NP_("mount", "street"), "yard": NP_("mount", "yard"),
        "school": NP_("mount", "school"), "kindergarten": NP_("mount", "kindergarten"),
        "transport": NP_("mount", "transport"), "prison": NP_("mount", "prison"), "other": NP_("mount", "other"),
    },
    "role": {
        "duty_officer": NP_("role", "duty officer"), "supervisor": NP_("role", "shift supervisor"),
        "chief": NP_("role", "chief"), "trainer": NP_("role", "trainer"), "admin": NP_("role", "administrator"),
        "operator": NP_("role", "camera operator"),
    },
    "action": {
        "open": NP_("action", "opened"), "acknowledge": NP_("action", "acknowledged"),
        "dispatch": NP_("action", "unit dispatched"), "arrive": NP_("action", "unit on scene"),
        "resolve": NP_("action", "resolved"), "close": NP_("action", "closed"), "hold": NP_("action", "put on hold"),
        "resume": NP_("action", "resumed"), "dismiss": NP_("action", "dismissed as false"),
        "transfer": NP_("action", "transferred"), "reopen": NP_("action", "reopened"),
        "record_outcome": NP_("action", "outcome corrected"), "auto_close": NP_("action", "closed automatically"),
        "merge": NP_("action", "event merged"), "note": NP_("action", "note"),
    },
}


def term(kind: str, code: str | None) -> str:
    """What people call ``code`` of ``kind`` in the language of the moment; an unknown code is shown as it is."""
    if code is None:
        return "—"
    english = TERMS.get(kind, {}).get(code)
    return pgettext(kind, english) if english is not None else code


def terms() -> dict[str, dict[str, str]]:
    """Every kind's codes and names in the language of the moment (for the browser's scripts)."""
    return {kind: {code: pgettext(kind, english) for code, english in codes.items()} for kind, codes in TERMS.items()}
