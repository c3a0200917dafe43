"""Restriction of processing and objection (R7.4, R9.3): each one click, effective at once,
recorded; restriction takes the profile out of search and suggestions while the member can
still log in, read, export and lift it."""

import re

import pytest
from django.urls import reverse

from members.models import Member
from privacy.models import ProcessingLimit, ProcessingLimitRecord
from privacy.registry import export_member
from privacy.services import (
    has_limit,
    may_profile,
    may_send_direct_marketing,
    set_consent,
    set_processing_limit,
)
from tests.factories import PASSWORD
from tests.profiles.test_suggestions import seeker

pytestmark = pytest.mark.django_db

LIMITS = reverse("privacy:limits")
SEARCH = reverse("profiles:search")
SUGGESTIONS = reverse("profiles:suggestions")


@pytest.fixture
def sanne(db):
    """A woman looking for a man, with personalised suggestions on."""
    return seeker("sanne", Member.Gender.WOMAN)


@pytest.fixture
def bram(db):
    return seeker("bram", Member.Gender.MAN)


def english_client(client, member):
    client.force_login(member)
    client.cookies["django_language"] = "en"
    return client


def state_of(html: str, kind: str) -> str:
    block = re.search(rf'id="limit-{kind}-state">(.*?)</p>', html, re.S)[1]
    return re.sub(r"<[^>]+>", "", block).replace("Now:", "").strip()


def names(response) -> list[str]:
    page = response.context["page"]
    return [p.member.username for p in page.object_list] if page is not None else []


def test_the_page_needs_logging_in(client, db):
    assert client.get(LIMITS).status_code == 302


def test_every_limit_is_explained_with_its_state_in_words(client, sanne):
    html = english_client(client, sanne).get(LIMITS).content.decode()

    for kind in ProcessingLimit.values:
        assert state_of(html, kind) == "Off"
    assert "You can still log in, read your messages and your data, download a copy" in html
    assert "Never used." in html


def test_restriction_hides_the_profile_and_is_lifted_again(client, sanne, bram):
    """R7.4: restricted, Sanne is out of Bram's search and suggestions at once, and hers are
    paused; the record and the member's flag change together. Lifted, all is back."""
    english_client(client, bram)
    assert "sanne" in names(client.get(SEARCH))
    assert names(client.get(SUGGESTIONS)) == ["sanne"]

    english_client(client, sanne)
    response = client.post(LIMITS, {"kind": "restriction", "active": "on"})
    assert response.status_code == 302
    sanne.refresh_from_db()
    assert sanne.processing_restricted
    record = ProcessingLimitRecord.objects.get(member=sanne)
    assert (record.kind, record.active, record.source) == ("restriction", True, "limits page")
    assert state_of(client.get(LIMITS).content.decode(), "restriction") == "On"
    assert client.get(SUGGESTIONS).context["suggestions"].paused

    english_client(client, bram)
    assert "sanne" not in names(client.get(SEARCH))
    assert names(client.get(SUGGESTIONS)) == []
    assert client.get(reverse("profiles:profile", args=[sanne.public_id])).status_code == 404

    english_client(client, sanne)
    client.post(LIMITS, {"kind": "restriction", "active": "off"})
    sanne.refresh_from_db()
    assert not sanne.processing_restricted
    assert not has_limit(member=sanne, kind="restriction")

    english_client(client, bram)
    assert "sanne" in names(client.get(SEARCH))
    assert names(client.get(SUGGESTIONS)) == ["sanne"]


def test_a_restricted_member_can_still_log_in_read_and_lift_it(client, sanne):
    """R7.4: restriction keeps the data and the access to it."""
    set_processing_limit(member=sanne, kind="restriction", active=True, source="limits page")

    response = client.post("/accounts/login/", {"login": "sanne", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    for name in ["privacy:centre", "privacy:my_data", "privacy:consents", "privacy:limits"]:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("messaging:inbox")).status_code == 200
    assert "Processing of your data is restricted." in (
        english_client(client, sanne).get(reverse("privacy:centre")).content.decode()
    )


def test_objecting_to_profiling_stops_suggestions_both_ways_at_once(client, sanne, bram):
    """R7.4: the objection wins over the consent: no suggestions for Sanne, and she is not
    suggested to Bram; withdrawn, both come back."""
    english_client(client, sanne)
    client.post(LIMITS, {"kind": "object_profiling", "active": "on"})

    assert not may_profile(sanne)
    response = client.get(SUGGESTIONS)
    assert names(response) == []
    assert response.context["suggestions"].objected
    assert "You object to profiling" in response.content.decode()
    english_client(client, bram)
    assert names(client.get(SUGGESTIONS)) == []
    assert "sanne" in names(client.get(SEARCH))  # search is not profiling

    english_client(client, sanne)
    client.post(LIMITS, {"kind": "object_profiling", "active": "off"})
    assert names(client.get(SUGGESTIONS)) == ["bram"]
    assert [r.active for r in ProcessingLimitRecord.objects.order_by("created_at", "pk")] == [
        True,
        False,
    ]


def test_direct_marketing_needs_consent_and_no_objection_or_restriction(client, sanne):
    """R7.2, R7.4: promotional mail only with consent, without objection, unrestricted and
    for an active account (issue 9 sends it through may_send_direct_marketing)."""
    assert not may_send_direct_marketing(sanne)  # no consent
    set_consent(member=sanne, purpose="promotional_email", granted=True, source="test")
    assert may_send_direct_marketing(sanne)

    english_client(client, sanne)
    client.post(LIMITS, {"kind": "object_direct_marketing", "active": "on"})
    assert not may_send_direct_marketing(sanne)
    client.post(LIMITS, {"kind": "object_direct_marketing", "active": "off"})
    assert may_send_direct_marketing(sanne)

    set_processing_limit(member=sanne, kind="restriction", active=True, source="test")
    assert not may_send_direct_marketing(sanne)
    set_processing_limit(member=sanne, kind="restriction", active=False, source="test")
    sanne.status = Member.Status.CLOSED
    assert not may_send_direct_marketing(sanne)


def test_a_second_click_records_nothing_and_an_unknown_kind_changes_nothing(client, sanne):
    english_client(client, sanne)
    client.post(LIMITS, {"kind": "object_direct_marketing", "active": "on"})
    client.post(LIMITS, {"kind": "object_direct_marketing", "active": "on"})
    client.post(LIMITS, {"kind": "forget_me", "active": "on"})
    client.post(LIMITS, {"kind": "restriction", "active": "maybe"})

    assert ProcessingLimitRecord.objects.count() == 1
    sanne.refresh_from_db()
    assert not sanne.processing_restricted


def test_limits_are_in_the_export(sanne):
    """R7.4: the export holds every switch of every limit."""
    set_processing_limit(member=sanne, kind="restriction", active=True, source="limits page")
    set_processing_limit(member=sanne, kind="restriction", active=False, source="limits page")

    rows = export_member(sanne)["privacy.processinglimitrecord"]
    assert [(r["kind"], r["in_force"], r["source"]) for r in rows] == [
        ("restriction", True, "limits page"),
        ("restriction", False, "limits page"),
    ]
