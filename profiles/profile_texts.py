"""A member's self-description and own tags, and their review (issue 11).

A new or changed text is checked (moderation.detection). Without a hit it goes on the profile
at once, as before. With a hit the profile keeps showing the last approved text, and the new
one waits in the moderation queue as a `ProfileTextRevision` (one per member: a newer edit
replaces it) until a moderator approves it (`approve_text`) or not (`reject_text`). The
member sees it as pending on their own pages; others see only the approved text.

Moderators can also take a profile's text down after a report (`take_down_profile_text`): the
text is kept in a revision row, so a decision reversed on appeal brings it back
(`restore_text`). A reversal never overwrites a text the member wrote since. An urgent report
on an approved text takes it off the profile the same way pending review (`hide_text`), and
`unhide_text` puts it back unless the member wrote another since.

The functions that change state run inside the caller's transaction with the member's profile
locked (`update_profile`) or take that lock themselves (moderation's callables), and log ids
and check names only, never text.
"""

import hashlib
import json
import logging

from django.db import transaction
from django.utils import timezone

from moderation.detection import check_names, check_text, matches_terms
from moderation.reasons import Category
from moderation.services import hold_for_review

from .models import Profile, ProfileTextRevision

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("description", "free_tags")
Status = ProfileTextRevision.Status


def text_digest(description: str, free_tags) -> str:
    """A fingerprint of a text, to tell later whether the profile still shows it (kept
    instead of a copy of the text)."""
    payload = json.dumps([description or "", list(free_tags or [])], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def pending_revision(member) -> ProfileTextRevision | None:
    return ProfileTextRevision.objects.filter(member=member, status=Status.PENDING).first()


def text_hits(*, description: str, free_tags, check_description: bool, check_tags: bool):
    """The names of the checks the changed parts of a text hit ([] for none). The tags are
    read as one text, so a number split over two tags is still a number."""
    hits = []
    if check_description:
        hits += check_names(check_text(description))
    if check_tags and free_tags:
        hits += check_names(check_text(" ".join(free_tags)))
    return list(dict.fromkeys(hits))


def _was_approved(member, description: str, free_tags) -> bool:
    """A moderator approved exactly this text before (it is not held again)."""
    return ProfileTextRevision.objects.filter(
        member=member, status=Status.APPROVED, description=description, free_tags=free_tags
    ).exists()


def propose_text(*, profile: Profile, **text) -> ProfileTextRevision | None:
    """Applies a new `description` and/or `free_tags` (those given) to the locked, unsaved
    `profile`, the way the member's edit asks: the text goes on the profile object when it is
    fine, or waits for review, in which case the profile object keeps its approved text and
    the pending revision is returned (the caller saves the profile). Runs in the caller's
    transaction."""
    member = profile.member
    pending = (
        ProfileTextRevision.objects.select_for_update()
        .filter(member=member, status=Status.PENDING)
        .first()
    )
    # What the member's text is after this edit: a field not given stays as the member last
    # wrote it (the pending text if there is one).
    base = pending or profile
    description = text.get("description", base.description)
    free_tags = list(text.get("free_tags", base.free_tags) or [])
    if pending is not None and (description, free_tags) == (
        pending.description,
        list(pending.free_tags),
    ):
        return pending  # saved again unchanged (another field changed): it keeps waiting
    approved = (profile.description, list(profile.free_tags or []))
    if (description, free_tags) == approved:
        _withdraw(pending)
        return None
    hits = text_hits(
        description=description,
        free_tags=free_tags,
        check_description=description != approved[0],
        check_tags=free_tags != approved[1],
    )
    if not hits or _was_approved(member, description, free_tags):
        _withdraw(pending)
        profile.description = description
        profile.free_tags = free_tags
        return None
    revision = pending or ProfileTextRevision(member=member)
    revision.description = description
    revision.free_tags = free_tags
    revision.hits = hits
    revision.created_at = timezone.now()
    revision.full_clean(exclude=["member"])
    revision.save()
    hold_for_review(item=revision, author=member, reason=Category.PROFILE_TEXT)
    logger.info(
        "profile_text.held member=%s revision=%s checks=%s",
        member.pk,
        revision.pk,
        ",".join(hits),
    )
    return revision


def _withdraw(pending: ProfileTextRevision | None) -> None:
    """The member replaced a pending text by one that needs no review (or by the approved
    one): the pending row stays for the open case, without its text."""
    if pending is None:
        return
    pending.status = Status.WITHDRAWN
    pending.description = ""
    pending.free_tags = []
    pending.decided_at = timezone.now()
    pending.save(update_fields=["status", "description", "free_tags", "decided_at"])
    logger.info("profile_text.withdrawn member=%s revision=%s", pending.member_id, pending.pk)


def _locked_profile(member_id) -> Profile:
    profile, _created = Profile.objects.select_for_update().get_or_create(member_id=member_id)
    return profile


def _publish(profile: Profile, revision: ProfileTextRevision) -> None:
    profile.description = revision.description
    profile.free_tags = list(revision.free_tags)
    profile.save(update_fields=["description", "free_tags", "updated_at"])


def approve_text(*, revision: ProfileTextRevision) -> None:
    """A moderator found nothing wrong (moderation's `release`): a pending text goes on the
    profile. Anything but a pending text is left as it is (idempotent)."""
    with transaction.atomic():
        profile = _locked_profile(revision.member_id)
        revision.refresh_from_db()
        if revision.status != Status.PENDING:
            return
        _publish(profile, revision)
        revision.status = Status.APPROVED
        revision.decided_at = timezone.now()
        revision.save(update_fields=["status", "decided_at"])
    logger.info("profile_text.approved member=%s revision=%s", revision.member_id, revision.pk)


def reject_text(*, revision: ProfileTextRevision) -> None:
    """Moderation's `remove`: a pending text is not accepted and the approved text stays; an
    approved text the profile still shows is taken off it. Idempotent."""
    with transaction.atomic():
        profile = _locked_profile(revision.member_id)
        revision.refresh_from_db()
        shown = text_digest(profile.description, profile.free_tags)
        if revision.status == Status.PENDING:
            kept = shown
        elif revision.status == Status.APPROVED:
            if revision.hidden_at is not None and shown == revision.kept_text_digest:
                kept = shown  # off the profile since `hide_text`: a reversal brings it back
            elif shown == text_digest(revision.description, revision.free_tags):
                profile.description = ""
                profile.free_tags = []
                profile.save(update_fields=["description", "free_tags", "updated_at"])
                kept = text_digest("", [])
            else:
                kept = ""  # the member replaced it since: a reversal does not bring it back
        else:
            return
        revision.status = Status.REJECTED
        revision.kept_text_digest = kept
        revision.decided_at = timezone.now()
        revision.hidden_at = None
        revision.save(update_fields=["status", "kept_text_digest", "decided_at", "hidden_at"])
    logger.info("profile_text.rejected member=%s revision=%s", revision.member_id, revision.pk)


def restore_text(*, revision: ProfileTextRevision) -> None:
    """Undoes `reject_text` or `take_down_profile_text` when the decision is reversed on
    appeal: the text goes (back) on the profile, unless the member has written another text
    since, which stays. Either way the text counts as approved: the member can put it back
    without waiting for review again. Idempotent."""
    with transaction.atomic():
        profile = _locked_profile(revision.member_id)
        revision.refresh_from_db()
        if revision.status not in (Status.REJECTED, Status.TAKEN_DOWN):
            return
        unchanged_since = (
            text_digest(profile.description, profile.free_tags) == revision.kept_text_digest
        )
        if unchanged_since:
            _publish(profile, revision)
        revision.status = Status.APPROVED
        revision.decided_at = timezone.now()
        revision.save(update_fields=["status", "decided_at"])
    logger.info(
        "profile_text.restored member=%s revision=%s published=%s",
        revision.member_id,
        revision.pk,
        unchanged_since,
    )


def hide_text(*, revision: ProfileTextRevision) -> None:
    """Moderation's `hide` for an urgent report: an approved text the profile shows is taken
    off it pending review (a pending text is not shown to others anyway). Idempotent."""
    with transaction.atomic():
        profile = _locked_profile(revision.member_id)
        revision.refresh_from_db()
        if revision.status != Status.APPROVED or revision.hidden_at is not None:
            return
        if text_digest(profile.description, profile.free_tags) != text_digest(
            revision.description, revision.free_tags
        ):
            return  # the profile shows another text now
        profile.description = ""
        profile.free_tags = []
        profile.save(update_fields=["description", "free_tags", "updated_at"])
        revision.hidden_at = timezone.now()
        revision.kept_text_digest = text_digest("", [])
        revision.save(update_fields=["hidden_at", "kept_text_digest"])
    logger.info("profile_text.hidden member=%s revision=%s", revision.member_id, revision.pk)


def unhide_text(*, revision: ProfileTextRevision) -> None:
    """Moderation's `unhide`: the case ended without removing the text, it goes back on the
    profile, unless the member has written another text since. Idempotent."""
    with transaction.atomic():
        profile = _locked_profile(revision.member_id)
        revision.refresh_from_db()
        if revision.hidden_at is None:
            return
        unchanged_since = (
            text_digest(profile.description, profile.free_tags) == revision.kept_text_digest
        )
        if revision.status == Status.APPROVED and unchanged_since:
            _publish(profile, revision)
        revision.hidden_at = None
        revision.save(update_fields=["hidden_at"])
    logger.info("profile_text.unhidden member=%s revision=%s", revision.member_id, revision.pk)


def take_down_profile_text(*, profile: Profile) -> ProfileTextRevision | None:
    """Moderation's `remove` for a reported profile: the self-description and own tags are
    blanked; the text is kept in a revision row (`taken_down`) for `restore_profile_text`.
    Idempotent: a blank profile has nothing to take down."""
    with transaction.atomic():
        profile = _locked_profile(profile.member_id)
        if not profile.description and not profile.free_tags:
            return None
        revision = ProfileTextRevision.objects.create(
            member_id=profile.member_id,
            description=profile.description,
            free_tags=list(profile.free_tags or []),
            status=Status.TAKEN_DOWN,
            kept_text_digest=text_digest("", []),
            decided_at=timezone.now(),
        )
        profile.description = ""
        profile.free_tags = []
        profile.save(update_fields=["description", "free_tags", "updated_at"])
    logger.info("profile_text.taken_down member=%s revision=%s", profile.member_id, revision.pk)
    return revision


def restore_profile_text(*, profile: Profile) -> None:
    """Undoes the latest `take_down_profile_text` (see `restore_text`)."""
    revision = (
        ProfileTextRevision.objects.filter(member_id=profile.member_id, status=Status.TAKEN_DOWN)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if revision is not None:
        restore_text(revision=revision)


RECHECK_BATCH = 2000


def hold_shown_texts_with(terms) -> int:
    """A blocked term was added: every active member's profile text shown now that holds one
    of `terms` is held for review as a case about the profile (category "profile text"). The
    text stays shown until a moderator removes it. Idempotent: a profile already in an open
    case joins no second one. Returns how many profiles matched."""
    profiles = (
        Profile.objects.filter(member__is_active=True)
        .exclude(description="", free_tags=[])
        .select_related("member")
        .order_by("pk")
    )
    matched = 0
    for profile in profiles.iterator(chunk_size=RECHECK_BATCH):
        if matches_terms(profile.description, terms) or matches_terms(
            " ".join(profile.free_tags or []), terms
        ):
            with transaction.atomic():
                hold_for_review(item=profile, author=profile.member, reason=Category.PROFILE_TEXT)
            matched += 1
    logger.info("profile_text.recheck terms=%s matched=%s", len(terms), matched)
    return matched
