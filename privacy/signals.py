"""How privacy hears of what other apps do with a member's privacy choices."""

from django.dispatch import receiver

from members.forms import member_signed_up

from .services import record_signup_choices


@receiver(member_signed_up)
def record_choices_made_at_signup(sender, member, consents, **kwargs):
    """The statement version accepted and the optional consents ticked at sign-up."""
    record_signup_choices(member=member, consents=consents)
