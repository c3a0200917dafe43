"""How the profiles app's personal data is exported and erased (see privacy.registry)."""

from pathlib import PurePosixPath

from privacy.registry import Basis, Category, register

from .models import Block, Favourite, Photo, Profile


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
                # Special category (R2.2): exported to the member, decrypted.
                "sexual_preferences": profile.sexual_preferences,
            }
        ]

    def erase(self, member):
        Profile.objects.filter(member=member).delete()


def _export_path(photo) -> str:
    """Where the photo's file is inside the member's export ZIP."""
    suffix = PurePosixPath(photo.image.name).suffix.lower() or ".jpg"
    return f"photos/{photo.public_id}{suffix}"


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
                "file": _export_path(photo),
            }
            for photo in Photo.objects.filter(member=member)
        ]

    def files(self, member):
        """The stored photo files, for the export's photos/ folder (privacy.exports)."""
        for photo in Photo.objects.filter(member=member):
            yield _export_path(photo), photo.image

    def erase(self, member):
        """Files first, then rows: a crash in between leaves rows whose files are gone, and a
        re-run deletes what is left (deleting a missing file is not an error)."""
        for photo in Photo.objects.filter(member=member):
            for field in (photo.image, photo.thumbnail):
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
