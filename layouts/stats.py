"""The supervisor's statistics page: the chosen period's counters, response intervals against targets, charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from services.i18n import N_, _, format_number, format_percent, pgettext
from services.i18n.terms import term
from services.supervision.report import interval_name, outcome_name, reason_name
from services.supervision.stats import Figures, Stats
from layouts.nav import nav
from services.access.permissions import Page

REQUEST = "stats-request"  # dcc.Store: the period asked for: {"kind"}, {"from", "to"}, or a step from the shown one
SHOWN = "stats-shown"  # dcc.Store: the period on the page: {"kind", "from", "to"}
KIND = "stats-kind"
DEPARTMENT = "stats-department"  # dcc.Store: the department id shown, or "all"
DEPARTMENT_PICK = "stats-department-pick"  # the chief's and admin's select
PREVIOUS = "stats-previous"
NEXT = "stats-next"
CURRENT = "stats-current"
RANGE_FROM = "stats-range-from"
RANGE_TO = "stats-range-to"
RANGE_APPLY = "stats-range-apply"
LABEL = "stats-label"
CONTENT = "stats-content"
FEEDBACK = "stats-feedback"
EXPORT_SUMMARY = "stats-export-summary"
EXPORT_INCIDENTS = "stats-export-incidents"
EXPORT_XLSX = "stats-export-xlsx"
PRINT = "stats-print"
INCIDENTS = "stats-incidents"  # the incidents counter's value
SCALE = "stats-scale"  # dcc.Store: 1, or 2 on a 4K screen (chart text is in pixels, the page's in rem)

KINDS = {"shift": N_("Shift"), "day": N_("Day"), "week": N_("Week"), "month": N_("Month")}
ALL_DEPARTMENTS = "all"
PRIORITY_COLOURS = {1: "#ff453a", 2: "#ff9f0a", 3: "#ffd60a", 4: "#64d2ff"}
TYPE_COLOURS = ["#4d8dff", "#ff9f0a", "#30d158", "#bf5af2", "#ffd60a", "#64d2ff", "#ff6482", "#ac8e68",
                "#98989d", "#5e5ce6"]
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def value_id(interval: str, field: str) -> str:
    """Id of one figure in the intervals table, e.g. stats-time_to_acknowledge_s-median (shared with tests)."""
    return f"stats-{interval}-{field}"


def layout(*, username: str, departments: list[dict[str, str]] | None, department: str,
           pages: frozenset[Page] = frozenset()) -> html.Div:
    """The page shell: the period picker, exports and an empty content area the callback fills."""
    picker: list[Any] = [
        dmc.SegmentedControl(id=KIND, data=[{"value": k, "label": _(v)} for k, v in KINDS.items()], value="shift",
                             size="md"),
        html.Button(_("◀ Earlier"), id=PREVIOUS, className="stats-step", n_clicks=0),
        html.Button(_("Now"), id=CURRENT, className="stats-step", n_clicks=0),
        html.Button(_("Later ▶"), id=NEXT, className="stats-step", n_clicks=0),
        html.Div(className="stats-range", children=[
            dcc.Input(id=RANGE_FROM, type="datetime-local", debounce=True),
            html.Span("—"),
            dcc.Input(id=RANGE_TO, type="datetime-local", debounce=True),
            html.Button(_("Show the period"), id=RANGE_APPLY, className="stats-step", n_clicks=0),
        ]),
    ]
    if departments is not None:
        picker.insert(0, dmc.Select(id=DEPARTMENT_PICK, data=departments, value=department, allowDeselect=False,
                                    w=300, searchable=True, **{"aria-label": _("Department")}))
    return html.Div(className="stats", children=[
        dcc.Store(id=REQUEST, data={"kind": "shift"}), dcc.Store(id=SHOWN), dcc.Store(id=DEPARTMENT, data=department),
        dcc.Store(id=SCALE),
        html.Header(className="wall-top stats-top", children=[
            html.Div(className="wall-title", children=[
                html.Div("KUZET", className="brand"),
                html.Div([html.Div(_("Shift statistics"), className="dept-ru"),
                          html.Div(id=LABEL, className="dept-other")]),
            ]),
            nav(username, pages, "/stats"),
        ]),
        html.Div(className="stats-controls", children=[
            *picker,
            html.Div(className="stats-exports", children=[
                html.A(_("Summary CSV"), id=EXPORT_SUMMARY, href="#", className="export"),
                html.A(_("Incidents CSV"), id=EXPORT_INCIDENTS, href="#", className="export"),
                html.A(_("Report XLSX"), id=EXPORT_XLSX, href="#", className="export"),
                html.Button(_("Print"), id=PRINT, className="stats-step", n_clicks=0, title=_("Print the report")),
            ]),
        ]),
        html.Div(id=FEEDBACK, className="feedback"),
        html.Main(id=CONTENT, className="stats-body"),
    ])


def content(stats: Stats, scale: float = 1.0) -> list[Any]:
    """Everything shown for one period (pure: the same Stats the API and the report give); ``scale`` sizes chart text."""
    counters = [(pgettext("count", "Incidents"), stats.incidents, INCIDENTS)]
    counters += [(term("source", source), n, None) for source, n in sorted(stats.by_source.items())]
    counters += [(_("Open at start"), stats.open_at_start, None), (_("Open at end"), stats.open_at_end, None),
                 (_("Transferred to us"), stats.transfers_in, None), (_("Transferred from us"), stats.transfers_out, None)]
    return [
        html.Section(className="stats-counters", children=[
            html.Div(className="counter", children=[
                html.Div(format_number(value), className="counter-value", **({"id": cid} if cid else {})),
                html.Div(label, className="counter-label")]) for label, value, cid in counters]),
        html.Section(className="stats-panel stats-wide", children=[
            html.H3(_("Response intervals")), intervals_table(stats.intervals),
            html.P(_("Median and percentiles in seconds; “within target” is the share of incidents that met the "
                     "target (NENA-STA-020.1: 90 % acknowledged within 15 s; NFPA 1225: 90 % dispatched within 60 s)."),
                   className="stats-note"),
        ]),
        html.Section(className="stats-panel", children=[
            html.H3(_("By priority (median, s / within target %)")), priority_table(stats)]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Cameras and 102 calls")), source_table(stats)]),
        html.Section(className="stats-panel stats-wide", children=[
            html.H3(_("Incidents per hour")),
            dcc.Graph(figure=hourly_figure(stats, scale), config={"displayModeBar": False}, className="stats-graph")]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Hour by weekday")),
            dcc.Graph(figure=heatmap_figure(stats, scale), config={"displayModeBar": False}, className="stats-graph")]
            if stats.period.end - stats.period.start > timedelta(days=2) else [
            html.H3(_("By type")),
            dcc.Graph(figure=types_figure(stats, scale), config={"displayModeBar": False}, className="stats-graph")]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Outcomes")),
            dcc.Graph(figure=outcomes_figure(stats, scale), config={"displayModeBar": False}, className="stats-graph")]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Camera operators")),
            _table([_("Operator"), pgettext("count", "Incidents"), _("False alarms"), _("False alarms, %"),
                    _("Confirmed, %"), _("Lag, s")],
                   [[o["operator"], o["incidents"], o["false_alarms"], percent_text(o["false_alarm_pct"]),
                     percent_text(o["confirmed_pct"]), seconds_text(o["median_lag_s"])] for o in stats.by_operator])]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Officers")),
            _table([_("Officer"), _("Acknowledged"), _("Dispatched"), _("Resolved"), _("Time to acknowledge, s")],
                   [[o["officer"], o["acknowledged"], o["dispatched"], o["resolved"],
                     seconds_text(o["median_time_to_acknowledge_s"])] for o in stats.by_officer])]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Units")),
            _table([_("Unit"), pgettext("count", "Incidents"), _("Busy, min"), _("Busy, % of the period")],
                   [[u["unit"], u["incidents"], seconds_text((u["busy_s"] or 0) / 60), percent_text(u["busy_pct"])]
                    for u in stats.by_unit])]),
        html.Section(className="stats-panel", children=[
            html.H3(_("Excluded records")), exclusions_list(stats)]),
    ]


def intervals_table(intervals: dict[str, Figures]) -> html.Table:
    """One row per interval: n, median, p90, p95, target, compliance, excluded."""
    head = [_("Interval"), _("n"), _("Median"), _("p90"), _("p95"), _("Target"), _("Within target"), _("Excluded")]
    rows = []
    for name, f in intervals.items():
        met = f.within_target_pct is not None and f.within_target_pct >= 90
        rows.append(html.Tr([
            html.Td(interval_name(name)), html.Td(str(f.n), id=value_id(name, "n")),
            html.Td(seconds_text(f.median), id=value_id(name, "median")), html.Td(seconds_text(f.p90)), html.Td(seconds_text(f.p95)),
            html.Td(seconds_text(f.target_s) if f.target_s else _("not set")),
            html.Td(percent_text(f.within_target_pct), id=value_id(name, "within"),
                    className="" if f.within_target_pct is None else "ok" if met else "late"),
            html.Td(str(sum(f.excluded.values())) if f.excluded else "0")]))
    return html.Table(className="stats-table", children=[html.Thead(html.Tr([html.Th(h) for h in head])),
                                                         html.Tbody(rows)])


def priority_table(stats: Stats) -> html.Table:
    """Median and compliance of each interval for each priority."""
    priorities = sorted(stats.by_priority)
    rows = [html.Tr([html.Td(interval_name(name))] + [
        html.Td(_cell(stats.by_priority[p][name])) for p in priorities]) for name in stats.intervals]
    head = html.Tr([html.Th(_("Interval"))] + [html.Th(f"P{p}", style={"color": PRIORITY_COLOURS.get(p)})
                                            for p in priorities])
    return html.Table(className="stats-table", children=[html.Thead(head), html.Tbody(rows)])


def source_table(stats: Stats) -> html.Table:
    """Camera incidents and 102 calls apart, beside all of them together."""
    sources = sorted(stats.by_source_intervals)
    head = html.Tr([html.Th(_("Interval")), html.Th(_("All"))] + [html.Th(term("source", s)) for s in sources])
    rows = [html.Tr([html.Td(interval_name(name)), html.Td(_cell(stats.intervals[name]))] +
                    [html.Td(_cell(stats.by_source_intervals[s][name])) for s in sources]) for name in stats.intervals]
    return html.Table(className="stats-table", children=[html.Thead(head), html.Tbody(rows)])


def exclusions_list(stats: Stats) -> html.Div:
    """Each reason a record was left out of an interval, with links to the incidents behind it."""
    if not stats.exclusions:
        return html.Div(_("Every record has complete times in order."), className="stats-note")
    return html.Ul(className="stats-exclusions", children=[html.Li([
        html.Span(_("%(interval)s: %(reason)s — %(count)s.", interval=interval_name(e["interval"]),
                    reason=reason_name(e["reason"]), count=format_number(e["count"])) + " "),
        *[html.A(f"#{i}", href=f"/incidents/{i}", className="stats-incident") for i in e["incident_ids"]],
    ]) for e in stats.exclusions])


def hourly_figure(stats: Stats, scale: float = 1.0) -> go.Figure:
    """Incidents per hour, stacked by type."""
    fig = go.Figure()
    types = list(stats.by_type)
    for n, kind in enumerate(types):
        points = [p for p in stats.per_hour if p["type"] == kind]
        fig.add_trace(go.Bar(name=term("type", kind), x=[p["hour"] for p in points], y=[p["count"] for p in points],
                             marker_color=TYPE_COLOURS[n % len(TYPE_COLOURS)]))
    fig.update_layout(barmode="stack", **_dark(scale), legend={"orientation": "h", "y": -0.25})
    # The hours are Almaty's already (services.supervision.stats): shown as they are, 24-hour.
    fig.update_xaxes(tickformat="%H:%M<br>%d.%m", hoverformat="%d.%m %H:%M", title={"text": _("Hour (Almaty)")})
    fig.update_yaxes(title={"text": pgettext("count", "Incidents")})
    return fig


def types_figure(stats: Stats, scale: float = 1.0) -> go.Figure:
    """How many incidents of each type (for a shift or a day, where a weekday heat map says little)."""
    fig = go.Figure(go.Bar(x=list(stats.by_type.values()), y=[term("type", k) for k in stats.by_type],
                           orientation="h",
                           marker_color=[TYPE_COLOURS[n % len(TYPE_COLOURS)] for n in range(len(stats.by_type))]))
    fig.update_layout(**_dark(scale))
    fig.update_xaxes(title={"text": pgettext("count", "Incidents")})
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def heatmap_figure(stats: Stats, scale: float = 1.0) -> go.Figure:
    """Hour of day by weekday, Almaty time."""
    fig = go.Figure(go.Heatmap(z=stats.heatmap, x=[f"{h:02d}" for h in range(24)], y=[_(d) for d in WEEKDAYS],
                               colorscale=[[0, "#0d1422"], [0.5, "#2f5fb3"], [1, "#ffd60a"]],
                               hovertemplate="%{y} %{x}:00 — %{z}<extra></extra>", showscale=False))
    fig.update_layout(**_dark(scale))
    fig.update_xaxes(title={"text": _("Hour (Almaty)")})
    fig.update_yaxes(autorange="reversed")
    return fig


def outcomes_figure(stats: Stats, scale: float = 1.0) -> go.Figure:
    """How the period's incidents ended."""
    labels = [outcome_name(k) for k in stats.outcomes]
    fig = go.Figure(go.Bar(x=list(stats.outcomes.values()), y=labels, orientation="h", marker_color="#4d8dff"))
    fig.update_layout(**_dark(scale))
    fig.update_xaxes(title={"text": pgettext("count", "Incidents")})
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def _dark(scale: float = 1.0) -> dict[str, Any]:
    return {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"color": "#e6edf3", "size": round(15 * scale)},
            "margin": {"l": round(50 * scale), "r": 10, "t": 10, "b": round(40 * scale)},
            "xaxis": {"gridcolor": "#1f2a3d", "automargin": True}, "yaxis": {"gridcolor": "#1f2a3d", "automargin": True}}


def _table(head: list[str], rows: list[list[Any]]) -> html.Table | html.Div:
    if not rows:
        return html.Div(_("No data for the period."), className="stats-note")
    return html.Table(className="stats-table", children=[
        html.Thead(html.Tr([html.Th(h) for h in head])),
        # The first column names someone (an operator, an officer, a unit's call sign): data, not words.
        html.Tbody([html.Tr([html.Td(str(c), **({"data-i18n": "data"} if i == 0 else {})) for i, c in enumerate(row)])
                    for row in rows])])


def _cell(f: Figures) -> str:
    if not f.n:
        return "—"
    return f"{seconds_text(f.median)} / {percent_text(f.within_target_pct)}" if f.within_target_pct is not None else seconds_text(f.median)


def seconds_text(value: float | int | None) -> str:
    """A figure as the page shows it: whole above 100, one decimal below, "—" for none."""
    if value is None:
        return "—"
    return format_number(round(value), 0) if abs(value) >= 100 else format_number(round(float(value), 1))


def percent_text(value: float | None) -> str:
    """A share as the page shows it, as the language writes a percentage."""
    return "—" if value is None else format_percent(value / 100, 0)
