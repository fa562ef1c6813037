"""The report's charts as plain shapes for an SVG template: no drawing library, no JavaScript.

Each function takes the report's plain data and returns a ``Chart`` (rectangles, lines, text)
in a fixed coordinate box; the template draws it and the page's CSS gives the colours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from planner.desk.i18n import Words
from printouts.data import Outcome, Report

WIDTH = 640.0
HEIGHT = 220.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 12.0, 14.0, 34.0
WEEKS_SHOWN = 12
STACK = ("sent", "planned", "skipped", "failed")


@dataclass(frozen=True)
class Shape:
    """A rectangle (``kind`` "rect"), a line ("line") or a text ("text"), with a CSS class."""

    kind: str
    x: float
    y: float
    width: float = 0.0  # rect; for a line: x2 - x
    height: float = 0.0  # rect; for a line: y2 - y
    css: str = ""
    text: str = ""
    anchor: str = "middle"

    @property
    def x2(self) -> float:
        return self.x + self.width

    @property
    def y2(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class Chart:
    """One chart: a title key (the desk's words), its shapes and a legend."""

    title: str
    shapes: list[Shape]
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)
    width: float = WIDTH
    height: float = HEIGHT


def _ceiling(value: float, step: float) -> float:
    return step * math.ceil(value / step)


def _plot_height() -> float:
    return HEIGHT - TOP - BOTTOM


def _y(value: float, low: float, high: float) -> float:
    return TOP + _plot_height() * (1 - (value - low) / (high - low))


def _axis(low: float, high: float, step: float, suffix: str) -> list[Shape]:
    shapes = []
    tick = low
    while tick <= high + 1e-9:
        y = _y(tick, low, high)
        shapes.append(Shape("line", LEFT, y, WIDTH - LEFT - RIGHT, 0, "grid"))
        shapes.append(Shape("text", LEFT - 6, y + 4, text=f"{tick:g}{suffix}", anchor="end", css="tick"))
        tick += step
    return shapes


def rates_chart(report: Report, t: Words) -> Chart | None:
    """Customers who bought again within 30, 60 and 90 days: sent a gesture against held out."""
    overall = [o for o in report.outcomes if o.group_by == "overall" and o.repurchase.known]
    if not overall:
        return None
    highest = max(max(o.repurchase.treated_value or 0, o.repurchase.control_value or 0) for o in overall)
    high = max(20.0, _ceiling(100 * highest, 10))
    shapes = _axis(0, high, high / 4, "%")
    slot = (WIDTH - LEFT - RIGHT) / len(overall)
    bar = min(48.0, slot / 3)
    for index, outcome in enumerate(overall):
        centre = LEFT + slot * (index + 0.5)
        pair = ((-bar, outcome.repurchase.treated_value, "treated"), (0.0, outcome.repurchase.control_value, "control"))
        for offset, value, css in pair:
            percent = 100 * (value or 0)
            top = _y(percent, 0, high)
            shapes.append(Shape("rect", centre + offset, top, bar, TOP + _plot_height() - top, css))
            shapes.append(Shape("text", centre + offset + bar / 2, top - 4, text=f"{percent:.0f}%", css="value"))
        label = t("report.within_days", days=outcome.window_days)
        shapes.append(Shape("text", centre, HEIGHT - 14, text=label, css="tick"))
    return Chart("report.chart_rates", shapes, [("treated", t("report.sent")), ("control", t("report.held_out"))])


def differences_chart(report: Report, t: Words) -> Chart | None:
    """The difference in points at the longest window, with its confidence interval, per group."""
    known = [o for o in report.outcomes if o.repurchase.known]
    if not known:
        return None
    window = max(o.window_days for o in known)
    rows: list[Outcome] = [o for o in known if o.window_days == window]
    low = min(0.0, *(100 * (o.repurchase.ci_low or 0) for o in rows))
    high = max(0.0, *(100 * (o.repurchase.ci_high or 0) for o in rows))
    low, high = -_ceiling(-low, 5) - 5, _ceiling(high, 5) + 5
    label_width, row_height = 170.0, 22.0
    height = TOP + row_height * len(rows) + BOTTOM

    def x(value: float) -> float:
        return label_width + (WIDTH - label_width - RIGHT) * (value - low) / (high - low)

    shapes = [Shape("line", x(0), TOP - 4, 0, row_height * len(rows) + 4, "zero")]
    for index, outcome in enumerate(rows):
        y = TOP + row_height * (index + 0.5)
        result = outcome.repurchase
        name = {"overall": t("report.overall"), "kind": t.kind(outcome.group)}.get(outcome.group_by, outcome.group)
        shapes.append(Shape("text", label_width - 8, y + 4, text=name, anchor="end", css="tick"))
        left, right = x(100 * (result.ci_low or 0)), x(100 * (result.ci_high or 0))
        shapes.append(Shape("line", left, y, right - left, 0, "whisker"))
        centre = x(100 * (result.difference or 0))
        shapes.append(Shape("rect", centre - 4, y - 4, 8, 8, "dot"))
    step = 5 if high - low <= 40 else 10
    tick = low
    while tick <= high:
        shapes.append(Shape("text", x(tick), height - 14, text=f"{tick:+g}", css="tick"))
        tick += step
    return Chart("report.chart_differences", shapes, [("dot", t("report.difference", days=window))], WIDTH, height)


def activity_chart(report: Report, t: Words) -> Chart | None:
    """Gestures per week (the last twelve), stacked by status."""
    per_week: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STACK, 0))
    for item in report.activity:
        for status in STACK:
            per_week[item.week][status] += item.counts.get(status, 0)
    weeks = sorted(per_week)[-WEEKS_SHOWN:]
    if not weeks:
        return None
    most = max(sum(per_week[week].values()) for week in weeks) or 1
    high = _ceiling(most, 10 ** (len(str(most)) - 1))
    shapes = _axis(0, high, high / 4, "")
    slot = (WIDTH - LEFT - RIGHT) / len(weeks)
    bar = min(36.0, slot * 0.6)
    for index, week in enumerate(weeks):
        left = LEFT + slot * (index + 0.5) - bar / 2
        base = 0
        for status in STACK:
            count = per_week[week][status]
            if count:
                top, bottom = _y(base + count, 0, high), _y(base, 0, high)
                shapes.append(Shape("rect", left, top, bar, bottom - top, status))
                base += count
        shapes.append(Shape("text", left + bar / 2, HEIGHT - 14, text=week[-3:], css="tick"))
    return Chart("report.chart_activity", shapes, [(status, t.status(status)) for status in STACK])


def report_charts(report: Report, t: Words) -> list[Chart]:
    """The charts there is data for, in the order the page shows them."""
    made = (rates_chart(report, t), differences_chart(report, t), activity_chart(report, t))
    return [chart for chart in made if chart is not None]
