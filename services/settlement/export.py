"""A statement as JSON, CSV or XLSX: for an issued one, the same bytes every time."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.i18n import _
from services.settlement.money import kzt
from services.settlement.statements import canonical
from services.tabular import safe_row

FORMATS = ("json", "csv", "xlsx")


def render(content: dict[str, Any], fmt: str) -> bytes:
    """The statement in one of FORMATS; ValueError for another."""
    if fmt == "json":
        return canonical(content)
    if fmt == "csv":
        return _csv(content)
    if fmt == "xlsx":
        return _xlsx(content)
    raise ValueError(_("format %(format)s: one of %(formats)s", format=repr(fmt), formats=", ".join(FORMATS)))


def _money(tiyn: int) -> Decimal:
    # A number, not text: a negative amount is not a formula, and a spreadsheet can sum it.
    return Decimal(kzt(tiyn))


def _sections(content: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    rec = content["reconciliation"]
    head = [["operator", content["operator"]], ["month", content["month"]], ["status", content["status"]],
            ["version", content["version"]], ["contract", (content.get("contract") or {}).get("number", "")],
            ["uptime_pct", content["uptime_pct"]], ["total_kzt", _money(content["total_tiyn"])],
            ["sha256", content["sha256"]]]
    lines = [[line["code"], line["label"], "" if line.get("count") is None else line["count"],
              _money(line["amount_tiyn"])] for line in content["lines"]]
    recon = [["offences_registered", rec["offences_registered"], ""], ["fines_issued", rec["fines_issued"], ""],
             ["without_fine", rec["without_fine"], ""]]
    for status in ("paid", "cancelled", "appealed", "unpaid"):
        recon.append([status, rec[status]["count"], _money(rec[status]["amount_tiyn"])])
    for age, figure in rec["unpaid_by_age_days"].items():
        recon.append([f"unpaid_{age}_days", figure["count"], _money(figure["amount_tiyn"])])
    cameras = [[c["camera_id"], c["external_id"], c["offences"], c["fines_paid"], c["incidents_confirmed"],
                c["false_alarms"], c["uptime_pct"], _money(c["earned_tiyn"])] for c in content["cameras"]]
    return [("statement", ["field", "value"], head),
            ("lines", ["code", "label", "count", "amount_kzt"], lines),
            ("reconciliation", ["item", "count", "amount_kzt"], recon),
            ("cameras", ["camera_id", "external_id", "offences", "fines_paid", "incidents_confirmed", "false_alarms",
                         "uptime_pct", "earned_kzt"], cameras)]


def _csv(content: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for n, (name, header, rows) in enumerate(_sections(content)):
        if n:
            writer.writerow([])
        writer.writerow([f"# {name}"])
        writer.writerow(header)
        writer.writerows([safe_row(row) for row in rows])
    return out.getvalue().encode("utf-8")


def _xlsx(content: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, header, rows in _sections(content):
        sheet = book.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append(safe_row(row))
    # A workbook records when it was made; an issued statement says when it was issued instead.
    stamp = datetime.fromisoformat(content.get("issued_at") or content["period"]["as_of"]).replace(tzinfo=None)
    book.properties.created = book.properties.modified = stamp
    book.properties.creator = book.properties.lastModifiedBy = "Kuzet"
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip(raw.getvalue(), stamp)


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The same archive with every member dated ``stamp``: zip members otherwise carry the time of saving."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(max(stamp.year, 1980), stamp.month, stamp.day,
                                                                stamp.hour, stamp.minute, stamp.second))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the moment of saving, whatever the workbook says: two
                # renders of one issued statement a second apart would differ by that byte.
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", body)
            target.writestr(member, body)
    return out.getvalue()
