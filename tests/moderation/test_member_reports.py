"""A member reports a profile, a photo or a message (DSA Art. 16, R10.1): from the "Report"
links on profile pages and in conversations, with the categories and the statement of good
faith; a second report of the same item says it is already reported; one's own content cannot
be reported."""

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse

from moderation.models import Notice, Report, ReportedItem
from moderation.templatetags.moderation_tags import report_url as report_url_filter
from profiles.models import Profile

from .conftest import send
from .member_helpers import GOOD_FAITH, profile_and_photo, report_url, sent_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_photo(bob):
    return profile_and_photo(bob)


def profile_page(client, member) -> str:
    return client.get(reverse("profiles:profile", args=[member.public_id])).content.decode()


def member_report(**fields):
    data = {"reason": "scam", "explanation": "Vraagt om geld", "good_faith": GOOD_FAITH}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_a_profile_page_has_report_links_for_the_profile_and_each_photo(
    member_client, alice, bob, bob_photo
):
    profile = Profile.objects.get(member=bob)

    page = profile_page(member_client, bob)

    assert f'href="{report_url(profile)}"' in page
    assert "Report the profile of bob" in page
    assert f'href="{report_url(bob_photo)}"' in page
    assert "Report photo 1" in page


def test_a_member_reports_a_profile_without_giving_name_or_address(
    member_client, alice, bob, bob_photo, django_capture_on_commit_callbacks
):
    profile = Profile.objects.get(member=bob)
    url = report_url(profile)

    page = member_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(url, member_report(explanation=""))

    assert "You are reporting the profile of bob." in page
    assert 'id="id_name"' not in page and 'id="id_email"' not in page
    assert 'id="id_website"' not in page  # no robots to trap among members
    assert response.status_code == 302 and response.url == sent_url()
    notice = Notice.objects.get()
    assert (notice.reporter, notice.name, notice.email) == (alice, "", "")
    report = Report.objects.get()
    assert report.reported_member == bob
    assert ReportedItem.objects.get().object_id == profile.pk
    (receipt,) = mail.outbox
    assert receipt.to == ["alice@example.org"] and notice.public_id in receipt.subject
    sent = member_client.get(sent_url()).content.decode()
    assert notice.public_id in sent and reverse("moderation:my_decisions") in sent


def test_a_member_reports_a_photo(member_client, alice, bob, bob_photo):
    response = member_client.post(report_url(bob_photo), member_report(reason="non_consensual"))

    assert response.status_code == 302
    item = ReportedItem.objects.get()
    assert item.object_id == bob_photo.pk and item.report.reason == "non_consensual"


def test_a_member_reports_a_message_with_a_category_and_good_faith(
    member_client, alice, bob, django_capture_on_commit_callbacks
):
    """The message report keeps its own page (with "also block"), now with the categories'
    hints and the statement of good faith, and a receipt."""
    message = send(bob, alice, "Stuur me geld")
    url = reverse("messaging:report_message", args=[message.public_id])

    page = member_client.get(url).content.decode()
    refused = member_client.post(url, {"reason": "scam", "explanation": "Geld"})
    with django_capture_on_commit_callbacks(execute=True):
        accepted = member_client.post(url, {"reason": "harassment", "good_faith": GOOD_FAITH})

    assert "Asks for money, or is not who they say they are." in page
    assert 'id="id_good_faith"' in page and 'id="id_block"' in page
    assert "Confirm that you report in good faith" in refused.content.decode()
    assert accepted.status_code == 302
    notice = Notice.objects.get()
    assert notice.good_faith and notice.reason == "harassment"
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_reporting_an_item_twice_says_it_is_already_reported(member_client, alice, bob, bob_photo):
    url = report_url(bob_photo)
    member_client.post(url, member_report())

    response = member_client.post(url, member_report(reason="other", explanation="Nog eens"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You have already reported this." in page and "Nog eens" in page
    assert Notice.objects.count() == 1


def test_a_second_member_joins_the_same_case(client, member_client, alice, bob, bob_photo):
    from tests.factories import MemberFactory

    member_client.post(report_url(bob_photo), member_report())
    client.force_login(MemberFactory(username="carol"))

    client.post(report_url(bob_photo), member_report(reason="minor"))

    assert Report.objects.count() == 1 and Notice.objects.count() == 2
    assert Report.objects.get().priority == 0  # a suspected minor makes the case urgent


def test_a_member_cannot_report_their_own_profile_or_photo(member_client, alice):
    photo = profile_and_photo(alice)
    profile = Profile.objects.get(member=alice)

    page = profile_page(member_client, alice)
    response = member_client.post(report_url(photo), member_report())

    assert report_url(profile) not in page and report_url(photo) not in page
    assert "You cannot report your own content." in response.content.decode()
    assert not Notice.objects.exists()


def test_members_and_visitors_use_the_public_form_alike(member_client, alice, bob, bob_photo):
    link = reverse("profiles:profile", args=[bob.public_id])

    page = member_client.get("/report/").content.decode()
    response = member_client.post("/report/", member_report(link=link))

    assert 'id="id_name"' not in page
    assert response.status_code == 302
    assert Notice.objects.get().reporter == alice


def test_the_report_url_filter_is_empty_for_what_moderation_does_not_know(alice):
    """Pages never break over a report link: unknown kinds get no link."""
    assert report_url_filter(alice) == ""
    assert report_url_filter(None) == ""
    html = Template("{% load moderation_tags %}[{{ obj|report_url }}]").render(
        Context({"obj": alice})
    )
    assert html == "[]"


def test_the_report_url_filter_links_a_registered_item(bob, bob_photo):
    assert report_url_filter(bob_photo) == report_url(bob_photo)
    assert report_url_filter(bob_photo).startswith("/report/")


def test_the_receipt_is_in_the_members_language_whatever_the_page_language(
    member_client, alice, bob, bob_photo, django_capture_on_commit_callbacks
):
    """Alice reads her mail in English but browses in Dutch: the receipt, category included,
    is in English (services._send_receipt rendered the category in the page's language)."""
    from django.utils import translation

    from moderation.reasons import Category

    alice.language = "en"
    alice.save(update_fields=["language"])
    member_client.cookies["django_language"] = "nl"

    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(report_url(bob_photo), member_report(reason="other"))

    (receipt,) = mail.outbox
    with translation.override("nl"):
        dutch = str(Category.OTHER.label)
    with translation.override("en"):
        english = str(Category.OTHER.label)
    assert dutch != english
    assert f"Category: {english}" in receipt.body and dutch not in receipt.body
