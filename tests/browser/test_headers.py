"""Every page works under its Content Security Policy: no violation, the page's content drawn."""

from __future__ import annotations

import pytest
import requests

from tests.browser.conftest import logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PAGES = [("duty.a", "/wall", "#wall-queue .ag-header"), ("duty.a", "/incidents", "#archive-grid .ag-header"),
         ("trainer.a", "/replay", "#replay-map .maplibregl-canvas"), ("super.a", "/stats", "#stats-incidents"),
         ("chief", "/coverage", "#coverage-map .maplibregl-canvas"), ("admin", "/cameras", ".ag-header"),
         ("admin", "/admin/dead-letters", "body")]


def test_every_page_renders_under_the_policy_with_no_violation(browser: object, live_server: LiveServer) -> None:
    for username, path, drawn in PAGES:
        context, page = logged_in_page(browser, live_server, username, path, enforce_csp=True)
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        try:
            page.reload()  # the first load came through the login redirect; watch this one from the start
            page.wait_for_selector(drawn, state="attached")
            page.wait_for_timeout(500)
            assert violations == [], (path, violations[:3])
        finally:
            context.close()


def test_pages_and_answers_carry_the_protective_headers(live_server: LiveServer) -> None:
    login = requests.get(f"{live_server.url}/login", timeout=10)
    csp = login.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    for answer in (login, requests.get(f"{live_server.url}/api/v1/incidents", timeout=10),
                   requests.get(f"{live_server.url}/healthz", timeout=10)):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["Cache-Control"] == "no-store"
    asset = requests.get(f"{live_server.url}/assets/kuzet.css", timeout=10)
    assert asset.status_code == 200 and asset.headers.get("Cache-Control") != "no-store"
