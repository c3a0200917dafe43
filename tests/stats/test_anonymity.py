"""R8.3 "they identify no one": over a varied population, no shown cell counts fewer than
STATS_MIN_CELL people, no hidden cell can be worked out from the totals shown, and no row of
the statistics can be joined back to a member."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import models

from members.models import Member
from messaging.models import Message
from profiles.places import REGIONS
from stats.models import TOTAL, UNKNOWN, Computation, Statistic, Table
from stats.services import AGE_BANDS, GENDERS, SNAPSHOT_TABLES, WEEKLY_TABLES, compute_statistics
from stats.suppression import determined_cells
from tests.factories import MemberFactory

from .helpers import LAST_WEEK, NOW, YESTERDAY, at, buy, make_members, send

pytestmark = pytest.mark.django_db

PLACES = ["Utrecht", "Haarlem", "Middelburg", "Amsterdam", "Antwerpen", "Luik", "Brussel"]
PEOPLE_TABLES = (
    Table.SIGNUPS,
    Table.ACTIVE_MEMBERS,
    Table.REGIONS,
    Table.GENDERS,
    Table.AGE_BANDS,
    Table.GENDER_AGE,
)


@pytest.fixture
def population():
    """About 90 members spread unevenly over places, genders, ages and sign-up weeks, with
    messages and purchases on some days: many cells fall below 10, some just above."""
    rng = random.Random(8)
    members = []
    for _ in range(90):
        joined = at(LAST_WEEK - timedelta(weeks=rng.choice([0, 0, 0, 1, 1, 2, 5, 30])))
        members += make_members(
            1,
            place=rng.choice(PLACES[:3] * 4 + PLACES),
            gender=rng.choice(["woman"] * 5 + ["man"] * 5 + ["non_binary", "other", ""]),
            age=rng.choice([19, 22, 27, 31, 38, 47, 58, 66]),
            joined=joined,
            last_active_at=at(YESTERDAY - timedelta(days=rng.choice([0, 0, 1, 4])), 20),
        )
    receiver = MemberFactory()
    for index, sender in enumerate(members[:40]):
        day = YESTERDAY - timedelta(days=index % 3)  # 14, 13 and 13 senders: shown
        send(sender, receiver, when=at(day), count=1 + index % 4)
    for sender in members[40:45]:
        send(sender, receiver, when=at(YESTERDAY - timedelta(days=5)), count=7)  # 5 senders
    for buyer in members[:11]:
        buy(buyer, when=at(LAST_WEEK), cents=1500)
    for buyer in members[11:14]:
        buy(buyer, when=at(LAST_WEEK - timedelta(weeks=1)), cents=5000)
    return members


def test_no_shown_cell_counts_fewer_than_the_minimum(population, settings):
    compute_statistics(now=NOW)
    minimum = settings.STATS_MIN_CELL

    for cell in Statistic.objects.filter(table__in=PEOPLE_TABLES, suppressed=False):
        assert cell.value >= minimum, cell
    # Messages and purchases: the people behind each shown day or week, counted again here.
    for cell in Statistic.objects.filter(table=Table.MESSAGES):
        senders = (
            Message.objects.filter(created_at__date=cell.period, sender__is_staff=False)
            .values("sender")
            .distinct()
            .count()
        )
        assert cell.suppressed == (senders < minimum), cell
    purchases = {c.period: c for c in Statistic.objects.filter(table=Table.PURCHASES)}
    for cell in Statistic.objects.filter(table=Table.REVENUE):
        assert cell.suppressed == purchases[cell.period].suppressed
    assert not purchases[LAST_WEEK].suppressed
    assert purchases[LAST_WEEK - timedelta(weeks=1)].suppressed
    # The population does put small numbers in every kind of table: the test tests something.
    assert Statistic.objects.filter(table__in=SNAPSHOT_TABLES, suppressed=True).exists()
    assert Statistic.objects.filter(table__in=SNAPSHOT_TABLES, suppressed=False).exists()
    assert Statistic.objects.filter(table=Table.MESSAGES, suppressed=False).count() == 3


def test_no_hidden_cell_follows_from_the_totals_shown(population):
    """Rebuilt from the stored rows alone, as a reader of the dashboard or the CSV would: the
    tables by province, gender and age with their totals, the two-way table with its margins,
    and the sign-ups of every week adding up to the total of members."""
    compute_statistics(now=NOW)

    stored = {
        (cell.table, cell.period, cell.group, cell.group2): cell for cell in Statistic.objects.all()
    }
    hidden = {key for key, cell in stored.items() if cell.suppressed}
    genders = [*GENDERS, UNKNOWN]
    bands = [key for key, *_rest in AGE_BANDS] + [UNKNOWN]

    def key(table, group="", group2="", period=None):
        return (table, period, group, group2)

    grand = key(Table.GENDER_AGE, TOTAL, TOTAL)
    # The same number under several names: one unknown, not several.
    same = {
        key(Table.REGIONS, TOTAL): grand,
        key(Table.GENDERS, TOTAL): grand,
        key(Table.AGE_BANDS, TOTAL): grand,
        **{key(Table.GENDERS, g): key(Table.GENDER_AGE, g, TOTAL) for g in genders},
        **{key(Table.AGE_BANDS, b): key(Table.GENDER_AGE, TOTAL, b) for b in bands},
    }
    for alias, original in same.items():
        assert stored[alias].value == stored[original].value
        assert stored[alias].suppressed == stored[original].suppressed
    totals = [
        *[
            (key(Table.GENDER_AGE, g, TOTAL), [key(Table.GENDER_AGE, g, b) for b in bands])
            for g in genders
        ],
        *[
            (key(Table.GENDER_AGE, TOTAL, b), [key(Table.GENDER_AGE, g, b) for g in genders])
            for b in bands
        ],
        (grand, [key(Table.GENDER_AGE, g, TOTAL) for g in genders]),
        (grand, [key(Table.GENDER_AGE, TOTAL, b) for b in bands]),
        (grand, [key(Table.REGIONS, r) for r in [*REGIONS, UNKNOWN]]),
        (grand, [k for k in stored if k[0] == Table.SIGNUPS]),
    ]

    assert hidden
    assert not determined_cells(hidden, totals)
    for total, parts in totals:
        hidden_parts = [part for part in parts if part in hidden]
        assert len(hidden_parts) != 1 or total in hidden, total


def test_no_row_can_be_joined_back_to_a_member(population):
    compute_statistics(now=NOW)

    # No relation of any kind, and no field named after a person.
    for model in (Statistic, Computation):
        for field in model._meta.get_fields():
            assert not field.is_relation, f"{model.__name__}.{field.name}"
            assert not {"member", "user", "sender", "buyer"} & set(field.name.split("_"))
    # Times no finer than a day: only the computation's own time is a datetime.
    datetimes = [
        f"{model.__name__}.{field.name}"
        for model in (Statistic, Computation)
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField)
    ]
    assert datetimes == ["Computation.computed_at"]
    # No stored key is an identifier of a member, or anything but the known groups.
    identifiers = set()
    for pk, public_id, username, email in Member.objects.values_list(
        "pk", "public_id", "username", "email"
    ):
        identifiers |= {str(pk), public_id, username, email}
    groups = {"", TOTAL, UNKNOWN, *GENDERS, *REGIONS, *(key for key, *_rest in AGE_BANDS)}
    for group, group2 in Statistic.objects.values_list("group", "group2"):
        assert group in groups and group2 in groups
        assert group not in identifiers and group2 not in identifiers
    # Periods: days, Mondays for the weekly tables, nothing for tables of members now.
    for cell in Statistic.objects.all():
        if cell.table in SNAPSHOT_TABLES:
            assert cell.period is None
        elif cell.table in WEEKLY_TABLES:
            assert cell.period.weekday() == 0
        else:
            assert cell.period is not None


def test_the_statistics_are_declared_as_holding_no_personal_data():
    from privacy import registry

    assert registry.is_declared(Statistic)
    assert registry.is_declared(Computation)
    assert registry.entry_for(Statistic) is None  # nothing to export or erase


def test_erasing_a_member_changes_nothing_stored_about_them(population):
    """The rows hold no trace of a member: erasure has nothing to remove, and the next night
    counts one member fewer."""
    from privacy.registry import erase_member_data

    compute_statistics(now=NOW)
    before = Counter(Statistic.objects.values_list("table", flat=True))

    erase_member_data(population[0])

    assert Counter(Statistic.objects.values_list("table", flat=True)) == before
    compute_statistics(now=NOW)
    total = Statistic.objects.get(table=Table.GENDER_AGE, group=TOTAL, group2=TOTAL)
    assert total.value == len(population)  # 90 + the receiver - the erased member
