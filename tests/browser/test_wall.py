"""The wall screen in a real Chromium: live push, acknowledge, department isolation.

Drives /usr/bin/chromium through Playwright's sync API against the ``live_server`` fixture (real
HTTP + Socket.IO on 127.0.0.1, worker thread running). Nothing is mocked: events go in through the
operator ingest API, the worker turns them into incidents, and the wall must show them by push.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from layouts.wall import ACK, FEEDBACK, MANUAL_MODAL as MANUAL_MODAL_ID, QUEUE, SOCKET
from services import i18n
from services.i18n.terms import term
from tests.browser.conftest import ARTIFACTS, WAIT_MS, logged_in_page
from tests.conftest import credentials, ALMALY_POINT, LiveServer, event

pytestmark = pytest.mark.browser

# A liveness bound, not a latency target: two Chromiums with software WebGL share the 2-core CI box with the
# rest of the suite, and a push was seen taking over 5 s there. Push latency is measured by make bench.
PUSH_TIMEOUT_MS = 10_000


# --- helpers -------------------------------------------------------------------------------------

def status_ru(code: str) -> str:
    """An incident status as the wall shows it in Russian (the default language)."""
    with i18n.speaking("ru"):
        return term("status", code)


def _queue_rows(page: Any) -> Any:
    # Only the centre container: AG Grid may also render pinned containers with the same rows.
    return page.locator(f"#{QUEUE} .ag-center-cols-container .ag-row")


def _row(page: Any, incident_id: int) -> Any:
    return page.locator(f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{incident_id}"]')


def open_wall(browser: Any, server: LiveServer, username: str) -> tuple[Any, Any]:
    """A fresh context logged in through the real form, on the wall with its socket connected."""
    context, page = logged_in_page(browser, server, username, "/wall")
    page.wait_for_selector(".wall")
    page.wait_for_selector(f"#{QUEUE} .ag-root")
    wait_socket_connected(page)
    return context, page


def wait_socket_connected(page: Any) -> None:
    """Wait until the wall's Socket.IO component reports a connection (joined its department room).

    Without this, an event posted right after page load could be pushed before the room is joined.
    """
    page.wait_for_function(
        """(id) => {
            const api = window.dash_component_api;
            const node = api && api.getLayout && api.getLayout(id);
            return !!(node && node.props && node.props.connected);
        }""",
        arg=SOCKET, timeout=WAIT_MS)


def post_events(server: LiveServer, *events: dict[str, Any]) -> None:
    response = requests.post(f"{server.url}/api/v1/events", json={"events": list(events)},
                             headers={"Authorization": f"Bearer {server.world.api_key}"}, timeout=5)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == len(events), body


def bearer(server: LiveServer, username: str) -> dict[str, str]:
    response = requests.post(f"{server.url}/api/v1/auth/token", json=credentials(username),
                             timeout=5)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def open_incidents(server: LiveServer, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = requests.get(f"{server.url}/api/v1/incidents", params={"status": "open"}, headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["incidents"]


def wait_incident(server: LiveServer, headers: dict[str, str], camera: str, timeout_s: float = 5.0
                  ) -> dict[str, Any]:
    """The open incident raised from ``camera`` (operator's external id), as the REST API reports it."""
    deadline = time.monotonic() + timeout_s
    while True:
        for incident in open_incidents(server, headers):
            if incident.get("camera") == camera:
                return incident
        if time.monotonic() > deadline:
            raise AssertionError(f"no open incident for camera {camera} within {timeout_s} s")
        time.sleep(0.1)


def wait_status(server: LiveServer, headers: dict[str, str], incident_id: int, status: str,
                timeout_s: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = requests.get(f"{server.url}/api/v1/incidents/{incident_id}", headers=headers, timeout=5)
        assert response.status_code == 200, response.text
        detail = response.json()
        if detail["status"] == status or time.monotonic() > deadline:
            assert detail["status"] == status, detail
            return detail
        time.sleep(0.1)


# --- tests ---------------------------------------------------------------------------------------

def test_pushed_incident_appears_without_reload_and_is_acknowledged(browser: Any, live_server: LiveServer) -> None:
    """duty.a sees an incident from the simulator (signed, over HTTP) pushed into the queue and acknowledges it."""
    from tools.simulator import SimOperator, Simulator

    context, page = open_wall(browser, live_server, "duty.a")
    try:
        assert _queue_rows(page).count() == 0, "the seeded world has no incidents yet"
        page.evaluate("window.__marker = 1")

        # One tick of the simulated operator: one public-order event from CAM-A (Almaly), as in the demo.
        operator = SimOperator("Test Operator LLP", live_server.world.api_key, ("CAM-A",))
        sent = Simulator(live_server.url, [operator], seed=3, incidents_per_min=60, traffic_per_s=0, bad_every=0,
                         heartbeat_every=0, death_chance=0).tick(1.0)
        assert sent.get("accepted") == 1, sent
        # By push only: the page is never reloaded.
        _queue_rows(page).first.wait_for(state="visible", timeout=PUSH_TIMEOUT_MS)
        assert page.evaluate("window.__marker") == 1, "the wall reloaded instead of taking the push"

        headers = bearer(live_server, "duty.a")
        incident = wait_incident(live_server, headers, "CAM-A")
        assert incident["status"] == "new"
        row = _row(page, incident["id"])
        row.wait_for(state="visible", timeout=PUSH_TIMEOUT_MS)
        status_cell = row.locator('[col-id="status"]')
        assert status_cell.inner_text().strip() == status_ru("new") == "НОВОЕ"
        assert row.locator('[col-id="id"]').inner_text().strip() == str(incident["id"])

        # Select the row, then acknowledge with the button.
        row.locator('[col-id="type_label"]').click()
        page.wait_for_function(
            """([grid, id]) => {
                const api = window.dash_ag_grid && window.dash_ag_grid.getApi(grid);
                const sel = api ? api.getSelectedRows() : [];
                return sel.length === 1 && sel[0].id === id;
            }""", arg=[QUEUE, incident["id"]], timeout=WAIT_MS)
        page.click(f"#{ACK}")

        page.wait_for_function(
            """([selector, label]) => {
                const cell = document.querySelector(selector);
                return !!cell && cell.innerText.trim() === label;
            }""",
            arg=[f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{incident["id"]}"] [col-id="status"]',
                 status_ru("acknowledged")],
            timeout=PUSH_TIMEOUT_MS)
        assert status_cell.inner_text().strip() == "принято"
        # The push and the button's own answer race: the row may show the new status before the feedback does.
        page.wait_for_function("([id, text]) => ((document.getElementById(id) || {}).innerText || '').includes(text)",
                               arg=[FEEDBACK, f"№{incident['id']}"], timeout=PUSH_TIMEOUT_MS)
        assert page.evaluate("window.__marker") == 1

        detail = wait_status(live_server, headers, incident["id"], "acknowledged")
        assert any(h["action"] == "acknowledge" and h["actor"] for h in detail["history"]), detail["history"]

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wall.png"))
        assert (ARTIFACTS / "wall.png").stat().st_size > 10_000
    finally:
        context.close()


def test_other_department_sees_only_its_own_queue(browser: Any, live_server: LiveServer) -> None:
    """duty.b (Bostandyk) gets Bostandyk's incident, never Almaly's, and may not open Almaly's wall."""
    world = live_server.world
    context, page = open_wall(browser, live_server, "duty.b")
    try:
        page.evaluate("window.__marker = 1")
        post_events(live_server, event("CAM-A", "fight"))
        post_events(live_server, event("CAM-B", "fight"))

        almaly = wait_incident(live_server, bearer(live_server, "duty.a"), "CAM-A")
        bostandyk = wait_incident(live_server, bearer(live_server, "duty.b"), "CAM-B")
        assert almaly["department_id"] == world.almaly_id
        assert bostandyk["department_id"] == world.bostandyk_id

        # Pushed: Bostandyk's row arrives (the Almaly event was processed before it) ...
        _row(page, bostandyk["id"]).wait_for(state="visible", timeout=PUSH_TIMEOUT_MS)
        assert page.evaluate("window.__marker") == 1
        # ... and Almaly's never does.
        page.wait_for_timeout(500)
        assert _row(page, almaly["id"]).count() == 0
        assert [r.get_attribute("row-id") for r in _queue_rows(page).all()] == [str(bostandyk["id"])]
        # Nor through the REST API.
        assert almaly["id"] not in [i["id"] for i in open_incidents(live_server, bearer(live_server, "duty.b"))]

        # Loaded fresh: same picture from the server-rendered queue.
        page.reload()
        page.wait_for_selector(".wall")
        _row(page, bostandyk["id"]).wait_for(state="visible")
        assert _row(page, almaly["id"]).count() == 0

        # Asking for Almaly's wall by URL is refused, and no Almaly queue is rendered.
        page.goto(f"{live_server.url}/wall?department={world.almaly_id}")
        denied = page.locator(".denied")
        denied.wait_for(state="visible")
        assert "Нет доступа" in denied.inner_text()
        assert page.locator(f"#{QUEUE}").count() == 0
        assert page.locator(".wall").count() == 0
    finally:
        context.close()


MAP_STATE = """() => {
    const st = window.kuzetWallMap && window.kuzetWallMap.state();
    if (!st) { return null; }
    const m = st.map, c = m.getCenter();
    const rendered = (layer) => m.queryRenderedFeatures({layers: [layer]}).map((f) => f.properties);
    return {zoom: m.getZoom(), lon: c.lng, lat: c.lat, incidents: rendered('kz-incidents'),
            clusters: rendered('kz-incident-clusters'), units: rendered('kz-units').length,
            cameras: rendered('kz-cameras').length + rendered('kz-camera-clusters').length,
            counts: Array.from(document.querySelectorAll('.incident-count')).map((e) => e.textContent)};
}"""


def _map(page: Any) -> dict[str, Any]:
    return page.evaluate(MAP_STATE)


def _zoom_to(page: Any, lat: float, lon: float, zoom: float) -> None:
    page.evaluate("""([lat, lon, zoom]) => window.kuzetWallMap.state().map.jumpTo({center: [lon, lat], zoom},
                                                                               {originalEvent: {type: 'test'}})""",
                  [lat, lon, zoom])


def test_incidents_at_one_place_cluster_with_a_count_and_a_click_selects_the_most_urgent(
        browser: Any, live_server: LiveServer) -> None:
    """Three incidents of one camera stack exactly: one marker, "3", and a click puts the P1 in the queue's hands."""
    context, page = open_wall(browser, live_server, "duty.a")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.wait_for_selector(".wall-map[data-map-ready]", timeout=WAIT_MS)
        post_events(live_server, event("CAM-A", "vandalism"), event("CAM-A", "crowd"), event("CAM-A", "fight"))
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 3", arg=QUEUE,
                               timeout=PUSH_TIMEOUT_MS)
        page.wait_for_function(f"() => ({MAP_STATE})().units === 2 && ({MAP_STATE})().cameras >= 1", timeout=WAIT_MS)
        _zoom_to(page, *ALMALY_POINT, 17)
        page.wait_for_function("() => document.querySelectorAll('.incident-count').length === 1", timeout=WAIT_MS)
        state = _map(page)
        assert state["counts"] == ["3"] and [c["p"] for c in state["clusters"]] == [1], state
        box = page.locator("#wall-map").bounding_box()
        point = page.evaluate("([lat, lon]) => window.kuzetWallMap.state().map.project([lon, lat])", list(ALMALY_POINT))
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        page.wait_for_function("(g) => { const r = window.dash_ag_grid.getApi(g).getSelectedRows();"
                               " return r.length === 1 && r[0].priority === 1; }", arg=QUEUE, timeout=WAIT_MS)
        assert page.locator(f"#{MANUAL_MODAL_ID}").count() == 0 or not page.locator(f"#{MANUAL_MODAL_ID}").is_visible()
        assert not errors, errors
    finally:
        context.close()


def test_a_push_never_moves_the_map_the_officer_is_zooming(browser: Any, live_server: LiveServer) -> None:
    """The officer wheels in; incidents and unit moves arrive meanwhile; the view stays where the officer put it."""
    context, page = open_wall(browser, live_server, "duty.a")
    try:
        page.wait_for_selector(".wall-map[data-map-ready]", timeout=WAIT_MS)
        box = page.locator("#wall-map").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -400)  # zooming in, as an officer does before a push lands
        post_events(live_server, event("CAM-A", "fight"), event("CAM-B", "fight"))
        page.mouse.wheel(0, -300)
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 1", arg=QUEUE,
                               timeout=PUSH_TIMEOUT_MS)
        page.wait_for_timeout(1500)  # the wheel's easing has ended
        settled = _map(page)
        page.evaluate("() => { window.__moves = 0; window.kuzetWallMap.state().map.on('move', () => window.__moves++); }")
        incident = wait_incident(live_server, bearer(live_server, "duty.a"), "CAM-A")
        requests.post(f"{live_server.url}/api/v1/incidents/{incident['id']}/transitions",
                      json={"action": "dispatch", "nearest": True}, headers=bearer(live_server, "duty.a"),
                      timeout=5).raise_for_status()
        page.wait_for_function(f"""() => {{ const r = window.dash_ag_grid.getApi('{QUEUE}').getRowNode('{incident["id"]}');
                                   return r && r.data.status === 'dispatched'; }}""", timeout=PUSH_TIMEOUT_MS)
        page.wait_for_timeout(1000)
        after = _map(page)
        assert page.evaluate("window.__moves") == 0, "a push moved the map"
        assert (after["zoom"], after["lat"], after["lon"]) == (settled["zoom"], settled["lat"], settled["lon"])
        assert settled["zoom"] > 13.5, "the officer's zoom is kept, not the department's view"
    finally:
        context.close()


def test_p1_arrivals_flash_and_sound_until_muted_and_ages_turn_late(browser: Any, monkeypatch: pytest.MonkeyPatch,
                                                                    request: pytest.FixtureRequest) -> None:
    """A P1 flashes the wall and beeps; M mutes the beep (the flash stays); an unacknowledged row turns late."""
    monkeypatch.setenv("KUZET_RESPONSE_ACK_TARGET_S", "2")  # read when the server below is built
    server: LiveServer = request.getfixturevalue("live_server")
    context, page = open_wall(browser, server, "duty.a")
    try:
        # Count the beeps: each one is an oscillator of the page's one AudioContext.
        page.evaluate("""() => { window.__beeps = 0; const real = AudioContext.prototype.createOscillator;
                                 AudioContext.prototype.createOscillator = function () {
                                     window.__beeps += 1; return real.call(this); }; }""")
        headers = bearer(server, "duty.a")
        post_events(server, event("CAM-A", "weapon"))
        first = wait_incident(server, headers, "CAM-A")
        assert first["priority"] == 1
        _row(page, first["id"]).wait_for(state="visible", timeout=PUSH_TIMEOUT_MS)
        page.wait_for_selector(".wall[data-p1-alerts='1']", timeout=WAIT_MS)
        assert page.evaluate("window.__beeps") == 1

        page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not the grid's inputs
        page.keyboard.press("m")
        page.wait_for_selector(".wall.muted", timeout=WAIT_MS)
        post_events(server, event("CAM-A", "panic_button"))
        deadline = time.monotonic() + 5
        while len(open_incidents(server, headers)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        second = max(open_incidents(server, headers), key=lambda i: i["id"])
        _row(page, second["id"]).wait_for(state="visible", timeout=PUSH_TIMEOUT_MS)
        page.wait_for_selector(".wall[data-p1-alerts='2']", timeout=WAIT_MS)  # still flashes...
        assert page.evaluate("window.__beeps") == 1  # ...but no sound

        late = f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{first["id"]}"] [col-id="age"].age-late'
        page.wait_for_selector(late, timeout=WAIT_MS)  # unacknowledged past the 2 s target
    finally:
        context.close()


def test_a_102_call_at_a_known_address_is_created_from_the_button(browser: Any, live_server: LiveServer) -> None:
    """The officer presses "Вызов 102", picks a known address (CAM-A's) and creates the incident there."""
    from layouts.wall import MANUAL_ADDRESS, MANUAL_CREATE, MANUAL_OPEN

    context, page = open_wall(browser, live_server, "duty.a")
    try:
        page.click(f"#{MANUAL_OPEN}")
        page.wait_for_selector(f"#{MANUAL_ADDRESS}", state="visible", timeout=WAIT_MS)
        # The field offers the street map's streets and places as well as the addresses the centre has seen.
        page.fill(f"#{MANUAL_ADDRESS}", "Райымбек")
        page.get_by_role("option", name="пр. Райымбека").wait_for(timeout=WAIT_MS)
        page.fill(f"#{MANUAL_ADDRESS}", "test CAM-A")
        page.click(f"#{MANUAL_CREATE}")
        page.locator(f"#{FEEDBACK}", has_text="создано по вызову 102").wait_for(timeout=WAIT_MS)
        created = open_incidents(live_server, bearer(live_server, "duty.a"))
        assert len(created) == 1 and created[0]["source"] == "manual" and created[0]["address"] == "test CAM-A"
        assert (created[0]["lat"], created[0]["lon"]) == ALMALY_POINT  # placed where the known address is
        _row(page, created[0]["id"]).wait_for(state="visible", timeout=PUSH_TIMEOUT_MS)
    finally:
        context.close()


def test_a_102_call_at_a_point_takes_a_deliberate_gesture(browser: Any, live_server: LiveServer) -> None:
    """A plain click on the map opens nothing; Shift+click, or a click after "102 на карте", opens the form there."""
    from layouts.wall import CALL_HERE, MANUAL_ADDRESS, MANUAL_COORDS

    context, page = open_wall(browser, live_server, "duty.a")
    try:
        canvas = page.locator(".wall-map canvas.maplibregl-canvas")
        canvas.wait_for(state="visible", timeout=WAIT_MS)
        box = canvas.bounding_box()
        spot = {"x": box["width"] * 0.3, "y": box["height"] * 0.4}
        page.wait_for_selector(".wall-map[data-map-ready]", timeout=WAIT_MS)  # its handlers are attached
        canvas.click(position=spot)
        page.wait_for_timeout(1000)
        assert not page.locator(f"#{MANUAL_ADDRESS}").is_visible(), "a plain click opened the 102 form"
        canvas.click(position=spot, modifiers=["Shift"])
        page.wait_for_selector(f"#{MANUAL_ADDRESS}", state="visible", timeout=WAIT_MS)
        assert "43." in page.inner_text(f"#{MANUAL_COORDS}")
        page.keyboard.press("Escape")
        page.wait_for_selector(f"#{MANUAL_ADDRESS}", state="hidden", timeout=WAIT_MS)
        page.click(f"#{CALL_HERE}")
        assert page.locator(".wall.call-mode").count() == 1
        canvas.click(position=spot)
        page.wait_for_selector(f"#{MANUAL_ADDRESS}", state="visible", timeout=WAIT_MS)
        assert page.locator(".wall.call-mode").count() == 0, "the mode lasts for one call"
    finally:
        context.close()


def test_a_chief_picks_a_departments_wall_by_name_and_a_bad_number_says_so(browser: Any,
                                                                           live_server: LiveServer) -> None:
    from layouts.wall import DEPARTMENT_PICK

    context, page = open_wall(browser, live_server, "chief")
    try:
        picker = page.locator(f"#{DEPARTMENT_PICK}")
        picker.wait_for(state="visible", timeout=WAIT_MS)
        picker.click()
        picker.fill("Бостандык")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/wall?department={live_server.world.bostandyk_id}", timeout=WAIT_MS)
        page.wait_for_selector(".dept-ru:has-text('Бостандык')", timeout=WAIT_MS)
        page.goto(f"{live_server.url}/wall?department=abc")
        page.wait_for_selector("#department-problem", timeout=WAIT_MS)
        assert "abc" in page.inner_text("#department-problem")
        page.click("a:has-text('Алмалин')")
        page.wait_for_selector(".dept-ru:has-text('Алмалин')", timeout=WAIT_MS)
        page.goto(f"{live_server.url}/wall?department=999999")
        page.wait_for_selector("#department-problem", timeout=WAIT_MS)
        assert "999999" in page.inner_text("#department-problem")
    finally:
        context.close()


def _shown_ids(page: Any) -> list[int]:
    """Row ids the queue shows after its filters, in its order."""
    return page.evaluate("""(grid) => {
        const api = window.dash_ag_grid.getApi(grid); const ids = [];
        api.forEachNodeAfterFilterAndSort((n) => ids.push(n.data.id)); return ids; }""", QUEUE)


def test_the_city_wall_shows_every_department_with_chips_search_and_a_pinned_p1(browser: Any,
                                                                                  live_server: LiveServer) -> None:
    """The city's chief gets one queue of all departments, counted in the store, filtered by chip and by text."""
    from layouts.wall import COUNTER, DEPARTMENT_CHIPS, QUEUE_SEARCH

    world = live_server.world
    headers = bearer(live_server, "chief")
    post_events(live_server, event("CAM-A", "vandalism"), event("CAM-B", "crowd"))
    vandalism = wait_incident(live_server, headers, "CAM-A")
    crowd = wait_incident(live_server, headers, "CAM-B")
    context, page = open_wall(browser, live_server, "chief")
    try:
        page.wait_for_selector(".wall.city-wall", timeout=WAIT_MS)
        _row(page, crowd["id"]).wait_for(state="visible", timeout=WAIT_MS)
        assert sorted(_shown_ids(page)) == sorted([vandalism["id"], crowd["id"]])
        assert page.inner_text(f"#{COUNTER.format('open')}").strip() == "2"
        assert "Бостандык" in _row(page, crowd["id"]).locator('[col-id="department_id"]').inner_text()

        # A new P1 arrives by push: pinned above the older P2 and P3, marked until acknowledged.
        post_events(live_server, event("CAM-B", "fight"))
        page.wait_for_function("(grid) => window.dash_ag_grid.getApi(grid).getDisplayedRowCount() === 3",
                               arg=QUEUE, timeout=PUSH_TIMEOUT_MS)
        fight = next(i for i in open_incidents(live_server, headers) if i["type"] == "fight")
        assert _shown_ids(page)[0] == fight["id"]
        assert "row-pinned" in (_row(page, fight["id"]).get_attribute("class") or "")
        page.wait_for_function(f"() => document.getElementById('{COUNTER.format('open')}').innerText.trim() === '3'",
                               timeout=PUSH_TIMEOUT_MS)

        # The Almaly chip filters the queue to Almaly; a second click shows every department again.
        chip = page.locator(f'#{DEPARTMENT_CHIPS} .dept-chip[data-department="{world.almaly_id}"]')
        assert chip.locator(".dept-chip-count").inner_text().strip().startswith("1")
        chip.click()
        assert _shown_ids(page) == [vandalism["id"]]
        chip.click()
        assert len(_shown_ids(page)) == 3

        # The search box filters by the text the queue shows: a status label, a department's name.
        page.fill(f"#{QUEUE_SEARCH}", "Скопление")
        page.wait_for_function("(grid) => window.dash_ag_grid.getApi(grid).getDisplayedRowCount() === 1",
                               arg=QUEUE, timeout=WAIT_MS)
        assert _shown_ids(page) == [crowd["id"]]
        page.fill(f"#{QUEUE_SEARCH}", "")

        # Acknowledged, the P1 leaves the pin and takes its place among the priorities (still first: P1).
        requests.post(f"{live_server.url}/api/v1/incidents/{fight['id']}/transitions", json={"action": "acknowledge"},
                      headers=bearer(live_server, "duty.b"), timeout=5).raise_for_status()
        page.wait_for_function(
            f"""() => !document.querySelector('#{QUEUE} .ag-row[row-id="{fight['id']}"]').classList.contains('row-pinned')""",
            timeout=PUSH_TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "city-wall.png"))
    finally:
        context.close()


def test_several_selected_incidents_are_acknowledged_with_one_press(browser: Any, live_server: LiveServer) -> None:
    """Ctrl+click picks several rows (a camera outage opens one per camera); A takes them all, each on the record."""
    context, page = open_wall(browser, live_server, "duty.a")
    try:
        post_events(live_server, event("CAM-A", "vandalism"), event("CAM-A", "loitering"), event("CAM-A", "motion"))
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 3", arg=QUEUE,
                               timeout=PUSH_TIMEOUT_MS)
        rows = open_incidents(live_server, bearer(live_server, "duty.a"))
        chosen = [r["id"] for r in rows if r["type"] in ("vandalism", "motion")]
        _row(page, chosen[0]).locator('[col-id="type_label"]').click()
        _row(page, chosen[1]).locator('[col-id="type_label"]').click(modifiers=["Control"])
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getSelectedRows().length === 2", arg=QUEUE,
                               timeout=WAIT_MS)
        page.click("#wall-dispatch")  # a dispatch goes to one incident: never silently the first of two
        page.locator(f"#{FEEDBACK}", has_text="Выберите одно происшествие").wait_for(timeout=WAIT_MS)
        page.click(f"#{ACK}")
        page.locator(f"#{FEEDBACK}", has_text="Принято 2").wait_for(timeout=WAIT_MS)
        statuses = {r["id"]: r["status"] for r in open_incidents(live_server, bearer(live_server, "duty.a"))}
        assert [statuses[i] for i in chosen] == ["acknowledged", "acknowledged"]
        assert [s for i, s in statuses.items() if i not in chosen] == ["new"], "the one not chosen is untouched"
    finally:
        context.close()


def test_the_units_panel_shows_each_unit_its_incident_and_since_when_by_push(browser: Any,
                                                                             live_server: LiveServer) -> None:
    from layouts.wall import UNITS

    context, page = open_wall(browser, live_server, "duty.a")
    try:
        page.get_by_role("tab", name="Наряды").click()
        units = page.locator(f"#{UNITS} .ag-center-cols-container .ag-row")
        units.first.wait_for(state="visible", timeout=WAIT_MS)
        assert units.count() == 2, "Almaly's two units, not Bostandyk's"
        post_events(live_server, event("CAM-A", "fight"))
        headers = bearer(live_server, "duty.a")
        incident = wait_incident(live_server, headers, "CAM-A")
        requests.post(f"{live_server.url}/api/v1/incidents/{incident['id']}/transitions",
                      json={"action": "dispatch", "nearest": True}, headers=headers, timeout=5).raise_for_status()
        row = page.locator(f'#{UNITS} .ag-row[row-id="{live_server.world.units["ALM-1"]}"]')
        row.locator('[col-id="status"]', has_text="в пути").wait_for(timeout=PUSH_TIMEOUT_MS)
        assert row.locator('[col-id="incident_id"]').inner_text().strip() == f"№{incident['id']}"
        assert " · " in row.locator('[col-id="since"]').inner_text(), "the time of day and how long"
    finally:
        context.close()


def _pick(page: Any, picker: str, text: str) -> None:
    """Choose the option of a filter whose label starts with ``text``, as an officer types and presses Enter."""
    page.click(f"#{picker}")
    page.keyboard.type(text)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_the_queue_filters_by_type_and_status_and_the_map_follows(browser: Any, live_server: LiveServer) -> None:
    """Types and statuses, several at once: the queue and the map's incidents show only what passes."""
    from layouts.wall import QUEUE_STATUSES, QUEUE_TYPES

    headers = bearer(live_server, "duty.a")
    post_events(live_server, event("CAM-A", "vandalism"), event("CAM-A", "crowd"))
    deadline = time.monotonic() + 5
    while len(open_incidents(live_server, headers)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    by_type = {i["type"]: i for i in open_incidents(live_server, headers)}
    vandalism, crowd = by_type["vandalism"], by_type["crowd"]
    requests.post(f"{live_server.url}/api/v1/incidents/{crowd['id']}/transitions", json={"action": "acknowledge"},
                  headers=headers, timeout=5).raise_for_status()
    context, page = open_wall(browser, live_server, "duty.a")
    map_incidents = """() => window.kuzetWallMap.state().map.getSource('kz-incidents')
        .getData().then((d) => d.features.map((f) => f.properties.id).sort())"""
    try:
        page.wait_for_selector(".wall-map[data-map-ready]", timeout=WAIT_MS)
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 2", arg=QUEUE,
                               timeout=WAIT_MS)
        _pick(page, QUEUE_TYPES, "Скопл")
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 1", arg=QUEUE,
                               timeout=WAIT_MS)
        assert _shown_ids(page) == [crowd["id"]]
        page.wait_for_function(f"() => ({map_incidents})().then((ids) => ids.join() === '{crowd['id']}')",
                               timeout=WAIT_MS)
        _pick(page, QUEUE_TYPES, "Ванд")  # a second type widens the filter
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 2", arg=QUEUE,
                               timeout=WAIT_MS)
        _pick(page, QUEUE_STATUSES, "НОВ")  # and a status narrows it: the new one only
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 1", arg=QUEUE,
                               timeout=WAIT_MS)
        assert _shown_ids(page) == [vandalism["id"]]
        # A pushed incident the filter does not pass reaches the grid but is not shown, nor on the map.
        post_events(live_server, event("CAM-A", "fight"))
        page.wait_for_function("(g) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === 1"
                               " && (() => { let n = 0; window.dash_ag_grid.getApi(g).forEachNode(() => n++);"
                               " return n === 3; })()", arg=QUEUE, timeout=PUSH_TIMEOUT_MS)
        assert _shown_ids(page) == [vandalism["id"]]
        page.wait_for_function(f"() => ({map_incidents})().then((ids) => ids.join() === '{vandalism['id']}')",
                               timeout=WAIT_MS)
    finally:
        context.close()


def test_the_wall_speaks_kazakh_and_english(browser: Any, live_server: LiveServer) -> None:
    """Switched to kk, then en: <html lang>, the counters, a queue header and a pushed row's cells in that language."""
    from layouts.wall import COUNTER

    post_events(live_server, event("CAM-A", "fight"))
    incident = wait_incident(live_server, bearer(live_server, "duty.a"), "CAM-A")
    context, page = open_wall(browser, live_server, "duty.a")
    row = f'#{QUEUE} .ag-center-cols-container .ag-row[row-id="{incident["id"]}"]'
    try:
        for code, counters, header, status, kind in (
                ("kk", ["Ашық", "Қабылданбаған", "Бос нарядтар", "Желіден тыс камералар"], "Түрі", "ЖАҢА", "Төбелес"),
                ("en", ["Open", "Not acknowledged", "Units free", "Cameras offline"], "Type", "NEW", "Fight")):
            page.goto(f"{live_server.url}/language/{code}?next=/wall")
            page.wait_for_selector(f"{row} [col-id='status']", timeout=WAIT_MS)
            assert page.evaluate("() => document.documentElement.lang") == code
            labels = [page.locator(f"#{COUNTER.format(k)}").locator("xpath=..").locator(".counter-label").text_content()
                      .strip() for k in ("open", "unacknowledged", "units_free", "cameras_offline")]
            assert labels == counters
            assert header in page.locator(f"#{QUEUE} .ag-header-cell[col-id='type_label']").inner_text()
            assert page.inner_text(f"{row} [col-id='status']").strip() == status  # kuzetTerm in the browser
            assert page.inner_text(f"{row} [col-id='type_label']").strip() == kind
        page.goto(f"{live_server.url}/language/ru?next=/wall")
        page.wait_for_selector(f"{row} [col-id='status']", timeout=WAIT_MS)
        assert page.inner_text(f"{row} [col-id='status']").strip() == "НОВОЕ"
    finally:
        context.close()
