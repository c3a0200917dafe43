"""Profiles in moderation (see moderation.registry): photos, profiles as a whole and held
profile texts. What a moderator sees of each, and how a decision removes, restores, releases
or hides it. Imported at start-up by `ModerationConfig.ready`.

- photo: a new photo waits in the queue (`add_photo` holds it); release approves it, remove
  rejects it (the file is kept for a reversal), restore approves it again, hide/unhide keep
  it from others pending review of an urgent report without changing its status.
- profile: a report about a profile or account as a whole. Remove takes the self-description
  and own tags down (kept for restore); there is no hide: an urgent report hides the whole
  account (moderation's Sanction).
- profile_text: a new or changed text the site's check held (profiles.profile_texts).
  Release approves it, remove rejects it (the approved text stays), restore approves it after
  all; hide/unhide take an approved text off the profile pending review of an urgent report
  and put it back. It still stands for the account (independent reporters may hide that).

Links: a photo's own address (/photos/<id>/full.jpg) and a profile page (/members/<id>/), as
a path or a full URL on this site, lead back to the item (`resolve_url`), so a visitor's
notice can name it by link.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from moderation.detection import CHECK_LABELS
from moderation.registry import Described, register_content

from . import photos, profile_texts
from .models import Photo, Profile, ProfileTextRevision

# --- Links --------------------------------------------------------------------------------------


def site_path(link: str) -> str | None:
    """The path of a link to this site ("/members/abc/", "https://site/members/abc/?x=1",
    "site/members/abc"), or None for a link elsewhere or no link at all."""
    link = (link or "").strip()
    if not link:
        return None
    parts = urlsplit(link)
    if not parts.scheme and not link.startswith("/"):
        parts = urlsplit("//" + link)  # "example.nl/members/abc/" without https://
    if parts.scheme not in ("", "http", "https"):
        return None
    if parts.netloc:
        own = (urlsplit(settings.SITE_URL).hostname or "").removeprefix("www.")
        host = (parts.hostname or "").removeprefix("www.")
        if not own or host != own:
            return None
    return parts.path or "/"


def _resolve(link: str, view_name: str) -> dict | None:
    path = site_path(link)
    if path is None:
        return None
    for candidate in dict.fromkeys([path, path.rstrip("/") + "/"]):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.view_name == view_name:
            return match.kwargs
    return None


def photo_url(photo: Photo) -> str:
    return reverse("profiles:photo_file", args=[photo.public_id, "full"])


def photo_from_url(link: str) -> Photo | None:
    kwargs = _resolve(link, "profiles:photo_file")
    if kwargs is None or kwargs.get("size") not in photos.SIZES:
        return None
    return Photo.objects.select_related("member").filter(public_id=kwargs["public_id"]).first()


def profile_url(profile: Profile) -> str:
    return reverse("profiles:profile", args=[profile.member.public_id])


def profile_from_url(link: str) -> Profile | None:
    kwargs = _resolve(link, "profiles:profile")
    if kwargs is None:
        return None
    return (
        Profile.objects.select_related("member", "place")
        .filter(member__public_id=kwargs["public_id"])
        .first()
    )


# --- What a moderator sees ----------------------------------------------------------------------


def _tags_line(tags) -> str:
    return _("Own tags: %(tags)s") % {"tags": ", ".join(tags)} if tags else ""


def _text_block(description: str, tags) -> str:
    parts = [description.strip() or _("(no description)"), _tags_line(tags)]
    return "\n".join(part for part in parts if part)


def describe_photo(photo: Photo) -> Described:
    flags = []
    if photo.is_main:
        flags.append(_("Main photo."))
    if photo.is_premium:
        flags.append(_("Premium photo: only paying members see it."))
    status_label = str(photo.get_status_display())
    if photo.hidden_at is not None:
        status_label = _("%(status)s, hidden pending review") % {"status": status_label}
    return Described(
        text=" ".join(flags),
        author_id=photo.member_id,
        author_username=photo.member.username,
        created_at=photo.created_at,
        status=photo.status,
        status_label=status_label,
        held=photo.status == Photo.Status.PENDING,
        image_url=photo_url(photo),
    )


def describe_profile(profile: Profile) -> Described:
    """What is needed to judge a profile: name, age, place and the text others see (not the
    member's history, photos or messages: those are reported on their own)."""
    member = profile.member
    facts = []
    if profile.age:
        facts.append(_("%(age)s years") % {"age": profile.age})
    if profile.place_id:
        facts.append(profile.place.name)
    lines = [member.username]
    if facts:
        lines.append(" · ".join(facts))
    lines += ["", _text_block(profile.description, profile.free_tags)]
    return Described(
        text="\n".join(lines),
        author_id=member.pk,
        author_username=member.username,
        created_at=profile.updated_at,
        status=member.status,
        status_label=str(member.get_status_display()),
    )


def _profile_of(member) -> Profile | None:
    try:
        return member.profile
    except Profile.DoesNotExist:
        return None


def describe_profile_text(revision: ProfileTextRevision) -> Described:
    """The text others see now and the new one, with the checks it hit."""
    profile = _profile_of(revision.member)
    visible = _text_block(profile.description, profile.free_tags) if profile else ""
    checks = ", ".join(str(CHECK_LABELS.get(name, name)) for name in revision.hits)
    parts = [
        _("Shown on the profile now:"),
        visible or _("(no description)"),
        "",
        _("This text (%(status)s):") % {"status": revision.get_status_display()},
        _text_block(revision.description, revision.free_tags),
    ]
    if checks:
        parts += ["", _("Checks that matched: %(checks)s") % {"checks": checks}]
    status_label = str(revision.get_status_display())
    if revision.hidden_at is not None:
        status_label = _("%(status)s, hidden pending review") % {"status": status_label}
    return Described(
        text="\n".join(parts),
        author_id=revision.member_id,
        author_username=revision.member.username,
        created_at=revision.created_at,
        status=revision.status,
        status_label=status_label,
        held=revision.is_pending,
    )


# --- Registration -------------------------------------------------------------------------------

register_content(
    Photo,
    kind="photo",
    tdb_content_type="CONTENT_TYPE_IMAGE",
    describe=describe_photo,
    remove=lambda photo: photos.reject_photo(photo=photo),
    restore=lambda photo: photos.restore_photo(photo=photo),
    release=lambda photo: photos.release_photo(photo=photo),
    hide=lambda photo: photos.hide_photo(photo=photo),
    unhide=lambda photo: photos.unhide_photo(photo=photo),
    author=lambda photo: photo.member_id,
    queryset=lambda: Photo.objects.select_related("member"),
    public_url=photo_url,
    resolve_url=photo_from_url,
)

register_content(
    Profile,
    kind="profile",
    tdb_content_type="CONTENT_TYPE_TEXT",
    describe=describe_profile,
    remove=lambda profile: profile_texts.take_down_profile_text(profile=profile),
    restore=lambda profile: profile_texts.restore_profile_text(profile=profile),
    author=lambda profile: profile.member_id,
    queryset=lambda: Profile.objects.select_related("member", "place"),
    public_url=profile_url,
    resolve_url=profile_from_url,
)

register_content(
    ProfileTextRevision,
    kind="profile_text",
    tdb_content_type="CONTENT_TYPE_TEXT",
    describe=describe_profile_text,
    remove=lambda revision: profile_texts.reject_text(revision=revision),
    restore=lambda revision: profile_texts.restore_text(revision=revision),
    release=lambda revision: profile_texts.approve_text(revision=revision),
    hide=lambda revision: profile_texts.hide_text(revision=revision),
    unhide=lambda revision: profile_texts.unhide_text(revision=revision),
    stands_for_account=True,
    author=lambda revision: revision.member_id,
    queryset=lambda: ProfileTextRevision.objects.select_related("member__profile"),
)
