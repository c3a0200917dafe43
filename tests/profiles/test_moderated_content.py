"""Profiles in moderation (issue 11): what a moderator sees of a photo, a profile and a held
profile text, and what each decision does to them, through moderation's registry
(profiles/moderated_content.py): release, remove, restore, hide and unhide, and links that
lead back to the item."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from moderation import registry
from moderation.models import Report
from moderation.reasons import Category
from profiles import photos as photo_services
from profiles.models import Photo, Profile, ProfileTextRevision
from profiles.services import update_profile
from tests.factories import make_profile, staff_member
from tests.profiles.test_search import person

from . import images

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def owner(db):
    member = person("eigenaar", place="Amersfoort", age=41)
    make_profile(member, description="Ik hou van zeilen.", free_tags=["zeilen", "koffie"])
    return member


@pytest.fixture
def viewer_client(client, db):
    client.force_login(person("kijker", place="Utrecht"))
    return client


def add(member) -> Photo:
    return images.add_processed_photo(
        member=member, upload=images.upload(images.jpeg_bytes((120, 90)))
    )


def approved(member) -> Photo:
    photo = add(member)
    photo_services.approve_photos(photos=[photo])
    photo.refresh_from_db()
    return photo


def file_url(photo, size="thumb") -> str:
    return reverse("profiles:photo_file", args=[photo.public_id, size])


def has_photo(member) -> bool:
    return Profile.objects.get(member=member).has_photo


def cases_about(obj):
    return Report.objects.filter(
        items__content_type=ContentType.objects.get_for_model(obj), items__object_id=obj.pk
    )


def test_kinds_and_transparency_database_content_types():
    photo = registry.entry_for(Photo)
    profile = registry.entry_for(Profile)
    text = registry.entry_for(ProfileTextRevision)
    assert (photo.kind, photo.tdb_content_type) == ("photo", "CONTENT_TYPE_IMAGE")
    assert (profile.kind, profile.tdb_content_type) == ("profile", "CONTENT_TYPE_TEXT")
    assert (text.kind, text.tdb_content_type) == ("profile_text", "CONTENT_TYPE_TEXT")
    assert registry.entry_for_kind("photo") is photo
    # An urgent report about a profile hides the whole account (a Sanction), not the profile.
    assert profile.hide is None and profile.unhide is None and profile.release is None
    # A reported profile text is hidden itself (and still stands for the account).
    assert text.hide is not None and text.unhide is not None and text.stands_for_account
    assert not photo.stands_for_account


# --- Photos -------------------------------------------------------------------------------------


def test_a_new_photo_joins_the_queue_in_the_upload_transaction(owner):
    """Issue 11: a new upload is a case of category "new photo" about its owner; photos keep
    their pending-until-approved flow. Uploads of one member join one open case."""
    first, second = add(owner), add(owner)

    (case,) = cases_about(first)
    assert case.reason == Category.NEW_PHOTO and case.reported_member == owner and case.is_open
    assert list(cases_about(second)) == [case]
    assert first.status == Photo.Status.PENDING


def test_no_photo_is_reviewable_when_it_cannot_join_the_queue(owner, monkeypatch, tmp_path):
    """The clean copies and the photo's place in the queue are one transaction: when holding
    fails in the processing task, the photo stays "being processed" (the sweep tries again)
    and the copies the task wrote are deleted."""

    def broken(**kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(photo_services, "hold_for_review", broken)

    with pytest.raises(RuntimeError, match="queue down"):  # an eager task's error propagates
        add(owner)

    photo = Photo.objects.get(member=owner)
    assert photo.status == Photo.Status.PROCESSING and not photo.image.name
    folder = tmp_path / "private" / "photos"
    assert folder.is_dir()  # the files were written before the transaction...
    assert not [path for path in folder.rglob("*") if path.is_file()]  # ...and deleted


def test_a_moderator_sees_the_photo_itself(owner, client):
    """The case shows the picture through a path only reviewers (and the owner) may open."""
    photo = add(owner)
    described = registry.entry_for(photo).describe(photo)

    assert described.image_url == file_url(photo, "full")
    assert described.author_id == owner.pk and described.author_username == "eigenaar"
    assert described.held and described.status == "pending"
    assert described.text == "Main photo."
    client.force_login(staff_member("Moderators"))
    assert client.get(described.image_url).status_code == 200
    client.force_login(staff_member("Helpdesk"))
    assert client.get(described.image_url).status_code == 404


def test_release_approves_a_new_photo_only(owner):
    entry = registry.entry_for(Photo)
    new, rejected = add(owner), add(owner)
    photo_services.reject_photo(photo=rejected)

    entry.release(new)
    entry.release(new)  # idempotent
    entry.release(rejected)  # a rejected photo comes back by appeal (restore), not by this

    new.refresh_from_db()
    rejected.refresh_from_db()
    assert new.status == Photo.Status.APPROVED and new.is_main
    assert rejected.status == Photo.Status.REJECTED
    assert has_photo(owner)


def test_remove_rejects_and_restore_shows_the_photo_again(owner, viewer_client):
    """Remove = reject: others no longer see it, another photo becomes main, the file stays;
    a decision reversed on appeal shows it again."""
    entry = registry.entry_for(Photo)
    main, other = approved(owner), approved(owner)
    assert viewer_client.get(file_url(main)).status_code == 200

    entry.remove(main)
    entry.remove(main)  # idempotent

    main.refresh_from_db()
    other.refresh_from_db()
    assert main.status == Photo.Status.REJECTED and not main.is_main
    assert other.is_main and has_photo(owner)
    assert viewer_client.get(file_url(main)).status_code == 404
    assert main.image.storage.exists(main.image.name)

    entry.restore(main)

    main.refresh_from_db()
    assert main.status == Photo.Status.APPROVED
    assert viewer_client.get(file_url(main)).status_code == 200


def test_restoring_the_only_photo_makes_it_main_again(owner):
    entry = registry.entry_for(Photo)
    photo = approved(owner)
    entry.remove(photo)
    assert not has_photo(owner)

    entry.restore(photo)

    photo.refresh_from_db()
    assert photo.is_main and has_photo(owner)


def test_hiding_keeps_the_status_and_unhiding_shows_the_photo_again(owner, viewer_client):
    """Urgent cases: hidden pending review, for everyone but the owner and moderators; the
    status (the decision still to take) stays."""
    entry = registry.entry_for(Photo)
    photo = approved(owner)
    profile_page = reverse("profiles:profile", args=[owner.public_id])

    entry.hide(photo)

    photo.refresh_from_db()
    assert photo.hidden_at is not None and photo.status == Photo.Status.APPROVED
    assert photo.is_main and not has_photo(owner)
    assert viewer_client.get(file_url(photo)).status_code == 404
    assert file_url(photo) not in viewer_client.get(profile_page).content.decode()
    assert "hidden pending review" in entry.describe(photo).status_label

    entry.unhide(photo)

    photo.refresh_from_db()
    assert photo.hidden_at is None and has_photo(owner)
    assert viewer_client.get(file_url(photo)).status_code == 200


def test_the_owner_still_sees_a_hidden_photo_and_is_told(owner, client):
    photo = approved(owner)
    registry.entry_for(photo).hide(photo)
    client.force_login(owner)

    assert client.get(file_url(photo)).status_code == 200
    page = client.get(reverse("profiles:photos")).content.decode()
    assert "Hidden from others while a moderator looks at a report" in page


def test_a_photo_link_leads_back_to_the_photo(owner, settings):
    settings.SITE_URL = "https://www.datingsite.example"
    photo = approved(owner)
    entry = registry.entry_for(photo)
    path = entry.public_url(photo)

    assert path == file_url(photo, "full")
    for link in (
        path,
        file_url(photo, "thumb"),
        f"https://www.datingsite.example{path}",
        f"https://datingsite.example{path}?download=1#top",
        f"datingsite.example{path}",
    ):
        assert entry.resolve_url(link) == photo, link
        assert registry.resolve_url(link) == photo, link
    for link in (
        f"https://elsewhere.example{path}",
        f"javascript:{path}",
        f"/photos/{photo.public_id}/original.jpg",
        "/photos/unknown/full.jpg",
        "",
        "not a link",
    ):
        assert entry.resolve_url(link) is None, link


# --- Profiles -----------------------------------------------------------------------------------


def test_a_moderator_sees_what_is_needed_to_judge_a_profile(owner):
    """Username, age, place and the approved text with its tags; not the birth date, not the
    member's history, and not a text waiting for review (that is its own case)."""
    update_profile(member=owner, description="Bel 0612345678")
    profile = Profile.objects.select_related("member", "place").get(member=owner)

    described = registry.entry_for(profile).describe(profile)

    assert described.text.splitlines()[:2] == ["eigenaar", "41 years · Amersfoort"]
    assert "Ik hou van zeilen." in described.text
    assert "Own tags: zeilen, koffie" in described.text
    assert "0612345678" not in described.text
    assert profile.birth_date.isoformat() not in described.text
    assert described.author_id == owner.pk and described.status == "active"
    assert described.image_url == ""


def test_removing_a_profile_takes_its_text_down_and_restore_brings_it_back(owner, viewer_client):
    entry = registry.entry_for(Profile)
    profile = Profile.objects.get(member=owner)
    page = reverse("profiles:profile", args=[owner.public_id])

    entry.remove(profile)
    entry.remove(profile)  # idempotent: nothing left to take down

    profile.refresh_from_db()
    assert (profile.description, profile.free_tags) == ("", [])
    (kept,) = ProfileTextRevision.objects.filter(member=owner)
    assert kept.status == ProfileTextRevision.Status.TAKEN_DOWN
    assert (kept.description, kept.free_tags) == ("Ik hou van zeilen.", ["zeilen", "koffie"])
    assert "Ik hou van zeilen." not in viewer_client.get(page).content.decode()

    entry.restore(profile)

    profile.refresh_from_db()
    assert (profile.description, profile.free_tags) == ("Ik hou van zeilen.", ["zeilen", "koffie"])
    kept.refresh_from_db()
    assert kept.status == ProfileTextRevision.Status.APPROVED
    assert "Ik hou van zeilen." in viewer_client.get(page).content.decode()


def test_restoring_a_profile_keeps_a_text_written_since(owner):
    entry = registry.entry_for(Profile)
    profile = Profile.objects.get(member=owner)
    entry.remove(profile)
    update_profile(member=owner, description="Een nieuwe tekst.")

    entry.restore(profile)

    profile.refresh_from_db()
    assert profile.description == "Een nieuwe tekst."


def test_a_profile_link_leads_back_to_the_profile(owner, settings):
    settings.SITE_URL = "https://datingsite.example"
    profile = Profile.objects.get(member=owner)
    entry = registry.entry_for(profile)
    path = entry.public_url(profile)

    assert path == reverse("profiles:profile", args=[owner.public_id])
    for link in (path, path.rstrip("/"), f"https://datingsite.example{path}?page=2"):
        assert entry.resolve_url(link) == profile, link
        assert registry.resolve_url(link) == profile, link
    assert entry.resolve_url("/members/nobody/") is None
    assert entry.resolve_url(f"https://evil.example{path}") is None
    assert entry.resolve_url(reverse("profiles:search")) is None


# --- Held profile texts -------------------------------------------------------------------------


def test_a_moderator_sees_the_text_shown_now_and_the_new_one(owner):
    revision = update_profile(
        member=owner, description="Mail me: lisa@example.nl", free_tags=["zeilen"]
    ).held_text

    described = registry.entry_for(revision).describe(revision)

    text = described.text
    assert text.index("Ik hou van zeilen.") < text.index("Mail me: lisa@example.nl")
    assert "Own tags: zeilen, koffie" in text and "Own tags: zeilen" in text
    assert "Checks that matched: E-mail address" in text
    assert described.held and described.status == "pending"
    assert described.author_id == owner.pk
    assert registry.entry_for(revision).author(revision) == owner.pk


def test_held_texts_load_in_one_query_per_case(owner, django_assert_num_queries):
    """A case page loads its items with the registry's queryset: member and profile come
    along."""
    revision = update_profile(member=owner, description="Bel 0612345678").held_text
    entry = registry.entry_for(ProfileTextRevision)

    with django_assert_num_queries(1):
        loaded = entry.in_bulk([revision.pk])[revision.pk]
        entry.describe(loaded)
