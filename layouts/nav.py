"""The one navigation every page carries: the pages the user's role may open, the current one marked, the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dash import html

from services.access.permissions import Page
from services.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, language

# In the order a duty room works: the wall, then the record, then review, then administration.
LINKS: tuple[tuple[Page, str, str], ...] = (
    (Page.DUTY_ROOM, "/wall", N_("Wall")),
    (Page.ARCHIVE, "/incidents", N_("Archive")),
    (Page.STATS, "/stats", N_("Statistics")),
    (Page.REPLAY, "/replay", N_("Replay")),
    (Page.COVERAGE, "/coverage", N_("Coverage")),
    (Page.DUTY_ROOM, "/cameras", N_("Cameras")),
    (Page.OPERATORS, "/operators", N_("Operators")),
    (Page.SETTLEMENT, "/settlement", N_("Settlement")),
    (Page.VIDEO_VIEWS, "/views", N_("Video views")),
    (Page.ADMIN, "/admin/users", N_("Admin console")),
)
# The console's sections: one link in the navigation, and these under it on the console's own pages.
ADMIN_SECTIONS: tuple[tuple[str, str], ...] = (
    ("/admin/users", N_("Users")),
    ("/admin/keys", N_("API keys")),
    ("/admin/boundaries", N_("Boundaries")),
    ("/admin/policy", N_("Policy and SOPs")),
    ("/admin/audit", N_("Audit journal")),
    ("/admin/dead-letters", N_("Rejected")),
)
ADMIN_NAV = "kuzet-admin-sections"
NAV = "kuzet-nav"
LANGUAGE_SWITCH = "kuzet-language"


def switch_links(here: str) -> list[dict[str, Any]]:
    """Each language's name (in itself) and the switch's address that comes back to ``here``, the current one marked."""
    return [{"code": code, "name": LANGUAGE_NAMES[code], "href": f"/language/{code}?next={quote(here, safe='/')}",
             "current": code == language()} for code in LANGUAGES]


def language_switch(here: str) -> html.Span:
    """Қазақша · Русский · English, the current one marked; a choice is remembered for the user."""
    return html.Span(id=LANGUAGE_SWITCH, className="language-switch", **{"aria-label": _("Language")}, children=[
        html.A(link["name"], href=link["href"], lang=link["code"], hrefLang=link["code"],
               className="nav-current" if link["current"] else None,
               **({"aria-current": "true"} if link["current"] else {}))
        for link in switch_links(here)])


def nav(username: str, pages: frozenset[Page], current: str) -> html.Nav:
    """Who is logged in, a link to every page in ``pages`` (``current`` marked), security, language and logout."""
    console = current.startswith("/admin/")

    def here(href: str) -> bool:
        return href == current or (console and href == "/admin/users")

    links = [html.A(_(label), href=href, className="nav-current" if here(href) else None,
                    **({"aria-current": "page"} if here(href) else {}))
             for page, href, label in LINKS if page in pages]
    return html.Nav(id=NAV, className="nav", **{"aria-label": _("Pages")}, children=[
        html.Span(username, className="who", **{"data-i18n": "data"}), *links,
        html.A(_("Security"), href="/account/security",
               className="nav-current" if current == "/account/security" else None),
        language_switch(current),
        html.A(_("Log out"), href="/logout", className="logout"),
        *([admin_sections(current)] if console and Page.ADMIN in pages else []),
    ])


def admin_sections(current: str) -> html.Div:
    """The console's sections, the current one marked: shown on the console's pages under the navigation."""
    return html.Div(id=ADMIN_NAV, className="nav-sections", children=[
        html.A(_(label), href=href, className="nav-current" if href == current else None,
               **({"aria-current": "page"} if href == current else {}))
        for href, label in ADMIN_SECTIONS])
