"""The chief's coverage page in a real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

import requests

from layouts.coverage import CANDIDATES, DISTRICTS, MAP, OPERATOR
from tests.browser.conftest import ARTIFACTS, WAIT_MS, logged_in_page
from tests.conftest import ALMALY_POINT, PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def _calls(server: LiveServer, *points: tuple[float, float]) -> None:
    """102 calls through the REST API, as a duty officer takes them."""
    token = requests.post(f"{server.url}/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD},
                          timeout=5).json()["access_token"]
    for lat, lon in points:
        answer = requests.post(f"{server.url}/api/v1/incidents", json={"lat": lat, "lon": lon, "type": "fight"},
                               headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 201, answer.text


def test_chief_sees_city_coverage_and_filters_by_operator(browser: Any, live_server: LiveServer) -> None:
    # Three calls at one spot ~1 km from any camera (a blind spot), one right at CAM-A (covered).
    blind_spot = (ALMALY_POINT[0] + 0.009, ALMALY_POINT[1] + 0.002)
    _calls(live_server, blind_spot, blind_spot, blind_spot, ALMALY_POINT)
    context, page = logged_in_page(browser, live_server, "chief", "/coverage")
    try:
        page.wait_for_selector(f"#{MAP} .maplibregl-canvas")
        rows = page.locator(f"#{DISTRICTS} .ag-center-cols-container .ag-row")
        rows.first.wait_for()
        assert rows.count() == 8  # every district of the city, not only the chief's own
        almaly = rows.filter(has_text="Almaly")
        assert almaly.locator('[col-id="cameras"]').inner_text().strip() == "1"
        candidates = page.locator(f"#{CANDIDATES} .ag-center-cols-container .ag-row")
        candidates.first.wait_for()
        assert candidates.count() == 1  # the blind spot, not the call under CAM-A
        first = candidates.first
        assert first.locator('[col-id="incidents"]').inner_text().strip() == "3"
        assert first.locator('[col-id="district"]').inner_text().strip() == "Almaly"
        layers = page.evaluate("""(id) => document.getElementById(id).querySelector('.js-plotly-plot')
                                  .data.map(t => [t.name, t.locations.length])""", MAP)
        assert dict(layers)["Слепые зоны"] == 1 and dict(layers)["Происшествия под камерами"] == 1
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
