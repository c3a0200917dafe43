"""Charts drawn on the server: the geometry of an SVG bar chart, for the dashboard's template
(templates/admin/stats/chart_*.svg.html). No script, no style attribute (the CSP forbids
them): shapes and presentation attributes only. A suppressed cell is drawn as a dashed outline
with a written marker, never as a colour only, and every chart has its numbers in a table
next to it."""

import math
from dataclasses import dataclass, field

# Units of the view box; the SVG scales to the width of the page.
COLUMN_WIDTH = 720
COLUMN_HEIGHT = 260
PLOT_LEFT = 56
PLOT_TOP = 16
PLOT_BOTTOM = 40  # room for the labels of the days or weeks
BAR_ROW_HEIGHT = 24
BAR_LABEL_WIDTH = 190
BAR_VALUE_WIDTH = 150
SUPPRESSED_STUB = 10  # height (or width) of the dashed outline of a suppressed cell


@dataclass
class Point:
    label: str  # in full, for the table and the SVG's <title> of each bar
    short_label: str  # under the axis
    value: int | None  # None: suppressed
    shown: str  # the value as text ("1.234", "€ 12,50") or the suppressed marker


@dataclass
class Chart:
    kind: str  # "columns" (over time) or "bars" (a distribution)
    width: int
    height: int
    shapes: list[dict] = field(default_factory=list)
    gridlines: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `value` (1 for nothing)."""
    if value <= 1:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return int(candidate)
    return int(10 ** (exponent + 1))


def column_chart(points: list[Point], *, format_value, every: int = 1) -> Chart:
    """Vertical bars over time; the label of every `every`-th point under the axis."""
    plot_width = COLUMN_WIDTH - PLOT_LEFT - 8
    plot_height = COLUMN_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    baseline = PLOT_TOP + plot_height
    top = nice_ceiling(max((p.value for p in points if p.value is not None), default=0))
    chart = Chart(kind="columns", width=COLUMN_WIDTH, height=COLUMN_HEIGHT)
    for step in range(5):
        value = top * step / 4
        y = baseline - plot_height * step / 4
        chart.gridlines.append(
            {
                "x1": PLOT_LEFT,
                "x2": COLUMN_WIDTH - 8,
                "y": _round(y),
                "text": format_value(round(value)) if value == round(value) else "",
                "text_x": PLOT_LEFT - 6,
                "text_y": _round(y + 4),
            }
        )
    slot = plot_width / max(len(points), 1)
    bar_width = max(slot * 0.7, 1)
    for index, point in enumerate(points):
        x = PLOT_LEFT + slot * index + (slot - bar_width) / 2
        if point.value is None:
            height = SUPPRESSED_STUB
            shape = {"suppressed": True}
        else:
            height = plot_height * point.value / top
            shape = {"suppressed": False}
        shape.update(
            x=_round(x),
            y=_round(baseline - height),
            width=_round(bar_width),
            height=_round(height),
            title=f"{point.label}: {point.shown}",
            marker_x=_round(x + bar_width / 2),
            marker_y=_round(baseline - height - 3),
        )
        chart.shapes.append(shape)
        if index % every == 0:
            chart.labels.append(
                {"x": _round(x + bar_width / 2), "y": baseline + 16, "text": point.short_label}
            )
    return chart


def bar_chart(points: list[Point]) -> Chart:
    """Horizontal bars, one row per group, the label left and the value right of the bar."""
    plot_width = COLUMN_WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_WIDTH
    height = PLOT_TOP + BAR_ROW_HEIGHT * len(points) + 8
    top = max((p.value for p in points if p.value is not None), default=0) or 1
    chart = Chart(kind="bars", width=COLUMN_WIDTH, height=height)
    for index, point in enumerate(points):
        y = PLOT_TOP + BAR_ROW_HEIGHT * index
        if point.value is None:
            width = SUPPRESSED_STUB
            shape = {"suppressed": True}
        else:
            width = max(plot_width * point.value / top, 1 if point.value else 0)
            shape = {"suppressed": False}
        shape.update(
            x=BAR_LABEL_WIDTH,
            y=y + 4,
            width=_round(width),
            height=BAR_ROW_HEIGHT - 8,
            title=f"{point.label}: {point.shown}",
            label=point.label,
            label_x=BAR_LABEL_WIDTH - 8,
            text_y=y + BAR_ROW_HEIGHT / 2 + 4,
            value_x=_round(BAR_LABEL_WIDTH + width + 6),
            shown=point.shown,
        )
        chart.shapes.append(shape)
    return chart


def _round(value: float) -> float:
    return round(value, 1)
