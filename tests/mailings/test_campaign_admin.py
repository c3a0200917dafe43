"""Campaigns in admin (issue 9): Marketing writes a campaign (texts cleaned to the safe HTML
subset), sees how many members would get it, previews it in both languages, sends a test to
its own address, schedules, pauses, resumes and cancels it; a campaign is edited and deleted
only as a draft."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission
from django.utils import timezone

from mailings import services
from mailings.models import Campaign, Delivery, MailKind
from members.models import Member, OutgoingMail
from privacy import declaration
from privacy.models import ProcessingLimit
from privacy.services import set_processing_limit
from tests.factories import MemberFactory, staff_member

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/admin/mailings/campaign/"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies["django_language"] = "en"
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def marketing(client):
    staff = staff_member("Marketing", username="marketeer", email="marketeer@example.org")
    client.force_login(staff)
    return staff


def opted_in(username, **fields):
    member = MemberFactory(username=username, **fields)
    services.set_mail_choice(
        member=member, kind=MailKind.PROMOTIONS, wanted=True, source=declaration.SOURCE_SIGNUP
    )
    return member


@pytest.fixture
def audience(db):
    """Three members may get promotional mail (two Dutch, one English); three may not: one
    never opted in, one has an unconfirmed address, one objects to direct marketing."""
    members = {
        "anna": opted_in("anna_nl"),
        "bram": opted_in("bram_nl", gender=Member.Gender.MAN),
        "emma": opted_in("emma_en", language="en"),
    }
    MemberFactory(username="never_asked")
    opted_in("unconfirmed", verified_email=False)
    objector = opted_in("objector")
    set_processing_limit(
        member=objector,
        kind=ProcessingLimit.OBJECT_DIRECT_MARKETING,
        active=True,
        source=declaration.SOURCE_LIMITS_PAGE,
    )
    return members


def form_data(**overrides):
    data = {
        "name": "Voorjaarsactie",
        "subject_nl": "Lente bij ons",
        "body_nl": "<p>Hallo, het is <strong>lente</strong>.</p>",
        "subject_en": "Spring with us",
        "body_en": "<p>Hello, it is <em>spring</em>.</p>",
        "language": "",
        "paying": "",
        "active_within_days": "",
        "joined_within_days": "",
        "send_at_0": "",
        "send_at_1": "",
    }
    data.update(overrides)
    return data


def make_campaign(**fields):
    defaults = {
        "name": "Najaar",
        "subject_nl": "Herfst bij ons",
        "subject_en": "Autumn with us",
        "body_nl": "<p>Hallo herfst</p>",
        "body_en": "<p>Hello autumn</p>",
    }
    return Campaign.objects.create(**{**defaults, **fields})


def change_page(campaign) -> str:
    return f"{CAMPAIGNS}{campaign.pk}/change/"


# -- writing a campaign ------------------------------------------------------------------------


def test_marketing_writes_a_campaign_and_scripts_are_removed(client, marketing):
    response = client.post(
        f"{CAMPAIGNS}add/",
        form_data(
            body_nl='<p>Hallo</p><script>alert("x")</script><img src="https://t.example/p.gif">',
            body_en='<p onclick="steal()">Hello <a href="javascript:alert(1)">here</a></p>',
            genders=["woman", "non_binary"],
            regions=["NL-07", "BE-VLG"],
            active_within_days="30",
        ),
    )

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == change_page(campaign)
    assert campaign.body_nl == "<p>Hallo</p>"
    assert "script" not in campaign.body_nl and "img" not in campaign.body_nl
    assert "onclick" not in campaign.body_en and "javascript" not in campaign.body_en
    assert campaign.genders == ["non_binary", "woman"]
    assert campaign.regions == ["BE-VLG", "NL-07"]
    assert campaign.active_within_days == 30
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.created_by == marketing


def test_the_form_offers_genders_and_regions_and_says_which_tags_are_allowed(client, marketing):
    page = client.get(f"{CAMPAIGNS}add/").content.decode()

    assert 'type="checkbox" name="genders" value="non_binary"' in page
    assert 'type="checkbox" name="regions" value="NL-07"' in page
    assert "North Holland" in page
    assert "Allowed tags: a, b, br, em, h2, h3, i, li, ol, p, strong, ul" in page
    # No field lists members (the creator is set from the log-in, not chosen).
    assert 'name="created_by"' not in page


def test_a_text_empty_once_cleaned_is_refused_with_a_clear_error(client, marketing):
    response = client.post(
        f"{CAMPAIGNS}add/", form_data(body_en="<script>alert(1)</script><style>p{}</style>")
    )

    assert response.status_code == 200
    assert "This text is empty once what is not allowed is removed" in response.content.decode()
    assert not Campaign.objects.exists()


# -- how many, preview, test -------------------------------------------------------------------


def test_the_page_counts_the_members_who_would_get_it(client, marketing, audience):
    """Only members who may get promotional mail count; changing the audience and saving
    counts again."""
    campaign = make_campaign(created_by=marketing)

    page = client.get(change_page(campaign)).content.decode()
    assert "3 members would get this campaign now." in page

    client.post(change_page(campaign), form_data(language="en"))
    page = client.get(change_page(campaign)).content.decode()
    assert "1 member would get this campaign now." in page

    client.post(change_page(campaign), form_data(genders=["man"]))
    assert (
        "1 member would get this campaign now."
        in client.get(change_page(campaign)).content.decode()
    )
    client.post(change_page(campaign), form_data(genders=["non_binary"]))
    # Below CAMPAIGN_MIN_AUDIENCE (1 in these tests) only "fewer than" is shown.
    assert (
        "Fewer than 1 member would get this campaign now."
        in client.get(change_page(campaign)).content.decode()
    )


def test_a_small_audience_shows_no_exact_count_and_cannot_be_scheduled(
    client, marketing, audience, settings
):
    """Counts of narrow filters must not single out a member: below CAMPAIGN_MIN_AUDIENCE the
    pages say "fewer than N", and such a campaign is not sent."""
    settings.CAMPAIGN_MIN_AUDIENCE = 4
    campaign = make_campaign()
    schedule = f"{CAMPAIGNS}{campaign.pk}/schedule/"

    for page in (client.get(change_page(campaign)), client.get(schedule)):
        html = page.content.decode()
        count = html.split('id="campaign-audience-count">')[1].split("</p>")[0]
        assert count == "Fewer than 4 members would get this campaign now."
        assert "3 members" not in html and "3 member" not in count

    response = client.post(schedule, follow=True)
    assert (
        "This audience is too small: a campaign goes to at least 4 members, so that no one "
        "can be singled out."
    ) in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT

    # From the minimum on the exact number is shown and the campaign can be scheduled.
    settings.CAMPAIGN_MIN_AUDIENCE = 3
    assert "3 members would get this campaign now." in client.get(schedule).content.decode()
    client.post(schedule)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED


def test_no_campaign_page_names_a_member(client, marketing, audience):
    campaign = make_campaign(status=Campaign.Status.SENDING, started_at=timezone.now())
    for member in audience.values():
        Delivery.objects.create(campaign=campaign, member=member, status=Delivery.Status.SENT)
    draft = make_campaign(name="Concept")

    pages = [
        CAMPAIGNS,
        change_page(campaign),
        f"{CAMPAIGNS}{campaign.pk}/preview/",
        f"{CAMPAIGNS}{campaign.pk}/history/",
        f"{CAMPAIGNS}{campaign.pk}/cancel/",
        change_page(draft),
        f"{CAMPAIGNS}{draft.pk}/schedule/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        for member in audience.values():
            assert member.username not in html, path
            assert member.email not in html, path
    listing = client.get(CAMPAIGNS).content.decode()
    assert "3 / 3" in listing


def test_preview_shows_both_languages(client, marketing):
    campaign = make_campaign()

    page = client.get(f"{CAMPAIGNS}{campaign.pk}/preview/").content.decode()

    dutch, english = page.split('id="preview-en-heading"')
    assert "Herfst bij ons" in dutch and "<p>Hallo herfst</p>" in dutch
    assert "Autumn with us" in english and "<p>Hello autumn</p>" in english
    assert "Hello autumn" in english.split('id="preview-en-text"')[1]
    # The mail layout is there, without its inline styles (the CSP forbids them).
    assert "Unsubscribe with one click" in english
    assert "/mail/settings/" in dutch.split('id="preview-nl-html"')[1]
    assert "style=" not in page.split('id="content-main"')[1]


def test_a_test_goes_to_the_staff_members_own_address_only(
    client, marketing, audience, django_capture_on_commit_callbacks, mailoutbox
):
    campaign = make_campaign()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"{CAMPAIGNS}{campaign.pk}/test-send/", {"test-language": "en"})

    assert response.status_code == 302
    mail = OutgoingMail.objects.get()
    assert mail.kind == "campaign_test"
    # Linked to the staff member's own account: in their export, erased with it.
    assert mail.member == marketing
    assert mail.to == "marketeer@example.org"
    assert "[TEST]" in mail.subject and "Autumn with us" in mail.subject
    own_link = services.unsubscribe_url(marketing, MailKind.PROMOTIONS)
    assert mail.headers["List-Unsubscribe"] == f"<{own_link}>"
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert own_link in mail.body_text
    assert not Delivery.objects.exists()
    for callback in callbacks:  # the commit: the queued mail goes out
        callback()
    assert [message.to for message in mailoutbox] == [["marketeer@example.org"]]
    assert mailoutbox[0].extra_headers["List-Unsubscribe"] == f"<{own_link}>"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_test_in_both_languages_is_two_mails(client, marketing):
    campaign = make_campaign()

    client.post(f"{CAMPAIGNS}{campaign.pk}/test-send/", {"test-language": "both"})

    subjects = sorted(OutgoingMail.objects.values_list("subject", flat=True))
    assert len(subjects) == 2
    assert any("Herfst bij ons" in s for s in subjects)
    assert any("Autumn with us" in s for s in subjects)


def test_no_test_without_an_own_address_or_by_get(client):
    staff = staff_member("Marketing", email="")
    client.force_login(staff)
    campaign = make_campaign()

    assert client.get(f"{CAMPAIGNS}{campaign.pk}/test-send/").status_code == 302
    response = client.post(
        f"{CAMPAIGNS}{campaign.pk}/test-send/", {"test-language": "nl"}, follow=True
    )

    assert "has no confirmed e-mail address" in response.content.decode()
    assert not OutgoingMail.objects.exists()


def test_no_test_to_an_address_that_is_not_confirmed(client):
    """The test goes only to the staff member's confirmed primary address."""
    staff = staff_member("Marketing", verified_email=False)
    client.force_login(staff)
    campaign = make_campaign()

    response = client.post(
        f"{CAMPAIGNS}{campaign.pk}/test-send/", {"test-language": "nl"}, follow=True
    )

    assert "has no confirmed e-mail address" in response.content.decode()
    assert not OutgoingMail.objects.exists()


# -- schedule, pause, resume, cancel -----------------------------------------------------------


def test_schedule_pause_resume_and_cancel(client, marketing, audience):
    campaign = make_campaign(send_at=timezone.now() + timezone.timedelta(days=1))
    schedule = f"{CAMPAIGNS}{campaign.pk}/schedule/"

    page = client.get(change_page(campaign)).content.decode()
    assert f'href="{schedule}"' in page
    confirm = client.get(schedule).content.decode()
    assert "3 members would get this campaign now." in confirm
    client.post(schedule)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED

    page = client.get(change_page(campaign)).content.decode()
    assert 'id="campaign-pause"' in page and 'id="campaign-cancel"' in page
    client.post(f"{CAMPAIGNS}{campaign.pk}/pause/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED

    client.post(f"{CAMPAIGNS}{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED

    cancel = f"{CAMPAIGNS}{campaign.pk}/cancel/"
    assert "cannot be undone" in client.get(cancel).content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED  # asking is not doing
    response = client.post(cancel, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED
    assert "The campaign is cancelled" in response.content.decode()
    assert not Delivery.objects.exists()


def test_a_refused_action_says_why(client, marketing):
    campaign = make_campaign(status=Campaign.Status.SCHEDULED, send_at=timezone.now())

    response = client.post(f"{CAMPAIGNS}{campaign.pk}/resume/", follow=True)

    assert "Only a paused campaign can be resumed." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED


def test_progress_is_shown_in_counts_with_no_tracking(client, marketing, audience):
    campaign = make_campaign(status=Campaign.Status.SENDING, started_at=timezone.now())
    statuses = [Delivery.Status.SENT, Delivery.Status.SENT, Delivery.Status.SKIPPED]
    for member, status in zip(audience.values(), statuses, strict=True):
        Delivery.objects.create(campaign=campaign, member=member, status=status)

    page = client.get(change_page(campaign)).content.decode()

    progress = page.split('id="campaign-progress"')[1].split("</table>")[0]
    assert "<td>0</td><td>0</td><td>2</td><td>0</td><td>1</td><td>3</td>" in progress
    assert "There is no open or click tracking" in page


def test_without_send_permission_a_campaign_cannot_be_scheduled(client, audience):
    """Writing and testing is not sending: mailings.send_campaign is needed to schedule."""
    writer = MemberFactory(is_staff=True, username="schrijver")
    writer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="mailings",
            codename__in=["view_campaign", "add_campaign", "change_campaign"],
        )
    )
    TOTP.activate(writer, generate_totp_secret())
    client.force_login(writer)
    campaign = make_campaign()

    page = client.get(change_page(campaign)).content.decode()
    assert "/schedule/" not in page
    assert 'id="campaign-test-send"' in page
    assert client.get(f"{CAMPAIGNS}{campaign.pk}/schedule/").status_code == 403
    assert client.post(f"{CAMPAIGNS}{campaign.pk}/schedule/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


# -- drafts only -------------------------------------------------------------------------------


def test_a_campaign_that_is_not_a_draft_is_read_only(client, marketing):
    campaign = make_campaign(
        status=Campaign.Status.SCHEDULED, send_at=timezone.now(), genders=["woman"]
    )

    page = client.get(change_page(campaign))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="subject_nl"' not in html
    assert "Woman" in html  # the audience shown in words
    response = client.post(change_page(campaign), form_data(subject_nl="Anders"))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.subject_nl == "Herfst bij ons"


def test_only_a_draft_can_be_deleted(client, marketing):
    draft = make_campaign(name="Concept")
    scheduled = make_campaign(status=Campaign.Status.SCHEDULED, send_at=timezone.now())

    assert client.post(f"{CAMPAIGNS}{scheduled.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(f"{CAMPAIGNS}{draft.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert list(Campaign.objects.all()) == [scheduled]
    # And no bulk delete that could take a sent campaign along.
    assert "delete_selected" not in client.get(CAMPAIGNS).content.decode()


def test_the_pages_speak_dutch_too(client, marketing, audience):
    """The admin follows the staff member's language: the same pages work in Dutch."""
    client.cookies["django_language"] = "nl"
    campaign = make_campaign()

    page = client.get(change_page(campaign))
    preview = client.get(f"{CAMPAIGNS}{campaign.pk}/preview/")

    assert page.status_code == 200 and preview.status_code == 200
    assert 'lang="nl"' in page.content.decode()
    assert "Opslaan" in page.content.decode()  # Django's own admin text, in Dutch
    assert "Herfst bij ons" in preview.content.decode()
