"""Every page in each language shows only the catalogue's words: a visible text that is neither a message of
the catalogue in that language (whole, or a parameterised message's pattern) nor data (marked
``data-i18n="data"``, grid cells, numbers and times) fails, with the page, the language and the text.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from babel.messages import pofile

from services import i18n
from tests.browser.conftest import WAIT_MS, logged_in_page
from tests.conftest import LiveServer, event

pytestmark = pytest.mark.browser

# Who opens which page (each page by a role that may open it); the incident page is the first incident's.
PAGES: dict[str, tuple[str, ...]] = {
    "duty.a": ("/wall", "/incidents/{incident}", "/cameras", "/account/security", "/no-such-page"),
    "super.a": ("/stats", "/incidents"),
    "trainer.a": ("/replay",),
    "chief": ("/wall", "/coverage", "/views", "/operators"),
    "admin": ("/admin/boundaries", "/admin/policy", "/admin/dead-letters", "/settlement", "/admin/users", "/admin/keys",
              "/admin/audit"),
    "op.test": ("/operators",),
}
# What a visible text may be without the catalogue: numbers, times, ages, counts, signs.
NEUTRAL = re.compile(r"^[\d\s.,:;%()+\-−–—/#№×·|<>=≤≥!?*₸°'\"«»…]*$")
BRAND = {"Kuzet", "KUZET", "күзет", "Kuzet — ", "P1", "P2", "P3", "P4", "P", "OSM", "OpenStreetMap", "×", "A", "D", "N", "C",
         "R", "V", "G", "T", "?", "Esc", "Enter", "ESC", "H", "M", "L"} | set(i18n.LANGUAGE_NAMES.values())

VISIBLE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.nodeValue || "").replace(/\\s+/g, " ").trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, noscript, [data-i18n=data], .ag-cell, .maplibregl-canvas-container,"
                                    + " .kz-map-labels, .basemap-labels, .js-plotly-plot .gtitle ~ *")) { continue; }
    if (!el.checkVisibility || !el.checkVisibility()) { continue; }
    out.push(text);
  }
  document.querySelectorAll("[placeholder], [title], [aria-label]").forEach((el) => {
    if (el.closest("[data-i18n=data], .ag-cell")) { return; }
    ["placeholder", "title", "aria-label"].forEach((a) => { const v = el.getAttribute(a); if (v && v.trim()) { out.push(v.trim()); } });
  });
  return out;
}"""


def words_of(code: str) -> tuple[set[str], list[re.Pattern[str]]]:
    """Every translation of a language, and the patterns of those with parameters."""
    with i18n.po_path(code).open("rb") as source:
        catalogue = pofile.read_po(source, locale=code)
    whole: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for message in catalogue:
        if not message.id:
            continue
        for form in message.string if isinstance(message.string, tuple) else (message.string,):
            form = re.sub(r"\s+", " ", form or "").strip()
            if "%(" in form:
                patterns.append(re.compile("^" + re.sub(r"%\\\(\w+\\\)s", ".+?", re.escape(form)) + "$", re.S))
            elif form:
                whole.add(form)
    return whole, patterns


def foreign(texts: list[str], code: str) -> list[str]:
    """The texts that are not the catalogue's in ``code`` (each part of a " · " pair judged on its own)."""
    whole, patterns = words_of(code)

    def known(part: str) -> bool:
        part = part.strip().rstrip(":").strip()
        return (not part or bool(NEUTRAL.match(part)) or part in BRAND or part in whole
                or any(p.match(part) for p in patterns))

    return sorted({t for t in texts if not known(t) and not all(known(p) for p in re.split(r" · |: | — ", t))})


@pytest.fixture(scope="module")
def server_with_incident(tmp_path_factory: Any) -> Any:
    """One live Kuzet for the module, with an open incident on the Almaly wall."""
    from dashboard import create_app
    from services.store.engine import Store
    from tests.conftest import seed_world, serve_in_thread

    url = f"sqlite:///{tmp_path_factory.mktemp('catalogue') / 'live.db'}"
    store = Store(url)
    store.upgrade()
    world = seed_world(store)
    with store.session() as s:
        from services.access.users import create_user
        from tests.conftest import PASSWORD

        create_user(s, "op.test", PASSWORD, "operator", None, operator_name="Test Operator LLP")
    store.dispose()
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "live-secret"})
    server = LiveServer(serve_in_thread(application), application, world)
    answer = requests.post(f"{server.url}/api/v1/events", json={"events": [event("CAM-A", "fight")]},
                           headers={"Authorization": f"Bearer {world.api_key}"}, timeout=10)
    assert answer.status_code == 202, answer.text
    yield server
    application.extensions["kuzet"].stop()


def _first_incident(server: LiveServer) -> int:
    from sqlalchemy import text

    store = server.app.extensions["kuzet"].store
    for _ in range(100):
        with store.session() as s:
            found = s.scalar(text("SELECT min(id) FROM incidents"))
        if found:
            return int(found)
        import time

        time.sleep(0.1)
    raise AssertionError("the posted event opened no incident")


@pytest.mark.parametrize("username", sorted(PAGES))
def test_every_page_speaks_only_the_catalogue(browser: Any, server_with_incident: LiveServer, username: str) -> None:
    server = server_with_incident
    incident = _first_incident(server)
    # One login per role, each language in turn through the switch (logins are the slow part of a browser test).
    context, page = logged_in_page(browser, server, username, PAGES[username][0].format(incident=incident))
    try:
        found: dict[str, dict[str, list[str]]] = {}
        for code in i18n.LANGUAGES:
            page.goto(f"{server.url}/language/{code}?next=/account/security")
            for path in PAGES[username]:
                page.goto(f"{server.url}{path.format(incident=incident)}")
                page.wait_for_selector("#kuzet-language", timeout=WAIT_MS)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
                assert page.evaluate("() => document.documentElement.lang") == code, (code, path)
                strays = foreign(page.evaluate(VISIBLE_TEXTS), code)
                if strays:
                    found.setdefault(code, {})[path] = strays
        assert not found, f"texts outside the catalogue, by language and page: {found}"
    finally:
        context.close()


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_the_login_page_speaks_the_chosen_language(browser: Any, server_with_incident: LiveServer,
                                                                 code: str) -> None:
    server = server_with_incident
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/language/{code}?next=/login")
        assert page.evaluate("() => document.documentElement.lang") == code
        assert foreign(page.evaluate(VISIBLE_TEXTS), code) == []
        page.goto(f"{server.url}/login?next=/wall")  # the browser's choice is remembered before anyone logs in
        assert page.evaluate("() => document.documentElement.lang") == code
    finally:
        context.close()
