"""The simulated patrol car drives to its incident over the real HTTP API and reports arrival."""

from __future__ import annotations

import time

import pytest
import requests

from tools.simulator import UnitDriver
from tests.conftest import PASSWORD, LiveServer, event


def test_dispatched_unit_drives_to_the_incident_and_arrives(live_server: LiveServer) -> None:
    base = live_server.url
    requests.post(f"{base}/api/v1/events", json=event("CAM-A", "fight"),
                  headers={"Authorization": f"Bearer {live_server.world.api_key}"}, timeout=5)
    token = requests.post(f"{base}/api/v1/auth/token", json={"username": "duty.a", "password": PASSWORD},
                          timeout=5).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    incident_id = None
    for _ in range(50):
        incidents = requests.get(f"{base}/api/v1/incidents", headers=auth, timeout=5).json()["incidents"]
        if incidents:
            incident_id = incidents[0]["id"]
            break
        time.sleep(0.1)
    assert incident_id is not None
    sent = requests.post(f"{base}/api/v1/incidents/{incident_id}/transitions",
                         json={"action": "dispatch", "unit_ids": [live_server.world.units["ALM-2"]]}, headers=auth,
                         timeout=5)
    assert sent.json()["status"] == "dispatched"
    driver = UnitDriver(base, "duty.a", PASSWORD, speed_m_per_tick=800)
    ticks = [driver.tick() for _ in range(4)]
    assert ticks[0] == {"moved": 1, "arrived": 0}  # ~2 km away: not there after one step
    assert sum(t["arrived"] for t in ticks) == 1
    detail = requests.get(f"{base}/api/v1/incidents/{incident_id}", headers=auth, timeout=5).json()
    assert detail["status"] == "on_scene" and detail["units"][0]["status"] == "on_scene"
    assert detail["units"][0]["arrived_at"] is not None


def test_demo_cars_drive_at_a_city_pace() -> None:
    """40 km/h is about 22 m per two-second step: 792 m in 8 s was a car at 356 km/h."""
    driver = UnitDriver("http://127.0.0.1:9", "x", "y")
    assert round(driver.step_m, 1) == 22.2 and driver.interval_s == 2.0
    assert UnitDriver("http://127.0.0.1:9", "x", "y", speed_kmh=30, interval_s=1.0).step_m == pytest.approx(8.33, 0.01)
