"""The photo review queue in the admin: moderators approve and reject with a reason; other
staff cannot (R10.1, R9.2)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation

from members.models import OutgoingMail
from moderation.reasons import PhotoRejectionReason
from profiles import photos as services
from profiles.models import Photo, Profile
from tests.factories import MemberFactory, staff_member

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
    return services.add_photo(member=member, upload=images.upload(images.jpeg_bytes((120, 90))))


def test_helpdesk_cannot_open_the_photo_queue(client, member):
    """R9.2: Helpdesk has no photo permissions: the queue and a photo's page are 403."""
    photo = add(member)
    client.force_login(staff_member("Helpdesk"))

    assert client.get(QUEUE).status_code == 403
    assert client.get(f"{QUEUE}{photo.pk}/change/").status_code == 403
    response = client.post(QUEUE, {"action": "approve_selected", ACTION_CHECKBOX_NAME: [photo.pk]})
    assert response.status_code == 403
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING


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


def test_moderator_approves_selected_photos(moderator_client, member):
    """R10.1: "Approve selected photos" approves; the member's profile gets its photo."""
    Profile.objects.create(member=member)
    first, second = add(member), add(member)

    response = moderator_client.post(
        QUEUE,
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 photos approved." in response.content.decode()
    assert set(Photo.objects.values_list("status", flat=True)) == {Photo.Status.APPROVED}
    first.refresh_from_db()
    assert first.reviewed_by is not None and first.reviewed_at is not None
    assert Profile.objects.get(member=member).has_photo


def test_moderator_rejects_with_a_reason_after_confirming(
    moderator_client, member, django_capture_on_commit_callbacks
):
    """R10.1: "Reject selected photos…" first asks for the reason, then rejects and mails."""
    photo = add(member)
    other = MemberFactory(username="kees")
    other_photo = add(other)

    confirm = moderator_client.post(
        QUEUE, {"action": "reject_selected", ACTION_CHECKBOX_NAME: [photo.pk, other_photo.pk]}
    )

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Reject photos" in page
    assert 'value="copyright"' in page and 'value="nudity"' in page
    assert reverse("profiles:photo_file", args=[photo.public_id, "thumb"]) in page
    assert Photo.objects.filter(status=Photo.Status.PENDING).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        done = moderator_client.post(
            QUEUE,
            {
                "action": "reject_selected",
                ACTION_CHECKBOX_NAME: [photo.pk, other_photo.pk],
                "confirm": "yes",
                "reason": PhotoRejectionReason.CONTACT_DETAILS,
            },
            follow=True,
        )

    assert "2 photos rejected" in done.content.decode()
    for item in (photo, other_photo):
        item.refresh_from_db()
        assert item.status == Photo.Status.REJECTED
        assert item.rejection_reason == "contact_details"
    assert OutgoingMail.objects.filter(kind="photo_rejected").count() == 2


def test_reject_without_a_reason_asks_again(moderator_client, member):
    """R10.1: no rejection without a reason from the list."""
    photo = add(member)

    response = moderator_client.post(
        QUEUE,
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: [photo.pk],
            "confirm": "yes",
            "reason": "i-just-dont-like-it",
        },
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING
    assert not OutgoingMail.objects.exists()


def test_staff_without_review_permission_has_no_review_actions(client, member):
    """R9.2: seeing the queue (view_photo) is not enough to decide: actions need review_photo."""
    from django.contrib.auth.models import Permission

    viewer = staff_member("Helpdesk")
    viewer.user_permissions.add(Permission.objects.get(codename="view_photo"))
    photo = add(member)
    client.force_login(viewer)

    page = client.get(QUEUE)
    assert page.status_code == 200
    assert "approve_selected" not in page.content.decode()
    client.post(QUEUE, {"action": "approve_selected", ACTION_CHECKBOX_NAME: [photo.pk]})
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
