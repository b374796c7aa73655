"""The incident page in Kazakh and in English: headers, buttons, statuses, the journal, the checklist and the
feedback of an action all in the chosen language, and nothing on the page outside the catalogue."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import sqlalchemy as sa

from services import i18n
from services.duty.casefile import history_text
from services.i18n.terms import term
from services.store.models import Incident
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.browser.test_catalogue_pages import VISIBLE_TEXTS, foreign
from tests.conftest import LiveServer, event

pytestmark = pytest.mark.browser


def _incident(server: LiveServer) -> int:
    answer = requests.post(f"{server.url}/api/v1/events", json={"events": [event("CAM-A", "fight")]},
                           headers={"Authorization": f"Bearer {server.world.api_key}"}, timeout=10)
    assert answer.status_code == 202, answer.text
    store = server.app.extensions["kuzet"].store
    for _attempt in range(100):
        with store.session() as s:
            found = s.scalar(sa.select(sa.func.min(Incident.id)))
        if found:
            return int(found)
        import time

        time.sleep(0.1)
    raise AssertionError("the posted event opened no incident")


def _open(page: Any, server: LiveServer, code: str, incident: int) -> str:
    page.goto(f"{server.url}/language/{code}?next=/incidents/{incident}")
    page.wait_for_selector(".incident-page .case-head", timeout=WAIT_MS)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.lang") == code
    return page.text_content(".incident-page") or ""  # as written (headers are upper-cased by the style)


def test_the_incident_page_speaks_kazakh_and_english(browser: Any, live_server: LiveServer) -> None:
    incident = _incident(live_server)
    context, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident}")
    try:
        text = _open(page, live_server, "kk", incident)
        with i18n.speaking("kk"):
            for words in ("Материалдар", "Жазбалар", "Іс-қимыл тәртібі (1–9)", "Қабылдау (A)", "← Пульт (Esc)",
                          "Камераның тікелей бейнесін ашу", term("status", "new"), term("type", "fight"),
                          history_text("open", None, "new")):
                assert words in text, words
        assert foreign(page.evaluate(VISIBLE_TEXTS), "kk") == []
        page.click("[id='{\"action\":\"acknowledge\",\"type\":\"incident-action\"}']")
        page.wait_for_function("() => document.querySelector('#incident-feedback').innerText.includes('орындалды')",
                               timeout=WAIT_MS)
        assert page.inner_text("#incident-feedback").strip() == "Қабылдау (A): орындалды"

        text = _open(page, live_server, "en", incident)
        for words in ("Timeline", "Evidence", "Notes", "SOP (1–9)", "← Wall (Esc)", "View the live camera *",
                      "Fight", "acknowledged: NEW → acknowledged", "Hold", "False call"):
            assert words in text, words
        assert page.inner_text("#incident-status").strip() == "acknowledged"
        assert foreign(page.evaluate(VISIBLE_TEXTS), "en") == []
    finally:
        context.close()
