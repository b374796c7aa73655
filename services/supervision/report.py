"""The shift report a supervisor hands over: CSV and XLSX of the same figures the page shows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from services.i18n import N_, _, format_datetime, pgettext
from services.i18n.terms import term
from services.tabular import safe_cell, safe_row
from services.supervision.stats import Figures, Interval, SPANS, Stats

# What each interval is called (translated where shown: interval_name()).
INTERVAL_LABELS: dict[str, str] = {
    Interval.TIME_TO_ACKNOWLEDGE: N_("Time to acknowledge"),
    Interval.TIME_TO_DISPATCH: N_("Time to dispatch"),
    Interval.TRAVEL: N_("Travel"),
    Interval.RESPONSE: N_("Response"),
    Interval.TIME_ON_SCENE: N_("On scene"),
    Interval.TIME_TO_CLOSE: N_("Time to close"),
}
# Why a record was left out of an interval (translated where shown: reason_name()).
REASON_LABELS: dict[str, str] = {"missing_start": N_("start time missing"), "out_of_order": N_("out of order")}
# The figures' column headers (translated where shown: figure_header()).
FIGURE_HEADER: list[str] = [N_("n"), N_("median, s"), N_("p90, s"), N_("p95, s"), N_("target, s"),
                            N_("within target, %"), N_("excluded")]


def interval_name(interval: str) -> str:
    """What an interval is called, in the language of the moment."""
    english = INTERVAL_LABELS.get(interval)
    return _(english) if english else interval


def reason_name(reason: str) -> str:
    """Why records were left out of an interval, in the language of the moment."""
    english = REASON_LABELS.get(reason)
    return _(english) if english else reason


def outcome_name(code: str) -> str:
    """How an incident ended: its outcome, or a false call dismissed (the statistics count both)."""
    return term("action", "dismiss") if code == "dismissed" else term("outcome", code)


def figure_header() -> list[str]:
    """The figures' column headers, in the language of the moment."""
    return [_(h) for h in FIGURE_HEADER]


def figure_row(figures: Figures) -> list[Any]:
    """One interval's figures as table cells."""
    excluded = ", ".join(f"{reason_name(k)}: {v}" for k, v in figures.excluded.items())
    return [figures.n, figures.median, figures.p90, figures.p95, figures.target_s, figures.within_target_pct,
            excluded]


def summary_rows(stats: Stats, department_names: dict[int, str]) -> list[list[Any]]:
    """Every figure of the page, section by section, as rows (the CSV and the summary sheet)."""
    incidents = pgettext("count", "Incidents")
    rows: list[list[Any]] = [
        [_("Kuzet — shift report")],
        [_("Period"), stats.period.label(), stats.period.kind.value],
        [_("From"), _local(stats.period.start)], [_("To"), _local(stats.period.end)],
        [_("Departments"), "; ".join(department_names.get(d, str(d)) for d in stats.department_ids)],
        [],
        [incidents, stats.incidents],
        *[[_("of them, %(source)s", source=term("source", source)), count]
          for source, count in sorted(stats.by_source.items())],
        [_("Open at start"), stats.open_at_start],
        [_("Open at end"), stats.open_at_end],
        [_("Transferred to us"), stats.transfers_in],
        [_("Transferred from us"), stats.transfers_out],
        [],
        [_("Interval"), *figure_header()],
        *[[interval_name(name), *figure_row(figures)] for name, figures in stats.intervals.items()],
    ]
    for priority, by_interval in sorted(stats.by_priority.items()):
        rows += [[], [_("Priority %(priority)s", priority=priority), *figure_header()]]
        rows += [[interval_name(name), *figure_row(f)] for name, f in by_interval.items() if f.n]
    for source, by_interval in sorted(stats.by_source_intervals.items()):
        rows += [[], [_("Source: %(source)s", source=term("source", source)), *figure_header()]]
        rows += [[interval_name(name), *figure_row(f)] for name, f in by_interval.items() if f.n]
    rows += [[], [_("Type"), incidents], *[[term("type", k), v] for k, v in stats.by_type.items()]]
    rows += [[], [_("Outcome"), incidents], *[[outcome_name(k), v] for k, v in stats.outcomes.items()]]
    rows += [[], [_("Operator"), incidents, _("False alarms"), _("False alarms, %"), _("Confirmed, %"),
                  _("Lag, s (median)")]]
    rows += [[o["operator"], o["incidents"], o["false_alarms"], o["false_alarm_pct"], o["confirmed_pct"],
              o["median_lag_s"]] for o in stats.by_operator]
    rows += [[], [_("Officer"), _("Acknowledged"), _("Dispatched"), _("Resolved"),
                  _("Time to acknowledge, s (median)")]]
    rows += [[o["officer"], o["acknowledged"], o["dispatched"], o["resolved"], o["median_time_to_acknowledge_s"]]
             for o in stats.by_officer]
    rows += [[], [_("Unit"), incidents, _("Busy, s"), _("Busy, % of the period")]]
    rows += [[u["unit"], u["incidents"], u["busy_s"], u["busy_pct"]] for u in stats.by_unit]
    rows += [[], [_("Excluded records"), _("Reason"), _("Count"), _("Incidents")]]
    rows += [[interval_name(e["interval"]), reason_name(e["reason"]), e["count"],
              " ".join(f"#{i}" for i in e["incident_ids"])] for e in stats.exclusions]
    return rows


# The incidents sheet is for machines as much as people: its columns are the API's codes (times in Asia/Almaty).
INCIDENT_HEADER = ["id", "department_id", "source", "type", "priority", "status", "outcome", "created_at (Asia/Almaty)",
                   *[i.value for i in SPANS]]


def incident_table(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The incidents sheet: one row per incident, every interval in seconds (empty when it does not apply)."""
    out: list[list[Any]] = [INCIDENT_HEADER]
    for row in rows:
        out.append([row["id"], row["department_id"], row["source"], row["type"], row["priority"], row["status"],
                    row["outcome"] or "", _local(row["created_at"]),
                    *[None if row[i.value] is None else round(float(row[i.value]), 3) for i in SPANS]])
    return out


def to_csv(rows: list[list[Any]]) -> str:
    """CSV with a BOM (spreadsheets then read the Cyrillic right); text that would run as a formula is quoted."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(safe_row(row))
    return buffer.getvalue()


def to_xlsx(summary: list[list[Any]], incidents: list[list[Any]]) -> bytes:
    """A workbook with the summary sheet and the incidents sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    for row in summary:
        sheet.append([_safe(c) for c in row])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 44
    for column in "BCDEFGH":
        sheet.column_dimensions[column].width = 18
    table = book.create_sheet(_("Incidents")[:31])
    for row in incidents:
        table.append([_safe(c) for c in row])
    for cell in table[1]:
        cell.font = Font(bold=True)
    table.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _local(at: datetime) -> str:
    return format_datetime(at, "dd.MM.yyyy HH:mm:ss")  # Asia/Almaty


_safe = safe_cell  # the XLSX sheets use it cell by cell
