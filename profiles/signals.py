from django.dispatch import receiver

from members.enqueue import enqueue_on_commit
from moderation.signals import blocked_terms_added
from privacy.models import ConsentPurpose
from privacy.services import consent_withdrawn


@receiver(consent_withdrawn)
def erase_special_category_data(sender, member, purpose, **kwargs):
    """R2.2: withdrawing consent removes the sexual preferences at once."""
    if purpose == ConsentPurpose.SPECIAL_CATEGORY:
        from .models import Profile

        Profile.objects.filter(member=member).update(sexual_preferences_encrypted="")


@receiver(blocked_terms_added)
def recheck_shown_texts(sender, terms, **kwargs):
    """Issue 11: a new blocked term also finds the texts already on profiles."""
    from .tasks import recheck_profile_texts

    enqueue_on_commit(recheck_profile_texts, list(terms))
