"""The photo list in the admin: moderators look photos up; decisions are taken in the
moderation queue (issue 11), so the list is view-only; other staff cannot open it (R10.1,
R9.2)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation

from members.models import OutgoingMail
from moderation.reasons import PhotoRejectionReason
from profiles import photos as services
from profiles.models import Photo, Profile
from tests.factories import staff_member

from . import images

pytestmark = pytest.mark.django_db

QUEUE = "/admin/profiles/photo/"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def moderator_client(client):
    client.force_login(staff_member("Moderators"))
    return client


def add(member) -> Photo:
    return images.add_processed_photo(
        member=member, upload=images.upload(images.jpeg_bytes((120, 90)))
    )


def test_helpdesk_cannot_open_the_photo_list(client, member):
    """R9.2: Helpdesk has no photo permissions: the list and a photo's page are 403."""
    photo = add(member)
    client.force_login(staff_member("Helpdesk"))

    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}{photo.pk}/change/").status_code == 403


def test_queue_lists_pending_photos_first_oldest_first(moderator_client, member):
    """R10.1: the queue shows thumbnails (through the checked file view), the member and the
    status; pending photos come first, the oldest at the top."""
    older, newer, done = add(member), add(member), add(member)
    Photo.objects.filter(pk=done.pk).update(status=Photo.Status.APPROVED)
    Photo.objects.filter(pk=newer.pk).update(created_at=older.created_at.replace(year=2030))

    response = moderator_client.get(QUEUE)

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("profiles:photo_file", args=[older.public_id, "thumb"]) in page
    assert member.username in page
    listed = [photo.pk for photo in response.context["cl"].result_list]
    assert listed == [older.pk, newer.pk, done.pk]
    # Staff can open the thumbnail the list shows.
    assert moderator_client.get(f"/photos/{older.public_id}/thumb.jpg").status_code == 200
    assert "Add photo" not in page
    pending_only = moderator_client.get(QUEUE, {"status__exact": "pending"})
    assert [p.pk for p in pending_only.context["cl"].result_list] == [older.pk, newer.pk]


def test_the_photo_list_takes_no_decisions(moderator_client, member):
    """Issue 11: photos are decided in the moderation queue (one place for every kind of
    content), so the photo list offers no approve or reject action and a posted action
    changes nothing."""
    photo = add(member)

    page = moderator_client.get(QUEUE).content.decode()
    assert "approve_selected" not in page and "reject_selected" not in page
    assert 'name="action"' not in page

    moderator_client.post(QUEUE, {"action": "approve_selected", ACTION_CHECKBOX_NAME: [photo.pk]})
    moderator_client.post(
        QUEUE,
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: [photo.pk],
            "confirm": "yes",
            "reason": PhotoRejectionReason.NUDITY,
        },
    )
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING


def test_approving_photos_gives_the_profile_its_photo(member):
    """R10.1: approving (what the moderation queue's bulk approval does) approves and gives
    the member's profile its photo; photos already approved are not counted again."""
    Profile.objects.create(member=member)
    moderator = staff_member("Moderators")
    first, second = add(member), add(member)

    assert services.approve_photos(photos=[first, second], moderator=moderator) == 2
    assert services.approve_photos(photos=[first], moderator=moderator) == 0

    assert set(Photo.objects.values_list("status", flat=True)) == {Photo.Status.APPROVED}
    first.refresh_from_db()
    assert first.reviewed_by == moderator and first.reviewed_at is not None
    assert Profile.objects.get(member=member).has_photo


def test_rejecting_a_photo_mails_nothing_from_profiles(member, django_capture_on_commit_callbacks):
    """Issue 11: the member learns of a decision from moderation's statement of reasons, not
    from a second mail of profiles; the file stays so a reversal can show the photo again."""
    photo = add(member)

    with django_capture_on_commit_callbacks(execute=True):
        services.reject_photo(photo=photo, reason=PhotoRejectionReason.CONTACT_DETAILS)

    photo.refresh_from_db()
    assert photo.status == Photo.Status.REJECTED
    assert photo.rejection_reason == "contact_details"
    assert photo.image.storage.exists(photo.image.name)
    assert not OutgoingMail.objects.filter(member=member).exists()


def test_an_unknown_rejection_reason_is_refused(member):
    photo = add(member)

    with pytest.raises(ValueError):
        services.reject_photo(photo=photo, reason="i-just-dont-like-it")
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING


def test_photo_page_in_admin_is_read_only(moderator_client, member):
    """Photos come from members: no adding, no editing of files, no deleting in the admin."""
    photo = add(member)

    assert moderator_client.get(f"{QUEUE}add/").status_code == 403
    detail = moderator_client.get(f"{QUEUE}{photo.pk}/change/")
    assert detail.status_code == 200
    assert 'type="file"' not in detail.content.decode()
    assert reverse("profiles:photo_file", args=[photo.public_id, "full"]) in (
        detail.content.decode()
    )
    assert moderator_client.post(f"{QUEUE}{photo.pk}/delete/").status_code == 403


def test_places_and_interests_are_read_only_for_superusers(client):
    client.force_login(staff_member("superuser"))

    assert client.get("/admin/profiles/place/").status_code == 200
    assert client.get("/admin/profiles/interest/").status_code == 200
    assert client.get("/admin/profiles/place/add/").status_code == 403
    assert client.get("/admin/profiles/interest/add/").status_code == 403


def test_a_photo_without_a_file_yet_shows_its_status_not_a_broken_image(moderator_client, member):
    """A photo being processed (or whose processing failed) has no file: the list and its page
    say so in words instead of an image whose file view answers 404."""
    services.add_photo(member=member, upload=images.upload(images.jpeg_bytes((120, 90))))
    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.PROCESSING and not photo.image.name
    file_url = reverse("profiles:photo_file", args=[photo.public_id, "thumb"])

    listing = moderator_client.get(QUEUE).content.decode()
    detail = moderator_client.get(f"{QUEUE}{photo.pk}/change/").content.decode()

    assert file_url not in listing and "Being processed" in listing
    assert reverse("profiles:photo_file", args=[photo.public_id, "full"]) not in detail
    assert "Being processed" in detail
