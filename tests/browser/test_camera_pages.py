"""The cameras page and the dead letters page in Kazakh and English: the page's language, its labels, and the
dead letters' times in Almaty as the language writes them (never a raw UTC ISO time)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from layouts import admin as admin_ids
from layouts import cameras as camera_ids
from services import i18n
from services.i18n.terms import term
from services.store.models import DeadLetter
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

CAMERA_LABELS = {"kk": ("Камералар", "Жай-күйі", "Соңғы сигнал", "Оператор"),
                 "en": ("Cameras", "Health", "Last signal", "Operator")}
DEAD_LETTER_LABELS = {"kk": ("Қабылданбаған деректер", "Қабылданды", "Себебі", "Қабылдауды қайталау"),
                      "en": ("Dead letters", "Received", "Reason", "Replay the intake")}


def _headers(page: Any, grid: str) -> list[str]:
    page.locator(f"#{grid} .ag-header-cell-text").first.wait_for()
    return [t.strip() for t in page.locator(f"#{grid} .ag-header-cell-text").all_inner_texts()]


@pytest.mark.parametrize("code", ["kk", "en"])
def test_the_cameras_page_speaks_the_chosen_language(browser: Any, live_server: LiveServer, code: str) -> None:
    context, page = logged_in_page(browser, live_server, "duty.a", "/cameras")
    try:
        page.goto(f"{live_server.url}/language/{code}?next=/cameras")
        page.wait_for_selector(f"#{camera_ids.CAMERAS} .ag-row", timeout=WAIT_MS)
        assert page.evaluate("() => document.documentElement.lang") == code
        title, health, last_signal, operator = CAMERA_LABELS[code]
        assert page.locator(".dept-ru").inner_text().strip() == title
        headers = _headers(page, camera_ids.CAMERAS)
        assert health in headers and last_signal in headers and operator in headers, headers
        with i18n.speaking(code):
            names = {term("health", h) for h in camera_ids.HEALTHS}
        shown = page.locator(f'#{camera_ids.CAMERAS} .ag-center-cols-container [col-id="health"]').all_inner_texts()
        assert shown and all(s.strip() in names for s in shown), shown
    finally:
        context.close()


@pytest.mark.parametrize("code", ["kk", "en"])
def test_the_dead_letters_page_shows_almaty_times_in_the_chosen_language(browser: Any, live_server: LiveServer,
                                                                          code: str) -> None:
    refused = requests.post(f"{live_server.url}/api/v1/events", data=b"{broken", timeout=10,
                            headers={"Authorization": f"Bearer {live_server.world.api_key}",
                                     "Content-Type": "application/json"})
    assert refused.status_code >= 400
    with live_server.app.extensions["kuzet"].store.session() as s:
        received = s.scalars(sa.select(DeadLetter.received_at).order_by(DeadLetter.id.desc())).first()
    assert received is not None
    context, page = logged_in_page(browser, live_server, "admin", "/admin/dead-letters")
    try:
        page.goto(f"{live_server.url}/language/{code}?next=/admin/dead-letters")
        cell = page.locator(f'#{admin_ids.DEAD_LETTERS} .ag-center-cols-container [col-id="received"]').first
        cell.wait_for(timeout=WAIT_MS)
        assert page.evaluate("() => document.documentElement.lang") == code
        title, received_header, reason, replay = DEAD_LETTER_LABELS[code]
        assert page.locator(".dept-ru").inner_text().strip() == title
        headers = _headers(page, admin_ids.DEAD_LETTERS)
        assert received_header in headers and reason in headers and not any("UTC" in h for h in headers), headers
        assert page.locator(f"#{admin_ids.REPLAY}").inner_text().strip() == replay
        with i18n.speaking(code):
            expected = i18n.format_datetime(received)  # Asia/Almaty, as the language writes it
        shown = cell.inner_text().strip()
        assert shown == expected, (shown, expected)
        assert not re.search(r"\d{4}-\d\d-\d\dT|\.\d{6}", shown), shown  # no raw ISO time, no microseconds
    finally:
        context.close()
