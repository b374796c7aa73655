"""The trainer's replay in a real Chromium: from the archive into a past incident, played at 16x, masked."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import requests

from layouts import archive as archive_ids
from layouts import replay as ids
from tests.browser.conftest import ARTIFACTS, logged_in_page
from tests.conftest import credentials, ALMALY_POINT, LiveServer

pytestmark = pytest.mark.browser

PLATE, PHONE = "123ABC02", "+7 701 123 45 67"


def _token(server: LiveServer, username: str) -> dict[str, str]:
    token = requests.post(f"{server.url}/api/v1/auth/token", json=credentials(username),
                          timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _queue_status(page: object, incident_id: int) -> str:
    return page.evaluate(  # type: ignore[attr-defined]
        "(id) => { const cell = document.querySelector(`#replay-queue .ag-row[row-id='${id}'] [col-id='status']`);"
        " return cell ? cell.textContent.trim().toLowerCase() : ''; }", incident_id)


def test_a_trainer_replays_a_past_incident_at_16x_and_sees_it_taken_at_the_recorded_moment(
        browser: object, live_server: LiveServer) -> None:
    duty = _token(live_server, "duty.a")
    created = requests.post(f"{live_server.url}/api/v1/incidents", headers=duty, timeout=10, json={
        "lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1], "type": "fight", "address": "ул. Абая, 150",
        "description": f"драка у машины {PLATE}, звонил {PHONE}", "caller_name": "Иванов Иван"})
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]
    time.sleep(4)  # the officer takes it a few seconds later
    taken = requests.post(f"{live_server.url}/api/v1/incidents/{incident_id}/transitions", headers=duty, timeout=10,
                          json={"action": "acknowledge"})
    assert taken.status_code == 200, taken.text
    history = requests.get(f"{live_server.url}/api/v1/incidents/{incident_id}", headers=duty, timeout=10).json()["history"]
    acknowledged_ms = datetime.fromisoformat(next(h["at"] for h in history if h["action"] == "acknowledge")).timestamp() * 1000

    context, page = logged_in_page(browser, live_server, "trainer.a", "/incidents")
    try:
        page.wait_for_selector(f"#{archive_ids.GRID} .ag-row[row-id='{incident_id}']")
        page.click(f"#{archive_ids.GRID} .ag-row[row-id='{incident_id}'] a[href='/replay?incident={incident_id}']")
        page.wait_for_selector(f"#{ids.ROOT}")
        page.wait_for_function("window.kuzetReplay && window.kuzetReplay.state() !== null")
        page.keyboard.press("ArrowRight")  # the first change: the call opened
        page.wait_for_function(f"document.querySelector(\"#replay-queue .ag-row[row-id='{incident_id}']\") !== null")
        assert _queue_status(page, incident_id) == "новое"
        page.click(f"#{ids.SPEED.format(16)}")
        page.keyboard.press("Space")
        new_seen_before, first_taken_shown = False, None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and first_taken_shown is None:
            # The row as the grid holds it, with the moment its state is of (set by the server with it).
            status, shown = page.evaluate(
                "(id) => { const api = window.dash_ag_grid.getApi('replay-queue'); const node = api && "
                "api.getRowNode(String(id)); return node && node.data.moment ? [node.data.status === 'new' ? "
                "'новое' : node.data.status === 'acknowledged' ? 'принято' : node.data.status, node.data.moment] "
                ": ['', 0]; }", incident_id)
            if status == "новое" and shown < acknowledged_ms:
                new_seen_before = True
            elif status == "принято":
                first_taken_shown = shown
            time.sleep(0.05)
        assert page.evaluate("window.kuzetReplay.state().speed") == 16
        assert new_seen_before, "the replay did not show it new before it was taken"
        assert first_taken_shown is not None, "the replay never showed the incident taken"
        # Taken at the recorded moment: never before it, and at 16x within a few of the player's steps after.
        assert acknowledged_ms - 1 <= first_taken_shown <= acknowledged_ms + 16 * 4000
        page.wait_for_function(  # and the wall's queue reads it so
            f"(document.querySelector(\"#replay-queue .ag-row[row-id='{incident_id}'] [col-id='status']\") || "
            "{textContent: ''}).textContent.trim().toLowerCase() !== 'новое'")
        assert _queue_status(page, incident_id) in ("принято", "")  # taken, or already gone on at 16x
        page.keyboard.press("Space")  # pause, then look at the case as it stood
        page.click(f"#replay-queue .ag-row[row-id='{incident_id}'] [col-id='type_label']")
        page.wait_for_function(f"document.getElementById('{ids.DETAIL}').textContent.includes('№{incident_id}')")
        detail = page.text_content(f"#{ids.DETAIL}")
        assert "*** *** 02" in detail and "[phone]" in detail and "[name]" in detail
        content = page.content()
        assert PLATE not in content and "123 45 67" not in content and "Иванов" not in content
        assert "duty.a" not in page.text_content(f"#{ids.TIMELINE}")  # officers appear by role
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "replay-16x.png"))
    finally:
        context.close()


def test_the_replay_keys_walk_the_changes(browser: object, live_server: LiveServer) -> None:
    duty = _token(live_server, "duty.a")
    created = requests.post(f"{live_server.url}/api/v1/incidents", headers=duty, timeout=10, json={
        "lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1], "type": "crowd", "description": "скопление у входа"})
    incident_id = created.json()["id"]
    requests.post(f"{live_server.url}/api/v1/incidents/{incident_id}/transitions", headers=duty, timeout=10,
                  json={"action": "acknowledge"})
    context, page = logged_in_page(browser, live_server, "trainer.a", f"/replay?incident={incident_id}")
    try:
        # A liveness bound: the first rebuilt state took over 10 s once on the loaded 2-core box in a fresh-clone run.
        page.wait_for_function("window.kuzetReplay && window.kuzetReplay.state() !== null", timeout=30_000)
        start = page.evaluate("Number(document.getElementById('replay-root').dataset.start)")
        end = page.evaluate("Number(document.getElementById('replay-root').dataset.end)")
        changes = page.evaluate("JSON.parse(document.getElementById('replay-root').dataset.changes)")
        assert len(changes) >= 2 and start < changes[0] <= changes[-1] <= end
        page.keyboard.press("End")
        assert page.evaluate("window.kuzetReplay.state().playhead") == end
        page.keyboard.press("Home")
        assert page.evaluate("window.kuzetReplay.state().playhead") == start
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.evaluate("window.kuzetReplay.state().playhead") == changes[1]
        page.keyboard.press("ArrowLeft")
        assert page.evaluate("window.kuzetReplay.state().playhead") == changes[0]
        # A click on a timeline entry moves the playhead there.
        page.click(f"#{ids.TIMELINE} .ag-row[row-index='1'] [col-id='text']")
        page.wait_for_function(f"window.kuzetReplay.state().playhead === {changes[1]}")
        page.wait_for_function(f"window.kuzetReplay.state().shown === {changes[1]}")
        at = datetime.fromtimestamp(changes[1] / 1000).astimezone().isoformat()
        api = requests.get(f"{live_server.url}/api/v1/replay/state", headers=_token(live_server, "trainer.a"),
                           params={"department": live_server.world.almaly_id, "at": at}, timeout=10).json()
        for key in ("open", "unacknowledged", "units_free", "cameras_offline"):
            assert page.text_content(f"#{ids.COUNTER.format(key)}") == str(api["counters"][key]), key
    finally:
        context.close()


def test_playing_at_60x_asks_at_most_four_times_a_second_and_keeps_the_map(browser: object,
                                                                          live_server: LiveServer) -> None:
    duty = _token(live_server, "duty.a")
    created = requests.post(f"{live_server.url}/api/v1/incidents", headers=duty, timeout=10, json={
        "lat": ALMALY_POINT[0], "lon": ALMALY_POINT[1], "type": "fall", "description": "человеку плохо"})
    incident_id = created.json()["id"]
    context, page = logged_in_page(browser, live_server, "trainer.a", f"/replay?incident={incident_id}")
    try:
        page.wait_for_function("window.kuzetReplay && window.kuzetReplay.state() !== null")
        page.wait_for_selector(f"#{ids.MAP} .js-plotly-plot")
        page.evaluate(f"window.kuzetMapNode = document.querySelector('#{ids.MAP} .js-plotly-plot')")
        asked: list[float] = []
        page.on("request", lambda r: asked.append(time.monotonic())
                if r.method == "POST" and "replay-map.figure" in (r.post_data or "") else None)
        page.click(f"#{ids.SPEED.format(60)}")
        started = page.evaluate("performance.now()")
        page.keyboard.press("Space")
        page.wait_for_timeout(3000)
        page.keyboard.press("Space")
        elapsed_ms = page.evaluate("performance.now()") - started
        # Four a second at most, and it did ask. The lower bound is only "asked": each ask waits for
        # the previous answer, and a loaded 2-core box answered two in three seconds (seen in CI).
        assert asked, "playing never asked for the map"
        assert len(asked) <= 4 * elapsed_ms / 1000 + 1, (asked, elapsed_ms)
        assert page.evaluate(f"document.querySelector('#{ids.MAP} .js-plotly-plot') === window.kuzetMapNode")
        moved = page.evaluate("window.kuzetReplay.state().playhead") - page.evaluate(
            "Number(document.getElementById('replay-root').dataset.start)")
        # 60x: the seconds played are sixty times the seconds it played for (a loaded machine starts it late).
        assert 60 * 0.6 * elapsed_ms <= moved <= 60 * 1.05 * elapsed_ms, (moved, elapsed_ms)
    finally:
        context.close()


@pytest.mark.parametrize(("code", "words", "previous"), [
    ("kk", ("Осы сәттегі кезек", "Кезектен оқиғаны таңдаңыз", "дербес деректер жасырылған"), "Алдыңғы өзгеріс (←)"),
    ("en", ("The queue at this moment", "Pick an incident in the queue", "personal data hidden"), "Previous change (←)"),
])
def test_the_replay_speaks_the_chosen_language(browser: object, live_server: LiveServer, code: str,
                                               words: tuple[str, ...], previous: str) -> None:
    context, page = logged_in_page(browser, live_server, "trainer.a", "/replay")
    try:
        page.goto(f"{live_server.url}/language/{code}?next=/replay")
        page.wait_for_selector(f"#{ids.ROOT}")
        assert page.evaluate("() => document.documentElement.lang") == code
        text = page.text_content("body") or ""
        for word in words:
            assert word in text, (code, word)
        assert page.get_attribute(f"#{ids.PREVIOUS}", "title") == previous
    finally:
        context.close()
