"""Helpers of the statistics tests: members, messages and orders at fixed times."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from messaging.models import Conversation, Message
from payments.models import CreditPack, Order
from stats.models import Statistic, Table
from tests.factories import MemberFactory, make_profile

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A Wednesday: yesterday is Tuesday 17 March, last week began on Monday 9 March.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=AMSTERDAM)
YESTERDAY = date(2026, 3, 17)
LAST_WEEK = date(2026, 3, 9)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


def born(age: int) -> date:
    """A birth date of someone `age` years old on NOW (birthday in the summer)."""
    return date(NOW.year - age - 1, 7, 1)


def make_members(count: int, *, place=None, gender="woman", age=None, joined=None, **extra):
    members = []
    for _ in range(count):
        member = MemberFactory(
            gender=gender, date_joined=joined or at(LAST_WEEK - timedelta(weeks=3)), **extra
        )
        fields = {}
        if place:
            fields["place"] = place
        if age is not None:
            fields["birth_date"] = born(age)
        if fields:
            make_profile(member, **fields)
        members.append(member)
    return members


def send(sender, receiver, *, when: datetime, count: int = 1) -> None:
    low, high = sorted([sender, receiver], key=lambda m: m.pk)
    conversation, _ = Conversation.objects.get_or_create(
        member_low=low, member_high=high, defaults={"started_by": sender}
    )
    Message.objects.bulk_create(
        [
            Message(conversation=conversation, sender=sender, text="hoi", created_at=when)
            for _ in range(count)
        ]
    )


def buy(member, *, when: datetime, cents: int = 1000, refunded: int = 0) -> Order:
    pack = CreditPack.objects.first()
    return Order.objects.create(
        member=member,
        pack=pack,
        credits=pack.credits,
        amount_cents=cents,
        refunded_cents=refunded,
        method="ideal",
        status=Order.Status.PAID,
        paid_at=when,
    )


def cells(table: str) -> dict:
    """{(period or group, group2): value or None} of a stored table."""
    result = {}
    for cell in Statistic.objects.filter(table=table):
        key = cell.period if cell.period is not None else cell.group
        if table == Table.GENDER_AGE:
            key = (cell.group, cell.group2)
        result[key] = None if cell.suppressed else cell.value
    return result
