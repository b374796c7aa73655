"""kuzet conformance, kuzet schema: the event format, checked offline and published."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("conformance")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--adapter", default=None, help="Vendor payloads: hikvision-isapi, dahua, axis, onvif, frigate.")
@click.option("--device", default=None, help="Device id the adapter should name cameras after (dahua, onvif, frigate).")
@click.option("--topic", default=None, help="MQTT topic of the payloads (frigate).")
def conformance(files: tuple[Path, ...], adapter: str | None, device: str | None, topic: str | None) -> None:
    """Check payload files offline: ACCEPTED or REJECTED <reason> per file; exit 1 if any is rejected."""
    from services.intake.conformance import check_file

    params = {k: v for k, v in (("device", device), ("topic", topic)) if v}
    verdicts = [check_file(path, adapter, params) for path in files]
    for verdict in verdicts:
        click.echo(verdict.line())
    if not all(v.accepted for v in verdicts):
        sys.exit(1)


@click.command("schema")
@click.option("--out", "out_dir", default="docs", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def schema_export(out_dir: Path) -> None:
    """Write the JSON Schema and OpenAPI documents (docs/schema/event.json, docs/openapi.json)."""
    import json

    from tools.openapi import event_schema, openapi

    (out_dir / "schema").mkdir(parents=True, exist_ok=True)
    for path, document in ((out_dir / "schema" / "event.json", event_schema()), (out_dir / "openapi.json", openapi())):
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        click.echo(f"wrote {path}")
