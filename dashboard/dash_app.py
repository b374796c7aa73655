"""Mount Dash on the Flask app and register each page and its callbacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dash
import dash_mantine_components as dmc
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from services.i18n import N_, gettext
from dashboard.callbacks import admin, archive, boundaries, policy, cameras, coverage, incident, portal, replay, settlement, stats, views, wall
from dashboard.callbacks import audit as audit_page, keys as keys_page, users as users_page

logger = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parent.parent / "assets"


class KuzetDash(dash.Dash):
    """Dash with the page's language: ``<html lang>`` and the browser's own messages in the user's language."""

    def interpolate_index(self, **kwargs: Any) -> str:
        """Dash's page shell, told its language and given the catalogue's messages the page's scripts show."""
        from services.i18n import browser_catalogue, language
        from services.i18n.terms import terms

        shell = super().interpolate_index(**kwargs)
        catalogue = json.dumps({"messages": browser_catalogue(language()), "terms": terms()},
                               ensure_ascii=False).replace("</", "<\\/")
        shell = re.sub(r"<html[^>]*>", f'<html lang="{language()}">', shell, count=1)
        return shell.replace("</head>", f'<script id="kuzet-catalogue" type="application/json">{catalogue}</script>'
                                        "</head>", 1)


def _title(name: str) -> Callable[..., str]:
    """A page's browser title, in the language of the request that asks (Dash calls it with the path's variables)."""
    return lambda **_path: f"Kuzet — {gettext(name)}"


def init_app(server: Flask) -> dash.Dash:
    """Create the Dash app on ``server`` with the Kuzet pages."""
    app = KuzetDash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        assets_path_ignore=["^vendor$"],  # npm libraries load only where a page asks for them (wallmap.js)
        title="Kuzet",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        on_error=_callback_failed,
    )
    dash.register_page("wall", path="/wall", title=_title(N_("wall")), layout=wall.page)
    app.layout = dmc.MantineProvider(forceColorScheme="dark", children=[dash.page_container])
    dash.register_page("coverage", path="/coverage", title=_title(N_("coverage")), layout=coverage.page)
    dash.register_page("stats", path="/stats", title=_title(N_("shift statistics")), layout=stats.page)
    dash.register_page("replay", path="/replay", title=_title(N_("replay")), layout=replay.page)
    dash.register_page("archive", path="/incidents", title=_title(N_("incident archive")), layout=archive.page)
    dash.register_page("incident", path_template="/incidents/<incident_id>", title=_title(N_("incident")),
                       layout=incident.page)
    dash.register_page("admin-dead-letters", path="/admin/dead-letters", title=_title(N_("rejected events")),
                       layout=admin.page)
    dash.register_page("admin-boundaries", path="/admin/boundaries", title=_title(N_("departments and boundaries")),
                       layout=boundaries.page)
    dash.register_page("admin-policy", path="/admin/policy", title=_title(N_("priority policy and SOPs")),
                       layout=policy.page)
    dash.register_page("admin-users", path="/admin/users", title=_title(N_("users")), layout=users_page.page)
    dash.register_page("admin-keys", path="/admin/keys", title=_title(N_("operators' API keys")), layout=keys_page.page)
    dash.register_page("admin-audit", path="/admin/audit", title=_title(N_("audit journal")), layout=audit_page.page)
    dash.register_page("cameras", path="/cameras", title=_title(N_("cameras")), layout=cameras.cameras_page)
    dash.register_page("views", path="/views", title=_title(N_("video views")), layout=views.page)
    dash.register_page("operators", path="/operators", title=_title(N_("operators")), layout=cameras.operators_page)
    dash.register_page("settlement", path="/settlement", title=_title(N_("settlement with operators")),
                       layout=settlement.page)
    wall.register(app)
    cameras.register(app)
    admin.register(app)
    boundaries.register(app)
    policy.register(app)
    incident.register(app)
    coverage.register(app)
    stats.register(app)
    replay.register(app)
    archive.register(app)
    settlement.register(app)
    portal.register(app)
    views.register(app)
    users_page.register(app)
    keys_page.register(app)
    audit_page.register(app)
    server.extensions["dash"] = app
    server.before_request(lambda: _refuse_malformed_callback(app))
    server.before_request(_not_a_page)
    return app


def _not_a_page() -> Any:
    """A path that is no Flask route and no Kuzet page answers a Kuzet 404 page with HTTP 404, not Dash's shell."""
    from flask import render_template

    endpoint = request.url_rule.endpoint if request.url_rule is not None else None
    if endpoint not in ("/", "/<path:path>"):
        return None  # a route of its own (login, exports, the API, assets): it answers for itself
    if request.path.startswith("/api/"):
        from werkzeug.exceptions import NotFound

        raise NotFound()  # Dash's catch-all took it; the API's handler answers problem+json
    if request.method != "GET":
        return None
    path = request.path.rstrip("/") or "/"
    if path == "/" or any(_matches(page, path) for page in dash.page_registry.values()):
        return None
    from dashboard.auth import logged_in
    from services.access.permissions import Page

    home, label = ("/wall", gettext("To the wall")) if logged_in(Page.DUTY_ROOM) is not None else \
        ("/operators", gettext("To your portal")) if logged_in(Page.OPERATORS) is not None else \
        ("/login", gettext("Sign in"))
    return render_template("not_found.html", path=request.path[:200], home=home, home_label=label), 404


def _matches(page: dict[str, Any], path: str) -> bool:
    template = page.get("path_template")
    if template:
        pattern = "^" + re.sub(r"<[^/>]+>", r"[^/]+", template.rstrip("/")) + "$"
        return re.match(pattern, path) is not None
    return page.get("path", "").rstrip("/") == path


def _callback_failed(error: Exception) -> None:
    """A callback that raised (forged or unforeseen input): logged with its trace, the page left as it was, no 500."""
    logger.error("callback %s failed on its input; the page keeps its state", dash.ctx.triggered_id, exc_info=error)
    return None


def _refuse_malformed_callback(app: dash.Dash) -> Any:
    """A callback request that names no server callback, or is not shaped like one, is a 400, not Dash's 500."""
    if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
        return None
    body = request.get_json(silent=True)
    spec = app.callback_map.get(body.get("output")) if isinstance(body, dict) and isinstance(body.get("output"), str) \
        else None
    if spec is None or "callback" not in spec or not _shaped(body.get("inputs", []), spec["inputs"]) \
            or not _shaped(body.get("state", []), spec.get("state", [])):
        return Response('{"error": "not a callback of this page"}', status=400, mimetype="application/json")
    return None


def _shaped(sent: Any, declared: list[dict[str, Any]]) -> bool:
    """Whether the sent inputs (or states) are as many as declared and each as Dash sends it.

    A plain id comes as one ``{"id", "property", "value"}``; a pattern id (ALL, MATCH) as a list of
    them with concrete dict ids. Dash itself indexes into these without checking.
    """
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False

    def item(x: Any, pattern: bool) -> bool:
        return isinstance(x, dict) and isinstance(x.get("property"), str) and \
            isinstance(x.get("id"), dict if pattern else str) and \
            (not pattern or all(isinstance(v, (str, int, float, bool)) for v in x["id"].values()))

    for given, wanted in zip(sent, declared):
        pattern = str(wanted.get("id", "")).startswith("{")
        if pattern and not (isinstance(given, list) and all(item(x, True) for x in given)):
            return False
        if not pattern and not item(given, False):
            return False
    return True
