"""The profile page (R2.1, R2.3): what others see of a member, and who may see it."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from profiles.models import Interest, Photo, RelationshipType
from profiles.services import block_member
from tests.factories import MemberFactory, make_profile
from tests.profiles.test_search import person


def page_of(member) -> str:
    return reverse("profiles:profile", args=[member.public_id])


@pytest.fixture
def viewer(db):
    return person("viewer", gender=Member.Gender.MAN, place="Utrecht")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def sanne(db):
    member = person("sanne", place="Amersfoort", age=37, last_active_days=3)
    make_profile(
        member,
        description="Ik hou van <b>fietsen</b>\nen koken.",
        relationship_type=RelationshipType.DATING,
        free_tags=["zeilen op de Loosdrechtse plassen"],
        interests=[Interest.objects.get(slug="cycling")],
    )
    return member


def test_profile_page_needs_logging_in(client, sanne):
    assert client.get(page_of(sanne)).status_code == 302


def test_profile_page_shows_what_others_may_see(viewer_client, sanne):
    """R2.1: username, age (not the birth date), place, distance bucket, description
    (escaped, line breaks kept), interests, own tags, relationship type, last active range."""
    response = viewer_client.get(page_of(sanne))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>sanne</h1>" in html
    assert "37 years" in html
    assert "Amersfoort" in html
    assert "10 to 25 km" in html
    assert "&lt;b&gt;fietsen&lt;/b&gt;<br>en koken." in html
    assert "Cycling" in html and "zeilen op de Loosdrechtse plassen" in html
    assert "Dating" in html
    assert "Last active: this week" in html
    birth = sanne.profile.birth_date
    assert birth.isoformat() not in html and str(birth.year) not in html
    assert f"{sanne.profile.latitude:.2f}" not in html
    assert f"{sanne.profile.longitude:.2f}" not in html


@pytest.mark.parametrize(
    "days, label", [(0, "today"), (3, "this week"), (20, "this month"), (90, "longer ago")]
)
def test_last_active_is_a_coarse_range(viewer_client, sanne, days, label):
    """R2.3, privacy: never a timestamp, only a range."""
    when = timezone.now() - timedelta(days=days)
    Member.objects.filter(pk=sanne.pk).update(last_active_at=when)
    html = viewer_client.get(page_of(sanne)).content.decode()
    assert f"Last active: {label}" in html
    assert when.strftime("%H:%M") not in html


def test_only_approved_photos_are_shown(viewer_client, sanne):
    """R10.1: photos waiting for review or rejected are not shown to others."""
    approved = Photo.objects.create(
        member=sanne, image="a.jpg", thumbnail="at.jpg", width=1, height=1, status="approved"
    )
    pending = Photo.objects.create(
        member=sanne, image="b.jpg", thumbnail="bt.jpg", width=1, height=1, position=1
    )
    rejected = Photo.objects.create(
        member=sanne, image="c.jpg", thumbnail="ct.jpg", width=1, height=1, status="rejected"
    )
    html = viewer_client.get(page_of(sanne)).content.decode()
    assert reverse("profiles:photo_file", args=[approved.public_id, "thumb"]) in html
    assert reverse("profiles:photo_file", args=[approved.public_id, "full"]) in html
    assert pending.public_id not in html and rejected.public_id not in html


@pytest.mark.parametrize(
    "change",
    [
        {"status": Member.Status.CLOSED},
        {"status": Member.Status.SUSPENDED},
        {"is_active": False},
        {"processing_restricted": True},
    ],
)
def test_members_who_are_not_findable_give_404_and_a_log_line(
    viewer_client, viewer, sanne, change, caplog
):
    """R2.3, R7.3, R7.4, SECURITY: closed, suspended or restricted members are not shown;
    the denied access is logged with the viewer's id."""
    Member.objects.filter(pk=sanne.pk).update(**change)
    with caplog.at_level(logging.WARNING):
        response = viewer_client.get(page_of(sanne))
    assert response.status_code == 404
    assert f"access.denied profile member={viewer.pk}" in caplog.text
    assert "sanne" not in caplog.text


def test_unknown_public_id_gives_404(viewer_client):
    assert viewer_client.get("/members/does-not-exist/").status_code == 404


def test_a_block_either_way_closes_the_page(viewer_client, viewer, sanne):
    """R2.3: after a block neither sees the other's profile."""
    block_member(member=sanne, target=viewer)
    assert viewer_client.get(page_of(sanne)).status_code == 404


def test_hidden_members_are_viewable_by_direct_link(viewer_client, sanne):
    """R2.3: hiding is from search and suggestions; a direct link still opens the page."""
    make_profile(sanne, hidden_from_search=True)
    assert viewer_client.get(page_of(sanne)).status_code == 200


def test_own_profile_shows_a_note_and_no_buttons(viewer_client, viewer):
    """R2.1: a member sees their profile as others do, with a note and without the
    favourite and block buttons."""
    html = viewer_client.get(page_of(viewer)).content.decode()
    assert "This is how others see your profile." in html
    assert reverse("profiles:favourite", args=[viewer.public_id]) not in html
    assert reverse("profiles:block", args=[viewer.public_id]) not in html


def test_someone_elses_page_has_favourite_and_block_buttons(viewer_client, sanne):
    html = viewer_client.get(page_of(sanne)).content.decode()
    assert f'action="{reverse("profiles:favourite", args=[sanne.public_id])}"' in html
    assert f'action="{reverse("profiles:block", args=[sanne.public_id])}"' in html


def test_member_without_profile_has_a_plain_page(viewer_client):
    other = MemberFactory(username="bare")
    response = viewer_client.get(page_of(other))
    assert response.status_code == 200
    assert "<h1>bare</h1>" in response.content.decode()
