"""The same navigation on every page, by role: each page a role may open carries the same links, its own marked."""

from __future__ import annotations

from typing import Any

import pytest

from layouts.nav import LANGUAGE_SWITCH, LINKS, NAV
from services.access.permissions import open_pages
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

ROLES = {"duty.a": "duty_officer", "super.a": "supervisor", "trainer.a": "trainer", "chief": "chief"}


def _links(page: Any) -> list[str]:
    return page.eval_on_selector_all(f"#{NAV} > a", "(as) => as.map((a) => a.getAttribute('href'))")


@pytest.mark.parametrize("username", sorted(ROLES))
def test_every_page_a_role_opens_carries_the_same_navigation(browser: Any, live_server: LiveServer,
                                                             username: str) -> None:
    pages = open_pages(ROLES[username])
    expected = [href for page, href, _ in LINKS if page in pages] + ["/account/security", "/logout"]
    context, page = logged_in_page(browser, live_server, username, "/wall")
    try:
        for href in expected[:-2]:
            page.goto(f"{live_server.url}{href}")
            page.wait_for_selector(f"#{NAV}", timeout=WAIT_MS)
            assert _links(page) == expected, href
            current = page.eval_on_selector_all(f"#{NAV} a[aria-current=page]", "(as) => as.map((a) => a.getAttribute('href'))")
            assert current == [href], href
            assert page.locator("#not-found").count() == 0 and page.locator(".denied").count() == 0, href
            switch = page.eval_on_selector_all(f"#{LANGUAGE_SWITCH} a", "(as) => as.map((a) => a.getAttribute('href'))")
            assert switch == [f"/language/{code}?next={href}" for code in ("kk", "ru", "en")], href
    finally:
        context.close()
