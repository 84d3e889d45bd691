"""The report's and the dashboard's charts: matplotlib (Agg backend, no display) drawn
to SVG and inlined as data URIs, so the HTML page and the PDF need nothing fetched.

Counts never go below zero (the value axis starts at 0 and ticks are whole numbers,
also when every count is 0); labels are wrapped, never cut; text stays text in the SVG
(`svg.fonttype: none`), so it can be read, searched and checked."""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from accord.reporting.annual import AnnualReport, PeriodFigures
from accord.reporting.dashboards import Dashboard

matplotlib.rcParams["svg.fonttype"] = "none"

LABEL_WIDTH = 28  # characters per line of a category label


def wrap(label: str) -> str:
    """A long label on several lines, whole."""
    return "\n".join(textwrap.wrap(label, LABEL_WIDTH, break_long_words=False)) or label


def _counts_axis(axes: Axes, which: str, values: Sequence[int]) -> None:
    """A count axis from 0, in whole numbers; at least 0 to 1 when everything is 0."""
    top = max([0, *values])
    locator = MaxNLocator(integer=True, min_n_ticks=1)
    if which == "x":
        axes.set_xlim(0, max(top * 1.05, 1))
        axes.xaxis.set_major_locator(locator)
    else:
        axes.set_ylim(0, max(top * 1.05, 1))
        axes.yaxis.set_major_locator(locator)


_COLOURS = ("#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#b58840", "#505a5f")


def _data_uri(figure: Figure) -> str:
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def received_and_closed_chart(
    months: Sequence[str], received: Sequence[int], closed: Sequence[int]
) -> str:
    """Cases received and closed in each month, side by side."""
    figure = Figure(figsize=(7, 2.8))
    axes = figure.subplots()
    positions = list(range(len(months)))
    axes.bar([p - 0.2 for p in positions], list(received), 0.4, label="Received", color=_COLOURS[0])
    axes.bar([p + 0.2 for p in positions], list(closed), 0.4, label="Closed", color=_COLOURS[1])
    step = max(1, len(months) // 12)
    axes.set_xticks(positions[::step], list(months)[::step], rotation=45, ha="right", fontsize=7)
    axes.set_title("Cases received and closed by month", fontsize=9)
    _counts_axis(axes, "y", [*received, *closed])
    axes.legend(fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)


def monthly_chart(report: AnnualReport) -> str:
    return received_and_closed_chart(
        [m.label or m.month for m in report.months],
        [m.received for m in report.months],
        [m.closed for m in report.months],
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    current: Sequence[int],
    previous: Sequence[int],
    names: tuple[str, str],
) -> str:
    figure = Figure(figsize=(7, 0.45 * max(len(labels), 2) + 0.8))
    axes = figure.subplots()
    positions = range(len(labels))
    axes.barh([p + 0.2 for p in positions], list(previous), 0.4, label=names[1], color=_COLOURS[6])
    axes.barh([p - 0.2 for p in positions], list(current), 0.4, label=names[0], color=_COLOURS[0])
    axes.set_yticks(list(positions), [wrap(label) for label in labels], fontsize=7)
    axes.invert_yaxis()
    _counts_axis(axes, "x", [*current, *previous])
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)


def charts(report: AnnualReport) -> dict[str, str]:
    """Every chart of the report, as data URIs, by name."""
    names = (report.current.label, report.previous.label)
    previous_outcomes = {o.key: o.count for o in report.previous.outcomes}
    outcomes = report.current.outcomes or report.previous.outcomes
    buckets = ("Within 4 weeks", "4 to 8 weeks", "Over 8 weeks")

    def bucket_counts(figures: PeriodFigures) -> list[int]:
        return [
            figures.closed_within_4_weeks,
            figures.closed_within_4_to_8_weeks,
            figures.closed_after_8_weeks,
        ]

    return {
        "months": monthly_chart(report),
        "outcomes": bar_chart(
            "Outcomes of the cases closed",
            [o.label for o in outcomes],
            [
                next((c.count for c in report.current.outcomes if c.key == o.key), 0)
                for o in outcomes
            ],
            [previous_outcomes.get(o.key, 0) for o in outcomes],
            names,
        ),
        "categories": bar_chart(
            "Categories of the cases received",
            [c.category for c in report.category_trend],
            [c.current for c in report.category_trend],
            [c.previous for c in report.category_trend],
            names,
        ),
        "time_to_close": bar_chart(
            "Time to close (FCA buckets)",
            list(buckets),
            bucket_counts(report.current),
            bucket_counts(report.previous),
            names,
        ),
    }


def _grouped_barh(title: str, labels: Sequence[str], series: dict[str, Sequence[int]]) -> str:
    """Horizontal bars, one group per label, one bar per series."""
    rows = max(len(labels), 1)
    figure = Figure(figsize=(7, 0.35 * rows * max(len(series), 1) + 1.0))
    axes = figure.subplots()
    height = 0.8 / max(len(series), 1)
    values: list[int] = []
    for n, (name, counts) in enumerate(series.items()):
        offset = (n - (len(series) - 1) / 2) * height
        axes.barh(
            [p + offset for p in range(len(labels))],
            list(counts),
            height,
            label=name,
            color=_COLOURS[n % len(_COLOURS)],
        )
        values += list(counts)
    axes.set_yticks(list(range(len(labels))), [wrap(label) for label in labels], fontsize=7)
    axes.invert_yaxis()
    _counts_axis(axes, "x", values)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)


def _stacked_barh(title: str, labels: Sequence[str], bands: dict[str, Sequence[int]]) -> str:
    figure = Figure(figsize=(7, 0.45 * max(len(labels), 2) + 1.0))
    axes = figure.subplots()
    left = [0] * len(labels)
    for n, (name, counts) in enumerate(bands.items()):
        axes.barh(
            list(range(len(labels))),
            list(counts),
            0.6,
            left=list(left),
            label=name,
            color=_COLOURS[n % len(_COLOURS)],
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_yticks(list(range(len(labels))), [wrap(label) for label in labels], fontsize=7)
    axes.invert_yaxis()
    _counts_axis(axes, "x", left)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, ncols=min(len(bands), 5))
    axes.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)


def dashboard_charts(figures: Dashboard) -> dict[str, str]:
    """The dashboard's charts, as data URIs, by name."""
    stage_labels = [row.label for row in figures.stages]
    trend_labels = [row.label or row.month for row in figures.months]
    charts_ = {
        "stages": _stacked_barh(
            "Open cases by stage and age (calendar days since receipt)",
            stage_labels,
            {
                label: [row.ages.get(key, 0) for row in figures.stages]
                for key, label in figures.age_bands.items()
            },
        ),
        "clocks": _grouped_barh(
            "Deadlines at risk and breached, by clock",
            [row.label for row in figures.clocks],
            {
                "At risk": [row.at_risk for row in figures.clocks],
                "Breached": [row.breached for row in figures.clocks],
            },
        ),
        "teams": _grouped_barh(
            "Deadlines at risk and breached, by team",
            [row.label for row in figures.teams],
            {
                "At risk": [row.at_risk for row in figures.teams],
                "Breached": [row.breached for row in figures.teams],
            },
        ),
    }
    charts_["months"] = received_and_closed_chart(
        trend_labels, [r.received for r in figures.months], [r.closed for r in figures.months]
    )
    return charts_
