"""seed_demo makes idempotent demo data: members that can log in, with realistic profiles."""

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from members.management.commands.seed_demo import DEMO_PASSWORD
from members.models import Member
from profiles.models import Profile

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_makes_complete_adult_profiles(client):
    call_command("seed_demo", members=30)
    call_command("seed_demo", members=30)

    assert Member.objects.filter(username__startswith="demo_").count() == 30
    assert (
        EmailAddress.objects.filter(verified=True, user__username__startswith="demo_").count() == 30
    )
    profiles = Profile.objects.filter(member__username__startswith="demo_")
    assert profiles.count() == 30
    for profile in profiles:
        assert profile.age >= 18
        assert profile.place_id and profile.latitude is not None
        assert profile.sought_genders
        assert profile.age_min <= profile.age_max

    response = client.post("/accounts/login/", {"login": "demo_000001", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_seed_demo_grows_without_duplicates():
    call_command("seed_demo", members=5)
    call_command("seed_demo", members=8)

    assert Member.objects.filter(username__startswith="demo_").count() == 8
    assert Profile.objects.filter(member__username__startswith="demo_").count() == 8
