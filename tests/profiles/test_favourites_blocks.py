"""Favourites and blocks (R2.3): toggles that go back where they came from, lists, and a block
that hides two members from each other everywhere."""

import pytest
from django.urls import reverse

from members.models import Member
from privacy.services import set_consent
from profiles.models import Block, Favourite
from profiles.services import add_favourite, block_member
from tests.profiles.test_search import person

SEARCH = reverse("profiles:search")
FAVOURITES = reverse("profiles:favourites")
BLOCKS = reverse("profiles:blocks")


def favourite_url(member):
    return reverse("profiles:favourite", args=[member.public_id])


def block_url(member):
    return reverse("profiles:block", args=[member.public_id])


def page_of(member):
    return reverse("profiles:profile", args=[member.public_id])


@pytest.fixture
def me(db):
    return person(
        "me",
        gender=Member.Gender.MAN,
        seeks_women=True,
        age_min=18,
        age_max=99,
        max_distance_km=100,
    )


@pytest.fixture
def me_client(client, me):
    client.force_login(me)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def sanne(db):
    return person("sanne", seeks_men=True, age_min=18, age_max=99, max_distance_km=100)


def test_favourite_and_unfavourite_go_back_with_a_message(me_client, me, sanne):
    """R2.3: adding and removing a favourite returns to the page it came from."""
    response = me_client.post(
        favourite_url(sanne), {"action": "add", "next": page_of(sanne)}, follow=True
    )
    assert response.redirect_chain[-1][0] == page_of(sanne)
    assert "sanne is now in your favourites." in response.content.decode()
    assert Favourite.objects.filter(member=me, target=sanne).exists()

    # Adding twice keeps one.
    me_client.post(favourite_url(sanne), {"action": "add"})
    assert Favourite.objects.filter(member=me, target=sanne).count() == 1

    response = me_client.post(favourite_url(sanne), {"action": "remove", "next": FAVOURITES})
    assert response["Location"] == FAVOURITES
    assert not Favourite.objects.filter(member=me, target=sanne).exists()


def test_without_action_the_button_toggles(me_client, me, sanne):
    me_client.post(favourite_url(sanne))
    assert Favourite.objects.filter(member=me, target=sanne).exists()
    me_client.post(favourite_url(sanne))
    assert not Favourite.objects.filter(member=me, target=sanne).exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_next_must_stay_on_the_site(me_client, sanne, next_url):
    """SECURITY: no open redirect through `next`."""
    response = me_client.post(favourite_url(sanne), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == page_of(sanne)


def test_toggles_need_post_and_logging_in(client, me_client, sanne):
    assert me_client.get(favourite_url(sanne)).status_code == 405
    assert me_client.get(block_url(sanne)).status_code == 405
    client.logout()
    response = client.post(favourite_url(sanne))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Favourite.objects.exists()


def test_favouriting_or_blocking_yourself_is_refused_clearly(me_client, me):
    """R2.3: never a 500; a clear message and nothing stored."""
    response = me_client.post(favourite_url(me), follow=True)
    assert response.status_code == 200
    assert "You cannot add yourself to your favourites." in response.content.decode()
    response = me_client.post(block_url(me), follow=True)
    assert response.status_code == 200
    assert "You cannot block yourself." in response.content.decode()
    assert not Favourite.objects.exists() and not Block.objects.exists()


def test_favourites_list_shows_only_still_findable_members(me_client, me, sanne):
    """R2.3: the list leaves out members who closed their account or were suspended; hidden
    members stay (a favourite is like a direct link). Each has a remove button."""
    closed = person("closed")
    hidden = person("hidden", hidden_from_search=True)
    for target in [sanne, closed, hidden]:
        add_favourite(member=me, target=target)
    Member.objects.filter(pk=closed.pk).update(status=Member.Status.CLOSED)

    response = me_client.get(FAVOURITES)
    html = response.content.decode()
    assert ">sanne<" in html and ">hidden<" in html
    assert ">closed<" not in html
    assert f'action="{favourite_url(sanne)}"' in html
    assert "Remove sanne from favourites" in html


def test_favourites_query_count_is_flat(me_client, me, django_assert_max_num_queries):
    for number in range(3):
        add_favourite(member=me, target=person(f"a{number}"))
    with django_assert_max_num_queries(20) as small:
        me_client.get(FAVOURITES)
    for number in range(15):
        add_favourite(member=me, target=person(f"b{number}"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = me_client.get(FAVOURITES)
    assert len(response.context["page"].object_list) == 18


def test_a_block_hides_both_members_from_each_other_everywhere(client, me, sanne):
    """R2.3: after blocking, neither sees the other's profile, search result or suggestion;
    a favourite either way is dropped."""
    for member in (me, sanne):  # suggestions need both members' consent (R7.1)
        set_consent(member=member, purpose="suggestions", granted=True, source="test")
    add_favourite(member=me, target=sanne)
    add_favourite(member=sanne, target=me)
    client.force_login(me)
    assert ">sanne<" in client.get(reverse("profiles:suggestions")).content.decode()

    response = client.post(block_url(sanne), {"action": "add", "next": page_of(sanne)})
    # Back to the profile page would be a 404 now: the list of blocks instead.
    assert response["Location"] == BLOCKS
    assert Block.objects.filter(blocker=me, blocked=sanne).exists()
    assert not Favourite.objects.exists()

    for viewer, other in [(me, sanne), (sanne, me)]:
        client.force_login(viewer)
        assert client.get(page_of(other)).status_code == 404
        assert f">{other.username}<" not in client.get(SEARCH).content.decode()
        suggestions = client.get(reverse("profiles:suggestions")).content.decode()
        assert f">{other.username}<" not in suggestions
        assert client.post(favourite_url(other)).status_code == 404
    # The blocked member cannot block back or undo someone else's block.
    client.force_login(sanne)
    assert client.post(block_url(me), {"action": "remove"}).status_code == 404
    assert Block.objects.filter(blocker=me, blocked=sanne).exists()


def test_blocks_list_and_undo(me_client, me, sanne):
    """R2.3: the member sees whom they blocked and can undo it."""
    block_member(member=me, target=sanne)
    html = me_client.get(BLOCKS).content.decode()
    assert "sanne" in html and "Unblock sanne" in html
    assert f'action="{block_url(sanne)}"' in html

    response = me_client.post(block_url(sanne), {"action": "remove", "next": BLOCKS}, follow=True)
    assert response.redirect_chain[-1][0] == BLOCKS
    assert "sanne is no longer blocked." in response.content.decode()
    assert not Block.objects.exists()
    assert me_client.get(page_of(sanne)).status_code == 200


def test_blocks_list_shows_only_my_blocks(me_client, me, sanne):
    other = person("otherone")
    block_member(member=sanne, target=other)
    block_member(member=sanne, target=me)
    html = me_client.get(BLOCKS).content.decode()
    assert "You have not blocked anyone." in html
    assert "otherone" not in html
