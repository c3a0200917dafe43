"""Consents (R2.2, R7.1, R9.3): every purpose off until given; each grant and withdrawal an
append-only record with the wording version, time and source; the state derived from the
latest; withdrawing as easy as giving (one click) and effective at once."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from privacy import declaration
from privacy.models import ConsentPurpose, ConsentRecord, StatementAcceptance
from privacy.registry import export_member
from privacy.services import consent_states, has_consent, set_consent
from profiles import services as profile_services
from profiles.models import Profile
from tests.helpers import signup
from tests.profiles.test_suggestions import seeker

pytestmark = pytest.mark.django_db

CONSENTS = reverse("privacy:consents")
SUGGESTIONS = reverse("profiles:suggestions")


@pytest.fixture
def alice_client(member_client):
    member_client.cookies["django_language"] = "en"
    return member_client


@pytest.fixture
def man(db):
    """A man looking for a woman (tests.profiles.test_suggestions.seeker), no consent yet."""
    return seeker("me", Member.Gender.MAN, consents=False)


@pytest.fixture
def man_client(client, man):
    client.force_login(man)
    client.cookies["django_language"] = "en"
    return client


def state_of(html: str, purpose: str) -> str:
    """The "Now: On/Off" text of a purpose on the consents page."""
    block = re.search(rf'id="consent-{purpose}-state">(.*?)</p>', html, re.S)[1]
    return re.sub(r"<[^>]+>", "", block).replace("Now:", "").strip()


def suggested(response) -> list[str]:
    page = response.context["page"]
    return [p.member.username for p in page.object_list] if page is not None else []


def test_the_consents_page_needs_logging_in(client, db):
    assert client.get(CONSENTS).status_code == 302


def test_every_purpose_is_listed_in_plain_words_and_off_until_given(alice_client):
    """R7.1: each purpose with what it means, what withdrawing does, and its state as a word
    ("Off"), not a colour."""
    html = alice_client.get(CONSENTS).content.decode()

    for purpose in ConsentPurpose.values:
        declared = declaration.consent(purpose)
        assert str(declared.label) in html
        assert state_of(html, purpose) == "Off"
        assert str(declared.on_withdraw).replace("'", "&#x27;") in html
    assert "You never gave this consent." in html


def test_giving_and_withdrawing_are_records_with_version_time_and_source(alice_client, member):
    """R7.1: one click gives, one click withdraws; each is a record with the wording version,
    time and source, and the state follows the latest record."""
    before = timezone.now()
    response = alice_client.post(CONSENTS, {"purpose": "promotional_email", "action": "give"})
    assert response.status_code == 302
    assert has_consent(member=member, purpose="promotional_email")
    html = alice_client.get(CONSENTS).content.decode()
    assert state_of(html, "promotional_email") == "On"

    alice_client.post(CONSENTS, {"purpose": "promotional_email", "action": "withdraw"})

    given, withdrawn = ConsentRecord.objects.filter(member=member).order_by("created_at", "pk")
    assert (given.granted, withdrawn.granted) == (True, False)
    for record in (given, withdrawn):
        assert record.purpose == "promotional_email"
        assert record.wording_version == "2026-11"
        assert record.source == "consents page"
        assert before <= record.created_at <= timezone.now()
    assert not has_consent(member=member, purpose="promotional_email")
    html = alice_client.get(CONSENTS).content.decode()
    assert state_of(html, "promotional_email") == "Off"
    assert "on your consents page (wording version 2026-11)" in html


def test_the_state_is_the_latest_record_and_clicking_twice_records_once(member):
    """The ledger is append-only; the state is its latest record. A second click on an
    already given consent adds nothing."""
    assert set_consent(member=member, purpose="suggestions", granted=True, source="a")
    assert set_consent(member=member, purpose="suggestions", granted=True, source="b") is None
    ConsentRecord.objects.create(
        member=member,
        purpose="suggestions",
        granted=False,
        wording_version="2026-11",
        source="older",
        created_at=timezone.now() - timedelta(days=1),
    )

    assert ConsentRecord.objects.filter(member=member).count() == 2
    assert consent_states(member)["suggestions"].source == "a"
    assert has_consent(member=member, purpose="suggestions")
    assert consent_states(member)["promotional_email"] is None


def test_withdrawing_suggestions_stops_them_at_once(man_client, man, client):
    """R7.1, R2.3: withdrawn on the consents page, the suggestions page shows no one at the
    next look, and the member is no longer suggested to others either."""
    set_consent(member=man, purpose="suggestions", granted=True, source="signup")
    fits = seeker("fits", Member.Gender.WOMAN)
    assert suggested(man_client.get(SUGGESTIONS)) == ["fits"]

    man_client.post(CONSENTS, {"purpose": "suggestions", "action": "withdraw"})

    response = man_client.get(SUGGESTIONS)
    assert suggested(response) == []
    assert response.context["suggestions"].consent_needed
    assert "Turn on personalised suggestions" in response.content.decode()
    client.force_login(fits)
    assert suggested(client.get(SUGGESTIONS)) == []
    # Given again: both see each other again at once.
    client.force_login(man)
    client.post(CONSENTS, {"purpose": "suggestions", "action": "give"})
    assert suggested(client.get(SUGGESTIONS)) == ["fits"]
    client.force_login(fits)
    assert suggested(client.get(SUGGESTIONS)) == ["me"]


def test_a_member_who_never_consented_is_offered_one_click_on_the_suggestions_page(man_client, man):
    """R7.1: without consent the page explains and turns it on with one click, recorded with
    where it was given; the profiles appear at once."""
    seeker("fits", Member.Gender.WOMAN)
    response = man_client.get(SUGGESTIONS)
    assert suggested(response) == []
    html = response.content.decode()
    assert "Personalised suggestions are off." in html
    assert f'action="{SUGGESTIONS}"' in html

    response = man_client.post(SUGGESTIONS, {"next": SUGGESTIONS})

    assert response.status_code == 302 and response["Location"] == SUGGESTIONS
    record = ConsentRecord.objects.get(member=man)
    assert (record.purpose, record.granted, record.source) == (
        "suggestions",
        True,
        "suggestions page",
    )
    assert record.wording_version == "2026-11"
    assert suggested(man_client.get(SUGGESTIONS)) == ["fits"]


def test_the_home_page_offers_the_same_button(man_client):
    html = man_client.get(reverse("home")).content.decode()
    assert "Turn on personalised suggestions" in html


def test_withdrawing_special_category_consent_erases_the_sexual_preferences(alice_client, member):
    """R2.2, R7.1: withdrawn here, the sexual preferences are erased at once (profiles'
    receiver of consent_withdrawn), with the special wording's version recorded."""
    profile_services.give_special_category_consent(member=member)
    profile_services.set_sexual_preferences(member=member, preferences=["bisexual"])
    html = alice_client.get(CONSENTS).content.decode()
    assert state_of(html, "special_category") == "On"
    assert "on your sexual preferences page" in html

    alice_client.post(CONSENTS, {"purpose": "special_category", "action": "withdraw"})

    assert Profile.objects.get(member=member).sexual_preferences == []
    latest = ConsentRecord.objects.filter(member=member).order_by("-created_at", "-pk").first()
    assert (latest.granted, latest.source) == (False, "consents page")
    assert latest.wording_version == profile_services.SPECIAL_CONSENT_WORDING_VERSION


def test_explicit_consent_is_given_on_its_own_page_only(alice_client, member):
    """R2.2: explicit consent goes with the wording on the sexual preferences page; the
    consents page links there and records nothing itself."""
    html = alice_client.get(CONSENTS).content.decode()
    assert f'href="{reverse("profiles:sensitive")}"' in html

    response = alice_client.post(CONSENTS, {"purpose": "special_category", "action": "give"})

    assert response["Location"] == reverse("profiles:sensitive")
    assert not ConsentRecord.objects.filter(member=member).exists()


def test_cookie_consents_are_given_and_withdrawn_here_like_with_the_banner(alice_client, member):
    """Issue 10: the cookie consents can be given and withdrawn here too, recorded under the
    cookie policy version like the banner's choices (tests/privacy/test_cookie_consent.py has
    the rest), with a link to the cookie page instead of the old "no such cookies" note."""
    html = alice_client.get(CONSENTS).content.decode()
    assert "The site sets no such cookies at the moment." not in html
    assert f'href="{reverse("privacy:cookies")}"' in html

    alice_client.post(CONSENTS, {"purpose": "analytics_cookies", "action": "give"})
    assert state_of(alice_client.get(CONSENTS).content.decode(), "analytics_cookies") == "On"
    alice_client.post(CONSENTS, {"purpose": "analytics_cookies", "action": "withdraw"})

    records = ConsentRecord.objects.filter(member=member).order_by("created_at", "pk")
    assert [(r.purpose, r.granted, r.source) for r in records] == [
        ("analytics_cookies", True, "consents page"),
        ("analytics_cookies", False, "consents page"),
    ]
    assert state_of(alice_client.get(CONSENTS).content.decode(), "analytics_cookies") == "Off"


def test_an_unknown_choice_changes_nothing(alice_client, member):
    response = alice_client.post(CONSENTS, {"purpose": "everything", "action": "give"})
    assert response.status_code == 302
    response = alice_client.post(CONSENTS, {"purpose": "suggestions", "action": "maybe"})
    assert not ConsentRecord.objects.exists()


def test_the_consent_ledger_is_in_the_export(member):
    """R7.4: the member's export holds every record, oldest first."""
    set_consent(member=member, purpose="suggestions", granted=True, source="consents page")
    set_consent(member=member, purpose="suggestions", granted=False, source="consents page")
    rows = export_member(member)["privacy.consentrecord"]
    assert [(r["purpose"], r["granted"], r["wording_version"]) for r in rows] == [
        ("suggestions", True, "2026-11"),
        ("suggestions", False, "2026-11"),
    ]


def test_the_special_wording_version_is_the_one_on_the_sensitive_page():
    """The declaration and the sexual preferences page show one wording: one version."""
    declared = declaration.consent(ConsentPurpose.SPECIAL_CATEGORY)
    assert declared.wording_version == profile_services.SPECIAL_CONSENT_WORDING_VERSION


# --- Sign-up -----------------------------------------------------------------------------------


def test_the_optional_boxes_at_sign_up_are_unticked(client, db):
    """R7.1: consent is given by ticking, never by default."""
    client.cookies["django_language"] = "en"
    html = client.get("/accounts/signup/").content.decode()
    for name in ["consent_suggestions", "consent_promotional_email"]:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)[0]
        assert "checked" not in tag
        assert "required" not in tag
    assert "Suggest people who fit me" in html


def test_ticked_boxes_at_sign_up_are_recorded_with_source_signup(client, db):
    member = signup(client, consent_suggestions="on")

    record = ConsentRecord.objects.get(member=member)
    assert (record.purpose, record.granted, record.source) == ("suggestions", True, "signup")
    assert record.wording_version == "2026-11"
    assert not has_consent(member=member, purpose="promotional_email")
    acceptance = StatementAcceptance.objects.get(member=member)
    assert (acceptance.version, acceptance.source) == (member.privacy_version, "signup")


def test_unticked_boxes_record_no_consent(client, db):
    member = signup(client)
    assert not ConsentRecord.objects.filter(member=member).exists()


# --- Demo data ---------------------------------------------------------------------------------


def test_demo_members_have_personalised_suggestions_on(db):
    """make run: the demo members consented at "sign-up", so suggestions work at once; a
    second run adds nothing."""
    call_command("seed_demo", members=4)
    call_command("seed_demo", members=4)

    demo = Member.objects.filter(username__startswith="demo_")
    assert all(has_consent(member=m, purpose="suggestions") for m in demo)
    assert ConsentRecord.objects.filter(member__in=demo, purpose="suggestions").count() == 4
    # Mail consents are mailings' demo data (tests/mailings/test_suggestion_mails.py).
    assert not ConsentRecord.objects.filter(
        member__in=demo.exclude(username="demo_000001"), purpose="promotional_email"
    ).exists()
