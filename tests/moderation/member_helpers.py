"""Shared pieces of the member-facing moderation tests (notice form, member reports,
decisions about me): a member with a profile and a photo, and deciding a case the way a
moderator does."""

from django.urls import reverse

from moderation import links, services
from moderation.models import Statement
from profiles.models import Photo
from tests.factories import MemberFactory, make_profile

GOOD_FAITH = "on"
TERMS_STATEMENT = {
    "ground": Statement.Ground.INCOMPATIBLE,
    "terms_clause": "4.2 Geen nepprofielen",
    "ground_explanation": "Een profiel moet van de persoon zelf zijn.",
    "facts": "De foto is van een ander persoon dan het lid.",
}


def member_with_photo(username="bob", **extra):
    """A findable member with a profile and one approved photo (files are not needed to
    report it)."""
    member = MemberFactory(username=username, email=f"{username}@example.org", **extra)
    return member, profile_and_photo(member)


def profile_and_photo(member) -> Photo:
    """Gives `member` a profile in Utrecht and an approved main photo."""
    make_profile(member, description="Ik hou van fietsen.", place="Utrecht")
    return Photo.objects.create(
        member=member,
        image=f"photos/{member.username}.jpg",
        thumbnail=f"photos/{member.username}_thumb.jpg",
        width=600,
        height=600,
        status=Photo.Status.APPROVED,
        is_main=True,
    )


def notice_data(**fields):
    data = {
        "reason": "scam",
        "explanation": "Dit is mijn foto, niet de hare.",
        "name": "Vera Visser",
        "email": "vera@example.org",
        "good_faith": GOOD_FAITH,
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def report_url(obj) -> str:
    return links.report_url(obj)


def sent_url() -> str:
    return reverse("moderation:notice_sent")


def decide(report, moderator, action=services.REMOVE, days=None, **statement):
    return services.decide_case(
        report=report,
        moderator=moderator,
        action=action,
        statement=(
            None
            if action == services.DISMISS
            else services.StatementInput(**{**TERMS_STATEMENT, **statement})
        ),
        days=days,
    )
