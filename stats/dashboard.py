"""What the statistics dashboard and its CSV files show: each table's stored cells, labelled,
formatted and drawn (stats.charts). Reads only stats' own tables."""

import csv
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from . import charts
from .models import TOTAL, UNKNOWN, Computation, Statistic, Table
from .services import (
    AGE_BANDS,
    DAILY_TABLES,
    DAYS,
    GENDERS,
    GROUP_LABELS,
    WEEKLY_TABLES,
    WEEKS,
)

ORDER = [
    Table.SIGNUPS,
    Table.ACTIVE_MEMBERS,
    Table.MESSAGES,
    Table.PURCHASES,
    Table.REVENUE,
    Table.REGIONS,
    Table.GENDERS,
    Table.AGE_BANDS,
    Table.GENDER_AGE,
]
CSV_COLUMNS = ["table", "period", "group", "group2", "label", "value", "suppressed"]


def suppressed_text() -> str:
    return _("suppressed")


def explain(table: str) -> str:
    """What one table counts, in a sentence (under its heading and in the chart's <desc>)."""
    return {
        Table.SIGNUPS: _("Members who joined in each week (Monday to Sunday)."),
        Table.ACTIVE_MEMBERS: _(
            "Members who used the site on each day: logged in, visited a page or were seen active."
        ),
        Table.MESSAGES: _(
            "Messages sent on each day. A day is suppressed when fewer than %(minimum)s "
            "members sent them."
        ),
        Table.PURCHASES: _(
            "Paid credit purchases in each week, not refunded in full. A week is suppressed "
            "when fewer than %(minimum)s members bought."
        ),
        Table.REVENUE: _(
            "What the purchases of each week brought in, in euros, after refunds and "
            "charge-backs. Suppressed with the purchases."
        ),
        Table.REGIONS: _("Members by the province or region of their place of residence."),
        Table.GENDERS: _("Members by the gender on their account."),
        Table.AGE_BANDS: _("Members by age today, from the date of birth on their profile."),
        Table.GENDER_AGE: _("Members by gender and age band together."),
    }[table]


def headings(table: str) -> tuple[str, str]:
    """The column headings of a table's numbers: what a row is, what it counts."""
    members = _("Members")
    return {
        Table.SIGNUPS: (_("Week"), members),
        Table.ACTIVE_MEMBERS: (_("Day"), members),
        Table.MESSAGES: (_("Day"), _("Messages")),
        Table.PURCHASES: (_("Week"), _("Purchases")),
        Table.REVENUE: (_("Week"), _("Revenue")),
        Table.REGIONS: (_("Province or region"), members),
        Table.GENDERS: (_("Gender"), members),
        Table.AGE_BANDS: (_("Age"), members),
        Table.GENDER_AGE: (_("Gender"), _("Age")),
    }[table]


def format_value(table: str, value: int | None) -> str:
    if value is None:
        return suppressed_text()
    if table == Table.REVENUE:
        euros = number_format(Decimal(value) / 100, decimal_pos=2, force_grouping=True)
        return f"€ {euros}"
    return number_format(value, force_grouping=True)


def _axis_value(table: str):
    if table == Table.REVENUE:
        return lambda cents: f"€ {number_format(cents // 100, force_grouping=True)}"
    return lambda value: number_format(value, force_grouping=True)


def period_label(table: str, period: date) -> tuple[str, str]:
    """(in full, short) for a day or the Monday of a week."""
    if table in WEEKLY_TABLES:
        return (
            _("Week of %(date)s") % {"date": date_format(period, "DATE_FORMAT")},
            date_format(period, "j M"),
        )
    full = f"{format_date(period, 'l')} {date_format(period, 'DATE_FORMAT')}"
    return full, date_format(period, "j M")


def group_label(key: str) -> str:
    return str(GROUP_LABELS.get(key, key))


@dataclass
class Section:
    table: str
    title: str
    explanation: str
    computed_at: object  # aware datetime or None
    chart: charts.Chart | None
    description: str  # the chart's <desc>
    rows: list[dict] = field(default_factory=list)  # label, shown, suppressed
    total: dict | None = None
    cross: dict | None = None  # the two-way table: head, rows
    row_heading: str = ""
    value_heading: str = ""
    computed_label: str = ""
    csv_url: str = ""

    @property
    def anchor(self) -> str:
        return f"table-{self.table.replace('_', '-')}"


def sections(*, minimum: int) -> list[Section]:
    computed = {c.table: c for c in Computation.objects.all()}
    cells: dict[str, list[Statistic]] = {table: [] for table in ORDER}
    for cell in Statistic.objects.order_by("table", "period", "pk"):
        cells[cell.table].append(cell)
    result = []
    for table in ORDER:
        computation = computed.get(table)
        title = str(Table(table).label)
        explanation = explain(table)
        if "%(minimum)s" in explanation:
            explanation = explanation % {"minimum": minimum}
        section = Section(
            table=table,
            title=title,
            explanation=explanation,
            computed_at=computation.computed_at if computation else None,
            chart=None,
            description="",
        )
        section.row_heading, section.value_heading = headings(table)
        if computation is not None:
            if table in WEEKLY_TABLES or table in DAILY_TABLES:
                _over_time(section, cells[table], computation)
            elif table == Table.GENDER_AGE:
                _cross(section, cells[table])
            else:
                _distribution(section, cells[table])
        result.append(section)
    return result


def _describe(section: Section, points: list[charts.Point], extra: str = "") -> str:
    hidden = sum(1 for p in points if p.value is None)
    shown = [p for p in points if p.value is not None]
    parts = [section.explanation]
    if section.chart and section.chart.kind == "columns" and points:
        parts.append(
            _("Bar chart of %(count)s periods, from %(first)s to %(last)s.")
            % {"count": len(points), "first": points[0].label, "last": points[-1].label}
        )
    else:
        parts.append(_("Bar chart of %(count)s groups.") % {"count": len(points)})
    if shown:
        highest = max(shown, key=lambda p: p.value)
        parts.append(
            _("Highest: %(label)s, %(value)s.") % {"label": highest.label, "value": highest.shown}
        )
    if hidden:
        parts.append(
            _("%(count)s suppressed, drawn as a dashed outline marked with an asterisk.")
            % {"count": hidden}
        )
    parts.append(_("The numbers are in the table under the chart."))
    if extra:
        parts.append(extra)
    return " ".join(parts)


def _point(table: str, label: str, short: str, cell: Statistic | None) -> charts.Point:
    value = None if cell is None or cell.suppressed else cell.value
    return charts.Point(
        label=label, short_label=short, value=value, shown=format_value(table, value)
    )


def _over_time(section: Section, cells: list[Statistic], computation: Computation) -> None:
    # The last DAYS days or WEEKS weeks up to the last computed, also those an earlier night
    # computed (a night may recompute fewer: see services.compute_statistics).
    if section.table in WEEKLY_TABLES:
        first = computation.last_period - timedelta(weeks=WEEKS - 1)
    else:
        first = computation.last_period - timedelta(days=DAYS - 1)
    by_period = {
        cell.period: cell for cell in cells if first <= cell.period <= computation.last_period
    }
    points = []
    for period in sorted(by_period):
        label, short = period_label(section.table, period)
        points.append(_point(section.table, label, short, by_period[period]))
    slot = (charts.COLUMN_WIDTH - charts.PLOT_LEFT) / max(len(points), 1)
    section.chart = charts.column_chart(
        points, format_value=_axis_value(section.table), every=max(1, math.ceil(44 / slot))
    )
    section.rows = [_row(p) for p in points]
    section.description = _describe(section, points)


def _distribution(section: Section, cells: list[Statistic]) -> None:
    """The groups in the order they were computed in (provinces, genders, age bands, then
    "not given"); the total under the chart, not as a bar."""
    points = [
        _point(section.table, group_label(cell.group), "", cell)
        for cell in cells
        if cell.group != TOTAL
    ]
    section.chart = charts.bar_chart(points)
    section.rows = [_row(p) for p in points]
    total = next((cell for cell in cells if cell.group == TOTAL), None)
    section.total = _row(_point(section.table, group_label(TOTAL), "", total))
    section.description = _describe(
        section, points, _("Total: %(value)s.") % {"value": section.total["shown"]}
    )


def _row(point: charts.Point) -> dict:
    return {"label": point.label, "shown": point.shown, "suppressed": point.value is None}


def _cross(section: Section, cells: list[Statistic]) -> None:
    by_key = {(cell.group, cell.group2): cell for cell in cells}
    genders = [*GENDERS, UNKNOWN]
    bands = [key for key, *_rest in AGE_BANDS] + [UNKNOWN]

    def shown(key):
        cell = by_key.get(key)
        value = None if cell is None or cell.suppressed else cell.value
        return {"shown": format_value(section.table, value), "suppressed": value is None}

    points = [
        _point(
            section.table,
            f"{group_label(g)}, {group_label(b)}",
            "",
            by_key.get((g, b)),
        )
        for g in genders
        for b in bands
    ]
    section.chart = charts.bar_chart(points)
    section.cross = {
        "head": [group_label(b) for b in bands] + [group_label(TOTAL)],
        "rows": [
            {
                "label": group_label(g),
                "cells": [shown((g, b)) for b in [*bands, TOTAL]],
            }
            for g in [*genders, TOTAL]
        ],
    }
    grand = shown((TOTAL, TOTAL))
    section.description = _describe(
        section, points, _("Total: %(value)s.") % {"value": grand["shown"]}
    )


def computed_label(section: Section) -> str:
    if section.computed_at is None:
        return ""
    return date_format(timezone.localtime(section.computed_at), "DATETIME_FORMAT")


def write_csv(response, *, tables: list[str]) -> None:
    """The cells of `tables`, every day and week stored (not only the dashboard's): a
    suppressed cell has an empty value and `suppressed` true."""
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for cell in Statistic.objects.filter(table__in=tables).order_by("table", "period", "pk"):
        if cell.period is not None:
            label = period_label(cell.table, cell.period)[0]
        elif cell.group2:
            label = f"{group_label(cell.group)}, {group_label(cell.group2)}"
        else:
            label = group_label(cell.group)
        writer.writerow(
            [
                cell.table,
                cell.period.isoformat() if cell.period else "",
                cell.group,
                cell.group2,
                label,
                "" if cell.suppressed else cell.value,
                "true" if cell.suppressed else "false",
            ]
        )
