"""Photo verification (issue 11): a member with an approved photo sends a selfie making the
gesture the site shows; a moderator compares it with the photos and grants or refuses the
"verified" badge; the selfie is deleted as soon as it is decided. Members can accept new
conversations from verified members only.

The `reviewers` fixture gives the Moderators group `profiles.view_verificationrequest` and
`profiles.review_verification` inside each test that needs them, so these tests do not depend
on the role map's migration (members/roles.py).
"""

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from members.models import OutgoingMail
from messaging import services as messaging
from messaging.models import ReceivingSettings
from moderation.models import ContentAccessLog, ModerationAction
from privacy import registry
from profiles import photos as photo_services
from profiles import verification as services
from profiles.models import (
    Profile,
    VerificationGesture,
    VerificationRefusalReason,
    VerificationRequest,
    VerificationRevokeReason,
)
from profiles.services import add_favourite
from profiles.verification_views import SESSION_KEY
from tests.factories import MemberFactory, make_profile, staff_member

from . import images

pytestmark = pytest.mark.django_db

PAGE = reverse("profiles:verification")
QUEUE = "/admin/profiles/verificationrequest/"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    storage = images.use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(VerificationRequest._meta.get_field("selfie"), "storage", storage)
    return storage


@pytest.fixture
def private_dir(tmp_path):
    return tmp_path / "private"


@pytest.fixture
def reviewers(db):
    """Moderators may see the queue and decide (what the role migration will give them)."""
    group = Group.objects.get(name="Moderators")
    content_type = ContentType.objects.get_for_model(VerificationRequest)
    group.permissions.add(
        *Permission.objects.filter(
            content_type=content_type,
            codename__in=["view_verificationrequest", "review_verification"],
        )
    )
    return group


@pytest.fixture
def moderator(reviewers):
    return staff_member("Moderators")


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"


def approve_a_photo(member):
    photo = images.add_processed_photo(
        member=member, upload=images.upload(images.jpeg_bytes((300, 400)))
    )
    photo_services.approve_photos(photos=[photo], moderator=MemberFactory(is_staff=True))
    return photo


def selfie_upload():
    jpeg = images.jpeg_bytes((900, 1200), exif=images.gps_exif(), xmp=True, comment=True)
    return images.upload(jpeg, name="selfie.jpg")


def ask(member, gesture=VerificationGesture.THUMB_UP, upload=None) -> VerificationRequest:
    """A request as a committed upload sees it: the processing task ran after the commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        verification = services.request_verification(
            member=member, gesture_code=gesture, upload=upload or selfie_upload()
        )
    verification.refresh_from_db()
    return verification


def selfie_files(path) -> list[str]:
    return [name for name in images.stored_files(path) if name.startswith("verification/")]


@pytest.fixture
def candidate(member):
    """A member with an approved photo: may ask for the badge."""
    approve_a_photo(member)
    return member


# --- The member asks ----------------------------------------------------------------------------


def test_a_member_without_an_approved_photo_cannot_ask(client, member, english, private_dir):
    """There must be a photo to compare the selfie with: the page says so and links to the
    photos page; a posted selfie is not stored."""
    images.add_processed_photo(member=member, upload=images.upload(images.jpeg_bytes()))  # pending
    client.force_login(member)

    page = client.get(PAGE).content.decode()
    assert "You need at least one approved photo first" in page
    assert reverse("profiles:photos") in page
    assert 'name="selfie"' not in page

    response = client.post(PAGE, {"selfie": selfie_upload()}, follow=True)
    assert "You need at least one approved photo first" in response.content.decode()
    assert not VerificationRequest.objects.exists()
    assert selfie_files(private_dir) == []


def test_the_member_sends_a_selfie_with_the_gesture_shown(
    committing_client, candidate, english, private_dir
):
    """The page shows a gesture (text and pictogram), keeps it on reload, and stores the
    request with that gesture, whatever the form posts; the selfie is re-encoded without
    metadata in private storage (by the task, after the commit), and the member sees the
    request waiting."""
    client = committing_client
    client.force_login(candidate)

    first = client.get(PAGE)
    code = client.session[SESSION_KEY]
    gesture = services.GESTURES[code]
    page = first.content.decode()
    assert str(gesture.instruction) in page
    assert 'role="img" aria-labelledby="gesture-instruction"' in page
    assert 'capture="user"' in page
    assert client.get(PAGE).context["gesture"].code == code  # a reload keeps it

    other = next(c for c in services.GESTURES if c != code)
    # The redirect is followed after the commit, once the processing task has run.
    posted = client.post(PAGE, {"selfie": selfie_upload(), "gesture": other})
    response = client.get(posted.url)

    verification = VerificationRequest.objects.get()
    assert verification.member == candidate
    assert verification.gesture == code
    assert verification.is_pending
    assert selfie_files(private_dir) == [verification.selfie.name]
    stored = (private_dir / verification.selfie.name).read_bytes()
    for marker in (images.CAMERA_MAKE.encode(), images.XMP_MARKER, images.COMMENT_MARKER):
        assert marker not in stored
    with Image.open(private_dir / verification.selfie.name) as image:
        assert image.format == "JPEG" and not image.getexif()
    page = response.content.decode()
    assert "Waiting for review" in page
    assert "Your selfie is sent." in page
    assert 'name="selfie"' not in page
    assert SESSION_KEY not in client.session  # the next request gets a new gesture


def test_one_pending_request_at_a_time(client, candidate, english):
    ask(candidate)
    with pytest.raises(services.VerificationRefused) as refused:
        ask(candidate)
    assert refused.value.code == "pending"

    client.force_login(candidate)
    client.post(PAGE, {"selfie": selfie_upload()})
    assert VerificationRequest.objects.count() == 1
    # The database holds it too, whatever a future caller forgets.
    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationRequest.objects.create(member=candidate, gesture=VerificationGesture.V_SIGN)


def test_an_unreadable_selfie_is_refused_with_a_message(client, candidate, english, private_dir):
    client.force_login(candidate)
    client.get(PAGE)

    response = client.post(PAGE, {"selfie": images.upload(b"geen foto", name="selfie.jpg")})

    assert response.status_code == 400
    assert "is not a JPEG, PNG or WebP image" in response.content.decode()
    assert not VerificationRequest.objects.exists()
    assert selfie_files(private_dir) == []


def test_a_refused_member_may_ask_again_a_few_times_a_day(candidate, moderator, settings):
    settings.VERIFICATION_REQUESTS_PER_DAY = 2
    for _ in range(2):
        services.refuse_verification(
            verification=ask(candidate),
            moderator=moderator,
            reason=VerificationRefusalReason.POOR_QUALITY,
        )

    with pytest.raises(services.VerificationRefused) as refused:
        ask(candidate)
    assert refused.value.code == "daily_limit"
    VerificationRequest.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    assert ask(candidate).is_pending


def test_the_member_can_withdraw_a_waiting_selfie(
    committing_client, candidate, english, private_dir
):
    ask(candidate)
    committing_client.force_login(candidate)

    response = committing_client.post(reverse("profiles:verification_withdraw"), follow=True)

    assert "Your request is withdrawn and your selfie is deleted." in response.content.decode()
    assert not VerificationRequest.objects.exists()
    assert selfie_files(private_dir) == []


# --- The moderator decides ----------------------------------------------------------------------


def test_the_queue_lists_pending_requests_oldest_first_with_their_waiting_time(
    client, moderator, english
):
    members = [MemberFactory() for _ in range(3)]
    for member in members:
        approve_a_photo(member)
    older, newer, decided = (ask(member) for member in members)
    VerificationRequest.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=70)
    )
    VerificationRequest.objects.filter(pk=decided.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    services.grant_verification(verification=decided, moderator=moderator)
    client.force_login(moderator)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert [v.pk for v in response.context["cl"].result_list] == [older.pk, newer.pk, decided.pk]
    page = response.content.decode()
    assert "Waiting for review" in page and "waiting" in page.lower()
    assert "month" in page  # the oldest has waited for months
    assert "selfie.jpg" not in page  # the queue shows no selfies


def test_the_review_page_shows_gesture_selfie_and_approved_photos(
    client, candidate, moderator, english
):
    photo = approve_a_photo(candidate)
    verification = ask(candidate, VerificationGesture.TOUCH_NOSE)
    client.force_login(moderator)

    page = client.get(f"{QUEUE}{verification.pk}/change/").content.decode()

    assert "Touch the tip of your nose with your index finger." in page
    selfie_url = reverse("profiles:verification_selfie", args=[verification.public_id])
    assert selfie_url in page
    assert reverse("profiles:photo_file", args=[photo.public_id, "full"]) in page
    assert not ContentAccessLog.objects.exists()  # the page is not the selfie

    selfie = client.get(selfie_url)
    assert selfie.status_code == 200
    assert selfie["Content-Type"] == "image/jpeg"
    assert "no-store" in selfie["Cache-Control"]
    log = ContentAccessLog.objects.get()
    assert (log.staff, log.report, log.author) == (moderator, None, candidate)
    assert (log.content_type.model, log.object_id) == ("verificationrequest", verification.pk)
    assert (
        client.get(reverse("profiles:photo_file", args=[photo.public_id, "full"])).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("language", "month"), [("nl", "maart"), ("en", "March")], ids=["nl", "en"]
)
def test_granting_gives_the_badge_deletes_the_selfie_and_mails_the_member(
    committing_client, candidate, moderator, private_dir, language, month
):
    """The moderator grants: the badge is set, the selfie file is gone from storage and no row
    points at it, the decision is in the audit log, and the member gets a mail in their
    language."""
    candidate.language = language
    candidate.save(update_fields=["language"])
    verification = ask(candidate)
    VerificationRequest.objects.filter(pk=verification.pk).update(
        created_at=datetime(2026, 3, 5, 12, tzinfo=AMSTERDAM)
    )
    name = verification.selfie.name
    assert selfie_files(private_dir) == [name]
    committing_client.force_login(moderator)

    response = committing_client.post(
        f"{QUEUE}{verification.pk}/change/", {"decision": "grant", "reason": ""}
    )

    assert response.status_code == 302
    verification.refresh_from_db()
    assert verification.status == VerificationRequest.Status.GRANTED
    assert (verification.decided_by, verification.selfie.name) == (moderator, "")
    profile = Profile.objects.get(member=candidate)
    assert profile.verified_at == verification.decided_at
    assert selfie_files(private_dir) == []
    assert not VerificationRequest.objects.filter(selfie=name).exists()
    assert not VerificationRequest.objects.exclude(selfie="").exists()
    action = ModerationAction.objects.get(action="verification.granted")
    assert (action.staff, action.object_id) == (moderator, verification.pk)
    row = OutgoingMail.objects.get(kind="verification_granted")
    assert row.member == candidate and row.status == OutgoingMail.Status.SENT
    [sent] = mail.outbox
    assert sent.to == [candidate.email]
    assert f"5 {month} 2026" in sent.body
    assert reverse("profiles:verification") in sent.body
    # The selfie view has nothing to serve any more.
    selfie_url = reverse("profiles:verification_selfie", args=[verification.public_id])
    assert committing_client.get(selfie_url).status_code == 404


def test_a_decision_that_rolls_back_keeps_the_selfie(
    candidate, moderator, private_dir, monkeypatch
):
    """The file goes only once the decision is committed: a failure midway keeps both."""
    verification = ask(candidate)

    def broken(**kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(services, "_tell_member", broken)
    with pytest.raises(RuntimeError):
        services.grant_verification(verification=verification, moderator=moderator)

    verification.refresh_from_db()
    assert verification.is_pending and verification.selfie.name
    assert selfie_files(private_dir) == [verification.selfie.name]
    assert Profile.objects.get(member=candidate).verified_at is None
    assert not ModerationAction.objects.exists()


def test_refusing_says_why_deletes_the_selfie_and_lets_the_member_try_again(
    committing_client, client, candidate, moderator, private_dir
):
    candidate.language = "en"
    candidate.save(update_fields=["language"])
    verification = ask(candidate)
    committing_client.force_login(moderator)
    url = f"{QUEUE}{verification.pk}/change/"

    no_reason = committing_client.post(url, {"decision": "refuse", "reason": ""})
    assert no_reason.status_code == 200
    verification.refresh_from_db()
    assert verification.is_pending

    committing_client.post(url, {"decision": "refuse", "reason": "no_match"})

    verification.refresh_from_db()
    assert verification.status == VerificationRequest.Status.REFUSED
    assert verification.refusal_reason == VerificationRefusalReason.NO_MATCH
    assert selfie_files(private_dir) == []
    assert Profile.objects.get(member=candidate).verified_at is None
    assert ModerationAction.objects.get().action == "verification.refused"
    assert OutgoingMail.objects.filter(member=candidate, kind="verification_refused").exists()
    [sent] = mail.outbox
    assert "Reason: The person in the selfie does not match your profile photos." in sent.body
    client.cookies["django_language"] = "en"
    client.force_login(candidate)
    page = client.get(PAGE).content.decode()
    assert "does not match your profile photos" in page
    assert 'name="selfie"' in page  # may try again


def test_a_decided_request_cannot_be_decided_again(candidate, moderator):
    verification = ask(candidate)
    services.grant_verification(verification=verification, moderator=moderator)
    with pytest.raises(services.VerificationRefused):
        services.refuse_verification(
            verification=verification, moderator=moderator, reason="no_match"
        )
    assert ModerationAction.objects.count() == 1


# --- Who may see and decide ---------------------------------------------------------------------


def test_helpdesk_sees_no_queue_no_request_and_no_selfie(client, candidate, reviewers):
    verification = ask(candidate)
    client.force_login(staff_member("Helpdesk"))

    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}{verification.pk}/change/").status_code == 403
    response = client.post(f"{QUEUE}{verification.pk}/change/", {"decision": "grant"})
    assert response.status_code == 403
    selfie_url = reverse("profiles:verification_selfie", args=[verification.public_id])
    assert client.get(selfie_url).status_code == 404
    verification.refresh_from_db()
    assert verification.is_pending
    assert not ContentAccessLog.objects.exists()
    with pytest.raises(services.PermissionDenied):
        services.grant_verification(verification=verification, moderator=staff_member("Helpdesk"))


@pytest.mark.parametrize("role", ["Finance", "Marketing", "Management"])
def test_other_staff_roles_see_nothing(client, candidate, role):
    """Only a role holding the verification permissions sees the queue or a selfie."""
    verification = ask(candidate)
    client.force_login(staff_member(role))

    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}{verification.pk}/change/").status_code == 403
    selfie_url = reverse("profiles:verification_selfie", args=[verification.public_id])
    assert client.get(selfie_url).status_code == 404


def test_members_never_see_a_selfie_not_even_their_own(client, candidate):
    verification = ask(candidate)
    selfie_url = reverse("profiles:verification_selfie", args=[verification.public_id])

    assert client.get(selfie_url).status_code == 404
    client.force_login(candidate)
    assert client.get(selfie_url).status_code == 404
    assert client.get(QUEUE).status_code == 302  # to the admin log-in


# --- The badge ----------------------------------------------------------------------------------


def test_the_badge_shows_on_cards_and_the_profile_page_with_text(client, candidate, moderator):
    verification = ask(candidate)
    services.grant_verification(verification=verification, moderator=moderator)
    plain = MemberFactory(username="nietgeverifieerd")
    make_profile(plain)
    viewer = MemberFactory(username="kijker")
    add_favourite(member=viewer, target=candidate)
    add_favourite(member=viewer, target=plain)
    client.cookies["django_language"] = "en"
    client.force_login(viewer)

    favourites = client.get(reverse("profiles:favourites")).content.decode()
    cards = favourites.split('<article class="member-card">')[1:]
    badge = '<span class="verified-badge">'
    [verified_card] = [card for card in cards if candidate.username in card]
    [plain_card] = [card for card in cards if plain.username in card]
    assert badge in verified_card and "Verified</span>" in verified_card
    assert 'aria-hidden="true"' in verified_card  # the icon; the word is the name
    assert badge not in plain_card

    profile = client.get(reverse("profiles:profile", args=[candidate.public_id])).content.decode()
    assert badge in profile
    other = client.get(reverse("profiles:profile", args=[plain.public_id])).content.decode()
    assert badge not in other

    client.force_login(candidate)
    own = client.get(PAGE).content.decode()
    assert badge in own and "You have been verified since" in own
    assert 'name="selfie"' not in own


def test_the_photos_page_links_to_verification(client, member):
    client.force_login(member)
    page = client.get(reverse("profiles:photos")).content.decode()
    assert f'href="{PAGE}"' in page


# --- Messaging: only verified members may start a conversation -----------------------------------


@pytest.fixture
def receiver(db):
    member = MemberFactory(username="ontvanger")
    make_profile(member, place="Utrecht")
    messaging.update_receiving_settings(member=member, only_verified=True)
    return member


def test_an_unverified_member_cannot_start_a_conversation_with_who_wants_verified_only(
    receiver, candidate, moderator
):
    with translation.override("en"), pytest.raises(messaging.SendRefused) as refused:
        messaging.check_can_send(sender=candidate, receiver=receiver)
    assert refused.value.code == "not_verified"
    assert "only accepts new conversations from verified members" in str(refused.value.message)

    services.grant_verification(verification=ask(candidate), moderator=moderator)
    messaging.check_can_send(sender=candidate, receiver=receiver)  # no error


def test_an_existing_conversation_continues_after_the_setting_is_turned_on(receiver, member):
    from payments.services import adjust_credits

    ReceivingSettings.objects.filter(member=receiver).update(only_verified=False)
    adjust_credits(member=member, credits=10, reason="test", staff=MemberFactory(is_staff=True))
    messaging.send_message(sender=member, receiver=receiver, text="Hoi")
    ReceivingSettings.objects.filter(member=receiver).update(only_verified=True)

    messaging.check_can_send(sender=member, receiver=receiver)  # no error
    messaging.send_message(sender=member, receiver=receiver, text="Nog een keer")


def test_the_setting_is_on_the_message_settings_page(client, member, english):
    client.force_login(member)
    url = reverse("messaging:settings")
    assert 'name="only_verified"' in client.get(url).content.decode()

    client.post(url, {"accepts_messages": "on", "only_verified": "on", "notify": "immediately"})

    assert ReceivingSettings.objects.get(member=member).only_verified is True


# --- Privacy ------------------------------------------------------------------------------------


def test_export_holds_the_requests_without_a_selfie_once_decided(candidate, moderator):
    services.refuse_verification(
        verification=ask(candidate), moderator=moderator, reason="poor_quality"
    )
    waiting = ask(candidate)
    entry = registry.entry_for(VerificationRequest)

    rows = list(entry.export(candidate))

    assert [row["status"] for row in rows] == ["refused", "pending"]
    assert rows[0]["refusal_reason"] == "poor_quality" and rows[0]["selfie"] is None
    assert rows[1]["selfie"] == f"verification/{waiting.public_id}.jpg"
    assert [path for path, _file in entry.handler.files(candidate)] == [rows[1]["selfie"]]
    assert registry.entry_for(Profile).export(candidate)[0]["verified_at"] is None


def test_erasure_removes_requests_and_the_waiting_selfie(
    candidate, moderator, private_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_verification(verification=ask(candidate), moderator=moderator)
    Profile.objects.filter(member=candidate).update(verified_at=None)
    ask(candidate)
    decided_by_moderator = VerificationRequest.objects.filter(decided_by=moderator)
    assert decided_by_moderator.exists()
    assert selfie_files(private_dir)

    registry.entry_for(VerificationRequest).erase(candidate)
    registry.entry_for(VerificationRequest).erase(candidate)  # idempotent

    assert not VerificationRequest.objects.filter(member=candidate).exists()
    assert selfie_files(private_dir) == []


def test_a_moderators_erasure_keeps_their_decisions_without_them(candidate, moderator):
    granted = ask(candidate)
    services.grant_verification(verification=granted, moderator=moderator)
    services.revoke_verification(verification=granted, moderator=moderator, reason="impersonation")

    registry.entry_for(VerificationRequest).erase(moderator)

    kept = VerificationRequest.objects.get(member=candidate)
    assert (kept.decided_by, kept.revoked_by) == (None, None)
    assert kept.revoke_reason == "impersonation" and kept.revoked_at is not None


# --- The badge follows the photos; a moderator can take it back -------------------------------


def verified(member) -> bool:
    return Profile.objects.filter(member=member, verified_at__isnull=False).exists()


def test_the_badge_goes_when_every_photo_it_was_checked_against_is_gone(
    client, candidate, moderator, english
):
    """A photo added after the grant keeps the badge while an older one is there; once only
    photos the moderator never compared remain, the badge goes (no verify-then-swap), the page
    says why, and the member may ask again."""
    [compared] = photo_services.approved_photos(member=candidate)
    services.grant_verification(verification=ask(candidate), moderator=moderator)
    assert verified(candidate)
    later = approve_a_photo(candidate)
    assert verified(candidate)

    photo_services.delete_photo(photo=compared)

    assert not verified(candidate)
    assert list(photo_services.approved_photos(member=candidate)) == [later]
    client.force_login(candidate)
    page = client.get(PAGE).content.decode()
    assert "none of the photos the moderator compared your selfie with" in page
    assert 'class="verified-badge"' not in page
    assert 'name="selfie"' in page  # may ask again
    services.check_can_request(member=candidate)


def test_a_photo_removed_by_moderation_and_restored_on_appeal_brings_the_badge_back(
    candidate, moderator
):
    [compared] = photo_services.approved_photos(member=candidate)
    granted = ask(candidate)
    services.grant_verification(verification=granted, moderator=moderator)
    granted.refresh_from_db()

    photo_services.reject_photo(photo=compared, moderator=moderator)
    assert not verified(candidate)

    photo_services.restore_photo(photo=compared)
    assert Profile.objects.get(member=candidate).verified_at == granted.decided_at


def test_a_photo_hidden_pending_an_urgent_report_keeps_the_badge(candidate, moderator):
    """Hiding is not a decision: the badge stays until the photo is actually removed."""
    [compared] = photo_services.approved_photos(member=candidate)
    services.grant_verification(verification=ask(candidate), moderator=moderator)

    photo_services.hide_photo(photo=compared)

    assert verified(candidate)


@pytest.mark.parametrize(
    ("language", "reason_text"),
    [
        ("nl", "foto's van iemand anders"),
        ("en", "uses photos of someone else"),
    ],
    ids=["nl", "en"],
)
def test_a_moderator_revokes_the_badge_and_the_member_is_told_why(
    committing_client, candidate, moderator, language, reason_text
):
    candidate.language = language
    candidate.save(update_fields=["language"])
    granted = ask(candidate)
    services.grant_verification(verification=granted, moderator=moderator)
    mail.outbox.clear()
    committing_client.force_login(moderator)
    url = f"{QUEUE}{granted.pk}/change/"
    committing_client.cookies["django_language"] = "en"
    page = committing_client.get(url).content.decode()
    assert 'id="revoke-form"' in page and "Shown on the profile" in page

    response = committing_client.post(
        url, {"revoke": "1", "revoke_reason": VerificationRevokeReason.IMPERSONATION}
    )

    assert response.status_code == 302
    granted.refresh_from_db()
    assert (granted.revoked_by, granted.revoke_reason) == (moderator, "impersonation")
    assert not verified(candidate)
    action = ModerationAction.objects.get(action="verification.revoked")
    assert (action.staff, action.object_id) == (moderator, granted.pk)
    row = OutgoingMail.objects.get(kind="verification_revoked")
    assert row.member == candidate
    [sent] = mail.outbox
    assert sent.to == [candidate.email]
    assert reason_text in sent.body
    assert reverse("profiles:verification") in sent.body
    after = committing_client.get(url).content.decode()
    assert 'id="revoke-form"' not in after and "Revoked at" in after

    committing_client.force_login(candidate)
    committing_client.cookies["django_language"] = language
    own = html.unescape(committing_client.get(PAGE).content.decode())
    assert reason_text in own
    assert 'name="selfie"' in own
    with pytest.raises(services.VerificationRefused):
        services.revoke_verification(
            verification=granted, moderator=moderator, reason="impersonation"
        )


def test_a_new_grant_after_a_revocation_gives_the_badge_again(candidate, moderator):
    first = ask(candidate)
    services.grant_verification(verification=first, moderator=moderator)
    services.revoke_verification(verification=first, moderator=moderator, reason="photos_changed")
    assert not verified(candidate)

    second = ask(candidate)
    services.grant_verification(verification=second, moderator=moderator)

    second.refresh_from_db()
    assert Profile.objects.get(member=candidate).verified_at == second.decided_at


def test_revoking_needs_a_reason_and_the_review_permission(client, candidate, moderator):
    granted = ask(candidate)
    services.grant_verification(verification=granted, moderator=moderator)
    url = f"{QUEUE}{granted.pk}/change/"
    client.cookies["django_language"] = "en"
    client.force_login(moderator)

    without_reason = client.post(url, {"revoke": "1", "revoke_reason": ""})

    assert without_reason.status_code == 200
    assert "This field is required." in without_reason.content.decode()
    assert verified(candidate)

    client.force_login(staff_member("Helpdesk"))
    refused = client.post(url, {"revoke": "1", "revoke_reason": "impersonation"})
    assert refused.status_code == 403
    with pytest.raises(services.PermissionDenied):
        services.revoke_verification(
            verification=granted, moderator=staff_member("Helpdesk"), reason="impersonation"
        )
    granted.refresh_from_db()
    assert granted.revoked_at is None and verified(candidate)


def test_a_refused_or_waiting_request_cannot_be_revoked(candidate, moderator):
    refused = ask(candidate)
    services.refuse_verification(verification=refused, moderator=moderator, reason="poor_quality")
    waiting = ask(candidate)

    for verification in (refused, waiting):
        with pytest.raises(services.VerificationRefused):
            services.revoke_verification(
                verification=verification, moderator=moderator, reason="impersonation"
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationRequest.objects.filter(pk=refused.pk).update(
            revoked_at=timezone.now(), revoke_reason="impersonation"
        )


def test_export_tells_when_and_why_a_badge_was_revoked(candidate, moderator):
    granted = ask(candidate)
    services.grant_verification(verification=granted, moderator=moderator)
    services.revoke_verification(verification=granted, moderator=moderator, reason="photos_changed")

    [row] = registry.entry_for(VerificationRequest).export(candidate)

    assert row["revoke_reason"] == "photos_changed" and row["revoked_at"]
    assert registry.entry_for(Profile).export(candidate)[0]["verified_at"] is None


# --- Processing in the background ---------------------------------------------------------------


def test_the_request_stores_the_selfie_as_sent_until_the_task_ran(
    client, candidate, english, private_dir, moderator
):
    """Without the commit the task has not run: the request is "being processed", the upload
    is stored privately as sent and nobody is shown it, not even a reviewer; the page polls."""
    client.force_login(candidate)
    client.get(PAGE)

    response = client.post(PAGE, {"selfie": selfie_upload()})
    page = client.get(PAGE).content.decode()

    assert response.status_code == 302
    verification = VerificationRequest.objects.get()
    assert verification.status == VerificationRequest.Status.PROCESSING
    assert verification.selfie.name.startswith("verification/uploads/")
    assert "Being processed" in page and 'hx-select="#verification-status"' in page
    client.force_login(moderator)
    selfie_url = reverse("profiles:verification_selfie", args=[verification.public_id])
    assert client.get(selfie_url).status_code == 404
    with pytest.raises(services.VerificationRefused) as refused:
        ask(candidate)
    assert refused.value.code == "pending"


def test_an_undecodable_selfie_fails_and_the_member_may_send_another(
    client, candidate, english, private_dir
):
    whole = images.jpeg_bytes((900, 1200))

    failed = ask(candidate, upload=images.upload(whole[: len(whole) // 2], name="selfie.jpg"))

    assert failed.status == VerificationRequest.Status.FAILED and not failed.selfie.name
    assert selfie_files(private_dir) == []
    client.force_login(candidate)
    page = client.get(PAGE).content.decode()
    assert "Your last selfie could not be processed" in page
    assert 'name="selfie"' in page
    assert ask(candidate).is_pending


def test_a_lost_selfie_task_is_sent_again_by_the_sweep(candidate, private_dir):
    import socket

    from profiles import tasks
    from tests.members.test_enqueue import broker_at

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    with broker_at(f"redis://127.0.0.1:{dead_port}/0"):
        verification = ask(candidate)
    assert verification.status == VerificationRequest.Status.PROCESSING

    VerificationRequest.objects.filter(pk=verification.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tasks.sweep_processing_photos() == 1

    verification.refresh_from_db()
    assert verification.is_pending and verification.selfie.name.startswith("verification/")
    assert selfie_files(private_dir) == [verification.selfie.name]
