"""kuzet conformance, kuzet schema: the event format, checked offline and published."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click


@click.command("conformance")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--adapter", default=None, help="Vendor payloads: hikvision-isapi, dahua, axis, onvif, frigate.")
@click.option("--device", default=None, help="Device id the adapter should name cameras after (dahua, onvif, frigate).")
@click.option("--topic", default=None, help="MQTT topic of the payloads (frigate).")
@click.option("--video", "video_url", default=None, metavar="URL",
              help="Probe an operator's live view too: an HLS playlist (.m3u8) or a WHEP endpoint.")
@click.option("--video-protocol", type=click.Choice(["hls", "whep"]), default=None,
              help="The live view's protocol, when the URL does not tell (.m3u8 is HLS, anything else WHEP).")
@click.option("--video-header", "video_headers", multiple=True, metavar="NAME:VALUE",
              help="A header sent with every video request, e.g. the operator's Authorization; repeatable.")
def conformance(files: tuple[Path, ...], adapter: str | None, device: str | None, topic: str | None,
                video_url: str | None, video_protocol: str | None, video_headers: tuple[str, ...]) -> None:
    """Check payload files offline (ACCEPTED or REJECTED per file) and/or probe a live view; exit 1 on any failure."""
    if not files and video_url is None:
        raise click.UsageError("give payload FILES to check, --video URL to probe, or both")
    if video_protocol is not None and video_url is None:
        raise click.UsageError("--video-protocol needs --video URL")
    headers = _header_pairs(video_headers)
    passed = True
    if files:
        from services.intake.conformance import check_file

        params = {k: v for k, v in (("device", device), ("topic", topic)) if v}
        verdicts = [check_file(path, adapter, params) for path in files]
        for verdict in verdicts:
            click.echo(verdict.line())
        passed = all(v.accepted for v in verdicts)
    if video_url is not None:
        from services.video.conformance import probe_video

        for noisy in ("aioice", "aiortc"):  # an ICE state change per line would bury the findings
            logging.getLogger(noisy).setLevel(logging.WARNING)
        report = probe_video(video_url, protocol=video_protocol, headers=headers)
        errors = sum(f.level == "error" for f in report.findings)
        warnings = sum(f.level == "warning" for f in report.findings)
        verdict = "PLAYABLE" if report.ok else "NOT PLAYABLE"
        click.echo(f"{report.url}: {report.protocol.upper()} {verdict} ({errors} error{'s' * (errors != 1)}, "
                   f"{warnings} warning{'s' * (warnings != 1)})")
        for finding in report.findings:
            click.echo(f"  {finding.line()}")
        for name, value in report.figures.items():
            if value is None:
                continue
            shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value
            click.echo(f"  {name}: {shown}")
        passed = passed and report.ok
    if not passed:
        sys.exit(1)


def _header_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """--video-header NAME:VALUE pairs as a dict, or a usage error naming the bad one."""
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME:VALUE", param_hint="--video-header")
        headers[name.strip()] = value.strip()
    return headers


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
