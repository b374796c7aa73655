"""The supervisor's statistics page in a real Chromium: the previous shift, the API's figures, the XLSX."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook

from layouts import stats as ids
from layouts.stats import seconds_text
from services.store.models import utcnow
from services.supervision.shifts import DEFAULT_STARTS, parse_starts, shift_at, step
from tests.browser.conftest import ARTIFACTS, logged_in_page
from tests.conftest import PASSWORD, LiveServer
from tests.integration.test_stats import incident

pytestmark = pytest.mark.browser


def test_a_supervisor_reads_the_previous_shift_and_takes_the_report_home(browser: object,
                                                                         live_server: LiveServer) -> None:
    starts = parse_starts(DEFAULT_STARTS)
    previous = step(shift_at(starts, utcnow()), starts, -1)
    world = live_server.world
    with live_server.app.extensions["kuzet"].store.session() as s:
        for n in range(1, 8):  # acknowledged after 10, 20, .. 70 s; one out of order on purpose
            incident(s, world, previous.start + timedelta(minutes=20 * n), taken=10 * n, dispatched=10 * n + 40,
                     arrived=10 * n + 500 if n != 3 else 5, resolved=10 * n + 1500, closed=10 * n + 2000)
        incident(s, world, previous.start + timedelta(minutes=5), taken=9, department_id=world.bostandyk_id)
    token = requests.post(f"{live_server.url}/api/v1/auth/token",
                          json={"username": "super.a", "password": PASSWORD}, timeout=10).json()["access_token"]
    api = requests.get(f"{live_server.url}/api/v1/stats", headers={"Authorization": f"Bearer {token}"},
                       params={"from": previous.start.isoformat(), "to": previous.end.isoformat()}, timeout=10).json()
    assert api["incidents"] == 7 and api["travel_s"]["excluded"] == {"out_of_order": 1}

    context, page = logged_in_page(browser, live_server, "super.a", "/stats")
    try:
        page.wait_for_selector(f"#{ids.INCIDENTS}")
        page.click(f"#{ids.PREVIOUS}")
        page.wait_for_function(f"document.getElementById('{ids.LABEL}').textContent.startsWith('{previous.label()}')")
        page.wait_for_function(f"document.getElementById('{ids.INCIDENTS}').textContent === '{api['incidents']}'")
        for interval in ("time_to_acknowledge_s", "time_to_dispatch_s", "travel_s"):
            shown = page.text_content(f"#{ids.value_id(interval, 'median')}")
            assert shown == seconds_text(api[interval]["median"]), interval
            assert page.text_content(f"#{ids.value_id(interval, 'n')}") == str(api[interval]["n"])
        assert page.locator(".stats-incident").count() == 1  # the out-of-order record, linked
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "stats-previous-shift.png"), full_page=True)
        with page.expect_download() as download:
            page.click(f"#{ids.EXPORT_XLSX}")
        assert download.value.suggested_filename.endswith(".xlsx")
        book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        summary = {row[0]: row[1:] for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]}
        assert summary["Происшествий"][0] == api["incidents"]
        assert summary["Время принятия"][1] == api["time_to_acknowledge_s"]["median"]
        incidents = list(book.worksheets[1].iter_rows(values_only=True))
        assert len(incidents) == 1 + api["incidents"]
        header = incidents[0]
        acknowledged = sorted(r[header.index("time_to_acknowledge_s")] for r in incidents[1:])
        assert acknowledged == [10.0 * n for n in range(1, 8)]
    finally:
        context.close()


@pytest.mark.parametrize(("code", "words"), [
    ("kk", ("Ауысым статистикасы", "Әрекет ету аралықтары", "◀ Ертерек", "Қабылдау уақыты")),
    ("en", ("Shift statistics", "Response intervals", "◀ Earlier", "Time to acknowledge")),
])
def test_the_statistics_speak_the_chosen_language(browser: object, live_server: LiveServer, code: str,
                                                  words: tuple[str, ...]) -> None:
    context, page = logged_in_page(browser, live_server, "super.a", "/stats")
    try:
        page.goto(f"{live_server.url}/language/{code}?next=/stats")
        page.wait_for_selector(f"#{ids.INCIDENTS}")
        assert page.evaluate("() => document.documentElement.lang") == code
        text = page.text_content("body") or ""
        for word in words:
            assert word in text, (code, word)
    finally:
        context.close()
