"""A new blocked term also finds the texts already on profiles (issue 11, "Detection the site
does itself"): adding it in admin, switching it on, or the admin action "Check the profile
texts shown now" checks every active member's shown text in the background; matches wait in
the moderation queue as "Profile text matched a pattern" while the text stays shown."""

import pytest

from moderation.models import BlockedTerm, Report
from moderation.reasons import Category
from profiles.models import Profile
from profiles.profile_texts import hold_shown_texts_with
from tests.factories import MemberFactory, make_profile, staff_member

pytestmark = pytest.mark.django_db

ADMIN = "/admin/moderation/blockedterm/"


@pytest.fixture
def profiles(db):
    """Three members: one says the term in their text, one in a tag, one not at all."""
    texts = {
        "tekst": {"description": "Ik ben een echte Sugar  Baby, schrijf me."},
        "tag": {"description": "Gewoon ik.", "free_tags": ["fietsen", "sugar baby"]},
        "schoon": {"description": "Wandelen en koken, meer niet."},
    }
    made = {}
    for username, fields in texts.items():
        member = MemberFactory(username=username)
        make_profile(member, **fields)
        made[username] = member
    return made


def held_members() -> set[str]:
    return set(
        Report.objects.filter(reason=Category.PROFILE_TEXT, status=Report.Status.OPEN)
        .values_list("reported_member__username", flat=True)
        .distinct()
    )


def test_adding_a_term_in_admin_holds_the_texts_that_hold_it(
    client, profiles, django_capture_on_commit_callbacks
):
    client.force_login(staff_member("Moderators"))
    client.cookies["django_language"] = "en"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{ADMIN}add/", {"term": "sugar baby", "note": "golf", "active": "on"}, follow=True
        )

    assert response.status_code == 200
    assert "The profile texts shown now are being checked" in response.content.decode()
    assert held_members() == {"tekst", "tag"}
    report = Report.objects.filter(reported_member=profiles["tekst"]).get()
    assert report.items.get().content_type.model == "profile"
    assert report.notices.count() == 0
    # The text stays shown until a moderator decides.
    profile = Profile.objects.get(member=profiles["tekst"])
    assert "Sugar  Baby" in profile.description


def test_an_inactive_term_checks_nothing_until_switched_on(
    client, profiles, django_capture_on_commit_callbacks
):
    client.force_login(staff_member("Moderators"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{ADMIN}add/", {"term": "sugar baby", "note": ""})
    assert held_members() == set()
    term = BlockedTerm.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{ADMIN}{term.pk}/change/", {"term": "sugar baby", "note": "", "active": "on"})

    assert held_members() == {"tekst", "tag"}


def test_rechecking_is_idempotent_and_the_action_runs_it_again(
    client, profiles, django_capture_on_commit_callbacks
):
    term = BlockedTerm.objects.create(term="sugar baby")
    client.force_login(staff_member("Moderators"))

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(ADMIN, {"action": "recheck_shown_texts", "_selected_action": [term.pk]})

    assert held_members() == {"tekst", "tag"}
    assert Report.objects.count() == 2
    assert hold_shown_texts_with(["sugar baby"]) == 2
    assert Report.objects.count() == 2


def test_closed_or_suspended_members_and_a_switched_off_check_are_left_alone(profiles, settings):
    profiles["tekst"].is_active = False
    profiles["tekst"].save(update_fields=["is_active"])

    assert hold_shown_texts_with(["sugar baby"]) == 1
    assert held_members() == {"tag"}

    Report.objects.all().delete()
    settings.MODERATION_TEXT_CHECKS = ["phone"]
    assert hold_shown_texts_with(["sugar baby"]) == 0
    assert held_members() == set()


def test_only_the_new_terms_count_not_what_moderators_approved_before(profiles):
    """An old text with a phone number a moderator let through is not held again by a
    recheck for a new term."""
    member = MemberFactory(username="nummer")
    make_profile(member, description="Bel me: 0612345678")

    assert hold_shown_texts_with(["kaasschaaf"]) == 0
    assert not Report.objects.exists()


def test_helpdesk_cannot_run_the_recheck(client, profiles, django_capture_on_commit_callbacks):
    term = BlockedTerm.objects.create(term="sugar baby")
    client.force_login(staff_member("Helpdesk"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            ADMIN, {"action": "recheck_shown_texts", "_selected_action": [term.pk]}
        )

    assert response.status_code == 403
    assert not Report.objects.exists()
