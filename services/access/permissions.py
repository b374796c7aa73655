"""Who may do what: the one role x action table every door (REST, Dash, CLI) is checked against."""

from __future__ import annotations

import enum

from services.errors import Forbidden
from services.i18n import N_, _
from services.i18n.terms import term
from services.store.models import Role, User


class Action(enum.StrEnum):
    """Everything a person does in Kuzet that changes the record, and the personal data they may see."""

    ACKNOWLEDGE = "acknowledge"
    DISPATCH = "dispatch"
    ARRIVE = "arrive"
    HOLD = "hold"
    RESUME = "resume"
    DISMISS = "dismiss"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    OVERRIDE_SOP = "override_sop"
    CLOSE = "close"
    REOPEN = "reopen"
    RECORD_OUTCOME = "record_outcome"
    ADD_NOTE = "add_note"
    TICK_SOP_STEP = "tick_sop_step"
    CREATE_CALL = "create_call"
    SET_UNIT_STATUS = "set_unit_status"
    SET_UNIT_POSITION = "set_unit_position"
    SET_POLICY = "set_policy"
    SET_SOP = "set_sop"
    REPLAY_DEAD_LETTER = "replay_dead_letter"
    IMPORT_BOUNDARIES = "import_boundaries"  # districts and their departments from a file; cameras follow
    SET_SHIFT_PATTERN = "set_shift_pattern"
    SET_RESPONSE_TARGET = "set_response_target"
    GRANT_DEPARTMENT = "grant_department"
    VIEW_UNMASKED = "view_unmasked"
    VIEW_PERSONAL_DATA = "view_personal_data"
    SET_CONTRACT = "set_contract"
    ISSUE_STATEMENT = "issue_statement"
    READ_ANY_STATEMENT = "read_any_statement"
    READ_OWN_STATEMENT = "read_own_statement"  # an operator's login: its own operator's, nobody else's
    MANAGE_OWN_KEYS = "manage_own_keys"  # an operator's login: its API keys, from the portal
    WATCH_VIDEO = "watch_video"  # a camera's live view or an evidence clip, through the centre; each view audited
    READ_VIDEO_VIEWS = "read_video_views"  # who watched which camera, when


_DUTY = frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR, Role.ADMIN})
_SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
_ADMINS = frozenset({Role.ADMIN})

# Chiefs and trainers read; they write nothing here. Reopening a closed case and resolving with
# mandatory SOP steps unticked are a supervisor's decisions.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.ACKNOWLEDGE: _DUTY,
    Action.DISPATCH: _DUTY,
    Action.ARRIVE: _DUTY,
    Action.HOLD: _DUTY,
    Action.RESUME: _DUTY,
    Action.DISMISS: _DUTY,
    Action.TRANSFER: _DUTY,
    Action.RESOLVE: _DUTY,
    Action.OVERRIDE_SOP: _SUPERVISORS,
    Action.CLOSE: _DUTY,
    Action.REOPEN: _SUPERVISORS,
    Action.RECORD_OUTCOME: _DUTY,
    Action.ADD_NOTE: _DUTY,
    Action.TICK_SOP_STEP: _DUTY,
    Action.CREATE_CALL: _DUTY,
    Action.SET_UNIT_STATUS: _DUTY,
    Action.SET_UNIT_POSITION: _DUTY,
    Action.SET_POLICY: _ADMINS,
    Action.SET_SOP: _ADMINS,
    Action.REPLAY_DEAD_LETTER: _ADMINS,
    Action.IMPORT_BOUNDARIES: _ADMINS,
    Action.SET_SHIFT_PATTERN: _ADMINS,
    Action.SET_RESPONSE_TARGET: _ADMINS,
    Action.GRANT_DEPARTMENT: _ADMINS,
    Action.VIEW_UNMASKED: _ADMINS,  # a replay with personal data shown; written to the audit journal
    # Past incidents as recorded (case file, archive, incident API); trainers see them masked.
    Action.VIEW_PERSONAL_DATA: frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR, Role.CHIEF, Role.ADMIN}),
    Action.SET_CONTRACT: _ADMINS,
    Action.ISSUE_STATEMENT: _ADMINS,
    Action.READ_ANY_STATEMENT: _ADMINS,
    Action.READ_OWN_STATEMENT: frozenset({Role.OPERATOR}),
    Action.MANAGE_OWN_KEYS: frozenset({Role.OPERATOR}),
    # Video shows faces and plates: the roles that see personal data, never a trainer's masked view.
    Action.WATCH_VIDEO: frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR, Role.CHIEF, Role.ADMIN}),
    Action.READ_VIDEO_VIEWS: frozenset({Role.CHIEF, Role.ADMIN}),
}


class Page(enum.StrEnum):
    """The pages whose opening depends on the role; the duty room's own pages are ``DUTY_ROOM``."""

    DUTY_ROOM = "wall"  # the wall, incidents, cameras, units and the API behind them: the police's own
    OPERATORS = "operators"  # scorecards for the police; for an operator's login, its portal
    SETTLEMENT = "settlement"
    COVERAGE = "coverage"
    STATS = "stats"
    ADMIN = "admin"
    REPLAY = "replay"
    ARCHIVE = "incidents"
    VIDEO_VIEWS = "views"  # who watched which camera's video, when


_REVIEWERS = frozenset({Role.TRAINER, Role.SUPERVISOR, Role.CHIEF, Role.ADMIN})
_POLICE = frozenset(Role) - {Role.OPERATOR}

PAGES: dict[Page, frozenset[Role]] = {
    Page.DUTY_ROOM: _POLICE,
    Page.OPERATORS: frozenset(Role),
    Page.SETTLEMENT: _ADMINS,
    Page.COVERAGE: frozenset({Role.CHIEF, Role.ADMIN}),
    Page.STATS: frozenset({Role.SUPERVISOR, Role.CHIEF, Role.ADMIN}),  # and GET /api/v1/stats
    Page.ADMIN: _ADMINS,
    Page.REPLAY: _REVIEWERS,  # and GET /api/v1/replay/...
    Page.ARCHIVE: _POLICE,  # personal data masked for trainers
    Page.VIDEO_VIEWS: frozenset({Role.CHIEF, Role.ADMIN}),  # as Action.READ_VIDEO_VIEWS
}


# What a refusal says a role may or may not do: each action as the verb phrase that follows "may not".
DOING: dict[Action, str] = {
    Action.ACKNOWLEDGE: N_("acknowledge an incident"), Action.DISPATCH: N_("dispatch a unit"),
    Action.ARRIVE: N_("mark a unit on scene"), Action.HOLD: N_("put an incident on hold"),
    Action.RESUME: N_("resume an incident"), Action.DISMISS: N_("dismiss a false call"),
    Action.TRANSFER: N_("transfer an incident"), Action.RESOLVE: N_("resolve an incident"),
    Action.OVERRIDE_SOP: N_("resolve with mandatory SOP steps unticked"), Action.CLOSE: N_("close an incident"),
    Action.REOPEN: N_("reopen an incident"), Action.RECORD_OUTCOME: N_("correct an outcome"),
    Action.ADD_NOTE: N_("add a note"), Action.TICK_SOP_STEP: N_("tick an SOP step"),
    Action.CREATE_CALL: N_("register a 102 call"), Action.SET_UNIT_STATUS: N_("put a unit on or off duty"),
    Action.SET_UNIT_POSITION: N_("report a unit's position"), Action.SET_POLICY: N_("change the priority policy"),
    Action.SET_SOP: N_("change an SOP checklist"), Action.REPLAY_DEAD_LETTER: N_("replay a dead letter"),
    Action.IMPORT_BOUNDARIES: N_("import boundaries"), Action.SET_SHIFT_PATTERN: N_("change the shift pattern"),
    Action.SET_RESPONSE_TARGET: N_("change the response targets"),
    Action.GRANT_DEPARTMENT: N_("grant a department"), Action.VIEW_UNMASKED: N_("see personal data unmasked"),
    Action.VIEW_PERSONAL_DATA: N_("see personal data"), Action.SET_CONTRACT: N_("change a contract"),
    Action.ISSUE_STATEMENT: N_("issue a statement"), Action.READ_ANY_STATEMENT: N_("read any operator's statement"),
    Action.READ_OWN_STATEMENT: N_("read the operator's own statement"),
    Action.MANAGE_OWN_KEYS: N_("manage the operator's API keys"), Action.WATCH_VIDEO: N_("watch video"),
    Action.READ_VIDEO_VIEWS: N_("read who watched video"),
}


def doing(action: Action | str) -> str:
    """An action as a refusal names it, in the language of the moment (an unknown name as it is)."""
    try:
        return _(DOING[Action(action)])
    except (KeyError, ValueError):
        return str(action)


def may_open(role: str, page: Page) -> bool:
    """Whether the role may open the page (and its exports)."""
    return role in PAGES[page]


def open_pages(role: str) -> frozenset[Page]:
    """Every page the role may open: what its navigation offers."""
    return frozenset(p for p, roles in PAGES.items() if role in roles)


def allows(role: str, action: Action | str) -> bool:
    """Whether the role may take the action at all (state and scope are checked by the action)."""
    return role in PERMISSIONS.get(Action(action), frozenset())


def permitted(role: str) -> frozenset[Action]:
    """Every action the role may take: what the pages offer it."""
    return frozenset(a for a, roles in PERMISSIONS.items() if role in roles)


def require(actor: User, action: Action) -> None:
    """Raise Forbidden unless the actor's role may take the action."""
    if not allows(actor.role, action):
        raise Forbidden(_("The role “%(role)s” may not %(doing)s.", role=term("role", actor.role),
                          doing=doing(action)), action=action.value)


def table_markdown() -> str:
    """The table as Markdown, for docs/permissions.md (a test keeps the two the same)."""
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for action, allowed in PERMISSIONS.items():
        lines.append(f"| `{action.value}` | " + " | ".join("yes" if r in allowed else "—" for r in roles) + " |")
    lines += ["", "| page | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for page, allowed in PAGES.items():
        lines.append(f"| `/{page.value}` | " + " | ".join("yes" if r in allowed else "—" for r in roles) + " |")
    return "\n".join(lines) + "\n"
