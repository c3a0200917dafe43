import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.utils import timezone

from members.models import Member

PASSWORD = "Een-lang-wachtwoord-2026"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda m: f"{m.username}@example.org")
    gender = Member.Gender.WOMAN
    confirmed_adult_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


def staff_member(role: str, *, with_totp: bool = True, **kwargs) -> Member:
    """A staff member in the `Moderators` or `Helpdesk` group (or `superuser`), with two-factor
    set up unless asked otherwise."""
    member = MemberFactory(is_staff=True, is_superuser=role == "superuser", **kwargs)
    if role != "superuser":
        member.groups.add(Group.objects.get(name=role))
    if with_totp:
        TOTP.activate(member, generate_totp_secret())
    return member


def record_two_factor_login(client, member) -> None:
    """Writes into the client's session what allauth records after a log-in with password and
    TOTP code (nothing when the member has no TOTP)."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
    from allauth.account.internal.userkit import user_id_to_str

    authenticator = Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return
    now = time.time()
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "username": member.username},
        {"method": "mfa", "at": now, "id": authenticator.pk, "type": authenticator.type},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(member)
    session.save()


def has_totp(member) -> bool:
    return Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()


def make_profile(member, **fields):
    """A profile for `member` with the given fields (place by name: place="Utrecht")."""
    from profiles.models import Profile

    place = fields.pop("place", None)
    if isinstance(place, str):
        from profiles.places import resolve_place

        resolution = resolve_place(place)
        place = resolution.place or resolution.candidates[0]
    interests = fields.pop("interests", [])
    profile, _ = Profile.objects.get_or_create(member=member)
    for key, value in fields.items():
        setattr(profile, key, value)
    if place is not None:
        profile.place = place
        profile.latitude = place.latitude
        profile.longitude = place.longitude
    profile.save()
    if interests:
        profile.interests.set(interests)
    return profile
