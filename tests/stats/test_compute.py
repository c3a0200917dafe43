"""R8.3: the nightly computation counts the right people, suppresses small cells where they
are and where a total would reveal them, and replaces its rows when run again."""

from datetime import timedelta

import pytest
from django.utils import translation

from activity.models import LoginRecord, PageVisit
from members.models import Member
from profiles.places import REGIONS
from stats import dashboard
from stats.models import TOTAL, UNKNOWN, Computation, Statistic, Table
from stats.services import DAYS, WEEKS, compute_statistics
from stats.suppression import determined_cells
from tests.factories import MemberFactory

from .helpers import LAST_WEEK, NOW, YESTERDAY, at, buy, cells, make_members, send

pytestmark = pytest.mark.django_db


def test_three_members_in_a_province_are_suppressed_and_cannot_be_worked_out_from_the_total():
    """20 members in North Holland, 12 in Utrecht, 3 in Zeeland. The 3 are hidden, and so are
    the 12: with the total 35 and North Holland's 20 shown, Zeeland would be 35 - 20 - 12."""
    make_members(20, place="Haarlem", gender="woman", age=30)
    make_members(12, place="Utrecht", gender="man", age=30)
    make_members(3, place="Middelburg", gender="woman", age=30)

    compute_statistics(now=NOW)

    regions = cells(Table.REGIONS)
    assert regions["NL-10"] is None  # Zeeland: 3
    assert regions["NL-09"] is None  # Utrecht: 12, hidden to protect Zeeland
    assert regions["NL-07"] == 20  # North Holland
    assert regions[TOTAL] == 35
    shown_sum = sum(value for key, value in regions.items() if key != TOTAL and value)
    assert regions[TOTAL] - shown_sum == 15  # what a reader can work out: Utrecht and Zeeland
    hidden = {key for key, value in regions.items() if value is None}
    assert not determined_cells(hidden, [(TOTAL, [k for k in regions if k != TOTAL])])


def test_members_by_gender_and_age_with_totals(settings):
    make_members(14, gender="woman", age=22)  # 18-24
    make_members(11, gender="woman", age=40)  # 35-44
    make_members(12, gender="man", age=22)
    make_members(13, gender="man", age=40)
    make_members(2, gender="non_binary", age=30)  # 25-34

    compute_statistics(now=NOW)

    genders = cells(Table.GENDERS)
    assert genders["non_binary"] is None
    assert genders[TOTAL] == 52
    # Non-binary (2) is hidden with the others that are empty (0): together fewer than 10, so
    # the smallest shown gender goes too, else 52 - 25 - 25 = 2 non-binary members.
    assert genders["woman"] is None or genders["man"] is None
    ages = cells(Table.AGE_BANDS)
    assert ages["25-34"] is None
    cross = cells(Table.GENDER_AGE)
    assert cross[("non_binary", "25-34")] is None
    assert cross[(TOTAL, TOTAL)] == 52
    # Every shown number counts at least STATS_MIN_CELL members.
    for table in (Table.GENDERS, Table.AGE_BANDS, Table.GENDER_AGE):
        assert all(v is None or v >= settings.STATS_MIN_CELL for v in cells(table).values())


def test_members_without_a_gender_birth_date_or_place_count_as_not_given():
    make_members(20, gender="")  # no profile at all
    make_members(12, gender="man", age=70, place="Utrecht")
    make_members(15, gender="woman", age=30, place="Haarlem")
    make_members(11, gender="non_binary", age=20, place="Middelburg")

    compute_statistics(now=NOW)

    assert cells(Table.AGE_BANDS)[UNKNOWN] == 20
    assert cells(Table.AGE_BANDS)["65+"] == 12
    assert cells(Table.REGIONS)[UNKNOWN] == 20
    assert cells(Table.REGIONS)["NL-09"] == 12
    assert cells(Table.GENDERS)[UNKNOWN] == 20
    # The empty groups (0) are hidden, and with them the smallest group, so that not even
    # "nobody" can be read off the total: the 11 non-binary members in Zeeland aged 18-24.
    assert cells(Table.GENDERS)["non_binary"] is None
    assert cells(Table.AGE_BANDS)["18-24"] is None
    assert cells(Table.REGIONS)["NL-10"] is None


def test_only_active_members_who_are_not_staff_and_not_restricted_count():
    make_members(12, gender="man")
    make_members(10, gender="woman")
    MemberFactory(status=Member.Status.CLOSED, gender="man")
    MemberFactory(status=Member.Status.SUSPENDED, gender="man")
    MemberFactory(is_active=False, gender="man")
    MemberFactory(is_staff=True, gender="man")
    MemberFactory(is_superuser=True, gender="man")
    MemberFactory(processing_restricted=True, gender="man")

    compute_statistics(now=NOW)

    assert cells(Table.GENDERS)["man"] == 12
    assert cells(Table.GENDERS)[TOTAL] == 22


def test_sign_ups_per_complete_week():
    make_members(11, joined=at(LAST_WEEK))  # Monday of last week
    make_members(12, joined=at(LAST_WEEK + timedelta(days=6), hour=23))  # its Sunday night
    make_members(2, joined=at(LAST_WEEK - timedelta(weeks=1)))
    make_members(9, joined=at(LAST_WEEK - timedelta(weeks=2)))
    make_members(30, joined=NOW)  # this week: not complete, not counted yet

    compute_statistics(now=NOW)

    signups = cells(Table.SIGNUPS)
    assert len(signups) == WEEKS
    assert max(signups) == LAST_WEEK
    assert all(week.weekday() == 0 for week in signups)  # Mondays
    assert signups[LAST_WEEK] == 23
    # 2 and 9 are hidden; together they are 11, which is enough: nothing else needs hiding.
    assert signups[LAST_WEEK - timedelta(weeks=1)] is None
    assert signups[LAST_WEEK - timedelta(weeks=2)] is None


def test_active_members_per_day_from_log_ins_pages_and_last_activity():
    """last_active_at keeps only the latest time: a member active three days ago and again
    today is known to have been active three days ago from the log-in and page records."""
    three_days_ago = YESTERDAY - timedelta(days=2)
    by_login = make_members(4)
    by_page = make_members(4)
    by_last_active = make_members(4)
    for member in by_login + by_page:
        member.last_active_at = NOW
        member.save()
    for member in by_login:
        LoginRecord.objects.create(member=member, created_at=at(three_days_ago, 9))
    for member in by_page:
        PageVisit.objects.create(member=member, route="home", visited_at=at(three_days_ago, 21))
        PageVisit.objects.create(member=member, route="search", visited_at=at(three_days_ago, 22))
    for member in by_last_active:
        member.last_active_at = at(three_days_ago, 23)
        member.save()
    # Seen that day too, but counted once.
    LoginRecord.objects.create(member=by_page[0], created_at=at(three_days_ago, 8))
    staff = MemberFactory(is_staff=True)
    LoginRecord.objects.create(member=staff, created_at=at(three_days_ago, 8))

    compute_statistics(now=NOW)

    active = cells(Table.ACTIVE_MEMBERS)
    assert len(active) == DAYS
    assert max(active) == YESTERDAY
    assert active[three_days_ago] == 12
    assert active[YESTERDAY] is None  # nobody: 0 is fewer than 10


def test_days_whose_pages_visited_are_gone_keep_their_number(settings):
    """With pages visited kept 7 days, a day further back would be counted short: the night's
    run leaves it as an earlier night computed it."""
    members = make_members(12)
    for member in members:
        PageVisit.objects.create(member=member, route="home", visited_at=at(YESTERDAY, 9))
    compute_statistics(now=NOW)
    assert cells(Table.ACTIVE_MEMBERS)[YESTERDAY] == 12
    PageVisit.objects.all().delete()  # as retention would, some nights later
    settings.ACTIVITY_PAGE_VISIT_DAYS = 7

    compute_statistics(now=NOW + timedelta(days=8))

    active = cells(Table.ACTIVE_MEMBERS)
    assert active[YESTERDAY] == 12
    computation = Computation.objects.get(table=Table.ACTIVE_MEMBERS)
    assert computation.first_period == (NOW + timedelta(days=2)).date()
    assert computation.last_period == (NOW + timedelta(days=7)).date()
    # The dashboard still shows the last 30 days, the kept ones among them.
    with translation.override("en"):
        section = next(x for x in dashboard.sections(minimum=10) if x.table == "active_members")
    assert len(section.rows) == DAYS - 2  # 18 and 19 March: never computed
    assert {"label": "Tuesday March 17, 2026", "shown": "12", "suppressed": False} in section.rows


def test_messages_per_day_are_suppressed_by_the_number_of_senders_not_of_messages():
    receiver = MemberFactory()
    many = make_members(10)
    few = make_members(3)
    for sender in many:
        send(sender, receiver, when=at(YESTERDAY))
    for sender in few:
        send(sender, receiver, when=at(YESTERDAY - timedelta(days=1)), count=20)

    compute_statistics(now=NOW)

    messages = cells(Table.MESSAGES)
    assert messages[YESTERDAY] == 10
    assert messages[YESTERDAY - timedelta(days=1)] is None  # 60 messages, but 3 senders


def test_purchases_and_revenue_per_week_are_suppressed_by_the_number_of_buyers():
    buyers = make_members(10)
    for buyer in buyers:
        buy(buyer, when=at(LAST_WEEK + timedelta(days=2)), cents=1000)
    buy(buyers[0], when=at(LAST_WEEK + timedelta(days=3)), cents=2500)
    # A refund in full is no purchase; a partial refund lowers the revenue.
    buy(buyers[1], when=at(LAST_WEEK), cents=1000, refunded=1000)
    buy(buyers[2], when=at(LAST_WEEK), cents=1000, refunded=400)
    buy(MemberFactory(is_staff=True), when=at(LAST_WEEK), cents=99900)
    few = make_members(4)
    earlier = LAST_WEEK - timedelta(weeks=1)
    for buyer in few:
        for _ in range(5):
            buy(buyer, when=at(earlier), cents=1000)

    compute_statistics(now=NOW)

    assert cells(Table.PURCHASES)[LAST_WEEK] == 12
    assert cells(Table.REVENUE)[LAST_WEEK] == 10 * 1000 + 2500 + 600
    assert cells(Table.PURCHASES)[earlier] is None  # 20 purchases by 4 members
    assert cells(Table.REVENUE)[earlier] is None


def test_a_second_run_replaces_the_rows_and_keeps_older_days():
    make_members(12, place="Utrecht", joined=at(LAST_WEEK))

    first = compute_statistics(now=NOW)
    rows = sorted(Statistic.objects.values_list("table", "period", "group", "group2", "value"))
    again = compute_statistics(now=NOW)

    assert first == again
    assert rows == sorted(
        Statistic.objects.values_list("table", "period", "group", "group2", "value")
    )
    # Forty days later the days of the first run fall outside the window: they stay.
    later = NOW + timedelta(days=40)
    compute_statistics(now=later)
    days = Statistic.objects.filter(table=Table.ACTIVE_MEMBERS).values_list("period", flat=True)
    assert min(days) == YESTERDAY - timedelta(days=DAYS - 1)
    assert max(days) == (later - timedelta(days=1)).date()
    assert len(days) == len(set(days))
    computation = Computation.objects.get(table=Table.ACTIVE_MEMBERS)
    assert computation.computed_at == later
    assert computation.last_period == (later - timedelta(days=1)).date()
    # The tables of members as they are now hold one night's rows only.
    regions = Statistic.objects.filter(table=Table.REGIONS)
    assert regions.count() == len(REGIONS) + 2  # "not given" and the total
    assert regions.get(group=TOTAL).value == 12


def test_days_follow_amsterdam_time():
    """A message sent at 00:30 in Amsterdam (23:30 UTC the day before) counts for its day in
    Amsterdam."""
    receiver = MemberFactory()
    for sender in make_members(10):
        send(sender, receiver, when=at(YESTERDAY, 0).replace(minute=30))

    compute_statistics(now=NOW)

    assert cells(Table.MESSAGES)[YESTERDAY] == 10
    assert cells(Table.MESSAGES)[YESTERDAY - timedelta(days=1)] is None


def test_every_table_records_when_it_was_computed():
    compute_statistics(now=NOW)

    assert set(Computation.objects.values_list("table", flat=True)) == set(Table.values)
    assert all(c.computed_at == NOW for c in Computation.objects.all())
