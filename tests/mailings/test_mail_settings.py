"""The e-mail settings page (R5.2, R7.1, R7.2, issue 9 "What a member chooses"): one page, one
form, each kind of mail with its own control; suggestion and promotional mail off until the
member opts in, each switch a record in the consent ledger; and the page says why a member
gets none whatever the switches say."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from mailings import services
from mailings.models import MailKind
from members.services import mark_undeliverable
from messaging.models import Notify, ReceivingSettings
from messaging.services import receiving_settings_for, update_receiving_settings
from privacy import declaration
from privacy.models import ConsentRecord
from privacy.services import has_consent, set_consent, set_processing_limit
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SETTINGS = reverse("mailings:settings")


@pytest.fixture
def anna(db):
    return MemberFactory(username="anna_leest", email="anna@example.org")


def client_for(member, language="en") -> Client:
    client = Client()
    client.force_login(member)
    client.cookies["django_language"] = language
    return client


def checkbox(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]


def form_data(**overrides) -> dict:
    """What the form posts with nothing ticked and the default notify choice."""
    data = {"notify": Notify.IMMEDIATELY}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def mail_records(member):
    return ConsentRecord.objects.filter(
        member=member, purpose__in=["suggestion_email", "promotional_email"]
    ).order_by("pk")


def test_the_page_needs_logging_in(client, db):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(SETTINGS, form_data(promotions="on")).status_code == 302
    assert not ConsentRecord.objects.exists()


def test_every_kind_has_its_own_control_and_marketing_is_off_until_opted_in(anna):
    """R7.2: suggestion and promotional mail are unticked until the member opts in."""
    response = client_for(anna).get(SETTINGS)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "<h1>E-mail settings</h1>" in page
    for value in Notify.values:
        assert f'type="radio" name="notify" value="{value}"' in page
    assert "<legend>E-mail me about new messages" in page
    assert "checked" in re.search(r'<input[^>]*value="immediately"[^>]*>', page)[0]
    for name in ["suggestions", "promotions"]:
        tag = checkbox(page, name)
        assert "checked" not in tag
        assert f'aria-describedby="mail-{name}-explanation"' in tag
        assert f'<label for="id_{name}">' in page
    assert "We never track whether you open our e-mails or click a link in them" in page
    assert 'id="mail-blocked"' not in page
    assert not ConsentRecord.objects.filter(member=anna).exists()  # looking records nothing
    assert not ReceivingSettings.objects.filter(member=anna).exists()


def test_the_page_is_in_dutch_by_default(anna):
    page = client_for(anna, language="nl").get(SETTINGS).content.decode()

    assert '<html lang="nl">' in page
    assert "Mail me over nieuwe berichten" in page
    assert "Eén keer per dag een overzicht" in page


def test_opting_in_writes_one_ledger_record_per_switch_with_source_and_wording(anna):
    """R7.1: each opt-in is a record with the purpose, the wording version, the time and where
    it was given."""
    response = client_for(anna).post(
        SETTINGS, form_data(suggestions="on", promotions="on"), follow=True
    )

    assert response.redirect_chain[-1][0] == SETTINGS
    page = response.content.decode()
    assert "Your e-mail settings are saved." in page
    records = list(mail_records(anna))
    assert [(r.purpose, r.granted) for r in records] == [
        ("suggestion_email", True),
        ("promotional_email", True),
    ]
    for record in records:
        assert record.source == services.SOURCES["settings"] == "mail settings page"
        assert record.wording_version == declaration.consent(record.purpose).wording_version
    assert "checked" in checkbox(page, "suggestions")
    assert "checked" in checkbox(page, "promotions")
    assert "on your e-mail settings page" in page
    # Unchanged: no settings row for mail about messages.
    assert not ReceivingSettings.objects.filter(member=anna).exists()


def test_only_changed_switches_write_records(anna):
    client = client_for(anna)
    client.post(SETTINGS, form_data(promotions="on"))
    assert mail_records(anna).count() == 1

    # The same choices again: nothing new.
    client.post(SETTINGS, form_data(promotions="on"))
    assert mail_records(anna).count() == 1

    # Suggestions on, promotions off: one record each, nothing else.
    client.post(SETTINGS, form_data(suggestions="on"))
    records = list(mail_records(anna))
    assert [(r.purpose, r.granted) for r in records] == [
        ("promotional_email", True),
        ("suggestion_email", True),
        ("promotional_email", False),
    ]
    assert has_consent(member=anna, purpose="suggestion_email")
    assert not has_consent(member=anna, purpose="promotional_email")
    assert not ConsentRecord.objects.filter(member=anna).exclude(pk__in=mail_records(anna)).exists()


def test_the_state_shown_is_the_latest_ledger_record(anna):
    """Opted in elsewhere (sign-up) and out again by a one-click unsubscribe: the page shows
    the ledger's state."""
    services.set_mail_choice(
        member=anna, kind=MailKind.SUGGESTIONS, wanted=True, source=declaration.SOURCE_SIGNUP
    )
    services.set_mail_choice(
        member=anna, kind=MailKind.PROMOTIONS, wanted=True, source=declaration.SOURCE_SIGNUP
    )
    services.set_mail_choice(
        member=anna, kind=MailKind.PROMOTIONS, wanted=False, source=services.SOURCES["one_click"]
    )

    page = client_for(anna).get(SETTINGS).content.decode()

    assert "checked" in checkbox(page, "suggestions")
    assert "checked" not in checkbox(page, "promotions")
    assert "when you signed up" in page
    assert "with the unsubscribe button of your mail program" in page


def test_the_notify_choice_is_saved_through_messaging(anna):
    client_for(anna).post(SETTINGS, form_data(notify=Notify.DAILY))
    assert receiving_settings_for(anna).notify == Notify.DAILY
    assert not mail_records(anna).exists()

    client_for(anna).post(SETTINGS, form_data(notify=Notify.NEVER))
    assert receiving_settings_for(anna).notify == Notify.NEVER


def test_the_notify_choice_set_on_the_message_settings_page_is_shown(anna):
    update_receiving_settings(member=anna, notify=Notify.NEVER)
    page = client_for(anna).get(SETTINGS).content.decode()
    assert "checked" in re.search(r'<input[^>]*value="never"[^>]*>', page)[0]
    assert "checked" not in re.search(r'<input[^>]*value="immediately"[^>]*>', page)[0]


@pytest.mark.parametrize("notify", [None, "hourly"])
def test_a_missing_or_unknown_notify_choice_is_refused_and_said(anna, notify):
    response = client_for(anna).post(SETTINGS, form_data(notify=notify, promotions="on"))

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and "Your settings were not saved." in page
    assert 'class="errorlist' in page
    assert not mail_records(anna).exists()
    assert not ReceivingSettings.objects.filter(member=anna).exists()


def test_posting_other_fields_changes_nothing_else(anna):
    """Forms bind only the fields they declare."""
    client_for(anna).post(
        SETTINGS, form_data(accepts_messages="", max_new_per_day="1", suggestions_consent="on")
    )
    wishes = receiving_settings_for(anna)
    assert wishes.accepts_messages is True and wishes.max_new_per_day is None
    assert not ConsentRecord.objects.filter(member=anna).exists()


# -- why a member gets none whatever the switches say ------------------------------------------


def test_suggestion_mail_says_it_needs_personalised_suggestions(anna):
    page = client_for(anna).get(SETTINGS).content.decode()
    needs = page.split('id="mail-suggestions-needs"')[1].split("</p>")[0]
    assert "Off" in needs
    assert f'href="{reverse("privacy:consents")}"' in needs

    set_consent(member=anna, purpose="suggestions", granted=True, source="test")
    page = client_for(anna).get(SETTINGS).content.decode()
    needs = page.split('id="mail-suggestions-needs"')[1].split("</p>")[0]
    assert "On" in needs and "consents" not in needs


@pytest.mark.parametrize(
    ("limit", "note", "wording"),
    [
        ("restriction", "blocked-restricted", "Processing of your data is restricted."),
        ("object_direct_marketing", "blocked-object_direct_marketing", "direct marketing"),
        ("object_profiling", "blocked-object_profiling", "You object to profiling"),
    ],
)
def test_a_restriction_or_objection_is_named_with_a_link_to_lift_it(anna, limit, note, wording):
    """Issue 9: restricted or objecting members get none of these mails, and are told so."""
    services.set_mail_choice(member=anna, kind="promotions", wanted=True, source="test")
    set_processing_limit(member=anna, kind=limit, active=True, source="test")
    anna.refresh_from_db()

    page = client_for(anna).get(SETTINGS).content.decode()

    assert 'id="mail-blocked"' in page
    item = page.split(f'id="{note}"')[1].split("</li>")[0]
    assert wording in item
    assert f'href="{reverse("privacy:limits")}"' in item
    assert not services.may_mail(anna, MailKind.PROMOTIONS)
    # The switch still shows the member's own choice.
    assert "checked" in checkbox(page, "promotions")


def test_an_unconfirmed_address_is_named_with_a_link_to_the_address_page(db):
    member = MemberFactory(verified_email=False)
    EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)

    page = client_for(member).get(SETTINGS).content.decode()

    item = page.split('id="blocked-unconfirmed"')[1].split("</li>")[0]
    assert "not confirmed" in item
    assert f'href="{reverse("account_email")}"' in item
    assert member.email not in page


def test_an_undeliverable_address_is_named_with_a_link_to_the_address_page(anna):
    mark_undeliverable(email="ANNA@example.org", reason="hard bounce")

    page = client_for(anna).get(SETTINGS).content.decode()

    item = page.split('id="blocked-undeliverable"')[1].split("</li>")[0]
    assert "could not be delivered" in item
    assert f'href="{reverse("account_email")}"' in item
    assert "blocked-restricted" not in page


# -- where the page is linked from -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [reverse("home"), reverse("privacy:centre"), reverse("messaging:settings")],
)
def test_the_page_is_linked_from_the_menu_the_privacy_centre_and_message_settings(anna, path):
    page = client_for(anna).get(path).content.decode()
    assert f'href="{SETTINGS}"' in page


def test_the_menu_marks_the_page_as_current(anna):
    page = client_for(anna).get(SETTINGS).content.decode()
    assert f'<a href="{SETTINGS}" aria-current="page">E-mail</a>' in page
