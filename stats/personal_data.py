"""The statistics hold no personal data: numbers about groups of at least STATS_MIN_CELL
members, with no relation to any member (stats.models). Declared all the same, so the registry
says so in one place and a reader of the registry need not guess."""

from privacy.registry import register_no_personal_data

from .models import Computation, Statistic

register_no_personal_data(
    Statistic,
    reason="Anonymised statistics (R8.3): counts of groups of members by day, week, province, "
    "gender or age band, with no member id, username or time finer than a day; cells counting "
    "fewer than STATS_MIN_CELL people are stored without their number.",
)
register_no_personal_data(
    Computation,
    reason="When each statistics table was computed: a table name and times, nothing else.",
)
