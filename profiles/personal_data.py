"""How the profiles app's personal data is exported and erased (see privacy.registry)."""

from pathlib import PurePosixPath

from privacy.registry import Basis, Category, register

from .models import Block, Favourite, Photo, Profile, ProfileTextRevision, VerificationRequest


@register(Profile, category=Category.VOLUNTARY, purpose="profile", basis=Basis.CONSENT)
class ProfileData:
    def export(self, member):
        profile = Profile.objects.filter(member=member).select_related("place").first()
        if profile is None:
            return []
        return [
            {
                "description": profile.description,
                "birth_date": profile.birth_date.isoformat() if profile.birth_date else None,
                "place": profile.place.name if profile.place else None,
                "seeks_genders": profile.sought_genders,
                "age_min": profile.age_min,
                "age_max": profile.age_max,
                "max_distance_km": profile.max_distance_km,
                "relationship_type": profile.relationship_type,
                "interests": list(profile.interests.values_list("slug", flat=True)),
                "free_tags": profile.free_tags,
                "hidden_from_search": profile.hidden_from_search,
                # The "verified" badge (issue 11): when it was granted, or None.
                "verified_at": profile.verified_at.isoformat() if profile.verified_at else None,
                # Special category (R2.2): exported to the member, decrypted.
                "sexual_preferences": profile.sexual_preferences,
            }
        ]

    def erase(self, member):
        Profile.objects.filter(member=member).delete()


def _export_path(photo) -> str:
    """Where the photo's file is inside the member's export ZIP (a photo still being processed:
    its upload as sent, of a format not known yet)."""
    if not photo.image.name and photo.original.name:
        return f"photos/{photo.public_id}.upload"
    suffix = PurePosixPath(photo.image.name).suffix.lower() or ".jpg"
    return f"photos/{photo.public_id}{suffix}"


@register(ProfileTextRevision, category=Category.VOLUNTARY, purpose="profile", basis=Basis.CONSENT)
class ProfileTextRevisionData:
    """Texts the member wrote that are not (or no longer) on the profile: waiting for review,
    not accepted, replaced, or taken down by a moderator (issue 11)."""

    def export(self, member):
        return [
            {
                "description": revision.description,
                "free_tags": revision.free_tags,
                "status": revision.status,
                "checks": revision.hits,
                "written_at": revision.created_at.isoformat(),
                "decided_at": revision.decided_at.isoformat() if revision.decided_at else None,
            }
            for revision in ProfileTextRevision.objects.filter(member=member).order_by(
                "created_at", "pk"
            )
        ]

    def erase(self, member):
        ProfileTextRevision.objects.filter(member=member).delete()


@register(Photo, category=Category.VOLUNTARY, purpose="profile", basis=Basis.CONSENT)
class PhotoData:
    def export(self, member):
        return [
            {
                "id": photo.public_id,
                "status": photo.status,
                "main": photo.is_main,
                "position": photo.position,
                "uploaded_at": photo.created_at.isoformat(),
                "file": _export_path(photo) if photo.status != Photo.Status.FAILED else None,
            }
            for photo in Photo.objects.filter(member=member)
        ]

    def files(self, member):
        """The stored photo files, for the export's photos/ folder (privacy.exports)."""
        for photo in Photo.objects.filter(member=member).exclude(status=Photo.Status.FAILED):
            yield _export_path(photo), photo.image if photo.image.name else photo.original

    def erase(self, member):
        """Files first, then rows: a crash in between leaves rows whose files are gone, and a
        re-run deletes what is left (deleting a missing file is not an error)."""
        for photo in Photo.objects.filter(member=member):
            for field in (photo.image, photo.thumbnail, photo.original):
                if field.name:
                    field.storage.delete(field.name)
        Photo.objects.filter(member=member).delete()
        # Photos this member reviewed as staff keep the review, not the reviewer.
        Photo.objects.filter(reviewed_by=member).update(reviewed_by=None)


@register(Favourite, category=Category.VOLUNTARY, purpose="contacts", basis=Basis.CONTRACT)
class FavouriteData:
    def export(self, member):
        return [
            {"member": f.target.username, "added_at": f.created_at.isoformat()}
            for f in Favourite.objects.filter(member=member).select_related("target")
        ]

    def erase(self, member):
        Favourite.objects.filter(member=member).delete()
        Favourite.objects.filter(target=member).delete()


@register(Block, category=Category.VOLUNTARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class BlockData:
    def export(self, member):
        return [
            {"member": b.blocked.username, "blocked_at": b.created_at.isoformat()}
            for b in Block.objects.filter(blocker=member).select_related("blocked")
        ]

    def erase(self, member):
        Block.objects.filter(blocker=member).delete()
        Block.objects.filter(blocked=member).delete()


def _selfie_path(verification) -> str:
    return f"verification/{verification.public_id}.jpg"


@register(VerificationRequest, category=Category.VOLUNTARY, purpose="profile", basis=Basis.CONSENT)
class VerificationRequestData:
    """Requests for the verified badge: gesture, status, reason and dates. A decided request
    has no selfie any more; a waiting one's selfie is in the export's verification/ folder."""

    def export(self, member):
        return [
            {
                "id": v.public_id,
                "gesture": v.gesture,
                "status": v.status,
                "refusal_reason": v.refusal_reason,
                "requested_at": v.created_at.isoformat(),
                "decided_at": v.decided_at.isoformat() if v.decided_at else None,
                "revoked_at": v.revoked_at.isoformat() if v.revoked_at else None,
                "revoke_reason": v.revoke_reason,
                "selfie": _selfie_path(v) if v.selfie.name else None,
            }
            for v in VerificationRequest.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def files(self, member):
        """A waiting request's selfie (decided ones have none), for the export."""
        for v in VerificationRequest.objects.filter(member=member).exclude(selfie=""):
            yield _selfie_path(v), v.selfie

    def erase(self, member):
        """Files first, then rows (a re-run after a crash deletes what is left)."""
        for v in VerificationRequest.objects.filter(member=member).exclude(selfie=""):
            v.selfie.storage.delete(v.selfie.name)
        VerificationRequest.objects.filter(member=member).delete()
        # Requests this member decided as staff keep the decision, not the moderator.
        VerificationRequest.objects.filter(decided_by=member).update(decided_by=None)
        VerificationRequest.objects.filter(revoked_by=member).update(revoked_by=None)
