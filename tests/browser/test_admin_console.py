"""The admin console in the browser: a user created shows in the grid, a key issued is shown once and never on
reload, the journal verifies; the pages speak Kazakh and English when asked."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from layouts import audit as audit_ids
from layouts import keys as key_ids
from layouts import users as user_ids
from services.store.models import User
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def _choose(page: Any, select_id: str, label: str | None = None) -> None:
    page.click(f"#{select_id}")
    options = page.get_by_role("option", name=label, exact=True) if label else page.get_by_role("option")
    options.first.click()


def _said(page: Any, element_id: str, text: str) -> None:
    page.wait_for_function("([e, t]) => document.getElementById(e).innerText.includes(t)", arg=[element_id, text],
                           timeout=WAIT_MS)


def test_an_admin_adds_a_user_issues_a_key_once_and_verifies_the_journal(browser: Any,
                                                                         live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "admin", user_ids.PATH)
    try:
        page.wait_for_selector(f"#{user_ids.GRID} .ag-row", timeout=WAIT_MS)
        page.fill(f"#{user_ids.NEW_USERNAME}", "petrov.a")
        _choose(page, user_ids.NEW_ROLE, "дежурный")
        _choose(page, user_ids.NEW_DEPARTMENT)
        page.fill(f"#{user_ids.NEW_PASSWORD}", "short")
        page.click(f"#{user_ids.CREATE}")
        _said(page, user_ids.CREATE_FEEDBACK, "не короче 12")
        page.fill(f"#{user_ids.NEW_PASSWORD}", "a quiet river at dawn")
        page.click(f"#{user_ids.CREATE}")
        _said(page, user_ids.CREATE_FEEDBACK, "Пользователь petrov.a создан")
        page.wait_for_selector(f"#{user_ids.GRID} .ag-row:has-text('petrov.a')", timeout=WAIT_MS)
        with live_server.app.extensions["kuzet"].store.session() as s:
            assert s.scalar(sa.select(User.role).where(User.username == "petrov.a")) == "duty_officer"

        page.goto(f"{live_server.url}{key_ids.PATH}")
        page.wait_for_selector(f"#{key_ids.GRID} .ag-row", timeout=WAIT_MS)
        _choose(page, key_ids.OPERATOR, "Test Operator LLP")
        page.fill(f"#{key_ids.LABEL}", "rotation")
        page.click(f"#{key_ids.CREATE}")
        page.wait_for_selector(f"#{key_ids.NEW_KEY}", timeout=WAIT_MS)
        key = page.inner_text(f"#{key_ids.NEW_KEY}")
        assert key.startswith("kz_") and "не будет" in page.inner_text(f"#{key_ids.NEW_KEY_BOX}")
        prefix = key.split("_")[1]
        page.wait_for_selector(f"#{key_ids.GRID} .ag-row:has-text('{prefix}')", timeout=WAIT_MS)
        page.reload()
        page.wait_for_selector(f"#{key_ids.GRID} .ag-row:has-text('{prefix}')", timeout=WAIT_MS)
        assert page.locator(f"#{key_ids.NEW_KEY}").count() == 0 and key not in page.content()

        page.goto(f"{live_server.url}{audit_ids.PATH}")
        page.wait_for_selector(f"#{audit_ids.GRID} .ag-row:has-text('admin.key.add')", timeout=WAIT_MS)
        page.click(f"#{audit_ids.VERIFY}")
        _said(page, audit_ids.VERDICT, "Журнал цел")
    finally:
        context.close()


def test_the_console_speaks_kazakh_and_english(browser: Any, live_server: LiveServer) -> None:
    context, page = logged_in_page(browser, live_server, "admin", user_ids.PATH)
    try:
        for code, users, journal, verify in (("kk", "Пайдаланушылар", "Аудит журналы", "Журналды тексеру"),
                                             ("en", "Users", "Audit journal", "Verify the journal")):
            page.goto(f"{live_server.url}/language/{code}?next={user_ids.PATH}")
            page.wait_for_selector(f"#{user_ids.GRID} .ag-row", timeout=WAIT_MS)
            assert page.evaluate("document.documentElement.lang") == code
            assert users in page.inner_text(".wall-title")
            page.goto(f"{live_server.url}{audit_ids.PATH}")
            page.wait_for_selector(f"#{audit_ids.VERIFY}", timeout=WAIT_MS)
            assert journal in page.inner_text(".wall-title") and verify in page.inner_text(f"#{audit_ids.VERIFY}")
    finally:
        context.close()
