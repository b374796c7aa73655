"""The simulator never talks to anything but this machine."""

from __future__ import annotations

import pytest

from tools.simulator import SimOperator, Simulator


@pytest.mark.parametrize("url", ["http://10.0.0.5:8050", "https://example.com", "http://192.168.1.1"])
def test_refuses_remote_targets(url: str) -> None:
    with pytest.raises(ValueError, match="only talks to this machine"):
        Simulator(url, [SimOperator("op", "kz_x", ("C1",))])


def test_accepts_loopback() -> None:
    assert Simulator("http://127.0.0.1:8050/", [SimOperator("op", "kz_x", ("C1",))]).base_url == "http://127.0.0.1:8050"
