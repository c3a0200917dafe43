"""The nightly computation of the anonymised statistics (SPEC R8.3).

Who counts: members whose account is active (not closed, not suspended, not deactivated), who
are not staff and who did not ask to restrict the processing of their data (R7.4: making
statistics is processing too). Every table counts only them, so a member who leaves drops out of
the tables still being recomputed.

What is computed, each night, for the last DAYS complete days or WEEKS complete weeks (days and
weeks in Europe/Amsterdam; a week starts on Monday). Rows of older days and weeks are kept as
they were last computed, so the history stays:
- sign-ups per week: counted members who joined that week;
- active members per day: counted members seen that day. `Member.last_active_at` keeps only
  the latest time, so a member's earlier days are known from the log-ins and pages visited
  that the activity app keeps: a member counts for a day when any of the three shows them
  that day. Only days whose pages visited are all still kept (ACTIVITY_PAGE_VISIT_DAYS, 90 by
  default, more than DAYS) are recomputed; an older day keeps its number;
- messages per day, hidden when fewer than STATS_MIN_CELL members sent them;
- purchases and revenue per week: settled orders of counted members that were not refunded
  or charged back in full, by the day they were paid, revenue net of refunds and charge-backs
  in euro cents; hidden when fewer than STATS_MIN_CELL members bought;
- the counted members as they are tonight by province or region, by gender, by age band and by
  gender and age band together, each with its total.

Suppression (stats.suppression.suppress): no shown cell counts fewer than STATS_MIN_CELL
people, and no hidden cell can be worked out from the totals shown next to it. The tables of
members by province, gender and age share their total, the gender and age tables are the
margins of the two-way table, and the total of members is taken to be the sum of the sign-ups
of every week: they are suppressed together, as one system.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Count, DateField, F, Q, Sum, Value, When
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activity.models import LoginRecord, PageVisit
from members.models import Member
from messaging.models import Message
from payments.models import Order
from profiles.places import REGIONS

from .models import TOTAL, UNKNOWN, Computation, Statistic, Table
from .suppression import suppress

DAYS = 30  # complete days recomputed each night (well within the activity records' retention)
WEEKS = 26  # complete weeks recomputed each night

# Age bands: key, label, lowest age, highest age (None: no upper bound).
AGE_BANDS = [
    ("18-24", "18–24", 18, 24),
    ("25-34", "25–34", 25, 34),
    ("35-44", "35–44", 35, 44),
    ("45-54", "45–54", 45, 54),
    ("55-64", "55–64", 55, 64),
    ("65+", "65+", 65, None),
]
GENDERS = list(Member.Gender.values)

# What each group key of the tables means, for the dashboard and the CSV files.
GROUP_LABELS = {
    TOTAL: _("Total"),
    UNKNOWN: _("Not given"),
    **dict(Member.Gender.choices),
    **{key: label for key, label, _low, _high in AGE_BANDS},
    **REGIONS,
}

# The tables over time: how long their periods are.
WEEKLY_TABLES = (Table.SIGNUPS, Table.PURCHASES, Table.REVENUE)
DAILY_TABLES = (Table.ACTIVE_MEMBERS, Table.MESSAGES)
SNAPSHOT_TABLES = (Table.REGIONS, Table.GENDERS, Table.AGE_BANDS, Table.GENDER_AGE)


def counted_members(prefix: str = "") -> Q:
    """The members the statistics count, as a filter (on a relation to a member: `prefix`
    "sender__")."""
    return Q(
        **{
            f"{prefix}status": Member.Status.ACTIVE,
            f"{prefix}is_active": True,
            f"{prefix}is_staff": False,
            f"{prefix}is_superuser": False,
            f"{prefix}processing_restricted": False,
        }
    )


@dataclass(frozen=True)
class Periods:
    days: list[date]  # complete days, oldest first, ending yesterday
    weeks: list[date]  # Mondays of complete weeks, oldest first, ending last week


def periods_for(today: date) -> Periods:
    this_monday = today - timedelta(days=today.weekday())
    return Periods(
        days=[today - timedelta(days=n) for n in range(DAYS, 0, -1)],
        weeks=[this_monday - timedelta(weeks=n) for n in range(WEEKS, 0, -1)],
    )


def page_visit_days() -> int:
    """How long pages visited are kept (activity.retention); yesterday at least."""
    return max(2, getattr(settings, "ACTIVITY_PAGE_VISIT_DAYS", 90))


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in Europe/Amsterdam (right across DST changes)."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def compute_statistics(*, now: datetime | None = None) -> dict[str, int]:
    """Recomputes every table and replaces its rows for the days and weeks it covers, all in
    one transaction: a page never sees half a night's work, and a second run the same night
    gives the same rows. Returns the number of rows written per table."""
    now = now or timezone.now()
    today = timezone.localtime(now, _zone()).date()
    periods = periods_for(today)
    minimum = settings.STATS_MIN_CELL

    # Days whose pages visited are still kept: older days would be counted short, so they
    # keep the numbers of the nights when they were complete.
    active_days = [day for day in periods.days if day > today - timedelta(days=page_visit_days())]
    covered = {
        **{table: periods.weeks for table in WEEKLY_TABLES},
        Table.MESSAGES: periods.days,
        Table.ACTIVE_MEMBERS: active_days,
    }

    rows: dict[str, list[Statistic]] = {}
    rows.update(_member_tables(today=today, weeks=periods.weeks, minimum=minimum))
    rows[Table.ACTIVE_MEMBERS] = _active_members(days=active_days, minimum=minimum)
    rows[Table.MESSAGES] = _messages(days=periods.days, minimum=minimum)
    rows.update(_purchases(weeks=periods.weeks, minimum=minimum))

    with transaction.atomic():
        for table in Table.values:
            if table in SNAPSHOT_TABLES:
                first = last = None
                Statistic.objects.filter(table=table).delete()
            else:
                first, last = covered[table][0], covered[table][-1]
                Statistic.objects.filter(table=table, period__gte=first, period__lte=last).delete()
            Statistic.objects.bulk_create(rows[table])
            Computation.objects.update_or_create(
                table=table,
                defaults={"computed_at": now, "first_period": first, "last_period": last},
            )
    return {table: len(rows[table]) for table in Table.values}


def _cell(table, *, period=None, group="", group2="", value, hidden) -> Statistic:
    if hidden:
        return Statistic(table=table, period=period, group=group, group2=group2, suppressed=True)
    return Statistic(table=table, period=period, group=group, group2=group2, value=value)


# -- members: sign-ups, and the members by province, gender and age ---------------------------


def _born_on_or_before(today: date, years: int) -> date:
    """The latest birth date of someone who is `years` old today."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - years, day=28)


def _age_band_case(today: date, field: str) -> Case:
    """The age band key of the birth date in `field` today, in SQL; "unknown" without a birth
    date (or under 18: cannot happen for a member who confirmed being an adult)."""
    whens = [When(**{f"{field}__isnull": True}, then=Value(UNKNOWN))]
    whens.append(When(**{f"{field}__gt": _born_on_or_before(today, 18)}, then=Value(UNKNOWN)))
    for key, _label, _low, high in AGE_BANDS:
        if high is not None:
            # Not yet high + 1 years old: born after the day one turns high + 1.
            whens.append(
                When(**{f"{field}__gt": _born_on_or_before(today, high + 1)}, then=Value(key))
            )
    return Case(*whens, default=Value(AGE_BANDS[-1][0]), output_field=CharField())


def _member_tables(*, today: date, weeks: list[date], minimum: int) -> dict[str, list]:
    members = Member.objects.filter(counted_members())
    crossed: Counter = Counter()  # (gender, age band, region) -> members
    for gender, band, country, region, count in (
        members.annotate(band=_age_band_case(today, "profile__birth_date"))
        .values_list("gender", "band", "profile__place__country", "profile__place__region")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        region_key = f"{country}-{region}" if country else UNKNOWN
        crossed[
            (
                gender if gender in GENDERS else UNKNOWN,
                band,
                region_key if region_key in REGIONS else UNKNOWN,
            )
        ] += count

    signups = dict(
        members.filter(
            date_joined__gte=start_of(weeks[0]),
            date_joined__lt=start_of(weeks[-1] + timedelta(weeks=1)),
        )
        .annotate(week=TruncWeek("date_joined", output_field=DateField(), tzinfo=_zone()))
        .values_list("week")
        .annotate(count=Count("pk"))
        .order_by()
    )

    genders = [*GENDERS, UNKNOWN]
    bands = [key for key, _label, _low, _high in AGE_BANDS] + [UNKNOWN]
    regions = [*REGIONS, UNKNOWN]
    by_gender_band = Counter()
    by_region = Counter()
    for (gender, band, region), count in crossed.items():
        by_gender_band[(gender, band)] += count
        by_region[region] += count

    # One system of cells and the totals shown with them (see the module's docstring).
    grand = ("all", TOTAL)
    people = {grand: sum(crossed.values())}
    for gender in genders:
        people[("gender", gender)] = sum(by_gender_band[(gender, band)] for band in bands)
    for band in bands:
        people[("band", band)] = sum(by_gender_band[(gender, band)] for gender in genders)
    for gender in genders:
        for band in bands:
            people[("cell", gender, band)] = by_gender_band[(gender, band)]
    for region in regions:
        people[("region", region)] = by_region[region]
    for week in weeks:
        people[("week", week)] = signups.get(week, 0)
    totals = [
        *[(("gender", g), [("cell", g, b) for b in bands]) for g in genders],
        *[(("band", b), [("cell", g, b) for g in genders]) for b in bands],
        (grand, [("gender", g) for g in genders]),
        (grand, [("band", b) for b in bands]),
        (grand, [("region", r) for r in regions]),
        # Members who joined before these weeks are taken as known (see `suppress`).
        (grand, [("week", w) for w in weeks]),
    ]
    hidden = suppress(people, minimum=minimum, totals=totals)

    def cell(table, key, **where):
        return _cell(table, value=people[key], hidden=key in hidden, **where)

    return {
        Table.SIGNUPS: [cell(Table.SIGNUPS, ("week", w), period=w) for w in weeks],
        Table.REGIONS: [
            *[cell(Table.REGIONS, ("region", r), group=r) for r in regions],
            cell(Table.REGIONS, grand, group=TOTAL),
        ],
        Table.GENDERS: [
            *[cell(Table.GENDERS, ("gender", g), group=g) for g in genders],
            cell(Table.GENDERS, grand, group=TOTAL),
        ],
        Table.AGE_BANDS: [
            *[cell(Table.AGE_BANDS, ("band", b), group=b) for b in bands],
            cell(Table.AGE_BANDS, grand, group=TOTAL),
        ],
        Table.GENDER_AGE: [
            *[
                cell(Table.GENDER_AGE, ("cell", g, b), group=g, group2=b)
                for g in genders
                for b in bands
            ],
            *[cell(Table.GENDER_AGE, ("gender", g), group=g, group2=TOTAL) for g in genders],
            *[cell(Table.GENDER_AGE, ("band", b), group=TOTAL, group2=b) for b in bands],
            cell(Table.GENDER_AGE, grand, group=TOTAL, group2=TOTAL),
        ],
    }


# -- activity and messages per day ------------------------------------------------------------


def _active_members(*, days: list[date], minimum: int) -> list[Statistic]:
    counts = {}
    for day in days:
        start, end = start_of(day), start_of(day + timedelta(days=1))
        seen = Q(last_active_at__gte=start, last_active_at__lt=end)
        seen |= Q(
            pk__in=LoginRecord.objects.filter(created_at__gte=start, created_at__lt=end).values(
                "member_id"
            )
        )
        seen |= Q(
            pk__in=PageVisit.objects.filter(visited_at__gte=start, visited_at__lt=end).values(
                "member_id"
            )
        )
        counts[day] = Member.objects.filter(counted_members()).filter(seen).count()
    hidden = suppress(counts, minimum=minimum)
    return [
        _cell(Table.ACTIVE_MEMBERS, period=day, value=counts[day], hidden=day in hidden)
        for day in days
    ]


def _messages(*, days: list[date], minimum: int) -> list[Statistic]:
    per_day = {
        day: (messages, senders)
        for day, messages, senders in Message.objects.filter(
            counted_members("sender__"),
            created_at__gte=start_of(days[0]),
            created_at__lt=start_of(days[-1] + timedelta(days=1)),
        )
        .annotate(day=TruncDate("created_at", tzinfo=_zone()))
        .values_list("day")
        .annotate(messages=Count("pk"), senders=Count("sender", distinct=True))
        .order_by()
    }
    # Suppressed by the number of people who sent them, not by the number of messages.
    senders = {day: per_day.get(day, (0, 0))[1] for day in days}
    hidden = suppress(senders, minimum=minimum)
    return [
        _cell(Table.MESSAGES, period=day, value=per_day.get(day, (0, 0))[0], hidden=day in hidden)
        for day in days
    ]


# -- purchases and revenue per week -----------------------------------------------------------


def _purchases(*, weeks: list[date], minimum: int) -> dict[str, list]:
    """As payments.services.paying_orders counts a purchase (settled, not refunded or charged
    back in full), without its window: by the week it was paid."""
    this_monday = weeks[-1] + timedelta(weeks=1)
    per_week = {
        week: (purchases, buyers, revenue)
        for week, purchases, buyers, revenue in Order.objects.filter(
            counted_members("member__"),
            status=Order.Status.PAID,
            refunded_cents__lt=F("amount_cents") - F("charged_back_cents"),
            paid_at__gte=start_of(weeks[0]),
            paid_at__lt=start_of(this_monday),
        )
        .annotate(week=TruncWeek("paid_at", output_field=DateField(), tzinfo=_zone()))
        .values_list("week")
        .annotate(
            purchases=Count("pk"),
            buyers=Count("member", distinct=True),
            revenue=Sum(F("amount_cents") - F("refunded_cents") - F("charged_back_cents")),
        )
        .order_by()
    }
    empty = (0, 0, 0)
    buyers = {week: per_week.get(week, empty)[1] for week in weeks}
    hidden = suppress(buyers, minimum=minimum)
    return {
        Table.PURCHASES: [
            _cell(Table.PURCHASES, period=w, value=per_week.get(w, empty)[0], hidden=w in hidden)
            for w in weeks
        ],
        Table.REVENUE: [
            _cell(Table.REVENUE, period=w, value=per_week.get(w, empty)[2], hidden=w in hidden)
            for w in weeks
        ],
    }
