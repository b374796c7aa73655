"""Browser-test fixtures: one Debian Chromium per module, driven by Playwright, and a logged-in page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, PASSWORD, LiveServer, totp_code

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
VIEWPORT = {"width": 1920, "height": 1080}
WAIT_MS = 10_000  # any single wait


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module; each test opens its own contexts."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found; the browser tests need Debian's chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def logged_in_page(browser: Any, server: LiveServer, username: str, path: str,
                   enforce_csp: bool = False) -> tuple[Any, Any]:
    """A fresh context logged in through the real login form, landed on ``path``.

    Playwright's waits evaluate strings in the page, which the pages' CSP forbids: tests lift it for the
    harness only, and tests/browser/test_headers.py loads every page with the policy enforced.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="ru-RU", timezone_id="Asia/Almaty",
                                  bypass_csp=not enforce_csp)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    if username == "admin":  # the admin's second step: the code from its authenticator
        with page.expect_navigation(url="**/login/code"):
            page.click("#login-submit")
        page.fill("#otp", totp_code())
        with page.expect_navigation(url=f"**{path}"):
            page.click("#otp-submit")
        return context, page
    with page.expect_navigation(url=f"**{path}"):
        page.click("#login-submit")
    return context, page
