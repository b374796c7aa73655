"""An operator logs in, reads its statement and makes a key, and sees nothing of another operator's."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from layouts import portal as ids
from layouts import settlement as statement_ids
from services.access.users import create_user
from services.settlement.calendar import bounds, last_day, month_of, previous_month
from services.settlement.contracts import Terms, add_contract
from services.settlement.fines import import_fines
from services.store.models import Event, Offence, utcnow
from tests.browser.conftest import ARTIFACTS, logged_in_page
from tests.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def _last_month() -> tuple[str, date]:
    month = previous_month(month_of(utcnow()))
    return month, last_day(month)


def test_an_operator_reads_its_statement_and_nothing_of_anothers(browser: object, live_server: LiveServer) -> None:
    world = live_server.world
    month, last_day = _last_month()
    when = bounds(month)[0] + timedelta(days=10)
    with live_server.app.extensions["kuzet"].store.session() as s:
        create_user(s, "op.test", PASSWORD, "operator", None, operator_name="Test Operator LLP")
        add_contract(s, "admin", "Test Operator LLP", Terms(number="T-1", valid_from=last_day.replace(day=1) -
                                                            timedelta(days=40), fine_share_pct="25"))
        add_contract(s, "admin", "Other Operator LLP", Terms(number="SECRET-OTHER", valid_from=date(2026, 1, 1),
                                                             fine_share_pct="50"))
        e = Event(operator_id=world.operator_id, event_id="ev-portal-1", camera_id=world.cameras["CAM-A"],
                  department_id=world.almaly_id, category="traffic", type="speeding", occurred_at=when,
                  received_at=when, lat=43.25, lon=76.92, record={})
        s.add(e)
        s.flush()
        o = Offence(event_id=e.id, operator_id=world.operator_id, camera_id=world.cameras["CAM-A"],
                    department_id=world.almaly_id, type="speeding", plate="001AAA02", plate_country="KZ",
                    occurred_at=when, evidence={})
        s.add(o)
        s.flush()
        import_fines(s, "test", "test", [(2, {"offence_id": str(o.id), "decision_no": "P-1",
                                              "issued_at": when.isoformat(), "amount_kzt": "21625", "status": "paid",
                                              "paid_at": (when + timedelta(days=2)).isoformat(),
                                              "paid_amount_kzt": "10812.50"})])
    context, page = logged_in_page(browser, live_server, "op.test", "/operators")
    try:
        page.wait_for_selector(f"#{statement_ids.TOTAL}")
        # 25 % of 10,812.50 = 2,703.125 -> 2,703.13 (half up)
        page.wait_for_function("document.querySelector('#settlement-total').innerText.replace(/\\s/g, ' ')"
                               ".includes('2 703,13 ₸')")
        text = page.inner_text("body")
        assert "Test Operator LLP" in text and "T-1" in text
        assert "Other Operator" not in text and "SECRET-OTHER" not in text
        page.fill(f"#{ids.KEY_LABEL}", "nightly upload")
        page.click(f"#{ids.KEY_CREATE}")
        page.wait_for_function(f"document.querySelector('#{ids.KEY_SHOWN}').innerText.startsWith('kz_')")
        key = page.inner_text(f"#{ids.KEY_SHOWN}").split()[0]
        assert re.fullmatch(r"kz_[0-9a-f]{8}_\S+", key)
        page.wait_for_selector("text=nightly upload")
        Path(ARTIFACTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(ARTIFACTS) / "operator-portal.png"))
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        other = requests.get(f"{live_server.url}/api/v1/operators/{world.operator_id + 1}/statements/{month}",
                             cookies=cookies, timeout=10)
        assert other.status_code == 404
        own_csv = requests.get(f"{live_server.url}/api/v1/operators/{world.operator_id}/statements/{month}",
                               params={"format": "csv"}, cookies=cookies, timeout=10)
        assert own_csv.status_code == 200 and "2703.13" in own_csv.text
        page.goto(f"{live_server.url}/wall")
        page.wait_for_selector(".denied")
        assert "CAM-A" not in page.inner_text("body")
    finally:
        context.close()
