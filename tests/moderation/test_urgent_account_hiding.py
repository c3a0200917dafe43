"""Moderation must not be a weapon (SECURITY.md, DSA Art. 16, 22): an urgent notice hides the
reported item at once, but a whole account only when independent reporters or a trusted
flagger agree; otherwise the case waits, urgent, for a moderator's first look."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from messaging.services import check_can_send
from moderation import sanctions, services, urgent
from moderation.models import (
    ModerationAction,
    Notice,
    Report,
    ReporterStanding,
    Sanction,
    TrustedFlagger,
)
from moderation.reasons import Priority
from profiles.models import Profile
from profiles.selectors import visible_profiles
from tests.factories import MemberFactory, staff_member

from .member_helpers import member_with_photo, notice_data
from .support import mails

pytestmark = pytest.mark.django_db

NOTICE_URL = "/report/"
ADMIN_INDEX = "/admin/"
QUEUE = "/admin/moderation/report/"
FLAGGERS = "/admin/moderation/trustedflagger/"


@pytest.fixture
def bob(db):
    """The reported member: a findable profile with an approved photo."""
    return member_with_photo("bob")


@pytest.fixture
def greta(db):
    """A member who only looks (and writes to bob)."""
    return MemberFactory(username="greta", email="greta@example.org")


def visitor(address: str) -> Client:
    """A browser of its own, from `address`, in English."""
    client = Client(REMOTE_ADDR=address)
    client.cookies["django_language"] = "en"
    return client


def link_to(obj) -> str:
    if isinstance(obj, Profile):
        path = reverse("profiles:profile", args=[obj.member.public_id])
    else:
        path = reverse("profiles:photo_file", args=[obj.public_id, "full"])
    return settings.SITE_URL.rstrip("/") + path


def public_notice(client, obj, *, reason="minor", name="", email="", **fields):
    """A notice through the public form `/report/`, the item named by its pasted link."""
    data = notice_data(
        link=link_to(obj),
        reason=reason,
        explanation="Hij zegt dat hij 15 is.",
        name=name,
        email=email,
        **fields,
    )
    response = client.post(NOTICE_URL, {key: value for key, value in data.items() if value})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Notice.objects.order_by("-pk").first()


def profile_of(member) -> Profile:
    return Profile.objects.get(member=member)


def hidden_account(member) -> bool:
    return sanctions.is_hidden(member)


# -- one notice: the item, never the account ------------------------------------------------


def test_one_anonymous_minor_notice_on_a_profile_hides_nothing_and_waits_urgent(bob, greta):
    member, _photo = bob

    notice = public_notice(visitor("192.0.2.1"), profile_of(member))

    report = notice.report
    assert report.priority == Priority.URGENT
    assert report.hidden_at is None
    assert not Sanction.objects.filter(member=member).exists()
    assert not hidden_account(member)
    assert visible_profiles(greta).filter(member=member).exists()
    greta_client = visitor("127.0.0.1")
    greta_client.force_login(greta)
    assert greta_client.get(reverse("profiles:profile", args=[member.public_id])).status_code == 200
    check_can_send(sender=member, receiver=greta)  # no SendRefused: he can still chat
    check_can_send(sender=greta, receiver=member)
    assert not ModerationAction.objects.filter(report=report).exists()


def test_one_anonymous_minor_notice_on_a_photo_still_hides_the_photo_at_once(bob):
    member, photo = bob

    notice = public_notice(visitor("192.0.2.1"), photo)

    photo.refresh_from_db()
    assert photo.hidden_at is not None
    assert notice.report.hidden_at is not None
    assert not hidden_account(member)


def test_one_member_alone_cannot_hide_another_members_account(bob, greta):
    member, _photo = bob
    greta_client = visitor("127.0.0.1")
    greta_client.force_login(greta)

    services.submit_notice(
        item=profile_of(member),
        category="threat",
        explanation="Hij bedreigt me.",
        good_faith=True,
        reporter=greta,
        rate_key="192.0.2.9",
    )

    assert not hidden_account(member)
    assert Report.objects.get().priority == Priority.URGENT


# -- independent reporters --------------------------------------------------------------------


def test_two_independent_visitors_hide_the_account_at_once(bob, greta):
    member, _photo = bob

    public_notice(visitor("192.0.2.1"), profile_of(member))
    assert not hidden_account(member)
    notice = public_notice(
        visitor("198.51.100.2"), profile_of(member), name="Vera", email="vera@example.net"
    )

    assert hidden_account(member)
    assert not visible_profiles(greta).filter(member=member).exists()
    sanction = Sanction.objects.get(member=member)
    assert (sanction.kind, sanction.report_id) == (Sanction.Kind.HIDDEN, notice.report_id)
    [entry] = ModerationAction.objects.filter(report=notice.report)
    assert (entry.action, entry.detail) == (
        "case.hidden_pending_review",
        "account: 2 independent reporters",
    )
    assert "192.0.2.1" not in str(list(Notice.objects.values()))  # only a keyed hash


def test_two_notices_from_one_address_are_one_reporter(bob):
    member, _photo = bob
    same = visitor("192.0.2.1")

    public_notice(same, profile_of(member))
    public_notice(same, profile_of(member), name="Een ander", email="ander@example.net")

    assert Notice.objects.count() == 2
    assert not hidden_account(member)


def test_two_notices_from_one_ipv6_network_are_one_reporter(bob):
    """One connection gets a whole /64: picking another address from it is not another
    person."""
    member, _photo = bob

    public_notice(visitor("2001:db8:1:2::1"), profile_of(member))
    public_notice(visitor("2001:db8:1:2:ffff::9"), profile_of(member))
    assert not hidden_account(member)
    public_notice(visitor("2001:db8:1:3::1"), profile_of(member))

    assert hidden_account(member)


def test_two_notices_with_one_email_address_are_one_reporter(bob):
    """Other addresses, but one mailbox (case and `+tags` do not make another)."""
    member, _photo = bob

    public_notice(visitor("192.0.2.1"), profile_of(member), email="vera@example.net")
    public_notice(visitor("198.51.100.2"), profile_of(member), email="Vera+2@Example.net")

    assert not hidden_account(member)


def test_a_member_and_a_visitor_from_the_members_address_are_one_reporter(bob, greta):
    member, _photo = bob
    greta_client = visitor("192.0.2.1")
    greta_client.force_login(greta)
    greta_client.post(
        reverse("moderation:notice"),
        notice_data(link=link_to(profile_of(member)), reason="minor", name="", email=""),
    )
    assert Notice.objects.get().reporter == greta

    public_notice(visitor("192.0.2.1"), profile_of(member))

    assert not hidden_account(member)


def test_two_members_are_two_reporters_even_from_one_address(bob, greta):
    """A household or a mobile network shares an address; each account is its own."""
    member, _photo = bob
    for reporter in (greta, MemberFactory(username="hanna", email="hanna@example.org")):
        services.submit_notice(
            item=profile_of(member),
            category="minor",
            explanation="Lijkt 15.",
            good_faith=True,
            reporter=reporter,
            rate_key="192.0.2.1",
        )

    assert hidden_account(member)


def test_notices_about_the_member_on_other_open_cases_count_too(bob, greta):
    """A report of his photo and one of his profile, by two people, agree about him."""
    member, photo = bob

    public_notice(visitor("192.0.2.1"), photo)
    assert not hidden_account(member)
    public_notice(visitor("198.51.100.2"), profile_of(member), email="vera@example.net")

    assert hidden_account(member)


def test_a_later_photo_notice_by_someone_else_hides_the_waiting_account(bob):
    """The other order: the profile's case waited; a second person's notice of his photo
    agrees, and the profile's case now holds the account."""
    member, photo = bob
    profile_notice = public_notice(visitor("192.0.2.1"), profile_of(member))

    photo_notice = public_notice(visitor("198.51.100.2"), photo, email="vera@example.net")

    assert hidden_account(member)
    sanction = Sanction.objects.get(member=member)
    assert sanction.report_id == profile_notice.report_id != photo_notice.report_id


def test_a_moderator_opening_an_urgent_case_on_a_profile_hides_the_account(bob):
    member, _photo = bob
    moderator = staff_member("Moderators", username="mod")

    services.open_case(
        staff=moderator, item=profile_of(member), category="minor", note="Ziet er jong uit."
    )

    assert hidden_account(member)


def test_a_dismissed_case_no_longer_counts(bob, greta):
    member, _photo = bob
    moderator = staff_member("Moderators", username="mod")
    first = public_notice(visitor("192.0.2.1"), profile_of(member))
    services.decide_case(report=first.report, moderator=moderator, action=services.DISMISS)

    public_notice(visitor("198.51.100.2"), profile_of(member), email="vera@example.net")

    assert not hidden_account(member)


def test_a_reporter_handled_last_does_not_help_hide_an_account(bob, greta):
    """Repeatedly unfounded reports (DSA Art. 23(2)): still urgent in the queue, but no vote."""
    member, _photo = bob
    ReporterStanding.objects.create(member=greta, unfounded=9, deprioritised_at=timezone.now())
    services.submit_notice(
        item=profile_of(member),
        category="minor",
        explanation="Lijkt 15.",
        good_faith=True,
        reporter=greta,
    )

    public_notice(visitor("192.0.2.1"), profile_of(member))

    assert not hidden_account(member)
    assert Report.objects.get().priority == Priority.URGENT


def test_the_number_of_reporters_is_a_setting(bob, settings):
    settings.MODERATION_ACCOUNT_HIDE_REPORTERS = 3
    member, _photo = bob

    for address in ("192.0.2.1", "198.51.100.2"):
        public_notice(visitor(address), profile_of(member))
    assert not hidden_account(member)
    public_notice(visitor("203.0.113.3"), profile_of(member))

    assert hidden_account(member)


def test_the_number_of_reporters_is_never_below_two(bob, settings):
    settings.MODERATION_ACCOUNT_HIDE_REPORTERS = 1
    member, _photo = bob

    public_notice(visitor("192.0.2.1"), profile_of(member))

    assert not hidden_account(member)


def test_independent_reporters_joins_shared_traits_transitively():
    def notice(**fields):
        return Notice(**{"email": "", "source_digest": "", **fields})

    chain = [
        notice(source_digest="a"),
        notice(source_digest="a", email="x@example.net"),
        notice(source_digest="b", email="x@example.net"),
    ]
    assert urgent.independent_reporters(chain) == 1
    assert urgent.independent_reporters([notice(), notice()]) == 1  # nothing to tell apart
    assert urgent.independent_reporters([notice(source_digest="a"), notice(email="y@x.nl")]) == 2


# -- trusted flaggers ---------------------------------------------------------------------------


def test_one_notice_of_a_trusted_flagger_member_hides_the_account(bob, greta):
    member, _photo = bob
    TrustedFlagger.objects.create(name="Meldpunt", member=greta)

    notice = services.submit_notice(
        item=profile_of(member),
        category="minor",
        explanation="Bekend bij ons meldpunt.",
        good_faith=True,
        reporter=greta,
    )

    assert notice.trusted_flagger.name == "Meldpunt"
    assert hidden_account(member)
    assert ModerationAction.objects.get(report=notice.report).detail == "account: trusted flagger"


def test_an_inactive_trusted_flagger_is_an_ordinary_reporter(bob, greta):
    member, _photo = bob
    TrustedFlagger.objects.create(name="Meldpunt", member=greta, active=False)

    services.submit_notice(
        item=profile_of(member),
        category="minor",
        explanation="Lijkt 15.",
        good_faith=True,
        reporter=greta,
    )

    assert not hidden_account(member)


def test_a_trusted_flaggers_notice_is_handled_first(bob, greta):
    """At least high priority, and first within its priority in the queue."""
    member, photo = bob
    other, _photo = member_with_photo("carl")
    TrustedFlagger.objects.create(name="Fraudehelpdesk", email_domain="fraudehelpdesk.nl")
    ordinary = public_notice(
        visitor("192.0.2.1"), profile_of(other), reason="scam", name="V", email="v@example.net"
    )
    Report.objects.filter(pk=ordinary.report_id).update(created_at=timezone.now() - timedelta(1))

    flagged = public_notice(
        visitor("198.51.100.2"),
        photo,
        reason="scam",
        name="Team",
        email="meldingen@fraudehelpdesk.nl",
    )

    assert ordinary.report.priority == Priority.NORMAL
    flagged.report.refresh_from_db()
    assert flagged.report.priority == Priority.HIGH
    Report.objects.filter(pk=flagged.report_id).update(priority=Priority.NORMAL)
    moderator = visitor("127.0.0.1")
    moderator.force_login(staff_member("Moderators", username="mod"))
    response = moderator.get(QUEUE)
    assert [case.pk for case in response.context["cl"].result_list] == [
        flagged.report_id,
        ordinary.report_id,
    ]
    assert "trusted flagger" in response.content.decode()
    trusted = moderator.get(QUEUE, {"trusted": "yes"})
    assert [case.pk for case in trusted.context["cl"].result_list] == [flagged.report_id]


def test_a_flagger_known_by_address_hides_the_account_once_it_confirms(bob, greta):
    """Anyone can type an address on the public form: the notice counts as the flagger's once
    the flagger follows the link in its receipt and presses the button."""
    member, _photo = bob
    TrustedFlagger.objects.create(name="Offlimits", email_domain="offlimits.nl")

    notice = public_notice(
        visitor("192.0.2.1"), profile_of(member), name="Team", email="meldpunt@offlimits.nl"
    )

    assert notice.trusted_flagger.name == "Offlimits"
    assert not hidden_account(member)
    [receipt] = mails("moderation_notice_receipt", "meldpunt@offlimits.nl")
    prefix = settings.SITE_URL.rstrip("/") + "/report/confirm/"
    [link] = [word for word in receipt.body_text.split() if word.startswith(prefix)]
    flagger = visitor("203.0.113.3")
    page = flagger.get(link)
    assert page.status_code == 200 and "Confirm the report" in page.content.decode()
    assert not hidden_account(member)  # following the link (a mail scanner) is not enough

    flagger.post(link)

    notice.refresh_from_db()
    assert notice.confirmed_at is not None
    assert hidden_account(member)
    assert "is confirmed" in flagger.get(link).content.decode()
    assert visitor("203.0.113.3").get(link[:-3] + "xx/").status_code == 404


def test_the_case_page_marks_the_flaggers_notice_and_says_nothing_is_hidden(bob):
    member, _photo = bob
    TrustedFlagger.objects.create(name="Offlimits", email_domain="offlimits.nl")
    notice = public_notice(
        visitor("192.0.2.1"), profile_of(member), name="Team", email="meldpunt@offlimits.nl"
    )
    moderator = visitor("127.0.0.1")
    moderator.force_login(staff_member("Moderators", username="mod"))

    page = moderator.get(f"{QUEUE}{notice.report_id}/change/").content.decode()

    assert "trusted flagger Offlimits" in page and "not confirmed yet" in page
    assert 'id="case-not-hidden"' in page
    assert "meldpunt@offlimits.nl" not in page


def test_an_ordinary_receipt_has_no_confirmation_link(bob):
    member, _photo = bob

    public_notice(visitor("192.0.2.1"), profile_of(member), name="V", email="v@example.net")

    [receipt] = mails("moderation_notice_receipt", "v@example.net")
    assert "/report/confirm/" not in receipt.body_text


def test_superusers_add_trusted_flaggers_and_moderators_only_see_them(greta):
    flagger = TrustedFlagger.objects.create(name="Offlimits", email_domain="offlimits.nl")
    moderator, superuser = visitor("127.0.0.1"), visitor("127.0.0.1")
    moderator.force_login(staff_member("Moderators", username="mod"))
    admin_user = staff_member("superuser", username="root")
    superuser.force_login(admin_user)

    assert "Offlimits" in moderator.get(FLAGGERS).content.decode()
    assert moderator.get(f"{FLAGGERS}add/").status_code == 403
    assert moderator.post(f"{FLAGGERS}{flagger.pk}/change/", {"name": "X"}).status_code == 403
    assert moderator.post(f"{FLAGGERS}{flagger.pk}/delete/", {"post": "yes"}).status_code == 403
    helpdesk = visitor("127.0.0.1")
    helpdesk.force_login(staff_member("Helpdesk", username="help"))
    assert helpdesk.get(FLAGGERS).status_code == 403

    response = superuser.post(
        f"{FLAGGERS}add/",
        {"name": "Meldpunt", "member": greta.pk, "email": "", "email_domain": "", "active": "on"},
    )
    assert response.status_code == 302
    added = TrustedFlagger.objects.get(name="Meldpunt")
    assert (added.member, added.added_by) == (greta, admin_user)
    nothing = superuser.post(f"{FLAGGERS}add/", {"name": "Niemand", "active": "on"})
    assert "Give a member account, an e-mail address or an e-mail domain." in (
        nothing.content.decode()
    )


# -- the urgent queue and the first look -------------------------------------------------------


def test_the_admin_index_shows_urgent_cases_waiting_and_overdue_with_links(bob):
    member, photo = bob
    old = public_notice(visitor("192.0.2.1"), profile_of(member))
    Report.objects.filter(pk=old.report_id).update(created_at=timezone.now() - timedelta(hours=2))
    public_notice(visitor("198.51.100.2"), photo)  # joins no case: the photo is its own item
    moderator = visitor("127.0.0.1")
    moderator.cookies["django_language"] = "en"
    moderator.force_login(staff_member("Moderators", username="mod"))

    page = moderator.get(ADMIN_INDEX).content.decode()

    assert "2 urgent cases wait" in page
    assert "1 waits longer than 60 minutes for a first look" in page
    assert f'href="{QUEUE}?status__exact=open&amp;priority__exact=0"' in page
    assert f'href="{QUEUE}?first_look=overdue"' in page
    overdue = moderator.get(QUEUE, {"first_look": "overdue"})
    assert [case.pk for case in overdue.context["cl"].result_list] == [old.report_id]
    waiting = moderator.get(QUEUE, {"status__exact": "open", "priority__exact": "0"})
    assert len(waiting.context["cl"].result_list) == 2


def test_staff_without_the_queue_do_not_see_the_urgent_block(bob):
    member, _photo = bob
    public_notice(visitor("192.0.2.1"), profile_of(member))
    helpdesk = visitor("127.0.0.1")
    helpdesk.force_login(staff_member("Helpdesk", username="help"))

    page = helpdesk.get(ADMIN_INDEX).content.decode()

    assert 'id="urgent-queue"' not in page


def test_opening_the_case_page_records_the_first_look_once(bob):
    member, _photo = bob
    notice = public_notice(visitor("192.0.2.1"), profile_of(member))
    report = notice.report
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert list(urgent.urgent_overdue_cases()) == [report]
    moderator = visitor("127.0.0.1")
    moderator.force_login(staff_member("Moderators", username="mod"))

    moderator.get(f"{QUEUE}{report.pk}/change/")

    report.refresh_from_db()
    first = report.first_looked_at
    assert first is not None
    assert list(urgent.urgent_overdue_cases()) == []
    moderator.get(f"{QUEUE}{report.pk}/change/")
    report.refresh_from_db()
    assert report.first_looked_at == first
    assert urgent.urgent_queue_counts() == {"waiting": 1, "overdue": 0, "minutes": 60}


def test_deciding_counts_as_the_first_look(bob):
    member, _photo = bob
    notice = public_notice(visitor("192.0.2.1"), profile_of(member))
    moderator = staff_member("Moderators", username="mod")

    services.decide_case(report=notice.report, moderator=moderator, action=services.DISMISS)

    notice.report.refresh_from_db()
    assert notice.report.first_looked_at is not None
