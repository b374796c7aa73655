"""The operator guide's worked examples really work: its Python signs a request the centre accepts,
and its openssl line computes the same signature."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from services.access.operators import sign
from tests.conftest import LiveServer, event

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "operators.md").read_text(encoding="utf-8")


def _block(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", GUIDE, re.S).group(1)


def test_the_python_example_posts_a_signed_batch(live_server: LiveServer) -> None:
    from sqlalchemy import update

    from services.store.models import Operator

    with live_server.app.extensions["kuzet"].store.session() as s:
        s.execute(update(Operator).values(signing_required=True))
    code = _block("python").replace("kz_3f9c1a2b_your-key", live_server.world.api_key)
    code = code.replace("https://kuzet.example", live_server.url)
    namespace: dict = {}
    exec(compile(code, "docs/operators.md", "exec"), namespace)  # noqa: S102 - our own documentation
    answer = namespace["post"]([event("CAM-A")])
    assert answer["accepted"] == 1
    unsigned = requests.post(f"{live_server.url}/api/v1/events", json=event("CAM-A"), timeout=5,
                             headers={"Authorization": f"Bearer {live_server.world.api_key}"})
    assert unsigned.status_code == 401


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_the_openssl_recipe_matches_the_centre() -> None:
    lines = _block("sh").splitlines()
    key = lines[0].split("=", 1)[1]
    body = lines[1].split("=", 1)[1].strip("'")
    stamp = "1795597200"
    recipe = next(line for line in lines if line.startswith("SIG="))[len("SIG=$("):-1]
    out = subprocess.run(["sh", "-c", recipe], env={"STAMP": stamp, "BODY": body, "KEY": key, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert f"sha256={out}" == sign(key, stamp, body.encode())
