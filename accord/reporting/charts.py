"""The report's charts: matplotlib (Agg backend, no display) drawn to SVG and inlined
as data URIs, so the HTML page and the PDF need nothing fetched."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from accord.reporting.annual import AnnualReport, PeriodFigures

_COLOURS = ("#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#b58840", "#505a5f")


def _data_uri(figure: Figure) -> str:
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def monthly_chart(report: AnnualReport) -> str:
    figure = Figure(figsize=(7, 2.8))
    axes = figure.subplots()
    months = [m.month for m in report.months]
    positions = range(len(months))
    axes.bar(
        [p - 0.2 for p in positions],
        [m.received for m in report.months],
        0.4,
        label="Received",
        color=_COLOURS[0],
    )
    axes.bar(
        [p + 0.2 for p in positions],
        [m.closed for m in report.months],
        0.4,
        label="Closed",
        color=_COLOURS[1],
    )
    step = max(1, len(months) // 12)
    axes.set_xticks(list(positions)[::step], months[::step], rotation=45, ha="right", fontsize=7)
    axes.set_title("Cases received and closed by month", fontsize=9)
    axes.legend(fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _data_uri(figure)


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
    axes.set_yticks(list(positions), [label[:40] for label in labels], fontsize=7)
    axes.invert_yaxis()
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
