"""The chief's coverage page in a real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from layouts.coverage import DISTRICTS, MAP, OPERATOR
from tests.browser.conftest import ARTIFACTS, WAIT_MS, logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_chief_sees_city_coverage_and_filters_by_operator(browser: Any, live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "chief", "/coverage")
    try:
        page.wait_for_selector(f"#{MAP} .maplibregl-canvas")
        rows = page.locator(f"#{DISTRICTS} .ag-center-cols-container .ag-row")
        rows.first.wait_for()
        assert rows.count() == 8  # every district of the city, not only the chief's own
        almaly = rows.filter(has_text="Almaly")
        assert almaly.locator('[col-id="cameras"]').inner_text().strip() == "1"
        page.wait_for_timeout(1500)  # let MapLibre draw the layers before the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "coverage.png"))
        page.click(f"#{OPERATOR}")
        page.get_by_role("option", name="Other Operator LLP").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#coverage-districts .ag-center-cols-container "
            "[col-id=\"cameras\"]')].every(c => c.textContent.trim() === '0')", timeout=WAIT_MS)
        assert "operator=" in page.get_attribute("#coverage-export-csv", "href")
    finally:
        context.close()


def test_duty_officer_is_refused(browser: Any, live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "duty.a", "/coverage")
    try:
        page.get_by_text("Нет доступа").wait_for()
        assert page.locator(f"#{MAP}").count() == 0
    finally:
        context.close()
