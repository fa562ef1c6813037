"""The outcome report as a PDF an ops lead can forward: summary, charts and a table.

Takes the plain :class:`printouts.data.Report` data and never touches the database. Charts
are ReportLab's own graphics: a grouped bar chart of repurchase rates, a dot-and-whisker
chart of the differences with their confidence intervals, and a bar chart of weekly activity.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from printouts.data import PrintResult
from printouts.documents import build_document, paragraph
from printouts.fonts import Fonts, load_fonts
from printouts.styles import ACCENT, BRIEF_MARGIN, GUIDE, INK, MUTED, RULE, TINT, brief_styles, table_style

if TYPE_CHECKING:
    from printouts.data import Outcome, Report

TREATED = ACCENT
CONTROL = HexColor("#8FA3AD")
CHART_WIDTH = A4[0] - 2 * BRIEF_MARGIN


def render_report(report: Report, path: Path, font_path: Path | None = None) -> PrintResult:
    """Write the outcome report to ``path``; return what was written."""
    fonts = load_fonts(font_path)
    styles = brief_styles(fonts)

    def para(text: str, style: str) -> Flowable:
        return paragraph(text, styles[style], fonts)

    level = f"{report.confidence:.0%}"
    story: list[Flowable] = [
        para("Did it work?", "title"),
        para(f"Gestures against the held-out control group, {report.period}", "subtitle"),
        para(report.summary, "opener"),
        Spacer(0, 14),
    ]
    if report.recovery is not None:
        story += [para(report.recovery.text(), "body"), Spacer(0, 14)]
    overall = [o for o in report.outcomes if o.group_by == "overall"]
    if any(o.repurchase.known for o in overall):
        story += [
            para("Customers who bought again, by days after the gesture's week", "label"),
            _rates_chart(overall, fonts),
            Spacer(0, 10),
        ]
        window = max(o.window_days for o in overall if o.repurchase.known)
        at_window = [o for o in report.outcomes if o.window_days == window]
        story += [
            KeepTogether(
                [
                    para(f"Difference in points within {window} days, with its {level} confidence interval", "label"),
                    _difference_chart(at_window, fonts),
                ]
            ),
            Spacer(0, 10),
            para(f"Repurchase within {window} days, sent a gesture against held out", "label"),
            Spacer(0, 4),
            _outcome_table(at_window, fonts, level),
        ]
    notes = sorted({o.repurchase.note for o in report.outcomes if o.repurchase.note and o.group_by == "overall"})
    if notes:
        story += [Spacer(0, 6), *(para(f"{note[:1].upper()}{note[1:]}.", "meta") for note in notes)]
    if report.activity:
        story += [
            Spacer(0, 12),
            KeepTogether([para("Gestures per week", "label"), _activity_chart(report, fonts)]),
        ]
    story += [
        Spacer(0, 10),
        para(
            "How to read this: the window opens on the Monday after the gesture's week; only windows that "
            f"have ended by {report.until} count. Each customer counts once, at their first gesture. "
            f"Rates: Newcombe's {level} interval for a difference of proportions. Groups under 30 customers "
            "are not compared.",
            "meta",
        ),
    ]
    pages = build_document(
        story,
        path,
        page_size=A4,
        title="Did it work? Outcome report",
        footer=f"delight · outcome report · {report.period}",
        fonts=fonts,
    )
    return PrintResult(Path(path), pages, len(report.outcomes))


def _drawing(height: float, fonts: Fonts) -> Drawing:
    """A chart-wide drawing whose initial font is the printout's (not an unembedded Helvetica)."""
    return Drawing(CHART_WIDTH, height, initialFontName=fonts.main.regular)


def _label(fonts: Fonts, x: float, y: float, text: str, size: float = 7.5, **kwargs: object) -> String:
    return String(x, y, fonts.printable(text)[0], fontName=fonts.main.regular, fontSize=size, fillColor=INK, **kwargs)


def _style_axes(chart: VerticalBarChart, fonts: Fonts) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = fonts.main.regular
        axis.labels.fontSize = 7.5
        axis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.valueMin = 0


def _legend(fonts: Fonts, x: float, y: float, items: Sequence[tuple[Color, str]]) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = fonts.main.regular, 7.5
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 110
    legend.colorNamePairs = list(items)
    legend.dx = legend.dy = 7
    return legend


def _rates_chart(overall: Sequence[Outcome], fonts: Fonts) -> Drawing:
    """Grouped bars: the share who bought again, sent against held out, per window."""
    known = [o for o in overall if o.repurchase.known]
    drawing = _drawing(150, fonts)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 24, CHART_WIDTH - 60, 100
    chart.data = [
        [100 * o.repurchase.treated_value for o in known],
        [100 * o.repurchase.control_value for o in known],
    ]
    chart.categoryAxis.categoryNames = [f"{o.window_days} days" for o in known]
    _style_axes(chart, fonts)
    chart.valueAxis.valueMax = max(10, 10 * (int(max(max(series) for series in chart.data) // 10) + 1))
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor, chart.bars[1].fillColor = TREATED, CONTROL
    chart.bars.strokeColor = None
    chart.barLabelFormat = "%.0f%%"
    chart.barLabels.fontName = fonts.main.regular
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(
        _legend(fonts, 36, 144, [(TREATED, "Sent a gesture"), (CONTROL, "Held out (control group)")]),
    )
    return drawing


def _difference_chart(outcomes: Sequence[Outcome], fonts: Fonts) -> Drawing:
    """A dot per group (treated minus control, in points) and a whisker for its confidence interval."""
    rows = [o for o in outcomes if o.repurchase.known]
    skipped = len(outcomes) - len(rows)
    row_height, top, label_width = 16, 12, 150
    height = top + row_height * len(rows) + 30 + (12 if skipped else 0)
    drawing = _drawing(height, fonts)
    values = [v for o in rows for v in (100 * o.repurchase.ci_low, 100 * o.repurchase.ci_high)] + [0]
    low, high = min(values), max(values)
    span = max(high - low, 1)
    low, high = low - 0.08 * span, high + 0.08 * span
    left, right = label_width, CHART_WIDTH - 20

    def x_of(points: float) -> float:
        return left + (points - low) / (high - low) * (right - left)

    axis_y = height - top - row_height * len(rows) - 6
    drawing.add(Line(x_of(0), axis_y, x_of(0), height - top + 4, strokeColor=MUTED, strokeDashArray=[2, 2]))
    drawing.add(Line(left, axis_y, right, axis_y, strokeColor=RULE))
    step = _tick_step(high - low)
    tick = step * int(low // step)
    while tick <= high:
        if tick >= low:
            drawing.add(Line(x_of(tick), axis_y, x_of(tick), axis_y - 3, strokeColor=MUTED))
            drawing.add(_label(fonts, x_of(tick), axis_y - 12, f"{tick:+.0f}" if tick else "0", textAnchor="middle"))
        tick += step
    drawing.add(_label(fonts, right, axis_y - 24, "points (sent minus held out)", textAnchor="end", size=7))
    for index, outcome in enumerate(rows):
        result = outcome.repurchase
        y = height - top - row_height * index - row_height / 2
        colour = TREATED if result.ci_low > 0 or result.ci_high < 0 else GUIDE
        text = _group_name(outcome)
        drawing.add(_label(fonts, 0, y - 3, text, size=8 if outcome.group_by == "overall" else 7.5))
        drawing.add(
            Line(x_of(100 * result.ci_low), y, x_of(100 * result.ci_high), y, strokeColor=colour, strokeWidth=1.2)
        )
        for end in (result.ci_low, result.ci_high):
            drawing.add(Line(x_of(100 * end), y - 3, x_of(100 * end), y + 3, strokeColor=colour, strokeWidth=1.2))
        drawing.add(Circle(x_of(100 * result.difference), y, 3, fillColor=colour, strokeColor=None))
    if skipped:
        drawing.add(_label(fonts, 0, 2, f"{skipped} group(s) too small or too young to show; see the notes.", size=7))
    return drawing


def _group_name(outcome: Outcome) -> str:
    """ "Overall", "we miss you (rule)", "small gift (kind)"."""
    if outcome.group_by == "overall":
        return "Overall"
    return f"{outcome.group.replace('_', ' ')} ({outcome.group_by})"


def _tick_step(span: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50):
        if span / step <= 8:
            return step
    return 100


def _outcome_table(outcomes: Sequence[Outcome], fonts: Fonts, level: str) -> Table:
    styles = brief_styles(fonts)
    head = ["Group", "Sent", "Held out", "Sent rate", "Held-out rate", "Difference", f"{level} CI"]
    rows: list[list[object]] = [[paragraph(text, styles["head"], fonts) for text in head]]
    for outcome in outcomes:
        result = outcome.repurchase
        name = _group_name(outcome)
        if result.known:
            figures = [
                f"{result.treated_value:.1%}",
                f"{result.control_value:.1%}",
                f"{100 * result.difference:+.1f} pts",
                f"{100 * result.ci_low:+.1f} to {100 * result.ci_high:+.1f}",
            ]
        else:
            figures = [result.note or "—", "", "", ""]
        rows.append(
            [paragraph(name, styles["cell"], fonts), f"{result.treated_n:,}", f"{result.control_n:,}", *figures]
        )
    table = Table(rows, colWidths=[150, 42, 48, 52, 62, 58, 72], hAlign="LEFT", repeatRows=1)
    commands: list[tuple] = [
        ("FONTSIZE", (0, 1), (-1, -1), 8.5),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 1), (-1, 1), TINT),
    ]
    for index, outcome in enumerate(outcomes, start=1):
        if not outcome.repurchase.known:
            commands += [("SPAN", (3, index), (-1, index)), ("ALIGN", (3, index), (-1, index), "LEFT")]
    table.setStyle(table_style(fonts, *commands))
    return table


def _activity_chart(report: Report, fonts: Fonts) -> Drawing:
    """Stacked bars per week: gestures sent, held out, and the rest (planned, skipped, failed)."""
    weeks = sorted({row.week for row in report.activity})
    totals = {week: {"sent": 0, "held_out": 0, "other": 0} for week in weeks}
    for row in report.activity:
        for status, count in row.counts.items():
            if status == "cancelled":
                continue
            key = status if status in ("sent", "held_out") else "other"
            totals[row.week][key] += count
    drawing = _drawing(150, fonts)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 36, 28, CHART_WIDTH - 60, 96
    chart.data = [[totals[week][key] for week in weeks] for key in ("sent", "held_out", "other")]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [week.split("-")[1] for week in weeks]
    _style_axes(chart, fonts)
    if len(weeks) > 16:
        chart.categoryAxis.labels.angle = 90
        chart.categoryAxis.labels.boxAnchor = "e"
    for index, colour in enumerate((TREATED, CONTROL, RULE)):
        chart.bars[index].fillColor = colour
    chart.bars.strokeColor = None
    drawing.add(chart)
    drawing.add(
        _legend(fonts, 36, 144, [(TREATED, "Sent"), (CONTROL, "Held out"), (RULE, "Planned, skipped or failed")])
    )
    return drawing
