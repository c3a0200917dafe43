"""Account restrictions decided in moderation (issue 11) are enforced in profiles: a member
who is restricted, suspended or hidden pending review is not shown to others in search,
suggestions, favourites or on their profile page, and their photos are not served; a
restriction that ended (or was lifted) hides nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from moderation.models import Sanction
from profiles import photos as photo_services
from profiles import selectors
from profiles.services import add_favourite
from tests.profiles.test_search import person
from tests.profiles.test_suggestions import seeker

from . import images

pytestmark = pytest.mark.django_db

SEARCH = reverse("profiles:search")


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


@pytest.fixture
def me(db):
    return seeker("me", Member.Gender.MAN)


@pytest.fixture
def me_client(client, me):
    client.force_login(me)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def lisa(db):
    return seeker("lisa", Member.Gender.WOMAN)


def restrict(member, kind=Sanction.Kind.RESTRICTED, **when):
    return Sanction.objects.create(member=member, kind=kind, **when)


def in_force(member, kind=Sanction.Kind.RESTRICTED):
    return restrict(member, kind, ends_at=timezone.now() + timedelta(days=7))


def usernames(queryset) -> set[str]:
    return {profile.member.username for profile in queryset}


def page_of(member) -> str:
    return reverse("profiles:profile", args=[member.public_id])


@pytest.mark.parametrize("kind", list(Sanction.Kind))
def test_a_sanctioned_member_is_left_out_of_every_list(me, lisa, kind):
    """Search, suggestions and favourites are all built on visible_profiles."""
    add_favourite(member=me, target=lisa)
    assert usernames(selectors.search_profiles(viewer=me)) == {"lisa"}
    assert usernames(selectors.suggestions_for(me).profiles) == {"lisa"}
    assert usernames(selectors.favourite_profiles(me)) == {"lisa"}

    in_force(lisa, kind)

    assert usernames(selectors.visible_profiles(me)) == set()
    assert usernames(selectors.search_profiles(viewer=me)) == set()
    assert usernames(selectors.suggestions_for(me).profiles) == set()
    assert usernames(selectors.favourite_profiles(me)) == set()


@pytest.mark.parametrize(
    "when",
    [
        {"ends_at": timezone.now() - timedelta(minutes=1)},
        {"ended_at": timezone.now() - timedelta(days=1)},
        {"starts_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["past its end date", "lifted", "not started yet"],
)
def test_a_restriction_that_is_not_in_force_hides_nothing(me, lisa, when):
    restrict(lisa, **when)

    assert usernames(selectors.search_profiles(viewer=me)) == {"lisa"}


def test_a_restriction_without_an_end_date_hides_until_lifted(me, lisa):
    sanction = restrict(lisa, Sanction.Kind.HIDDEN)
    assert usernames(selectors.search_profiles(viewer=me)) == set()

    sanction.ended_at = timezone.now()
    sanction.save()

    assert usernames(selectors.search_profiles(viewer=me)) == {"lisa"}


def test_the_search_page_leaves_a_restricted_member_out(me_client, lisa):
    person("anna", place="Utrecht")
    in_force(lisa)

    response = me_client.get(SEARCH, {"sort": "newest"})

    found = [profile.member.username for profile in response.context["page"].object_list]
    assert "anna" in found and "lisa" not in found


def test_the_profile_page_of_a_sanctioned_member_is_404_for_others(me_client, lisa, client):
    in_force(lisa, Sanction.Kind.SUSPENDED)

    assert me_client.get(page_of(lisa)).status_code == 404
    client.force_login(lisa)
    assert client.get(page_of(lisa)).status_code == 200  # their own page still opens


def test_an_ended_restriction_opens_the_profile_page_again(me_client, lisa):
    restrict(lisa, ends_at=timezone.now() - timedelta(seconds=1))
    assert me_client.get(page_of(lisa)).status_code == 200


def test_a_sanctioned_member_can_still_be_blocked_and_unblocked(me_client, me, lisa):
    in_force(lisa)
    block = reverse("profiles:block", args=[lisa.public_id])

    assert me_client.post(block, {"action": "add"}).status_code == 302
    assert me.blocks_made.filter(blocked=lisa).exists()
    assert me_client.post(block, {"action": "remove"}).status_code == 302
    assert not me.blocks_made.exists()


def test_photos_of_a_sanctioned_member_are_not_served_to_others(me_client, lisa, client):
    photo = images.add_processed_photo(member=lisa, upload=images.upload(images.jpeg_bytes()))
    photo_services.approve_photos(photos=[photo])
    url = reverse("profiles:photo_file", args=[photo.public_id, "thumb"])
    assert me_client.get(url).status_code == 200

    sanction = in_force(lisa, Sanction.Kind.HIDDEN)

    assert me_client.get(url).status_code == 404
    client.force_login(lisa)
    assert client.get(url).status_code == 200
    sanction.ended_at = timezone.now()
    sanction.save()
    me_client.force_login(Member.objects.get(username="me"))
    assert me_client.get(url).status_code == 200


def test_a_sanctioned_members_own_view_is_unchanged(lisa, me):
    """The Exists is about others: a sanctioned member still sees others."""
    in_force(lisa)
    assert usernames(selectors.search_profiles(viewer=lisa)) == {"me"}
