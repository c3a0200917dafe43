"""Leaving suggestion and promotional mail in one click, without logging in (RFC 8058, R5.2,
R7.2, issue 9 "Unsubscribing in one click"): GET only asks; the mail program's one-click POST
and the page's buttons unsubscribe at once, recorded in the ledger with where it happened; a
token works for one member and one kind only; a closed or erased account sees the same pages."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from mailings import services
from mailings.models import MailKind
from members.models import Member
from messaging.models import Notify, ReceivingSettings
from messaging.services import receiving_settings_for
from privacy import declaration
from privacy.erasure import close_account
from privacy.models import ConsentRecord
from privacy.services import has_consent
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies["django_language"] = "en"
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def bob(db):
    """Bob asked for both kinds of marketing mail when he signed up."""
    member = MemberFactory(username="bob_lezer", email="bob@example.org")
    for kind in MailKind:
        services.set_mail_choice(
            member=member, kind=kind, wanted=True, source=declaration.SOURCE_SIGNUP
        )
    return member


def url_for(member, kind=MailKind.SUGGESTIONS) -> str:
    return services.unsubscribe_url(member, kind).removeprefix("http://testserver")


def wants(member, kind) -> bool:
    return has_consent(member=member, purpose=services.CONSENT_FOR_KIND[kind])


def main_of(response) -> str:
    """The page's own content (the header's forms carry a fresh CSRF token and the URL)."""
    return response.content.decode().split('<main id="main"')[1].split("</main>")[0]


def mail_client() -> Client:
    """A mail program's one-click POST: no session, no cookies, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def test_the_link_names_the_kind_and_carries_no_username_or_address(bob):
    url = url_for(bob)
    assert url.startswith("/mail/unsubscribe/suggestions/")
    assert url_for(bob, MailKind.PROMOTIONS).startswith("/mail/unsubscribe/promotions/")
    assert "bob" not in url.lower()
    assert url != url_for(MemberFactory())
    headers = services.unsubscribe_headers(services.unsubscribe_url(bob, MailKind.SUGGESTIONS))
    assert headers["List-Unsubscribe"] == f"<http://testserver{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_opening_the_link_only_asks_and_changes_nothing(client, bob):
    """Link scanners follow links: GET and HEAD show a page with buttons, nothing more."""
    before = ConsentRecord.objects.count()

    response = client.get(url_for(bob))
    head = client.head(url_for(bob))

    assert response.status_code == 200 and head.status_code == 200
    page = response.content.decode()
    assert "<h1>Unsubscribe from suggestion e-mails?</h1>" in page
    form = re.search(r'<form method="post" id="unsubscribe-form".*?</form>', page, re.S)[0]
    assert 'name="scope" value="kind">Unsubscribe from suggestion e-mails</button>' in form
    assert "Unsubscribe from all e-mails except those about your account</button>" in form
    assert 'name="robots" content="noindex"' in page
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    # Nothing about the member: not the username, not the address.
    assert "bob_lezer" not in page and "bob@example.org" not in page
    assert ConsentRecord.objects.count() == before
    assert wants(bob, MailKind.SUGGESTIONS) and wants(bob, MailKind.PROMOTIONS)


def test_the_promotions_page_asks_about_promotions(client, bob):
    page = client.get(url_for(bob, MailKind.PROMOTIONS)).content.decode()
    assert "<h1>Unsubscribe from promotional e-mail?</h1>" in page
    assert "Unsubscribe from promotional e-mail</button>" in page


def test_one_click_post_from_a_mail_program_unsubscribes_at_once(bob):
    """RFC 8058: the mail program POSTs `List-Unsubscribe=One-Click` to the header's URL,
    without a session, cookies or CSRF token."""
    response = mail_client().post(url_for(bob), ONE_CLICK)

    assert response.status_code == 200
    assert 'id="unsubscribed"' in response.content.decode()
    assert not wants(bob, MailKind.SUGGESTIONS)
    assert wants(bob, MailKind.PROMOTIONS)  # only the kind of the mail
    record = ConsentRecord.objects.filter(member=bob, purpose="suggestion_email").latest("pk")
    assert record.granted is False
    assert record.source == services.SOURCES["one_click"] == "mailbox one-click"
    assert record.wording_version == declaration.consent("suggestion_email").wording_version
    assert not services.may_mail(bob, MailKind.SUGGESTIONS)


def test_the_page_button_unsubscribes_from_that_kind_with_source_link(client, bob):
    response = client.post(url_for(bob, MailKind.PROMOTIONS), {"scope": "kind"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "You will get no more promotional e-mail." in page
    assert f'href="{reverse("mailings:settings")}"' in page
    assert not wants(bob, MailKind.PROMOTIONS)
    assert wants(bob, MailKind.SUGGESTIONS)
    record = ConsentRecord.objects.filter(member=bob, purpose="promotional_email").latest("pk")
    assert record.source == services.SOURCES["link"] == "unsubscribe link"
    # Mail about new messages is untouched.
    assert not ReceivingSettings.objects.filter(member=bob).exists()


def test_the_second_button_stops_every_mail_except_account_mail(bob):
    """Issue 9: "from there the member can also unsubscribe from every kind"; mail about new
    messages stops too."""
    response = mail_client().post(url_for(bob), {"scope": "all"})

    assert response.status_code == 200
    page = response.content.decode()
    # A mail program sends no language cookie: the page is in the site's default, Dutch.
    with translation.override("nl"):
        done = gettext(
            "You will get no more suggestion e-mails, promotional e-mail or e-mails about new "
            "messages."
        )
    assert done in page and "Je krijgt" in done
    assert not wants(bob, MailKind.SUGGESTIONS) and not wants(bob, MailKind.PROMOTIONS)
    assert receiving_settings_for(bob).notify == Notify.NEVER
    sources = set(
        ConsentRecord.objects.filter(member=bob, granted=False).values_list("source", flat=True)
    )
    assert sources == {"unsubscribe link"}


def test_unsubscribing_twice_is_harmless_and_records_once(client, bob):
    client.post(url_for(bob), ONE_CLICK)
    response = client.post(url_for(bob), ONE_CLICK)

    assert response.status_code == 200
    assert ConsentRecord.objects.filter(member=bob, granted=False).count() == 1


def test_a_token_for_one_kind_does_not_work_for_the_other(client, bob):
    token = url_for(bob, MailKind.SUGGESTIONS).rstrip("/").rsplit("/", 1)[1]
    swapped = reverse("mailings:unsubscribe", kwargs={"kind": "promotions", "token": token})

    assert client.get(swapped).status_code == 404
    assert client.post(swapped, ONE_CLICK).status_code == 404
    assert wants(bob, MailKind.PROMOTIONS) and wants(bob, MailKind.SUGGESTIONS)


def test_a_token_only_ever_unsubscribes_its_own_member(client, bob):
    other = MemberFactory()
    services.set_mail_choice(member=other, kind=MailKind.SUGGESTIONS, wanted=True, source="test")

    client.post(url_for(other), ONE_CLICK)

    assert not wants(other, MailKind.SUGGESTIONS)
    assert wants(bob, MailKind.SUGGESTIONS)


@pytest.mark.parametrize(
    "path",
    [
        "/mail/unsubscribe/suggestions/nonsense/",
        "/mail/unsubscribe/messages/{token}/",
        "/mail/unsubscribe/newsletters/{token}/",
        "/mail/unsubscribe/suggestions/{tampered}/",
    ],
)
def test_a_bad_kind_or_a_tampered_token_is_a_404(client, bob, path):
    token = url_for(bob).rstrip("/").rsplit("/", 1)[1]
    # A character in the middle: the last one of unpadded base64 may hold only filler bits.
    tampered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    path = path.format(token=token, tampered=tampered)

    assert client.get(path).status_code == 404
    assert mail_client().post(path, ONE_CLICK).status_code == 404
    assert wants(bob, MailKind.SUGGESTIONS)


def test_another_members_public_id_signed_for_nobody_is_refused(client, bob):
    """The token is a signature, not the public id: knowing someone's public id is useless."""
    path = reverse("mailings:unsubscribe", kwargs={"kind": "suggestions", "token": bob.public_id})
    assert client.post(path, ONE_CLICK).status_code == 404
    assert wants(bob, MailKind.SUGGESTIONS)


def test_a_closed_account_sees_the_same_pages_without_error(client, bob):
    url = url_for(bob)
    open_page = main_of(client.get(url))
    close_account(member=bob, erase_immediately=False)

    closed_page = client.get(url)
    done = mail_client().post(url, ONE_CLICK)

    assert closed_page.status_code == 200
    assert main_of(closed_page) == open_page
    assert done.status_code == 200 and 'id="unsubscribed"' in done.content.decode()


def test_an_erased_account_sees_the_same_pages_without_error(client, bob):
    url = url_for(bob)
    kind_done = main_of(client.post(url_for(MemberFactory()), {"scope": "kind"}))
    Member.objects.filter(pk=bob.pk).delete()

    page = client.get(url)
    done = client.post(url, {"scope": "kind"})
    one_click = mail_client().post(url, ONE_CLICK)

    assert (
        page.status_code == 200 and "Unsubscribe from suggestion e-mails?" in page.content.decode()
    )
    assert done.status_code == 200 and main_of(done) == kind_done
    assert one_click.status_code == 200


def test_other_methods_are_refused(client, bob):
    assert client.put(url_for(bob)).status_code == 405
    assert wants(bob, MailKind.SUGGESTIONS)
