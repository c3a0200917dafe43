"""Log-ins and pages visited in the member's privacy rights (R6.1, R7.3, R7.4, R8.2): in the
export with every field explained, counted on the "my data" page, removed at erasure; and the
retention periods shown on "my data" and the privacy statement come from the same settings
the retention task uses."""

import io
import json
import re
import zipfile

import pytest
from django.test import Client
from django.utils import timezone, translation

from activity.models import DailyPageCount, LoginRecord, PageVisit
from privacy import erasure, exports, registry
from tests.factories import PASSWORD, MemberFactory

from .conftest import CHROME_WINDOWS, KPN_IP

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def alice_with_activity(member, asn_database):
    browser = Client(HTTP_USER_AGENT=CHROME_WINDOWS, REMOTE_ADDR=KPN_IP)
    browser.cookies["django_language"] = "en"
    browser.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    now = timezone.now()
    PageVisit.objects.bulk_create(
        [
            PageVisit(member=member, route="profiles:search", visited_at=now, session_digest="d1"),
            PageVisit(member=member, route="messaging:inbox", visited_at=now, session_digest="d1"),
        ]
    )
    DailyPageCount.objects.create(day=now.date(), route="profiles:search", views=40)
    return browser


def test_the_export_holds_the_logins_and_pages_visited_with_each_field_explained(
    member, alice_with_activity
):
    with translation.override("en"):
        data = b"".join(exports.archive(member))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        activity = json.loads(archive.read("data/activity.json"))
        readme = archive.read("README.txt").decode()

    logins = activity["models"]["activity.loginrecord"]
    assert len(logins) == 1
    assert logins[0]["ip_address"] == KPN_IP
    assert logins[0]["provider"] == "KPN B.V."
    assert logins[0]["browser"] == "Chrome 131"
    visits = activity["models"]["activity.pagevisit"]
    assert {visit["page"] for visit in visits} == {"profiles:search", "messaging:inbox"}
    assert "Log-ins" in readme and "Pages visited" in readme

    for model in (LoginRecord, PageVisit):
        entry = registry.entry_for(model)
        for row in entry.export(member):
            for key in row:
                assert exports.field_description(entry.label, key), f"{entry.label}.{key}"


def test_the_page_visits_export_streams(member, alice_with_activity):
    rows = registry.entry_for(PageVisit).export(member)
    assert not isinstance(rows, list)
    assert len(list(rows)) == 2


def test_erasure_removes_them_and_leaves_the_anonymous_counts(
    member, alice_with_activity, django_capture_on_commit_callbacks
):
    other = MemberFactory(username="bob")
    LoginRecord.objects.create(member=other, ip_address="198.51.100.1")

    with django_capture_on_commit_callbacks(execute=True):
        erasure.close_account(member=member, erase_immediately=True)

    assert not LoginRecord.objects.filter(member_id=member.pk).exists()
    assert not PageVisit.objects.filter(member_id=member.pk).exists()
    assert LoginRecord.objects.filter(member=other).exists()
    assert DailyPageCount.objects.get().views == 40


def test_my_data_counts_them_and_states_the_periods_from_the_settings(
    member, alice_with_activity, settings
):
    page = text_of(alice_with_activity.get("/privacy/me/data/"))

    assert "1 log-in" in page
    assert "2 page visits" in page
    assert "The full IP address for 30 days" in page
    assert "deleted after 12 months" in page
    assert "90 days, then deleted" in page

    settings.ACTIVITY_FULL_IP_DAYS = 7
    settings.ACTIVITY_LOGIN_RETENTION_MONTHS = 6
    settings.ACTIVITY_PAGE_VISIT_DAYS = 14
    page = text_of(alice_with_activity.get("/privacy/me/data/"))

    assert "The full IP address for 7 days" in page
    assert "deleted after 6 months" in page
    assert "14 days, then deleted" in page
    assert "IP address for 30 days" not in page


def test_the_privacy_statement_states_the_periods_from_the_settings(client, settings):
    client.cookies["django_language"] = "en"
    page = text_of(client.get("/privacy/"))
    assert "What the site records by itself" in page
    assert "The full IP address for 30 days" in page
    assert "deleted after 12 months" in page
    assert "90 days, then deleted" in page

    settings.ACTIVITY_FULL_IP_DAYS = 1
    settings.ACTIVITY_PAGE_VISIT_DAYS = 45
    page = text_of(client.get("/privacy/"))
    assert "The full IP address for 1 day," in page
    assert "45 days, then deleted" in page
