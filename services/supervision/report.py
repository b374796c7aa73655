"""The shift report a supervisor hands over: CSV and XLSX of the same figures the page shows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from services.tabular import safe_cell, safe_row
from services.supervision.shifts import ALMATY
from services.supervision.stats import Figures, Interval, SPANS, Stats

INTERVAL_LABELS: dict[str, str] = {
    Interval.TIME_TO_ACKNOWLEDGE: "Время принятия · Time to acknowledge",
    Interval.TIME_TO_DISPATCH: "До высылки наряда · Time to dispatch",
    Interval.TRAVEL: "В пути · Travel",
    Interval.RESPONSE: "До прибытия · Response",
    Interval.TIME_ON_SCENE: "На месте · On scene",
    Interval.TIME_TO_CLOSE: "До закрытия · Time to close",
}
REASON_LABELS = {"missing_start": "нет времени начала · start time missing",
                 "out_of_order": "время раньше начала · out of order"}
FIGURE_HEADER = ["n", "медиана, с · median s", "p90, с", "p95, с", "норматив, с · target s",
                 "в нормативе, % · within target %", "исключено · excluded"]


def figure_row(figures: Figures) -> list[Any]:
    """One interval's figures as table cells."""
    excluded = ", ".join(f"{REASON_LABELS.get(k, k)}: {v}" for k, v in figures.excluded.items())
    return [figures.n, figures.median, figures.p90, figures.p95, figures.target_s, figures.within_target_pct,
            excluded]


def summary_rows(stats: Stats, department_names: dict[int, str]) -> list[list[Any]]:
    """Every figure of the page, section by section, as rows (the CSV and the summary sheet)."""
    rows: list[list[Any]] = [
        ["Kuzet — отчёт за смену · shift report"],
        ["Период · Period", stats.period.label(), stats.period.kind.value],
        ["С · From", _local(stats.period.start)], ["По · To", _local(stats.period.end)],
        ["Подразделения · Departments", "; ".join(department_names.get(d, str(d)) for d in stats.department_ids)],
        [],
        ["Происшествий · Incidents", stats.incidents],
        *[[f"  источник · source: {source}", count] for source, count in sorted(stats.by_source.items())],
        ["Открыто в начале · Open at start", stats.open_at_start],
        ["Открыто в конце · Open at end", stats.open_at_end],
        ["Передано к нам · Transfers in", stats.transfers_in],
        ["Передано от нас · Transfers out", stats.transfers_out],
        [],
        ["Интервал · Interval", *FIGURE_HEADER],
        *[[INTERVAL_LABELS[name], *figure_row(figures)] for name, figures in stats.intervals.items()],
    ]
    for priority, by_interval in sorted(stats.by_priority.items()):
        rows += [[], [f"Приоритет · Priority {priority}", *FIGURE_HEADER]]
        rows += [[INTERVAL_LABELS[name], *figure_row(f)] for name, f in by_interval.items() if f.n]
    for source, by_interval in sorted(stats.by_source_intervals.items()):
        rows += [[], [f"Источник · Source {source}", *FIGURE_HEADER]]
        rows += [[INTERVAL_LABELS[name], *figure_row(f)] for name, f in by_interval.items() if f.n]
    rows += [[], ["Тип · Type", "Происшествий · Incidents"], *[[k, v] for k, v in stats.by_type.items()]]
    rows += [[], ["Исход · Outcome", "Происшествий · Incidents"], *[[k, v] for k, v in stats.outcomes.items()]]
    rows += [[], ["Оператор · Operator", "Происшествий", "Ложных", "Ложных %", "Подтверждено %", "Задержка, с (медиана)"]]
    rows += [[o["operator"], o["incidents"], o["false_alarms"], o["false_alarm_pct"], o["confirmed_pct"],
              o["median_lag_s"]] for o in stats.by_operator]
    rows += [[], ["Дежурный · Officer", "Принято", "Выслано", "Завершено", "Время принятия, с (медиана)"]]
    rows += [[o["officer"], o["acknowledged"], o["dispatched"], o["resolved"], o["median_time_to_acknowledge_s"]]
             for o in stats.by_officer]
    rows += [[], ["Наряд · Unit", "Происшествий", "Занят, с", "Занят, % периода"]]
    rows += [[u["unit"], u["incidents"], u["busy_s"], u["busy_pct"]] for u in stats.by_unit]
    rows += [[], ["Исключённые записи · Excluded records", "Причина · Reason", "Число", "Происшествия · Incidents"]]
    rows += [[INTERVAL_LABELS[e["interval"]], REASON_LABELS.get(e["reason"], e["reason"]), e["count"],
              " ".join(f"#{i}" for i in e["incident_ids"])] for e in stats.exclusions]
    return rows


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
    sheet.title = "Сводка · Summary"
    for row in summary:
        sheet.append([_safe(c) for c in row])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 44
    for column in "BCDEFGH":
        sheet.column_dimensions[column].width = 18
    table = book.create_sheet("Происшествия · Incidents")
    for row in incidents:
        table.append([_safe(c) for c in row])
    for cell in table[1]:
        cell.font = Font(bold=True)
    table.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _local(at: datetime) -> str:
    return at.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M:%S")


_safe = safe_cell  # the XLSX sheets use it cell by cell
