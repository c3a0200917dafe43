"""Fair play for a paid chat site (issue 11): the member sees what they spent this week and
this month, and sets a monthly spending limit that checkout enforces; lowering it takes effect
at once, raising or removing it after 24 hours. Mollie is faked at the HTTP level only."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import responses
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from payments import checkout, services
from payments.models import CreditPack, LedgerEntry, Order, SpendingLimit
from privacy import registry
from tests.factories import MemberFactory, staff_member

from . import mollie_payloads as mp

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HISTORY = "/credits/history/"
PACKS = "/credits/"
SET_LIMIT = "/credits/limit/"
REMOVE_LIMIT = "/credits/limit/remove/"
CANCEL_CHANGE = "/credits/limit/cancel/"
DAY = timedelta(hours=24)
TICK = timedelta(microseconds=1)


def at(year, month, day, hour=0, minute=0, second=0):
    """A moment on the clock in Amsterdam."""
    return datetime(year, month, day, hour, minute, second, tzinfo=AMSTERDAM)


def spend(member, credits, when, kind=LedgerEntry.Kind.SPEND, reason="message"):
    return LedgerEntry.objects.create(
        member=member, kind=kind, credits=credits, reason=reason, created_at=when
    )


def pack(name):
    return CreditPack.objects.get(name=name)


def order(member, name="Plus", *, status=Order.Status.PAID, when=None, **fields):
    chosen = pack(name)
    return Order.objects.create(
        member=member,
        pack=chosen,
        credits=chosen.credits,
        amount_cents=chosen.price_cents,
        method="ideal",
        status=status,
        created_at=when or timezone.now(),
        **fields,
    )


@pytest.fixture
def frozen(monkeypatch):
    """Stops the clock that views and services read (timezone.now) at a given moment."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(UTC))
        return moment

    return freeze


@pytest.fixture
def live_mollie(settings):
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    with responses.RequestsMock() as rsps:
        yield rsps


def test_limit_urls():
    assert reverse("payments:set_spending_limit") == SET_LIMIT
    assert reverse("payments:remove_spending_limit") == REMOVE_LIMIT
    assert reverse("payments:cancel_spending_limit_change") == CANCEL_CHANGE


# --- Credits spent this week and this month ---------------------------------------------------


@pytest.mark.parametrize(
    ("now", "week", "month"),
    [
        # Sunday one second before midnight: still last week, which began Monday 1 June.
        (at(2026, 6, 7, 23, 59, 59), at(2026, 6, 1), at(2026, 6, 1)),
        (at(2026, 6, 8), at(2026, 6, 8), at(2026, 6, 1)),  # Monday 00:00 sharp
        # Monday 00:30 in Amsterdam is still Sunday in UTC: the local day counts.
        (datetime(2026, 6, 7, 22, 30, tzinfo=UTC), at(2026, 6, 8), at(2026, 6, 1)),
        # 1 March 00:30 (winter time) is 28 February in UTC.
        (at(2026, 3, 1, 0, 30), at(2026, 2, 23), at(2026, 3, 1)),
        # The Monday after the switch to summer time (29 March 2026).
        (at(2026, 3, 30, 0, 0), at(2026, 3, 30), at(2026, 3, 1)),
        # A week that began in the month before.
        (at(2026, 10, 1, 9, 0), at(2026, 9, 28), at(2026, 10, 1)),
    ],
)
def test_weeks_start_on_monday_and_months_on_the_first_in_amsterdam(now, week, month):
    assert services.week_start(now) == week
    assert services.month_start(now) == month
    assert services.week_start(now).utcoffset() == week.utcoffset()


def test_credits_spent_this_week_and_month_count_spend_entries_only(member):
    """Spend entries from Monday 00:00 and from the 1st 00:00 (Amsterdam), at the boundaries;
    purchases, refunds, chargebacks and staff corrections are not spending."""
    spend(member, -1, at(2026, 5, 31, 23, 59, 59))  # last month
    spend(member, -2, at(2026, 6, 1))  # the month's first moment
    spend(member, -4, at(2026, 6, 7, 23, 59, 59))  # last week, this month
    spend(member, -8, at(2026, 6, 8))  # the week's first moment
    spend(member, -16, at(2026, 6, 10, 11, 0))
    spend(member, 120, at(2026, 6, 9), kind=LedgerEntry.Kind.PURCHASE)
    spend(member, -50, at(2026, 6, 9), kind=LedgerEntry.Kind.REFUND)
    spend(member, -20, at(2026, 6, 9), kind=LedgerEntry.Kind.CHARGEBACK)
    spend(member, 5, at(2026, 6, 9), kind=LedgerEntry.Kind.ADJUSTMENT, reason="Goodwill")
    spend(member, -3, at(2026, 6, 9), kind=LedgerEntry.Kind.ADJUSTMENT, reason="Correction")
    spend(MemberFactory(), -100, at(2026, 6, 9))  # someone else's

    assert services.credits_spent(member=member, now=at(2026, 6, 10, 12, 0)) == (
        services.CreditsSpent(week=24, month=30)
    )
    # At Monday 00:00 exactly, the new week holds only what happened at that moment.
    assert services.credits_spent(member=member, now=at(2026, 6, 8)) == (
        services.CreditsSpent(week=8, month=14)
    )
    # One second earlier it was still last week.
    assert services.credits_spent(member=member, now=at(2026, 6, 7, 23, 59, 59)) == (
        services.CreditsSpent(week=6, month=6)
    )
    # Monday 1 June 00:00 starts both: what happened a second earlier is in neither.
    assert services.credits_spent(member=member, now=at(2026, 6, 1)) == (
        services.CreditsSpent(week=2, month=2)
    )


def test_credits_spent_is_one_query(member, django_assert_num_queries):
    spend(member, -2, at(2026, 6, 9))
    with django_assert_num_queries(1):
        services.credits_spent(member=member, now=at(2026, 6, 10))


@pytest.mark.parametrize("language", ["en", "nl"])
def test_my_credits_shows_what_was_spent(member_client, member, frozen, language):
    frozen(at(2026, 10, 1, 9, 0))  # Thursday; the week began on Monday 28 September
    spend(member, -7, at(2026, 9, 29, 20, 0))
    spend(member, -3, at(2026, 10, 1, 8, 0))
    order(member, when=at(2026, 10, 1, 8, 30))
    member_client.cookies["django_language"] = language

    page = member_client.get(HISTORY)

    assert page.status_code == 200
    assert page.context["spent"] == services.CreditsSpent(week=10, month=3)
    html = page.content.decode()
    if language == "en":
        assert "Credits spent this week" in html and "Credits spent this month" in html
        assert '<dd id="spent-week">10 credits</dd>' in html
        assert '<dd id="spent-month">3 credits</dd>' in html
        assert '<dd id="spent-euros">€19.95</dd>' in html
        assert "Weeks start on Monday and months on the 1st" in html
        assert "corrections by our staff are not spending" in html
    else:
        assert '<dd id="spent-euros">€ 19,95</dd>' in html


# --- The limit in force: one function, from stored times ---------------------------------------


def test_a_first_limit_and_a_lower_one_are_in_force_at_once(member):
    now = at(2026, 6, 10, 14, 5)
    limit = services.set_spending_limit(member=member, limit_euros=100, now=now)
    assert limit.limit_in_force_cents(now) == 10_000
    assert not limit.change_pending_at(now)

    later = now + timedelta(minutes=1)
    limit = services.set_spending_limit(member=member, limit_euros=40, now=later)
    assert limit.limit_in_force_cents(later) == 4_000
    assert limit.pending_effective_at is None
    assert services.monthly_limit_cents(member=member, now=later) == 4_000


def test_a_raise_takes_effect_after_exactly_24_hours(member):
    start = at(2026, 6, 10, 14, 5)
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    raised = start + timedelta(hours=1)

    limit = services.set_spending_limit(member=member, limit_euros=200, now=raised)

    assert limit.pending_effective_at == raised + DAY
    assert limit.limit_in_force_cents(raised) == 5_000
    assert limit.limit_in_force_cents(raised + DAY - TICK) == 5_000
    assert limit.change_pending_at(raised + DAY - TICK)
    assert limit.limit_in_force_cents(raised + DAY) == 20_000
    assert not limit.change_pending_at(raised + DAY)
    # Read back from the database, with no job having run in between.
    assert services.monthly_limit_cents(member=member, now=raised + DAY - TICK) == 5_000
    assert services.monthly_limit_cents(member=member, now=raised + DAY) == 20_000


def test_removing_the_limit_takes_effect_after_24_hours(member):
    start = at(2026, 6, 10, 14, 5)
    services.set_spending_limit(member=member, limit_euros=50, now=start)

    limit = services.set_spending_limit(member=member, limit_euros=None, now=start)

    assert limit.pending_removal and limit.pending_effective_at == start + DAY
    assert limit.limit_in_force_cents(start + DAY - TICK) == 5_000
    assert limit.limit_in_force_cents(start + DAY) is None


def test_lowering_while_a_raise_waits_drops_the_raise(member):
    start = at(2026, 6, 10)
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    services.set_spending_limit(member=member, limit_euros=200, now=start)

    limit = services.set_spending_limit(member=member, limit_euros=30, now=start + DAY / 2)

    assert limit.limit_in_force_cents(start + 2 * DAY) == 3_000
    assert limit.pending_effective_at is None and limit.pending_limit_cents is None


def test_asking_for_more_restarts_the_wait_and_for_less_keeps_it(member):
    start = at(2026, 6, 10)
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    services.set_spending_limit(member=member, limit_euros=200, now=start)
    # Less than what already waits: the same moment.
    limit = services.set_spending_limit(member=member, limit_euros=150, now=start + DAY / 2)
    assert (limit.pending_limit_cents, limit.pending_effective_at) == (15_000, start + DAY)
    # More than what waits: 24 hours from now.
    later = start + DAY / 2 + timedelta(hours=1)
    limit = services.set_spending_limit(member=member, limit_euros=300, now=later)
    assert (limit.pending_limit_cents, limit.pending_effective_at) == (30_000, later + DAY)
    # And removal is more than any raise.
    latest = later + timedelta(hours=1)
    limit = services.set_spending_limit(member=member, limit_euros=None, now=latest)
    assert limit.pending_removal and limit.pending_effective_at == latest + DAY


def test_a_change_that_took_effect_is_the_base_for_the_next(member):
    start = at(2026, 6, 10)
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    services.set_spending_limit(member=member, limit_euros=200, now=start)
    # Two days later the 200 is in force: 150 is a lowering, at once.
    limit = services.set_spending_limit(member=member, limit_euros=150, now=start + 2 * DAY)
    assert limit.limit_in_force_cents(start + 2 * DAY) == 15_000
    assert limit.pending_effective_at is None


def test_cancelling_a_pending_raise_keeps_the_limit(member):
    start = at(2026, 6, 10)
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    services.set_spending_limit(member=member, limit_euros=500, now=start)

    assert services.cancel_pending_limit_change(member=member, now=start + DAY - TICK)

    limit = SpendingLimit.objects.get(member=member)
    assert limit.limit_in_force_cents(start + 3 * DAY) == 5_000
    assert not services.cancel_pending_limit_change(member=member, now=start + DAY)


def test_a_raise_in_force_can_no_longer_be_cancelled(member):
    start = at(2026, 6, 10)
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    services.set_spending_limit(member=member, limit_euros=500, now=start)

    assert not services.cancel_pending_limit_change(member=member, now=start + DAY)
    assert services.monthly_limit_cents(member=member, now=start + DAY) == 50_000


def test_the_database_refuses_cents_and_half_pending_changes(member):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SpendingLimit.objects.create(member=member, monthly_limit_cents=1050)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpendingLimit.objects.create(member=member, monthly_limit_cents=1000, pending_removal=True)


# --- The form on My credits ----------------------------------------------------------------------


def test_member_sets_a_limit_in_force_at_once(member_client, member, frozen):
    frozen(at(2026, 6, 10, 14, 5))
    member_client.cookies["django_language"] = "en"

    response = member_client.post(SET_LIMIT, {"limit": "50"}, follow=True)

    assert response.redirect_chain == [(HISTORY + "#spending-limit", 302)]
    assert services.monthly_limit_cents(member=member) == 5_000
    html = response.content.decode()
    assert "Your spending limit is now €50.00 a month, from this moment on." in html
    assert "Your limit is €50.00 a month. You have €50.00 left this month." in html
    assert 'value="50"' in html  # the form shows the limit in force


def test_member_raises_the_limit_and_sees_when_it_takes_effect(member_client, member, frozen):
    start = frozen(at(2026, 6, 10, 14, 5))
    services.set_spending_limit(member=member, limit_euros=50)
    member_client.cookies["django_language"] = "en"

    response = member_client.post(SET_LIMIT, {"limit": "200"}, follow=True)

    html = response.content.decode()
    with translation.override("en"):
        when = date_format(start + DAY, "DATETIME_FORMAT")
    assert "June 11, 2026" in when
    assert (
        f"Your new limit of €200.00 a month takes effect on {when}. Until then, your limit "
        "stays €50.00 a month." in html
    )
    assert f"Your limit goes up to €200.00 a month on {when}." in html
    assert "Cancel this change" in html
    assert services.monthly_limit_cents(member=member) == 5_000

    frozen(start + DAY - TICK)
    assert "Your limit is €50.00 a month." in member_client.get(HISTORY).content.decode()
    frozen(start + DAY)
    html = member_client.get(HISTORY).content.decode()
    assert "Your limit is €200.00 a month." in html
    assert "Cancel this change" not in html


def test_member_cancels_a_pending_raise(member_client, member, frozen):
    frozen(at(2026, 6, 10, 14, 5))
    services.set_spending_limit(member=member, limit_euros=50)
    services.set_spending_limit(member=member, limit_euros=200)
    member_client.cookies["django_language"] = "en"

    response = member_client.post(CANCEL_CHANGE, follow=True)

    html = response.content.decode()
    assert "The change was cancelled. Your limit stays €50.00 a month." in html
    assert "Cancel this change" not in html
    frozen(at(2026, 6, 20))
    assert services.monthly_limit_cents(member=member) == 5_000


def test_member_removes_the_limit_after_24_hours(member_client, member, frozen):
    start = frozen(at(2026, 6, 10, 14, 5))
    services.set_spending_limit(member=member, limit_euros=50)
    member_client.cookies["django_language"] = "en"

    html = member_client.post(REMOVE_LIMIT, follow=True).content.decode()

    with translation.override("en"):
        when = date_format(start + DAY, "DATETIME_FORMAT")
    assert f"Your limit will be removed on {when}." in html
    assert "Remove limit" not in html  # already waiting
    assert services.monthly_limit_cents(member=member) == 5_000
    frozen(start + DAY)
    assert services.monthly_limit_cents(member=member) is None
    assert "You have no spending limit." in member_client.get(HISTORY).content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12,50", "Enter the limit in whole euros, with digits only, for example 50."),
        ("veel", "Enter the limit in whole euros, with digits only, for example 50."),
        ("-5", "Enter the limit in whole euros, with digits only, for example 50."),
        ("", "Enter a limit in whole euros, for example 50."),
        ("1000000", "The highest limit you can set is 100,000 euros a month."),
    ],
)
def test_a_bad_limit_keeps_what_was_typed_and_says_why(member_client, member, typed, message):
    services.set_spending_limit(member=member, limit_euros=50)
    member_client.cookies["django_language"] = "en"

    response = member_client.post(SET_LIMIT, {"limit": typed})

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Your limit was not changed." in html
    assert f'value="{typed}"' in html if typed else 'name="limit"' in html
    assert 'aria-invalid="true"' in html
    assert services.monthly_limit_cents(member=member) == 5_000


def test_a_bad_limit_in_dutch_keeps_the_value(member_client, member):
    response = member_client.post(SET_LIMIT, {"limit": "12,50"})
    assert response.status_code == 400
    assert 'value="12,50"' in response.content.decode()
    assert 'id="limit-errors"' in response.content.decode()
    assert services.monthly_limit_cents(member=member) is None


@pytest.mark.parametrize("typed", ["50", "€ 50", "50,00", "50.00", " 50 "])
def test_whole_euros_may_be_written_several_ways(member_client, member, typed):
    member_client.post(SET_LIMIT, {"limit": typed})
    assert services.monthly_limit_cents(member=member) == 5_000


def test_limit_pages_need_log_in_and_post(member_client):
    for url in (SET_LIMIT, REMOVE_LIMIT, CANCEL_CHANGE):
        response = Client().post(url, {"limit": "10"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert member_client.get(url).status_code == 405
    assert not SpendingLimit.objects.filter(monthly_limit_cents=1000).exists()


def test_a_posted_member_id_changes_only_my_own_limit(member_client, member):
    other = MemberFactory()
    member_client.post(SET_LIMIT, {"limit": "10", "member": other.pk})
    assert services.monthly_limit_cents(member=member) == 1_000
    assert services.monthly_limit_cents(member=other) is None


# --- Checkout enforces the limit ------------------------------------------------------------------


def test_what_counts_this_month(member):
    """Paid orders less what went back, plus open ones, started this calendar month; failed,
    cancelled, expired and last month's orders count nothing."""
    now = at(2026, 6, 10, 12, 0)
    order(member, "Plus", when=at(2026, 6, 1))  # 19.95, the month's first moment
    order(member, "Starter", status=Order.Status.OPEN, when=at(2026, 6, 10, 11, 59))  # 9.95
    order(member, "Max", when=at(2026, 6, 5), refunded_cents=1000)  # 39.95 - 10.00
    order(member, "Max", when=at(2026, 6, 5), refunded_cents=2000, charged_back_cents=1995)
    order(member, "Max", when=at(2026, 5, 31, 23, 59, 59))  # last month
    for status in (Order.Status.FAILED, Order.Status.CANCELED, Order.Status.EXPIRED):
        order(member, "Max", status=status, when=at(2026, 6, 9))
    order(MemberFactory(), "Max", when=at(2026, 6, 9))

    assert services.counted_purchases_cents(member=member, now=now) == 1995 + 995 + 2995


def test_checkout_below_the_limit_goes_to_mollie(member_client, member, live_mollie):
    services.set_spending_limit(member=member, limit_euros=30)
    order(member, "Plus")  # 19.95 paid this month
    mp.mock_create(live_mollie, "tr_below")

    response = member_client.post(
        reverse("payments:checkout"), {"pack": pack("Starter").pk, "method": "ideal"}
    )

    assert response.status_code == 302 and "mollie.com" in response["Location"]
    assert Order.objects.filter(member=member, status=Order.Status.OPEN).count() == 1


@pytest.mark.parametrize("language", ["en", "nl"])
def test_checkout_over_the_limit_is_refused_and_says_why(
    member_client, member, live_mollie, language
):
    """An open order counts: with 19.95 paid and 9.95 under way, another 9.95 does not fit in
    30 euros. Nothing is created and nothing goes to Mollie."""
    services.set_spending_limit(member=member, limit_euros=30)
    order(member, "Plus")
    order(member, "Starter", status=Order.Status.OPEN)
    member_client.cookies["django_language"] = language

    response = member_client.post(
        reverse("payments:checkout"), {"pack": pack("Starter").pk, "method": "bancontact"}
    )

    assert response.status_code == 409
    assert len(live_mollie.calls) == 0
    assert Order.objects.filter(member=member).count() == 2
    html = response.content.decode()
    assert 'role="alert"' in html
    assert f'href="{HISTORY}#spending-limit"' in html
    assert 'value="bancontact" id="pack-{}-bancontact" checked'.format(pack("Starter").pk) in html
    if language == "en":
        assert "This purchase would go over your monthly spending limit of €30.00." in html
        assert "You have €0.10 left to spend this month." in html
        assert "a higher limit, or removing it, after 24 hours" in html
    else:
        assert "€ 30,00" in html and "€ 0,10" in html


def test_refused_checkout_mentions_a_waiting_raise(member_client, member, live_mollie):
    services.set_spending_limit(member=member, limit_euros=10)
    services.set_spending_limit(member=member, limit_euros=100)
    member_client.cookies["django_language"] = "en"

    html = member_client.post(
        reverse("payments:checkout"), {"pack": pack("Plus").pk, "method": "ideal"}
    ).content.decode()

    assert "monthly spending limit of €10.00" in html
    assert "Your limit goes up to €100.00 a month on" in html
    assert not live_mollie.calls


def test_a_zero_limit_refuses_every_pack(member, live_mollie):
    services.set_spending_limit(member=member, limit_euros=0)
    with pytest.raises(services.SpendingLimitReached) as refused:
        checkout.start_checkout(
            member=member, pack=pack("Starter"), method="ideal", build_url=lambda p: p
        )
    assert (refused.value.limit_cents, refused.value.left_cents) == (0, 0)
    assert not Order.objects.exists()


def test_a_failed_or_refunded_order_frees_the_limit_again(member, live_mollie):
    services.set_spending_limit(member=member, limit_euros=20)
    first = order(member, "Plus", status=Order.Status.OPEN)
    with pytest.raises(services.SpendingLimitReached):
        services.check_spending_limit(member=member, amount_cents=995)

    Order.objects.filter(pk=first.pk).update(status=Order.Status.EXPIRED)
    services.check_spending_limit(member=member, amount_cents=995)

    paid = order(member, "Plus")
    with pytest.raises(services.SpendingLimitReached):
        services.check_spending_limit(member=member, amount_cents=995)
    Order.objects.filter(pk=paid.pk).update(refunded_cents=995)
    services.check_spending_limit(member=member, amount_cents=995)


def test_a_lower_limit_stops_the_next_checkout_at_once(member, member_client, live_mollie):
    services.set_spending_limit(member=member, limit_euros=100)
    order(member, "Plus")
    member_client.post(SET_LIMIT, {"limit": "25"})

    response = member_client.post(
        reverse("payments:checkout"), {"pack": pack("Starter").pk, "method": "ideal"}
    )

    assert response.status_code == 409
    assert not live_mollie.calls


def test_packs_page_shows_the_limit_and_what_is_left(member_client, member):
    services.set_spending_limit(member=member, limit_euros=50)
    order(member, "Plus")
    member_client.cookies["django_language"] = "en"

    html = member_client.get(PACKS).content.decode()

    assert "Your monthly spending limit is €50.00. You have €30.05 left this month." in html


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_at_once_cannot_both_pass_the_limit(settings):
    """On PostgreSQL, four checkouts at the same moment, each in its own connection: with room
    for one pack under the limit, exactly one order is created."""
    settings.MOLLIE_API_KEY = ""  # the stand-in: each payment gets its own id
    member = MemberFactory()
    services.set_spending_limit(member=member, limit_euros=20)
    plus = pack("Plus")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def buy():
        try:
            barrier.wait(timeout=10)
            checkout.start_checkout(member=member, pack=plus, method="ideal", build_url=str)
            results.append("started")
        except services.SpendingLimitReached:
            results.append("refused")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sorted(results) == ["refused", "refused", "refused", "started"]
    assert Order.objects.filter(member=member).count() == 1


@pytest.mark.django_db(transaction=True)
def test_changing_the_limit_waits_for_a_checkout_holding_the_wallet():
    """A limit change takes the wallet lock that checkout holds between its limit check and the
    order: it cannot slip in between (a checkout that passed the old limit finishes first)."""
    member = MemberFactory()
    services.set_spending_limit(member=member, limit_euros=50)
    locked, release, changed = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def checkout_in_progress():
        try:
            with transaction.atomic():
                services.lock_wallet(member=member)
                locked.set()
                release.wait(timeout=10)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def lower_the_limit():
        try:
            locked.wait(timeout=10)
            services.set_spending_limit(member=member, limit_euros=10)
            changed.set()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=checkout_in_progress),
        threading.Thread(target=lower_the_limit),
    ]
    for thread in threads:
        thread.start()
    assert locked.wait(timeout=10)
    assert not changed.wait(timeout=0.5), "the limit changed while a checkout held the wallet"
    release.set()
    for thread in threads:
        thread.join()

    assert not errors
    assert changed.is_set()
    assert services.monthly_limit_cents(member=member) == 1000


# --- Admin: Finance sees, nobody changes ------------------------------------------------------


def test_finance_sees_limits_read_only(client, member):
    """Finance holds payments.view_spendinglimit (members.roles), and no other permission on
    limits: the page shows the limit without a field to change it."""
    services.set_spending_limit(member=member, limit_euros=50)
    finance = staff_member("Finance")
    assert finance.has_perm("payments.view_spendinglimit")
    for action in ("add", "change", "delete"):
        assert not finance.has_perm(f"payments.{action}_spendinglimit")
    client.force_login(finance)

    listing = client.get("/admin/payments/spendinglimit/")
    detail = client.get(f"/admin/payments/spendinglimit/{member.pk}/change/")

    assert listing.status_code == 200 and "€ 50" in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="monthly_limit_cents"' not in detail.content.decode()


@pytest.mark.parametrize("role", ["Moderators", "Helpdesk"])
def test_moderators_and_helpdesk_do_not_see_limits(client, role):
    client.force_login(staff_member(role))
    assert client.get("/admin/payments/spendinglimit/").status_code == 403


def test_nobody_changes_or_adds_a_limit_in_admin(client, member):
    services.set_spending_limit(member=member, limit_euros=50)
    client.force_login(staff_member("superuser"))

    changed = client.post(
        f"/admin/payments/spendinglimit/{member.pk}/change/", {"monthly_limit_cents": 900000}
    )
    added = client.post(
        "/admin/payments/spendinglimit/add/", {"member": member.pk, "monthly_limit_cents": 100}
    )
    deleted = client.post(f"/admin/payments/spendinglimit/{member.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert services.monthly_limit_cents(member=member) == 5_000


# --- Privacy -------------------------------------------------------------------------------------


def test_the_limit_is_exported_and_erased(member):
    start = timezone.now()
    services.set_spending_limit(member=member, limit_euros=50, now=start)
    services.set_spending_limit(member=member, limit_euros=80, now=start)
    entry = registry.entry_for(SpendingLimit)

    [row] = entry.export(member)
    assert row["limit_cents"] == 5_000
    assert row["pending_limit_cents"] == 8_000 and row["pending_removal"] is False
    assert row["pending_effective_at"] == (start + DAY).isoformat()

    entry.erase(member)
    entry.erase(member)
    assert not SpendingLimit.objects.filter(member=member).exists()
    assert entry.export(member) == []
