"""The admin's boundary import in the browser: a preview names what moves, nothing moves until Import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from layouts import boundaries as ids
from services.store.models import Camera, District
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def _store(server: LiveServer) -> Any:
    return server.app.extensions["kuzet"].store


def test_the_preview_shows_what_moves_and_the_import_moves_it(browser: Any, live_server: LiveServer,
                                                              tmp_path: Path) -> None:
    square = {"type": "Polygon", "coordinates": [[[76.85, 43.20], [77.00, 43.20], [77.00, 43.30], [76.85, 43.30],
                                                  [76.85, 43.20]]]}
    file = tmp_path / "almaty-one-square.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square, "properties": {"name": "Square"}}]}))
    with _store(live_server).session() as s:
        before = dict(s.execute(sa.select(Camera.id, Camera.department_id)).all())
    context, page = logged_in_page(browser, live_server, "admin", ids.PATH)
    try:
        page.wait_for_selector(f"#{ids.UPLOAD}", timeout=WAIT_MS)
        page.set_input_files(f"#{ids.UPLOAD} input[type=file]", str(file))
        page.fill(f"#{ids.CITY}", "almaty")
        page.fill(f"#{ids.NAME_FIELD}", "name")
        page.click(f"#{ids.PREVIEW}")
        page.wait_for_selector(".boundaries-moving", timeout=WAIT_MS)
        text = page.inner_text(f"#{ids.SUMMARY}")
        assert "Square" in text and f"{len(before)} из {len(before)}" in text
        rows = page.locator(f"#{ids.MOVES} .ag-center-cols-container .ag-row")
        assert rows.count() == len(before)
        assert "Square — районное управление полиции" in page.inner_text(f"#{ids.MOVES}")
        with _store(live_server).session() as s:  # the preview moved nothing
            assert dict(s.execute(sa.select(Camera.id, Camera.department_id)).all()) == before
            assert s.scalar(sa.select(sa.func.count(District.id)).where(District.name == "Square")) == 0
        page.click(f"#{ids.CONFIRM}")
        page.wait_for_function(f"() => document.getElementById('{ids.FEEDBACK}').innerText.startsWith('Импорт')",
                               timeout=WAIT_MS)
        with _store(live_server).session() as s:
            assert s.scalar(sa.select(sa.func.count(District.id)).where(District.name == "Square")) == 1
            after = dict(s.execute(sa.select(Camera.id, Camera.department_id)).all())
            journal = s.execute(sa.text("SELECT actor FROM audit_log WHERE action = 'admin.geodata.import'")).all()
        assert all(after[c] != before[c] for c in before) and [tuple(r) for r in journal] == [("admin",)]
        assert page.is_disabled(f"#{ids.CONFIRM}")
    finally:
        context.close()


def test_a_duty_officer_cannot_open_it(browser: Any, live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "duty.a", "/wall")
    try:
        page.goto(f"{live_server.url}{ids.PATH}")
        page.wait_for_selector(".denied", timeout=WAIT_MS)
        assert page.locator(f"#{ids.UPLOAD}").count() == 0
    finally:
        context.close()
