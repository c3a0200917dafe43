from django.dispatch import receiver

from privacy.models import ConsentPurpose
from privacy.services import consent_withdrawn


@receiver(consent_withdrawn)
def erase_special_category_data(sender, member, purpose, **kwargs):
    """R2.2: withdrawing consent removes the sexual preferences at once."""
    if purpose == ConsentPurpose.SPECIAL_CATEGORY:
        from .models import Profile

        Profile.objects.filter(member=member).update(sexual_preferences_encrypted="")
