"""Versions of the privacy statement (R7.x, issue 6): the statement page shows the current
published version in the visitor's language; staff allowed to publish write and publish a new
one in admin; members are asked once to read it and their acceptance is recorded. Least
privilege for the new admin screens (R9.2)."""

from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from privacy.models import ConsentRecord, PrivacyStatement, StatementAcceptance
from privacy.services import (
    CURRENT_VERSION_CACHE_KEY,
    current_statement_version,
    publish_statement,
    set_consent,
    set_processing_limit,
)
from tests.factories import PASSWORD, MemberFactory, staff_member

pytestmark = pytest.mark.django_db

STATEMENT = reverse("privacy:statement")
ACCEPT = reverse("privacy:accept_statement")
SEARCH = reverse("profiles:search")
STATEMENT_ADMIN = "/admin/privacy/privacystatement/"


def new_version(version="2027-01", publish=True, **fields):
    statement = PrivacyStatement.objects.create(
        version=version,
        text_nl=fields.pop("text_nl", f"<p>Nieuwe verklaring {version}.</p>"),
        text_en=fields.pop("text_en", f"<p>New statement {version}.</p>"),
        changes_nl=fields.pop("changes_nl", "Wij bewaren minder."),
        changes_en=fields.pop("changes_en", "We keep less."),
        **fields,
    )
    if publish:
        publish_statement(statement=statement)
    return statement


@pytest.fixture
def accepted_first(db):
    """A member who signed up under the first version (2026-11)."""
    return MemberFactory(
        username="lotte", privacy_version="2026-11", privacy_accepted_at=timezone.now()
    )


def staff_with(*permissions) -> Member:
    staff = MemberFactory(is_staff=True)
    TOTP.activate(staff, generate_totp_secret())
    for code in permissions:
        app_label, codename = code.split(".")
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return staff


# --- The statement page ------------------------------------------------------------------------


def test_the_first_version_comes_from_the_migration_with_its_texts(client):
    """The data migration published 2026-11 with the texts of the former templates."""
    first = PrivacyStatement.objects.get(version="2026-11")
    assert first.published_at is not None
    assert "Categorieën persoonsgegevens" in first.text_nl
    assert "Categories of personal data" in first.text_en
    assert current_statement_version() == "2026-11"

    html = client.get(STATEMENT).content.decode()
    assert "2026-11" in html
    assert "Categorieën persoonsgegevens" in html
    # The placeholder is filled in with the configured address.
    assert "{{ DPO_EMAIL }}" not in html
    assert f"mailto:{settings.DPO_EMAIL}" in html


def test_the_statement_page_shows_the_current_version_in_the_visitors_language(client):
    new_version(text_nl="<p>Nederlandse tekst.</p>", text_en="<p>English text.</p>")
    new_version("2027-02-draft", publish=False, text_nl="<p>Concept.</p>")

    html = client.get(STATEMENT).content.decode()
    assert "Nederlandse tekst." in html and "English text." not in html
    assert "2027-01" in html
    assert "Concept." not in html
    client.cookies["django_language"] = "en"
    html = client.get(STATEMENT).content.decode()
    assert "English text." in html and "Nederlandse tekst." not in html
    assert "Version 2027-01 of" in html


def test_without_any_published_version_the_setting_and_the_templates_count(client):
    PrivacyStatement.objects.all().delete()
    assert current_statement_version() == "2026-11"  # cached: as published before
    from django.core.cache import cache

    cache.delete(CURRENT_VERSION_CACHE_KEY)  # never cache.clear(): other workers' keys
    assert current_statement_version() == settings.PRIVACY_STATEMENT_VERSION
    html = client.get(STATEMENT).content.decode()
    assert settings.PRIVACY_STATEMENT_VERSION in html
    assert "Categorieën persoonsgegevens" in html


def test_sign_up_records_the_current_version(client):
    new_version()
    client.post(
        "/accounts/signup/",
        {
            "username": "nieuw",
            "email": "nieuw@example.org",
            "gender": "woman",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "adult": "on",
            "accept_terms": "on",
        },
    )
    member = Member.objects.get(username="nieuw")
    assert member.privacy_version == "2027-01"
    assert StatementAcceptance.objects.get(member=member).version == "2027-01"


# --- Asking members to read a new version -------------------------------------------------------


def test_a_member_is_asked_once_and_the_acceptance_is_recorded(client, accepted_first):
    """A new version: the next page sends the member to read what changed; "I have read it"
    records the acceptance and goes back to where they were; then they are not asked again."""
    client.force_login(accepted_first)
    client.cookies["django_language"] = "en"
    assert client.get(SEARCH).status_code == 200

    new_version()
    response = client.get(f"{SEARCH}?place=Utrecht")

    assert response.status_code == 302
    assert response["Location"] == f"{ACCEPT}?next=%2Fsearch%2F%3Fplace%3DUtrecht"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Our privacy statement has changed" in html
    assert "We keep less." in html
    assert f'href="{STATEMENT}"' in html
    assert f'href="{reverse("privacy:close_account")}"' in html
    assert f'href="{reverse("privacy:dpo")}"' in html

    response = client.post(ACCEPT, {"version": "2027-01", "next": "/search/?place=Utrecht"})

    assert response["Location"] == "/search/?place=Utrecht"
    acceptance = StatementAcceptance.objects.get(member=accepted_first)
    assert (acceptance.version, acceptance.source) == ("2027-01", "accept page")
    accepted_first.refresh_from_db()
    assert accepted_first.privacy_version == "2027-01"
    assert accepted_first.privacy_accepted_at >= acceptance.accepted_at - timedelta(seconds=1)
    assert client.get(SEARCH).status_code == 200
    assert StatementAcceptance.objects.count() == 1


def test_the_privacy_pages_logging_out_posts_and_polls_are_not_interrupted(client, accepted_first):
    """The member can read the statement, use every privacy right (close, export, consents,
    limits) and log out without accepting; forms and background refreshes work as before."""
    new_version()
    client.force_login(accepted_first)
    for path in [
        STATEMENT,
        reverse("privacy:dpo"),
        ACCEPT,
        reverse("privacy:centre"),
        reverse("privacy:my_data"),
        reverse("privacy:consents"),
        reverse("privacy:limits"),
        reverse("privacy:exports"),
        reverse("privacy:close_account"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
    response = client.get(reverse("messaging:unread_badge"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    response = client.post(
        reverse("privacy:consents"), {"purpose": "suggestions", "action": "give"}
    )
    assert ConsentRecord.objects.filter(member=accepted_first).exists()
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_anonymous_visitors_and_members_without_a_version_are_not_asked(client):
    new_version()
    assert client.get(SEARCH).status_code == 302  # to log in, not to the accept page
    assert "/accounts/login/" in client.get(SEARCH)["Location"]
    client.force_login(staff_member("Helpdesk", privacy_version="2026-11"))
    assert client.get(SEARCH).status_code == 200
    client.force_login(MemberFactory(privacy_version=""))
    assert client.get(SEARCH).status_code == 200


def test_the_return_address_stays_on_this_site(client, accepted_first):
    new_version()
    client.force_login(accepted_first)
    response = client.post(ACCEPT, {"version": "2027-01", "next": "https://evil.example/x"})
    assert response["Location"] == reverse("home")


def test_a_version_published_while_reading_is_asked_for_instead(client, accepted_first):
    """The member accepts what they were shown: if a newer version came meanwhile, nothing is
    recorded and the page shows the newer one."""
    new_version()
    client.force_login(accepted_first)
    new_version("2027-02")
    response = client.post(ACCEPT, {"version": "2027-01", "next": SEARCH})
    assert response["Location"].startswith(ACCEPT)
    assert not StatementAcceptance.objects.exists()
    assert client.get(response["Location"]).context["version"] == "2027-02"


def test_acceptances_are_in_the_export(accepted_first):
    from privacy.registry import export_member
    from privacy.services import accept_statement

    accept_statement(member=accepted_first, version="2027-01", source="accept page")
    rows = export_member(accepted_first)["privacy.statementacceptance"]
    assert [(r["version"], r["source"]) for r in rows] == [("2027-01", "accept page")]


# --- Admin: writing and publishing versions -----------------------------------------------------


def test_a_superuser_writes_and_publishes_a_version_which_is_then_read_only(client):
    client.force_login(staff_member("superuser"))
    response = client.post(
        f"{STATEMENT_ADMIN}add/",
        {
            "version": "2027-03",
            "text_nl": "<p>Tekst.</p>",
            "text_en": "<p>Text.</p>",
            "changes_nl": "Nieuw: X.",
            "changes_en": "New: X.",
        },
    )
    assert response.status_code == 302
    draft = PrivacyStatement.objects.get(version="2027-03")
    assert draft.published_at is None
    assert current_statement_version() == "2026-11"

    response = client.post(STATEMENT_ADMIN, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert current_statement_version() == "2027-03"
    # Published: shown, no longer changeable or deletable.
    page = client.get(f"{STATEMENT_ADMIN}{draft.pk}/change/")
    assert page.status_code == 200
    assert 'name="text_nl"' not in page.content.decode()
    client.post(
        f"{STATEMENT_ADMIN}{draft.pk}/change/",
        {"version": "2027-03", "text_nl": "<p>Stiekem.</p>", "text_en": "<p>X</p>"},
    )
    draft.refresh_from_db()
    assert draft.text_nl == "<p>Tekst.</p>"
    assert client.post(f"{STATEMENT_ADMIN}{draft.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PrivacyStatement.objects.filter(pk=draft.pk).exists()


def test_holders_of_the_publish_permission_may_too(client):
    draft = new_version("2027-04", publish=False)
    client.force_login(staff_with("privacy.publish_privacystatement"))
    assert client.get(STATEMENT_ADMIN).status_code == 200
    client.post(STATEMENT_ADMIN, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is not None


@pytest.mark.parametrize("role", ["Moderators", "Helpdesk", "Finance"])
def test_other_staff_cannot_write_or_publish_versions(client, role):
    """R9.2: the statement is the company's word: only superusers and publishers touch it."""
    draft = new_version("2027-05", publish=False)
    client.force_login(staff_member(role))
    assert client.get(STATEMENT_ADMIN).status_code == 403
    assert client.get(f"{STATEMENT_ADMIN}add/").status_code == 403
    response = client.post(STATEMENT_ADMIN, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.published_at is None


# --- Admin: the consent ledger, limits and acceptances ------------------------------------------

LEDGERS = [
    "/admin/privacy/consentrecord/",
    "/admin/privacy/processinglimitrecord/",
    "/admin/privacy/statementacceptance/",
]


@pytest.fixture
def ledger_rows(member):
    set_consent(member=member, purpose="suggestions", granted=True, source="consents page")
    set_processing_limit(member=member, kind="object_profiling", active=True, source="x")
    from privacy.services import accept_statement

    accept_statement(member=member, version="2026-11", source="signup")
    return member


def test_the_ledgers_are_read_only_even_for_superusers(client, ledger_rows):
    """Append-only records: nobody adds, changes or deletes them in admin."""
    client.force_login(staff_member("superuser"))
    for path in LEDGERS:
        assert client.get(path).status_code == 200, path
        assert client.get(f"{path}add/").status_code == 403, path
    record = ConsentRecord.objects.get()
    page = client.get(f"{LEDGERS[0]}{record.pk}/change/")
    assert page.status_code == 200
    assert 'name="granted"' not in page.content.decode()
    assert client.post(f"{LEDGERS[0]}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_helpdesk_sees_the_ledgers(client, ledger_rows):
    """R9.2: what the Helpdesk role needs to answer a member's question about their choices."""
    client.force_login(staff_member("Helpdesk"))
    for path in LEDGERS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert ledger_rows.username in response.content.decode()
    assert client.get(STATEMENT_ADMIN).status_code == 403


@pytest.mark.parametrize("role", ["Moderators", "Finance"])
def test_moderators_and_finance_do_not_see_the_ledgers(client, ledger_rows, role):
    client.force_login(staff_member(role))
    for path in LEDGERS:
        assert client.get(path).status_code == 403, path
