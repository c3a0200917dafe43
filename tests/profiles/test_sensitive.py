"""Sexual preferences at /profile/sensitive/: special-category data (GDPR art. 9), stored
encrypted and only with explicit, recorded consent that can be withdrawn at once (R2.2, R7.1,
R8.1, R9.1)."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from privacy.models import ConsentPurpose, ConsentRecord
from privacy.services import has_consent
from profiles.models import Profile
from profiles.services import (
    SPECIAL_CONSENT_WORDING_VERSION,
    ConsentRequired,
    give_special_category_consent,
    set_sexual_preferences,
)

from .conftest import checked_values

pytestmark = pytest.mark.django_db

URL = "/profile/sensitive/"


@pytest.fixture(autouse=True)
def _in_english(client):
    client.cookies["django_language"] = "en"


def raw_column(member) -> str:
    """The stored value as the database holds it, past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sexual_preferences_encrypted FROM profiles_profile WHERE member_id = %s",
            [member.pk],
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def consented(member) -> bool:
    return has_consent(member=member, purpose=ConsentPurpose.SPECIAL_CATEGORY)


def test_url_name_and_login_required(client):
    assert reverse("profiles:sensitive") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_without_consent_the_page_explains_and_asks_first(member_client):
    """R2.2: what is stored, that it is special-category data (art. 9), encrypted, seen only by
    the member and not used for search or matching, withdrawable with immediate erasure."""
    page = member_client.get(URL).content.decode()
    for promise in [
        "special-category personal data under article 9",
        "stored encrypted",
        "Only you see it",
        "not used for search, suggestions or matching",
        "withdraw your consent at any time",
        "erased at once",
        SPECIAL_CONSENT_WORDING_VERSION,
    ]:
        assert promise in page, promise
    assert 'name="consent"' in page
    assert 'name="preferences"' not in page


def test_consent_must_be_ticked(member_client, member):
    """R2.2: consent is explicit: the button alone records nothing."""
    response = member_client.post(URL, {"action": "consent"})
    assert response.status_code == 200
    assert response.context["consent_form"].errors["consent"] == [
        "Tick the box to give your consent. Without it nothing is stored."
    ]
    assert not ConsentRecord.objects.filter(member=member).exists()


def test_giving_consent_is_recorded_and_opens_the_form(member_client, member):
    """R2.2, R8.1: who, what, which wording, from where."""
    response = member_client.post(URL, {"action": "consent", "consent": "on"}, follow=True)
    record = ConsentRecord.objects.get(member=member)
    assert record.purpose == ConsentPurpose.SPECIAL_CATEGORY
    assert record.granted is True
    assert record.wording_version == "special-2026-11"
    assert record.source == "profile/sensitive"
    page = response.content.decode()
    assert 'name="preferences"' in page
    assert 'name="consent"' not in page
    assert "Withdraw consent" in page


def test_preferences_are_stored_encrypted_never_in_plain_text(member_client, member):
    """R2.2, R9.1: the column holds a Fernet token, not the words."""
    give_special_category_consent(member=member)
    response = member_client.post(
        URL, {"action": "save", "preferences": ["bisexual", "queer"]}, follow=True
    )
    assert "Your sexual preferences have been saved." in response.content.decode()
    stored = raw_column(member)
    assert stored and "bisexual" not in stored and "queer" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert Profile.objects.get(member=member).sexual_preferences == ["bisexual", "queer"]
    # Shown back, ticked, to the member only.
    page = member_client.get(URL).content.decode()
    assert checked_values(page, "preferences") == {"bisexual", "queer"}


def test_withdrawing_erases_the_preferences_at_once(member_client, member):
    """R2.2, R7.1: one click withdraws; the data is gone in the same request."""
    give_special_category_consent(member=member)
    set_sexual_preferences(member=member, preferences=["lesbian"])
    assert raw_column(member)

    response = member_client.post(URL, {"action": "withdraw"}, follow=True)
    assert raw_column(member) == ""
    assert Profile.objects.get(member=member).sexual_preferences == []
    assert not consented(member)
    latest = ConsentRecord.objects.filter(member=member).first()
    assert (latest.granted, latest.wording_version, latest.source) == (
        False,
        "special-2026-11",
        "profile/sensitive",
    )
    page = response.content.decode()
    assert "Your consent is withdrawn and your sexual preferences have been erased." in page
    assert 'name="consent"' in page and 'name="preferences"' not in page


def test_posting_preferences_without_consent_stores_nothing(member_client, member):
    """R2.2: a tampered form without consent is refused; nothing reaches the database."""
    response = member_client.post(URL, {"action": "save", "preferences": ["gay"]}, follow=True)
    assert "Nothing was saved: give your consent first." in response.content.decode()
    assert raw_column(member) == ""
    assert not ConsentRecord.objects.filter(member=member).exists()


def test_posting_preferences_after_withdrawal_stores_nothing(member_client, member):
    """R2.2: after withdrawal an old open form cannot bring the data back."""
    give_special_category_consent(member=member)
    member_client.post(URL, {"action": "withdraw"})
    member_client.post(URL, {"action": "save", "preferences": ["gay"]})
    assert raw_column(member) == ""


def test_the_service_refuses_without_current_consent(member):
    """R2.2: the rule lives in the service, for every caller."""
    with pytest.raises(ConsentRequired):
        set_sexual_preferences(member=member, preferences=["asexual"])
    assert raw_column(member) == ""


def test_unknown_preference_is_refused(member_client, member):
    give_special_category_consent(member=member)
    response = member_client.post(URL, {"action": "save", "preferences": ["<script>"]})
    assert "preferences" in response.context["preferences_form"].errors
    assert raw_column(member) == ""
    with pytest.raises(ValueError):
        set_sexual_preferences(member=member, preferences=["everything"])


def test_clearing_all_preferences_stores_an_empty_value(member_client, member):
    give_special_category_consent(member=member)
    set_sexual_preferences(member=member, preferences=["pansexual"])
    member_client.post(URL, {"action": "save"})
    assert raw_column(member) == ""


def test_preferences_never_appear_in_the_logs(member_client, member, caplog):
    """SECURITY: log lines carry the member id, never the preferences."""
    caplog.set_level(logging.DEBUG)
    member_client.post(URL, {"action": "consent", "consent": "on"})
    member_client.post(URL, {"action": "save", "preferences": ["heterosexual"]})
    member_client.post(URL, {"action": "withdraw"})
    assert "heterosexual" not in caplog.text
    assert f"member={member.pk}" in caplog.text


def test_preferences_are_not_on_the_profile_form(member_client, member):
    """R2.2: the general profile page neither shows nor takes the special-category data."""
    give_special_category_consent(member=member)
    set_sexual_preferences(member=member, preferences=["questioning"])
    page = member_client.get("/profile/").content.decode()
    assert "Questioning" not in page
    assert 'name="preferences"' not in page


def test_unknown_action_changes_nothing(member_client, member):
    response = member_client.post(URL, {"action": "delete-everything", "consent": "on"})
    assert response.status_code == 302
    assert not ConsentRecord.objects.filter(member=member).exists()
