"""Profile texts the site checks itself (issue 11, "Detection the site does itself"): a new or
changed self-description or own tags with contact details, payment terms or a blocked word
waits in the moderation queue; the profile keeps its approved text meanwhile, the member sees
the new one as pending, others only the approved one."""

import logging

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from moderation import registry
from moderation.models import BlockedTerm, Report
from moderation.reasons import Category
from privacy.registry import erase_member_data, export_member
from profiles import profile_texts
from profiles.models import DESCRIPTION_MAX_LENGTH, Profile, ProfileTextRevision
from profiles.services import update_profile
from tests.factories import make_profile
from tests.profiles.test_search import person

from .conftest import profile_form_data

pytestmark = pytest.mark.django_db

EDIT = "/profile/"
APPROVED = "Ik fiets graag langs de Maas."
WITH_PHONE = "Bel me gerust: 06-12345678"
Status = ProfileTextRevision.Status


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def writer(db):
    member = person("writer", place="Utrecht", age=33)
    make_profile(member, description=APPROVED, free_tags=["koffie"])
    return member


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client


@pytest.fixture
def viewer(db):
    return person("viewer", place="Utrecht", age=35)


def profile_of(member) -> Profile:
    return Profile.objects.get(member=member)


def cases_about(revision):
    return Report.objects.filter(
        items__content_type=ContentType.objects.get_for_model(ProfileTextRevision),
        items__object_id=revision.pk,
    )


def post_text(client, description, free_tags="koffie"):
    return client.post(
        EDIT, profile_form_data(description=description, free_tags=free_tags), follow=True
    )


def test_a_text_without_hits_is_saved_at_once(writer_client, writer):
    """As before issue 11: no hit, no review."""
    response = post_text(writer_client, "Ik wandel graag op de Veluwe.", "wandelen, koffie")

    assert "Your profile has been saved." in response.content.decode()
    profile = profile_of(writer)
    assert profile.description == "Ik wandel graag op de Veluwe."
    assert profile.free_tags == ["wandelen", "koffie"]
    assert not ProfileTextRevision.objects.exists()
    assert not Report.objects.exists()


def test_a_text_with_a_phone_number_waits_and_the_approved_one_stays(
    writer_client, writer, client, viewer
):
    """Issue 11: a hit keeps the last approved text visible and puts the new one in the
    queue (a case of category "profile text" about the member); the member is told."""
    response = post_text(writer_client, WITH_PHONE)

    page = response.content.decode()
    assert "Your new text waits for a moderator" in page
    profile = profile_of(writer)
    assert profile.description == APPROVED
    revision = ProfileTextRevision.objects.get(member=writer)
    assert revision.status == Status.PENDING
    assert revision.description == WITH_PHONE and revision.free_tags == ["koffie"]
    assert revision.hits == ["phone"]
    (case,) = cases_about(revision)
    assert case.reason == Category.PROFILE_TEXT and case.reported_member == writer
    assert case.is_open
    # Other fields of the same form are saved as usual.
    assert profile.age_min == 30 and profile.place.name == "Utrecht"


def test_the_member_sees_the_pending_text_and_the_approved_one(writer_client, writer):
    post_text(writer_client, WITH_PHONE)

    edit = writer_client.get(EDIT)
    html = edit.content.decode()
    assert "Your new text waits for review." in html
    assert APPROVED in html  # what others see meanwhile
    assert edit.context["form"].initial["description"] == WITH_PHONE  # what they last wrote
    own_page = writer_client.get(reverse("profiles:profile", args=[writer.public_id]))
    own = own_page.content.decode()
    assert "waits for a moderator to look at it" in own
    assert APPROVED in own and "06-12345678" not in own


def test_others_see_only_the_approved_text(writer, viewer, client):
    update_profile(member=writer, description=WITH_PHONE, free_tags=["snap: lisa93"])
    client.force_login(viewer)

    html = client.get(reverse("profiles:profile", args=[writer.public_id])).content.decode()

    assert APPROVED in html and "koffie" in html
    assert "06-12345678" not in html and "lisa93" not in html
    assert "waits for" not in html


def test_own_tags_are_checked_too():
    member = person("tagger")
    make_profile(member, description=APPROVED)

    profile = update_profile(member=member, free_tags=["wandelen", "insta: lisa_93"])

    assert profile.free_tags == []
    assert profile.held_text.hits == ["web"]
    assert profile.held_text.description == APPROVED  # the part not changed stays


def test_a_number_split_over_two_tags_is_still_found(writer):
    profile = update_profile(member=writer, free_tags=["06 1234", "5678"])
    assert profile.held_text is not None and profile.held_text.hits == ["phone"]


def test_a_newer_edit_replaces_the_pending_text_in_the_same_case(writer):
    first = update_profile(member=writer, description=WITH_PHONE).held_text
    second = update_profile(member=writer, description="Mail me: lisa@example.nl").held_text

    assert second.pk == first.pk
    assert ProfileTextRevision.objects.filter(member=writer, status=Status.PENDING).count() == 1
    second.refresh_from_db()
    assert second.description == "Mail me: lisa@example.nl" and second.hits == ["email"]
    assert cases_about(second).count() == 1 and Report.objects.count() == 1


def test_a_newer_edit_without_hits_goes_live_and_withdraws_the_pending_text(writer):
    pending = update_profile(member=writer, description=WITH_PHONE).held_text

    profile = update_profile(member=writer, description="Ik zeil graag.")

    assert profile.held_text is None
    assert profile_of(writer).description == "Ik zeil graag."
    pending.refresh_from_db()
    assert pending.status == Status.WITHDRAWN
    assert pending.description == "" and pending.free_tags == []  # the text is not kept


def test_going_back_to_the_approved_text_withdraws_the_pending_one(writer):
    pending = update_profile(member=writer, description=WITH_PHONE).held_text

    update_profile(member=writer, description=APPROVED)

    pending.refresh_from_db()
    assert pending.status == Status.WITHDRAWN
    assert profile_of(writer).description == APPROVED


def test_saving_other_fields_leaves_the_pending_text_waiting(writer_client, writer):
    """The form shows the pending text; saving it again with another change keeps it waiting
    as it was (not withdrawn, not renewed)."""
    pending = update_profile(member=writer, description=WITH_PHONE).held_text
    ProfileTextRevision.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - timezone.timedelta(hours=5)
    )
    pending.refresh_from_db()

    writer_client.post(
        EDIT, profile_form_data(description=WITH_PHONE, free_tags="koffie", age_max="50")
    )

    assert profile_of(writer).age_max == 50
    kept = ProfileTextRevision.objects.get(pk=pending.pk)
    assert kept.status == Status.PENDING and kept.created_at == pending.created_at
    update_profile(member=writer, age_min=31)  # no text given at all
    assert ProfileTextRevision.objects.get(pk=pending.pk).status == Status.PENDING


def test_an_unchanged_text_is_not_held_again(writer):
    """A text on the profile from before a check or a blocked term existed is not sent to
    the queue each time the member saves something else."""
    Profile.objects.filter(member=writer).update(description="Bel 0612345678")

    profile = update_profile(member=writer, description="Bel 0612345678", age_min=40)

    assert profile.held_text is None and profile_of(writer).age_min == 40
    assert not ProfileTextRevision.objects.exists()


def test_a_blocked_term_from_the_admin_list_holds_the_text(writer):
    BlockedTerm.objects.create(term="kaasschaaf")

    profile = update_profile(member=writer, description="Ik verzamel kaasschaven? Nee, Kaasschaaf!")

    assert profile.held_text.hits == ["blocked_terms"]


def test_a_text_that_is_too_long_saves_nothing(writer):
    assert profile_of(writer).age_min != 40
    with pytest.raises(ValidationError):
        update_profile(
            member=writer, description="06-12345678 " + "x" * DESCRIPTION_MAX_LENGTH, age_min=40
        )

    assert not ProfileTextRevision.objects.exists() and not Report.objects.exists()
    assert profile_of(writer).age_min != 40


def test_the_checks_are_stored_and_logged_without_the_text(writer, caplog):
    with caplog.at_level(logging.INFO):
        revision = update_profile(member=writer, description="geheim: 0612345678").held_text

    assert revision.hits == ["phone"]
    assert "0612345678" not in caplog.text and "geheim" not in caplog.text
    assert f"profile_text.held member={writer.pk}" in caplog.text


# --- Decisions (through moderation's registry) ----------------------------------------------


def entry():
    return registry.entry_for(ProfileTextRevision)


def test_approving_puts_the_text_on_the_profile(writer, viewer, client):
    revision = update_profile(member=writer, description=WITH_PHONE).held_text

    entry().release(revision)
    entry().release(revision)  # idempotent

    revision.refresh_from_db()
    assert revision.status == Status.APPROVED and revision.decided_at is not None
    assert profile_of(writer).description == WITH_PHONE
    client.force_login(viewer)
    html = client.get(reverse("profiles:profile", args=[writer.public_id])).content.decode()
    assert WITH_PHONE in html


def test_an_approved_text_is_not_held_again(writer):
    """The member changes their text and later puts the approved one back: a moderator has
    judged it already."""
    revision = update_profile(member=writer, description=WITH_PHONE).held_text
    entry().release(revision)
    update_profile(member=writer, description="Iets anders.")

    profile = update_profile(member=writer, description=WITH_PHONE)

    assert profile.held_text is None
    assert profile_of(writer).description == WITH_PHONE


def test_rejecting_keeps_the_approved_text(writer):
    revision = update_profile(member=writer, description=WITH_PHONE).held_text

    entry().remove(revision)
    entry().remove(revision)  # idempotent

    revision.refresh_from_db()
    assert revision.status == Status.REJECTED
    assert profile_of(writer).description == APPROVED
    assert profile_texts.pending_revision(writer) is None


def test_a_reversal_on_appeal_publishes_the_rejected_text(writer):
    revision = update_profile(member=writer, description=WITH_PHONE).held_text
    entry().remove(revision)

    entry().restore(revision)

    revision.refresh_from_db()
    assert revision.status == Status.APPROVED
    assert profile_of(writer).description == WITH_PHONE


def test_a_reversal_does_not_overwrite_a_text_written_since(writer):
    revision = update_profile(member=writer, description=WITH_PHONE).held_text
    entry().remove(revision)
    update_profile(member=writer, description="Mijn nieuwe tekst.")

    entry().restore(revision)

    assert profile_of(writer).description == "Mijn nieuwe tekst."
    revision.refresh_from_db()
    assert revision.status == Status.APPROVED  # the member may put it back without a wait
    assert update_profile(member=writer, description=WITH_PHONE).held_text is None


def test_a_withdrawn_text_is_neither_approved_nor_rejected(writer):
    revision = update_profile(member=writer, description=WITH_PHONE).held_text
    update_profile(member=writer, description="Ik zeil graag.")

    entry().release(revision)
    entry().remove(revision)

    revision.refresh_from_db()
    assert revision.status == Status.WITHDRAWN
    assert profile_of(writer).description == "Ik zeil graag."


# --- Privacy --------------------------------------------------------------------------------


def test_export_holds_pending_and_rejected_texts_and_erasure_deletes_them(writer):
    rejected = update_profile(member=writer, description=WITH_PHONE).held_text
    entry().remove(rejected)
    update_profile(member=writer, description="Mail: lisa@example.nl")

    rows = export_member(writer)["profiles.profiletextrevision"]

    assert [(row["description"], row["status"], row["checks"]) for row in rows] == [
        (WITH_PHONE, "rejected", ["phone"]),
        ("Mail: lisa@example.nl", "pending", ["email"]),
    ]
    erase_member_data(writer)
    assert not ProfileTextRevision.objects.exists()
