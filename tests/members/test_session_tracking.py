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
