"""The admin's priority policy and SOP editors in the browser: a rule saved changes the table and the store,
a checklist edited (a step added, one removed, a text changed) is saved as shown; refusals in words."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from layouts import policy as ids
from services.store.models import PriorityRule, SopStep
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def _store(server: LiveServer) -> Any:
    return server.app.extensions["kuzet"].store


def _choose(page: Any, select_id: str, label: str) -> None:
    page.click(f"#{select_id}")
    page.get_by_role("option", name=label, exact=True).click()


def test_a_rule_and_a_checklist_are_edited_and_saved(browser: Any, live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "admin", ids.PATH)
    try:
        page.wait_for_selector(f"#{ids.RULES} .ag-row", timeout=WAIT_MS)
        page.click(f"#{ids.RULE_SAVE}")
        page.wait_for_function(f"() => document.getElementById('{ids.RULE_FEEDBACK}').innerText.length > 0")
        assert "Выберите тип" in page.inner_text(f"#{ids.RULE_FEEDBACK}")
        _choose(page, ids.RULE_TYPE, "Вандализм")
        _choose(page, ids.RULE_MOUNT, "школа")
        _choose(page, ids.RULE_PRIORITY, "P1")
        page.click(f"#{ids.RULE_SAVE}")
        page.wait_for_function(f"() => document.getElementById('{ids.RULE_FEEDBACK}').innerText.startsWith('Сохранено')")
        with _store(live_server).session() as s:
            rule = s.scalar(sa.select(PriorityRule).where(PriorityRule.incident_type == "vandalism",
                                                          PriorityRule.mount_kind == "school"))
            assert rule is not None and rule.priority == 1 and rule.department_id is None
        assert "школа" in page.inner_text(f"#{ids.RULES}")

        _choose(page, ids.SOP_TYPE, "Драка")
        page.wait_for_selector(f"#{ids.SOP_STEPS} .ag-row", timeout=WAIT_MS)
        shipped = page.locator(f"#{ids.SOP_STEPS} .ag-center-cols-container .ag-row").count()
        page.click(f"#{ids.SOP_ADD}")
        page.wait_for_function("([g, n]) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === n + 1",
                               arg=[ids.SOP_STEPS, shipped])
        page.locator(f"#{ids.SOP_STEPS} .ag-row", has_text="Новый шаг").locator("[col-id=text]").dblclick()
        page.keyboard.press("Control+a")
        page.keyboard.type("Сообщить дежурному УП о драке у школы")
        page.keyboard.press("Tab")
        page.locator(f"#{ids.SOP_STEPS} .ag-center-cols-container .ag-row").first.locator("[col-id=mandatory]").click()
        page.click(f"#{ids.SOP_REMOVE}")
        page.wait_for_function("([g, n]) => window.dash_ag_grid.getApi(g).getDisplayedRowCount() === n",
                               arg=[ids.SOP_STEPS, shipped])
        page.click(f"#{ids.SOP_SAVE}")
        page.wait_for_function(f"() => document.getElementById('{ids.SOP_FEEDBACK}').innerText.startsWith('Сохранено')")
        with _store(live_server).session() as s:
            texts = list(s.scalars(sa.select(SopStep.text).where(SopStep.incident_type == "fight")
                                   .order_by(SopStep.position)))
        assert len(texts) == shipped and texts[-1] == "Сообщить дежурному УП о драке у школы"
    finally:
        context.close()
