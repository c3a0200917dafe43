"""The password reset link carries no readable database id (SECURITY.md): allauth puts the
member's id in base 36 before the token ("/password/reset/key/1c-..."), which told sign-up
order. The member part is the sealed public id now; links mailed in the old format work until
their token expires."""

import re

import pytest
from allauth.account.forms import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.http import int_to_base36

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nog-een-lang-wachtwoord-77"  # noqa: S105
KEY_PATH = re.compile(r"https?://[^/\s]+(/accounts/password/reset/key/([0-9A-Za-z]+)-[^\s]*)")


def reset_with(client, path):
    form_page = client.get(path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    return client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_the_mailed_reset_link_holds_no_id_and_resets(committing_client, member):
    MemberFactory.create_batch(3)  # ids around alice's, so a readable one would be plain
    client = committing_client
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    path, uid = KEY_PATH.search(mail.outbox[-1].body).groups()

    assert uid != int_to_base36(member.pk)
    assert member.public_id not in path
    reset_with(client, path)
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_a_reset_link_in_the_old_format_still_works_until_it_expires(member):
    token = default_token_generator.make_token(member)
    old = f"/accounts/password/reset/key/{int_to_base36(member.pk)}-{token}/"

    reset_with(Client(), old)

    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("uid", ["zzzzzzzzzzzzz", "zzzzzzzzzzzzzzzzzzzz", "0", "abc123"])
def test_a_made_up_member_part_is_a_bad_link_not_an_error(member, uid):
    token = default_token_generator.make_token(member)
    response = Client(raise_request_exception=False).get(
        f"/accounts/password/reset/key/{uid}-{token}/"
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert not member.check_password(NEW_PASSWORD)
