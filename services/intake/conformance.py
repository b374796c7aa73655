"""The conformance kit: check an operator's sample payloads offline, before connecting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.intake.adapters import Context, adapter_names, translate
from services.errors import Rejected
from services.intake.ingest import parse_body, validate_item


@dataclass(frozen=True)
class Verdict:
    """ACCEPTED, or REJECTED with the exact reasons."""

    path: Path
    accepted: bool
    reasons: tuple[str, ...] = ()
    events: int = 0

    def line(self) -> str:
        """One line per file, as the CLI prints it."""
        if self.accepted:
            return f"{self.path}: ACCEPTED ({self.events} event{'s' if self.events != 1 else ''})"
        return f"{self.path}: REJECTED {'; '.join(self.reasons)}"


def _content_type(path: Path) -> str:
    return {".xml": "application/xml", ".json": "application/json", ".txt": "text/plain"}.get(path.suffix, "")


def check_file(path: Path, adapter: str | None = None, params: dict[str, str] | None = None,
               max_batch: int = 1000) -> Verdict:
    """Validate one file as v1 JSON (single or batch), or as a vendor payload through ``adapter``."""
    try:
        body = path.read_bytes()
    except OSError as exc:
        return Verdict(path, False, (f"cannot read file: {exc.strerror}",))
    if adapter is not None:
        if adapter not in adapter_names():
            return Verdict(path, False, (f"unknown adapter {adapter!r}; adapters are {', '.join(adapter_names())}",))
        content_type = _content_type(path)
        if body.startswith(b"--"):
            boundary = body.split(b"\r\n", 1)[0][2:].decode("latin-1").strip()
            content_type = f"multipart/mixed; boundary={boundary}"
        translation = translate(adapter, body, Context(content_type, params or {}))
        if translation.refused:
            return Verdict(path, False, (translation.refused,))
        reasons = [f"not translated: {u}" for u in translation.unmapped]
        items = translation.events
        pointer = "/events/{}"
    else:
        try:
            items, batch = parse_body(body, max_batch)
        except Rejected as problem:
            return Verdict(path, False, (problem.summary,))
        reasons = []
        pointer = "/events/{}" if batch else ""
    for index, item in enumerate(items):
        _, errors = validate_item(item, pointer.format(index) if pointer else "")
        reasons += [f"{e['pointer'] or '/'} {e['detail']}" for e in errors]
    if not items and not reasons:
        reasons.append("no events in the file")
    return Verdict(path, not reasons, tuple(reasons), len(items))
