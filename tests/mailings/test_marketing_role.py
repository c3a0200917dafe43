"""The Marketing role (issue 9, R9.2): campaigns only. It never sees a member's name, address,
profile or messages, only counts; other roles do not see campaigns. Helpdesk removes a bounce
flag when a member says the mailbox works again."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from mailings import services
from mailings.models import Campaign, Delivery, MailKind
from members.models import Member, OutgoingMail, UndeliverableAddress
from members.services import mark_undeliverable
from messaging.services import send_message
from moderation import services as moderation
from payments.services import adjust_credits
from privacy import declaration
from tests.factories import MemberFactory, make_profile, staff_member
from tests.helpers import every_admin_url

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/admin/mailings/campaign/"
UNDELIVERABLE = "/admin/members/undeliverableaddress/"
MESSAGE_TEXT = "Geheim-bericht-4471"


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def alice(db):
    """A member who asked for promotional mail, with a profile, a message and an outgoing
    mail: everything Marketing must never see."""
    member = MemberFactory(username="alice_zichtbaar", email="alice.private@example.org")
    make_profile(member, place="Utrecht")
    services.set_mail_choice(
        member=member, kind=MailKind.PROMOTIONS, wanted=True, source=declaration.SOURCE_SIGNUP
    )
    return member


@pytest.fixture
def seeded(alice):
    bob = MemberFactory(username="bob_afzender", email="bob.private@example.org")
    adjust_credits(member=bob, credits=10, reason="test", staff=MemberFactory(is_staff=True))
    message = send_message(sender=bob, receiver=alice, text=MESSAGE_TEXT)
    report = moderation.report_content(
        reporter=alice, items=[message], reason="scam", reported_member=bob
    )
    mail = OutgoingMail.objects.create(
        member=alice,
        kind="email_confirmation_signup",
        to=alice.email,
        from_email="site@example.org",
        subject="Bevestig",
        body_text="link",
    )
    campaign = Campaign.objects.create(
        name="Voorjaar",
        subject_nl="Lente",
        subject_en="Spring",
        body_nl="<p>Hallo</p>",
        body_en="<p>Hello</p>",
        status=Campaign.Status.SENDING,
        started_at=timezone.now(),
    )
    Delivery.objects.create(campaign=campaign, member=alice, status=Delivery.Status.SENT)
    Delivery.objects.create(campaign=campaign, member=bob, status=Delivery.Status.QUEUED)
    draft = Campaign.objects.create(
        name="Zomer", subject_nl="Zomer", subject_en="Summer", body_nl="<p>Ja</p>", body_en="y"
    )
    return {"bob": bob, "report": report, "mail": mail, "campaign": campaign, "draft": draft}


def test_marketing_group_holds_campaign_permissions_only():
    group = Group.objects.get(name="Marketing")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert held == {
        "mailings.view_campaign",
        "mailings.add_campaign",
        "mailings.change_campaign",
        "mailings.delete_campaign",
        "mailings.send_campaign",
    }


def test_marketing_reaches_campaigns_but_no_member_mail_profile_report_or_delivery(
    client, alice, seeded
):
    """Campaign pages open; every page about members, their mail, photos and reports is a 403,
    and there is no admin of the delivery rows (who got a campaign) at all."""
    client.force_login(staff_member("Marketing"))
    campaign = seeded["campaign"]

    for path in (CAMPAIGNS, f"{CAMPAIGNS}add/", f"{CAMPAIGNS}{campaign.pk}/change/"):
        assert client.get(path).status_code == 200, path
    refused = [
        "/admin/members/member/",
        f"/admin/members/member/{alice.pk}/change/",
        "/admin/members/outgoingmail/",
        f"/admin/members/outgoingmail/{seeded['mail'].pk}/change/",
        UNDELIVERABLE,
        "/admin/profiles/photo/",
        "/admin/moderation/report/",
        f"/admin/moderation/report/{seeded['report'].pk}/change/",
        "/admin/messaging/receivingsettings/",
        "/admin/privacy/consentrecord/",
    ]
    for path in refused:
        assert client.get(path).status_code == 403, path
    for path in ("/admin/mailings/delivery/", "/admin/messaging/message/"):
        assert client.get(path).status_code == 404, path
    index = client.get("/admin/").content.decode()
    assert CAMPAIGNS in index
    assert "/admin/members/member/" not in index


@pytest.mark.parametrize("role", ["Moderators", "Helpdesk", "Finance"])
def test_other_roles_cannot_see_campaigns(client, seeded, role):
    client.force_login(staff_member(role))
    campaign = seeded["campaign"]

    for path in (
        CAMPAIGNS,
        f"{CAMPAIGNS}add/",
        f"{CAMPAIGNS}{campaign.pk}/change/",
        f"{CAMPAIGNS}{campaign.pk}/preview/",
        f"{CAMPAIGNS}{campaign.pk}/cancel/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"{CAMPAIGNS}{campaign.pk}/pause/").status_code == 403
    assert client.post(f"{CAMPAIGNS}{seeded['draft'].pk}/test-send/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert not OutgoingMail.objects.filter(kind="campaign_test").exists()
    assert CAMPAIGNS not in client.get("/admin/").content.decode()


def test_no_admin_page_marketing_reaches_names_a_member(client, alice, seeded):
    """Marketing walks every admin page with a campaign sent to alice and bob in the database:
    no page it may open shows their usernames, addresses or the message between them."""
    marketing = staff_member("Marketing")
    client.force_login(marketing)
    markers = [
        alice.username,
        alice.email,
        seeded["bob"].username,
        seeded["bob"].email,
        MESSAGE_TEXT,
    ]

    reached = []
    for path in every_admin_url():
        response = client.get(path)
        assert response.status_code in {200, 302, 403, 404}, path
        page = response.content.decode()
        for marker in markers:
            assert marker not in page, f"{marker} on {path}"
        if response.status_code == 200:
            reached.append(path)

    campaign = seeded["campaign"]
    assert f"{CAMPAIGNS}{campaign.pk}/change/" in reached
    assert f"{CAMPAIGNS}{campaign.pk}/preview/" in reached
    assert f"{CAMPAIGNS}{campaign.pk}/cancel/" in reached
    assert f"{CAMPAIGNS}{seeded['draft'].pk}/schedule/" in reached
    assert not [path for path in reached if path.startswith("/admin/members/")]


def test_create_staff_makes_a_marketing_worker(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "Een-heel-sterk-wachtwoord-9")

    call_command("create_staff", "marketeer", "mk@example.org", "--role", "marketing")

    staff = Member.objects.get(username="marketeer")
    assert staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == ["Marketing"]


# -- bounce flags (Helpdesk) -------------------------------------------------------------------


def test_helpdesk_finds_and_removes_a_bounce_flag(client, alice):
    """A member says the mailbox works again: Helpdesk finds the flag by address and deletes
    it, and the member may get promotional mail again."""
    mark_undeliverable(email=alice.email, reason="hard bounce")
    other = mark_undeliverable(email="someone.else@example.org", reason="hard bounce")
    assert not services.may_mail(alice, MailKind.PROMOTIONS)
    client.force_login(staff_member("Helpdesk"))

    listing = client.get(UNDELIVERABLE, {"q": "ALICE.private"}).content.decode()
    assert alice.email in listing
    assert "hard bounce" in listing
    assert other.email not in listing
    row = UndeliverableAddress.objects.get(email=alice.email)
    response = client.post(f"{UNDELIVERABLE}{row.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not UndeliverableAddress.objects.filter(email=alice.email).exists()
    assert UndeliverableAddress.objects.filter(pk=other.pk).exists()
    assert services.may_mail(alice, MailKind.PROMOTIONS)


def test_helpdesk_cannot_add_or_edit_bounce_flags(client, alice):
    row = mark_undeliverable(email=alice.email, reason="hard bounce")
    client.force_login(staff_member("Helpdesk"))

    assert client.get(f"{UNDELIVERABLE}add/").status_code == 403
    page = client.get(f"{UNDELIVERABLE}{row.pk}/change/")
    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()
    client.post(f"{UNDELIVERABLE}{row.pk}/change/", {"email": "x@example.org", "reason": "x"})
    row.refresh_from_db()
    assert row.email == alice.email


@pytest.mark.parametrize("role", ["Moderators", "Finance", "Marketing"])
def test_only_helpdesk_sees_bounce_flags(client, alice, role):
    row = mark_undeliverable(email=alice.email, reason="hard bounce")
    client.force_login(staff_member(role))

    assert client.get(UNDELIVERABLE).status_code == 403
    assert client.post(f"{UNDELIVERABLE}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert UndeliverableAddress.objects.filter(pk=row.pk).exists()
