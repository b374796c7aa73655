"""Keyboard-only work in a real Chromium: one incident taken from new to closed without the mouse.

The officer logs in, then only presses keys: on the wall (/wall) ArrowDown selects the queue row, A
acknowledges, D dispatches the nearest free unit and Enter opens the case file; on the incident page N
reports the unit on scene, digits tick the SOP steps, O focuses the outcome select (typed into and
picked with ArrowDown + Enter), R resolves, C closes and Escape goes back to the wall. Every step waits
for its visible effect; the end state is checked through the REST API.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from layouts import incident as card
from layouts.wall import FEEDBACK as WALL_FEEDBACK, QUEUE, SOCKET
from services import i18n
from services.i18n.terms import TERMS, term
from tests.browser.conftest import ARTIFACTS, WAIT_MS, logged_in_page
from tests.conftest import credentials, LiveServer, event

pytestmark = pytest.mark.browser

STATUS = "incident-status"  # the status text in the case file header
with i18n.speaking("ru"):  # the default language: what the wall and the case file show each status as
    STATUS_LABELS = {code: term("status", code) for code in TERMS["status"]}


# --- helpers -------------------------------------------------------------------------------------

def _row_selector(incident_id: int) -> str:
    return f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{incident_id}"]'


def _wait_socket_connected(page: Any) -> None:
    """The wall's Socket.IO component reports a connection, so a push cannot slip by before the room is joined."""
    page.wait_for_function(
        """(id) => {
            const api = window.dash_component_api;
            const node = api && api.getLayout && api.getLayout(id);
            return !!(node && node.props && node.props.connected);
        }""",
        arg=SOCKET, timeout=WAIT_MS)


def _wait_text(page: Any, selector: str, expected: str, *, exact: bool = True) -> None:
    """Wait (bounded) until the element's trimmed text equals (or contains) ``expected``; readable on timeout."""
    try:
        page.wait_for_function(
            """([selector, expected, exact]) => {
                const el = document.querySelector(selector);
                if (!el) { return false; }
                const text = el.innerText.trim();
                return exact ? text === expected : text.includes(expected);
            }""", arg=[selector, expected, exact], timeout=WAIT_MS)
    except Exception:  # noqa: BLE001 - turned into a readable assertion
        element = page.locator(selector)
        actual = element.first.inner_text() if element.count() else "<absent>"
        raise AssertionError(f"{selector}: expected {'' if exact else '... '}{expected!r}, shows {actual!r}") from None


def _wait_url(page: Any, pattern: str) -> None:
    page.wait_for_url(re.compile(pattern), timeout=WAIT_MS)


def _bearer(server: LiveServer, username: str) -> dict[str, str]:
    response = requests.post(f"{server.url}/api/v1/auth/token", json=credentials(username),
                             timeout=5)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _post_event(server: LiveServer, body: dict[str, Any]) -> None:
    response = requests.post(f"{server.url}/api/v1/events", json={"events": [body]},
                             headers={"Authorization": f"Bearer {server.world.api_key}"}, timeout=5)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1, response.text


def _wait_open_incident(server: LiveServer, headers: dict[str, str], camera: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        response = requests.get(f"{server.url}/api/v1/incidents", params={"status": "open"}, headers=headers,
                                timeout=5)
        assert response.status_code == 200, response.text
        found = [i for i in response.json()["incidents"] if i.get("camera") == camera]
        if found:
            assert len(found) == 1, found
            return found[0]
        assert time.monotonic() < deadline, f"no open incident for {camera}"
        time.sleep(0.1)


def _detail(server: LiveServer, headers: dict[str, str], incident_id: int) -> dict[str, Any]:
    response = requests.get(f"{server.url}/api/v1/incidents/{incident_id}", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def _selected_ids(page: Any) -> list[int]:
    return page.evaluate(
        """(grid) => {
            const api = window.dash_ag_grid && window.dash_ag_grid.getApi(grid);
            return api ? api.getSelectedRows().map(r => r.id) : [];
        }""", QUEUE)


def _active_tag(page: Any) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.tagName : ''")


# --- test ----------------------------------------------------------------------------------------

def test_an_incident_is_worked_from_new_to_closed_with_the_keyboard_only(browser: Any,
                                                                         live_server: LiveServer) -> None:
    """duty.a takes a pushed fight through acknowledge, dispatch, on scene, SOP, outcome, resolve and close."""
    context, page = logged_in_page(browser, live_server, "duty.a", "/wall")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    keys = page.keyboard
    try:
        page.wait_for_selector(".wall")
        page.wait_for_selector(f"#{QUEUE} .ag-root")
        _wait_socket_connected(page)

        _post_event(live_server, event("CAM-A", "fight"))
        headers = _bearer(live_server, "duty.a")
        incident_id = _wait_open_incident(live_server, headers, "CAM-A")["id"]
        row = _row_selector(incident_id)
        page.locator(row).wait_for(state="visible", timeout=WAIT_MS)
        _wait_text(page, f"{row} [col-id=\"status\"]", STATUS_LABELS["new"])

        # --- the wall --------------------------------------------------------------------------
        keys.press("ArrowDown")
        page.wait_for_function(
            """([grid, id]) => {
                const api = window.dash_ag_grid && window.dash_ag_grid.getApi(grid);
                const sel = api ? api.getSelectedRows() : [];
                return sel.length === 1 && sel[0].id === id;
            }""", arg=[QUEUE, incident_id], timeout=WAIT_MS)
        page.wait_for_selector(f"{row}.ag-row-selected", timeout=WAIT_MS)

        keys.press("a")
        _wait_text(page, f"#{WALL_FEEDBACK}", f"№{incident_id} принято", exact=False)
        _wait_text(page, f"{row} [col-id=\"status\"]", STATUS_LABELS["acknowledged"])

        keys.press("d")
        _wait_text(page, f"#{WALL_FEEDBACK}", f"№{incident_id}: направлен ALM-1", exact=False)
        _wait_text(page, f"{row} [col-id=\"status\"]", STATUS_LABELS["dispatched"])
        assert _selected_ids(page) == [incident_id], "the row must stay selected after the push update"

        keys.press("Enter")
        _wait_url(page, rf"/incidents/{incident_id}$")

        # --- the incident page -----------------------------------------------------------------
        page.wait_for_selector(".incident-page")
        status = f"#{STATUS}"
        feedback = f"#{card.FEEDBACK}"
        _wait_text(page, status, STATUS_LABELS["dispatched"])

        keys.press("n")
        _wait_text(page, status, STATUS_LABELS["on_scene"])
        _wait_text(page, feedback, "Наряд на месте")

        steps = page.locator(".sop-step input[type=checkbox]")
        step_count = steps.count()
        assert step_count == 3, f"the fight SOP has 3 steps, the page shows {step_count}"
        assert page.locator(".sop-step label", has_text="*").count() == 2, "2 of the fight steps are mandatory"
        for position in range(1, step_count + 1):
            keys.press(str(position))
            page.wait_for_function(
                """([index]) => {
                    const box = document.querySelectorAll('.sop-step input[type=checkbox]')[index];
                    return !!box && box.checked && box.disabled;
                }""", arg=[position - 1], timeout=WAIT_MS)
            _wait_text(page, feedback, "Шаг отмечен")
        ticked = page.evaluate("() => [...document.querySelectorAll('.sop-step input[type=checkbox]')]"
                               ".map(b => b.checked)")
        assert ticked == [True] * step_count, ticked
        _wait_text(page, status, STATUS_LABELS["on_scene"])

        # Outcome: O focuses the searchable select, typing filters, ArrowDown + Enter picks.
        keys.press("o")
        page.wait_for_function("(id) => document.activeElement && document.activeElement.id === id",
                               arg=card.OUTCOME, timeout=WAIT_MS)
        outcome = page.locator(f"#{card.OUTCOME}")
        assert outcome.input_value() == "", "the O key must not be typed into the select"
        keys.type("Задерж")
        page.get_by_role("option", name=re.compile("^Задержан")).wait_for(state="visible", timeout=WAIT_MS)
        assert page.get_by_role("option").count() == 1, page.get_by_role("option").all_inner_texts()
        keys.press("ArrowDown")
        keys.press("Enter")
        page.wait_for_function("(id) => { const el = document.getElementById(id);"
                               " return !!el && el.value.startsWith('Задержан'); }",
                               arg=card.OUTCOME, timeout=WAIT_MS)
        # Leave the select: Escape closes its dropdown and blurs it (it must not leave the page).
        keys.press("Escape")
        page.wait_for_function("() => !document.activeElement || document.activeElement === document.body",
                               timeout=WAIT_MS)
        assert page.url.endswith(f"/incidents/{incident_id}"), page.url
        assert outcome.input_value().startswith("Задержан")

        keys.press("r")
        _wait_text(page, status, STATUS_LABELS["resolved"])
        _wait_text(page, feedback, "Происшествие решено")

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "incident.png"), full_page=True)
        assert (ARTIFACTS / "incident.png").stat().st_size > 10_000

        assert _active_tag(page) == "BODY", _active_tag(page)
        keys.press("c")
        _wait_text(page, status, STATUS_LABELS["closed"])
        _wait_text(page, feedback, "Закрыть (C): выполнено")

        assert _active_tag(page) == "BODY", _active_tag(page)
        keys.press("Escape")
        _wait_url(page, r"/wall$")

        # --- back on the wall: the closed incident is gone from the queue -----------------------
        page.wait_for_selector(".wall")
        page.wait_for_selector(f"#{QUEUE} .ag-root")
        page.locator(f"#{QUEUE} .ag-overlay-no-rows-center", has_text="Нет открытых происшествий").wait_for(
            state="visible", timeout=WAIT_MS)
        assert page.locator(row).count() == 0
        assert page.locator(f"#{QUEUE} .ag-center-cols-container .ag-row").count() == 0

        # --- the record, through the REST API ---------------------------------------------------
        detail = _detail(live_server, headers, incident_id)
        assert detail["status"] == "closed", detail
        assert detail["outcome"] == "detained", detail
        assert [h["action"] for h in detail["history"]] == ["open", "acknowledge", "dispatch", "arrive", "resolve",
                                                            "close"], detail["history"]
        assert all(h["actor"] == "duty.a" for h in detail["history"][1:]), detail["history"]
        assert all(step["ticked_by"] == "duty.a" for step in detail["sop"]), detail["sop"]
        assert len(detail["units"]) == 1, detail["units"]
        unit = detail["units"][0]
        assert unit["call_sign"] == "ALM-1", unit  # ~300 m from CAM-A; ALM-2 is ~2 km away
        assert unit["arrived_at"], unit
        assert unit["released_at"], unit
        assert unit["status"] == "available", unit
        assert not errors, f"page errors: {errors}"
    finally:
        context.close()


def test_dismissing_from_the_case_file_asks_for_a_reason_and_records_it(browser: Any,
                                                                       live_server: LiveServer) -> None:
    _post_event(live_server, event("CAM-A", "loitering"))
    headers = _bearer(live_server, "duty.a")
    incident_id = _wait_open_incident(live_server, headers, "CAM-A")["id"]
    context, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident_id}")
    try:
        page.wait_for_selector(".incident-page")
        dismiss = page.locator(f'[id=\'{{"action":"dismiss","type":"{card.ACTION}"}}\']')
        dismiss.click()
        _wait_text(page, f"#{card.FEEDBACK}", "Укажите причину", exact=False)
        assert _detail(live_server, headers, incident_id)["status"] == "new"
        page.fill(f"#{card.REASON}", "a courier waiting for a client, checked on the live view")
        page.locator(f'[id=\'{{"action":"dismiss","type":"{card.ACTION}"}}\']').click()
        _wait_text(page, f"#{STATUS}", STATUS_LABELS["dismissed"])
        detail = _detail(live_server, headers, incident_id)
        assert detail["status"] == "dismissed"
        assert detail["history"][-1]["reason"] == "a courier waiting for a client, checked on the live view"
        assert detail["history"][-1]["actor"] == "duty.a"
    finally:
        context.close()


def test_the_case_file_takes_keys_in_the_cyrillic_layout_and_a_closed_one_offers_no_controls(
        browser: Any, live_server: LiveServer) -> None:
    """Ф (where A is) acknowledges; once closed, the page offers no dispatch, no resolve form, no nearest units."""
    headers = _bearer(live_server, "duty.a")
    _post_event(live_server, event())
    incident = _wait_open_incident(live_server, headers, "CAM-A")
    context, page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident['id']}")
    try:
        page.wait_for_selector("#incident-status")
        # The keyboard in the Russian layout: the key where A is types "ф".
        page.evaluate("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ф', code: 'KeyA', bubbles: true}))")
        _wait_text(page, "#incident-status", STATUS_LABELS["acknowledged"])
        base = f"{live_server.url}/api/v1/incidents/{incident['id']}/transitions"
        for step in _detail(live_server, headers, incident["id"])["sop"]:
            requests.post(f"{live_server.url}/api/v1/incidents/{incident['id']}/sop/{step['id']}", headers=headers,
                          timeout=5)
        for body in ({"action": "dispatch", "nearest": True}, {"action": "arrive"},
                     {"action": "resolve", "outcome": "warning"}, {"action": "close"}):
            answer = requests.post(base, json=body, headers=headers, timeout=5)
            assert answer.status_code == 200, answer.text
        page.reload()
        _wait_text(page, "#incident-status", STATUS_LABELS["closed"])
        assert page.locator("#incident-resolve").count() == 0
        assert page.locator("button:has-text('Направить')").count() == 0
        assert page.locator("text=Ближайшие свободные").count() == 0
        assert page.inner_text("#incident-outcome-text").strip() not in ("", "—")  # what was recorded
    finally:
        context.close()


def test_the_case_file_follows_what_another_officer_does(browser: Any, live_server: LiveServer) -> None:
    """Two browsers on one incident: the supervisor acknowledges in one, the officer's page shows it without a reload."""
    headers = _bearer(live_server, "duty.a")
    _post_event(live_server, event())
    incident = _wait_open_incident(live_server, headers, "CAM-A")
    officer, officer_page = logged_in_page(browser, live_server, "duty.a", f"/incidents/{incident['id']}")
    supervisor, supervisor_page = logged_in_page(browser, live_server, "super.a", f"/incidents/{incident['id']}")
    try:
        officer_page.wait_for_selector("#incident-status")
        _wait_text(officer_page, "#incident-status", STATUS_LABELS["new"])
        officer_page.wait_for_function(
            """(id) => { const api = window.dash_component_api; const node = api && api.getLayout && api.getLayout(id);
                         return !!(node && node.props && node.props.connected); }""",
            arg=card.SOCKET, timeout=WAIT_MS)
        supervisor_page.wait_for_selector("#incident-status")
        supervisor_page.click(f"[id='{{\"action\":\"acknowledge\",\"type\":\"{card.ACTION}\"}}']")
        _wait_text(supervisor_page, "#incident-status", STATUS_LABELS["acknowledged"])
        _wait_text(officer_page, "#incident-status", STATUS_LABELS["acknowledged"])
        assert "другим сотрудником" in officer_page.inner_text(f"#{card.FEEDBACK}")
    finally:
        officer.close()
        supervisor.close()
