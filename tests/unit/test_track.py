"""Which unit moves the track keeps: a status change always, a move of more than 50 m at most every 10 s."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.duty.track import worth_keeping
from services.store.models import Unit, UnitPosition

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
METRE_LAT = 1 / 111_320  # degrees of latitude in a metre


def _last(status: str = "en_route") -> UnitPosition:
    return UnitPosition(unit_id=1, department_id=1, at=T0, lat=43.25, lon=76.92, status=status)


def _unit(metres_north: float, status: str = "en_route") -> Unit:
    return Unit(id=1, call_sign="ALM-1", department_id=1, lat=43.25 + metres_north * METRE_LAT, lon=76.92,
                status=status)


def test_the_first_point_and_every_status_change_are_kept() -> None:
    assert worth_keeping(None, _unit(0), T0)
    assert worth_keeping(_last("en_route"), _unit(0, "on_scene"), T0 + timedelta(seconds=1))


def test_a_move_is_kept_only_past_50_m_and_10_s() -> None:
    last = _last()
    assert not worth_keeping(last, _unit(200), T0 + timedelta(seconds=5))  # far, but too soon
    assert not worth_keeping(last, _unit(30), T0 + timedelta(seconds=30))  # late, but jitter
    assert worth_keeping(last, _unit(60), T0 + timedelta(seconds=10))
