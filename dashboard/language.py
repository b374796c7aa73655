"""The language of each request and the switch every page carries: the user's choice, remembered.

Pages speak the logged-in user's language (else the one this browser last chose, else Russian); the API
speaks the language of ``Accept-Language`` (else Russian), its machine codes never translated.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, g, redirect, request
from flask_login import current_user

from dashboard.context import db
from services.access.users import choose_language
from services.i18n import LANGUAGES, gettext, language, negotiate, reset_language, set_language, translations

bp = Blueprint("language", __name__)
COOKIE = "kuzet_language"
YEAR_S = 365 * 24 * 3600


def request_language() -> str | None:
    """The language this request asks for, before the default: see the module's docstring."""
    if request.path.startswith("/api/"):
        return negotiate(list(request.accept_languages))
    try:
        user = current_user.user if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - a broken session cookie is the login guard's to answer, in the default language
        user = None
    if user is not None:
        return user.language
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else None


def _begin() -> None:
    g.language_token = set_language(request_language())


def _end(_error: BaseException | None) -> None:
    token = g.pop("language_token", None)
    if token is not None:
        reset_language(token)


def _local_path(target: str | None) -> str:
    """Only a path of this site to go back to (never another host: the switch is no open redirect)."""
    if not target:
        return "/wall"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/wall"
    return target


@bp.get("/language/<code>")
def switch(code: str) -> Response:
    """Speak ``code`` from now on (remembered for the user, and in this browser for the login page); back to ``next``."""
    if code not in LANGUAGES:
        return Response(gettext("Unknown language."), status=404, mimetype="text/plain")
    user = current_user.user if current_user.is_authenticated else None
    if user is not None:
        choose_language(db(), user, code)
        db().commit()
    answer = redirect(_local_path(request.args.get("next")), code=303)
    answer.set_cookie(COOKIE, code, max_age=YEAR_S, samesite="Lax", httponly=True,
                      secure=bool(request.is_secure))
    return answer


def init_app(app: Flask) -> None:
    """Every request speaks its language from its first hook to its last; templates translate with the catalogue."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.teardown_request(_end)
    app.register_blueprint(bp)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, lambda singular, plural, n: translations(language()).ngettext(singular, plural, n), newstyle=True)
    app.jinja_env.globals["languages"] = _switch_links
    app.jinja_env.globals["current_language"] = language


def _switch_links() -> list[dict[str, Any]]:
    """The switch's links for a template, coming back to this page."""
    from layouts.nav import switch_links

    return switch_links(request.full_path.rstrip("?"))
