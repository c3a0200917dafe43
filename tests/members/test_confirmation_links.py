"""The e-mail confirmation link carries no readable database id (SECURITY.md): allauth's
default key is the address's id, signed but readable, which told how many addresses signed up
before. The key is random now; links mailed in the old format work until they expire."""

import pytest
from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail, signing

from tests.factories import MemberFactory

from .test_signup import SIGNUP_URL, confirmation_link, signup_data

pytestmark = pytest.mark.django_db


def test_the_mailed_confirmation_key_holds_no_id_and_confirms(committing_client):
    committing_client.post(SIGNUP_URL, signup_data())
    link = confirmation_link(mail.outbox[-1])
    key = link.rstrip("/").rsplit("/", 1)[1]
    address = EmailAddress.objects.get(email="jan@example.org")

    # allauth's default key was signing.dumps(address.pk): anyone could read the id back.
    with pytest.raises(signing.BadSignature):
        signing.loads(key, salt=allauth_settings.SALT)

    committing_client.post("/" + link.split("://", 1)[1].split("/", 1)[1])
    address.refresh_from_db()
    assert address.verified


def test_a_link_in_the_old_signed_format_still_confirms_until_it_expires(client):
    member = MemberFactory(username="jan", verified_email=False)
    address = EmailAddress.objects.create(user=member, email=member.email, primary=True)
    old_key = EmailConfirmationHMAC(address).key

    client.post(f"/accounts/confirm-email/{old_key}/")

    address.refresh_from_db()
    assert address.verified


def test_a_wrong_key_still_gets_the_page_that_explains(client):
    response = client.post("/accounts/confirm-email/not-a-real-key/")

    assert response.status_code == 400
