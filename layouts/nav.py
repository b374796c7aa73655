"""The one navigation every page carries: the pages the user's role may open, the current one marked."""

from __future__ import annotations

from dash import html

from services.access.permissions import Page

# In the order a duty room works: the wall, then the record, then review, then administration.
LINKS: tuple[tuple[Page, str, str], ...] = (
    (Page.DUTY_ROOM, "/wall", "Пульт"),
    (Page.ARCHIVE, "/incidents", "Архив"),
    (Page.STATS, "/stats", "Статистика"),
    (Page.REPLAY, "/replay", "Разбор"),
    (Page.COVERAGE, "/coverage", "Покрытие"),
    (Page.DUTY_ROOM, "/cameras", "Камеры"),
    (Page.OPERATORS, "/operators", "Операторы"),
    (Page.SETTLEMENT, "/settlement", "Расчёты"),
    (Page.VIDEO_VIEWS, "/views", "Просмотры"),
    (Page.ADMIN, "/admin/dead-letters", "Отклонённые"),
)
NAV = "kuzet-nav"


def nav(username: str, pages: frozenset[Page], current: str) -> html.Nav:
    """Who is logged in, a link to every page in ``pages`` (``current`` marked), security, and logout."""
    links = [html.A(label, href=href, className="nav-current" if href == current else None,
                    **({"aria-current": "page"} if href == current else {}))
             for page, href, label in LINKS if page in pages]
    return html.Nav(id=NAV, className="nav", **{"aria-label": "Разделы · Pages"}, children=[
        html.Span(username, className="who"), *links,
        html.A("Безопасность", href="/account/security",
               className="nav-current" if current == "/account/security" else None),
        html.A("Выход", href="/logout", className="logout"),
    ])
