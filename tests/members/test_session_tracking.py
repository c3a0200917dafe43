"""The device list ("sessions", allauth usersessions) is kept up to date by page views, not by
the background refreshes of an open page (htmx polls every few seconds)."""

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_page_views_are_tracked_and_polls_are_not(client, member):
    client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})
    session = UserSession.objects.get(user=member)
    long_ago = timezone.now() - timedelta(hours=1)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at=long_ago)

    poll = client.get(reverse("messaging:unread_badge"), headers={"HX-Request": "true"})
    assert poll.status_code == 200
    session.refresh_from_db()
    assert session.last_seen_at == long_ago

    client.get(reverse("messaging:inbox"))
    session.refresh_from_db()
    assert session.last_seen_at > long_ago


@pytest.fixture
def private_storage(settings, tmp_path, monkeypatch):
    from tests.profiles.images import use_private_storage

    return use_private_storage(tmp_path, settings, monkeypatch)


@pytest.mark.django_db
def test_photo_files_write_neither_the_session_nor_the_member_row(client, member, private_storage):
    """A page of thumbnails is one page view: the photo requests write no row (on SQLite the
    writes of twelve parallel thumbnails locked the database)."""
    from django.core.files.base import ContentFile

    from members.models import Member
    from profiles.models import Photo

    photo = Photo(member=member, width=10, height=10, status=Photo.Status.APPROVED)
    photo.thumbnail.save(f"photos/{photo.public_id}-t.jpg", ContentFile(b"\xff\xd8t"), save=False)
    photo.image.save(f"photos/{photo.public_id}.jpg", ContentFile(b"\xff\xd8i"))
    client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})
    long_ago = timezone.now() - timedelta(hours=1)
    UserSession.objects.filter(user=member).update(last_seen_at=long_ago)
    Member.objects.filter(pk=member.pk).update(last_active_at=long_ago)

    response = client.get(reverse("profiles:photo_file", args=[photo.public_id, "thumb"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert UserSession.objects.get(user=member).last_seen_at == long_ago
    assert Member.objects.get(pk=member.pk).last_active_at == long_ago

    client.get(reverse("messaging:inbox"))
    assert UserSession.objects.get(user=member).last_seen_at > long_ago
    assert Member.objects.get(pk=member.pk).last_active_at > long_ago
