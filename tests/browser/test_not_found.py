"""A mistyped address in a real browser: Kuzet's 404 page, and its link back to the wall."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_a_mistyped_page_says_so_and_leads_back(browser: Any, live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "duty.a", "/wall")
    try:
        answer = page.goto(f"{live_server.url}/wal")
        assert answer is not None and answer.status == 404
        page.wait_for_selector("#not-found")
        assert "404" in page.inner_text("#not-found")
        page.click("#not-found-home")
        page.wait_for_url("**/wall")
        page.wait_for_selector(".wall")
    finally:
        context.close()
