"""docs/architecture.md names the module of each box: every path it names exists, and every package is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_module_the_diagram_names_exists() -> None:
    named = set(re.findall(r"\b((?:services|dashboard|tools)/[\w/]+\.py)", DOC))
    assert len(named) >= 15
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert missing == []


def test_every_services_package_is_in_the_doc() -> None:
    packages = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").is_file())
    assert [p for p in packages if f"`{p}`" not in DOC and f"services/{p}/" not in DOC] == []
