"""Staff: admin behind two-factor, least-privilege roles (R9.2, SECURITY.md)."""

import pytest
from django.contrib.auth.models import Group

from members.models import Member, OutgoingMail
from members.roles import ROLE_PERMISSIONS
from members.staff_two_factor import issue_enrolment_link
from tests.factories import MemberFactory, staff_member

pytestmark = pytest.mark.django_db

HELPDESK_SCREEN = "/admin/members/outgoingmail/"
MEMBER_LIST = "/admin/members/member/"


def test_role_groups_hold_exactly_their_permissions():
    """The data migration made the groups; they match members.roles and nothing more."""
    for group_name, codes in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=group_name)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == set(codes)


def test_admin_is_for_staff_only(client, member):
    client.force_login(member)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/login" in response.url


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_staff_without_two_factor_is_sent_to_set_it_up(client):
    moderator = staff_member("Moderators", with_totp=False)
    client.force_login(moderator)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/"
    # The set-up page needs the one-time enrolment link (tests/members/test_staff_two_factor.py);
    # with it, it first asks for the password again.
    assert client.get("/accounts/2fa/totp/activate/").status_code == 403
    token = issue_enrolment_link(member=moderator).rstrip("/").rsplit("/", 1)[-1]
    client.post(f"/accounts/staff-enrolment/{token}/")
    setup = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert setup.status_code == 200
    assert setup.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")


def test_staff_with_two_factor_reaches_admin(client):
    client.force_login(staff_member("Moderators"))

    assert client.get("/admin/").status_code == 200


def test_moderator_cannot_reach_helpdesk_screens(client):
    client.force_login(staff_member("Moderators"))

    assert client.get(HELPDESK_SCREEN).status_code == 403
    assert client.get(MEMBER_LIST).status_code == 200


def test_moderator_sees_no_email_addresses(client):
    MemberFactory(username="target", email="secret-address@example.org")
    client.force_login(staff_member("Moderators"))

    listing = client.get(MEMBER_LIST).content.decode()
    target = Member.objects.get(username="target")
    detail = client.get(f"{MEMBER_LIST}{target.pk}/change/").content.decode()

    assert "target" in listing
    assert "secret-address" not in listing
    assert "secret-address" not in detail
    searched = client.get(MEMBER_LIST, {"q": "secret-address"}).content.decode()
    assert "target" not in searched.split("<tbody>")[-1]


@pytest.mark.parametrize("role", ["Moderators", "superuser"])
def test_nobody_suspends_in_the_members_admin(client, role):
    """A suspension is a moderation decision with a statement of reasons (issue 11): the
    members admin has no suspend action and its status is read-only, for superusers too
    (tests/moderation/test_open_case.py suspends through a case)."""
    target = MemberFactory(username="target")
    client.force_login(staff_member(role))

    listing = client.get(MEMBER_LIST).content.decode()
    client.post(MEMBER_LIST, {"action": "suspend", "_selected_action": [target.pk]})
    detail = client.get(f"{MEMBER_LIST}{target.pk}/change/")

    assert 'name="action"' not in listing
    target.refresh_from_db()
    assert target.status == Member.Status.ACTIVE and target.is_active
    assert 'name="status"' not in detail.content.decode()


def test_helpdesk_sees_email_and_mail_but_cannot_suspend(client):
    target = MemberFactory(username="target", email="findme@example.org")
    OutgoingMail.objects.create(
        member=target,
        kind="email_confirmation_signup",
        to=target.email,
        from_email="x@y.z",
        subject="Bevestig",
        body_text="link",
    )
    client.force_login(staff_member("Helpdesk"))

    assert client.get(HELPDESK_SCREEN).status_code == 200
    searched = client.get(MEMBER_LIST, {"q": "findme@example.org"}).content.decode()
    assert "target" in searched
    client.post(MEMBER_LIST, {"action": "suspend", "_selected_action": [target.pk]})
    target.refresh_from_db()
    assert target.status == Member.Status.ACTIVE
    assert client.get(f"{MEMBER_LIST}{target.pk}/change/").status_code == 200
    response = client.post(f"{MEMBER_LIST}{target.pk}/change/", {"status": "suspended"})
    assert response.status_code == 403


def test_helpdesk_never_sees_mail_bodies(client):
    target = MemberFactory(username="target")
    mail = OutgoingMail.objects.create(
        member=target,
        kind="password_reset_key",
        to=target.email,
        from_email="x@y.z",
        subject="Reset",
        body_text="https://site/reset/SECRET-TOKEN/",
    )
    client.force_login(staff_member("Helpdesk"))

    page = client.get(f"{HELPDESK_SCREEN}{mail.pk}/change/").content.decode()

    assert "SECRET-TOKEN" not in page


def test_staff_account_command_makes_verified_staff(capsys, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("STAFF_PASSWORD", "Een-heel-sterk-wachtwoord-9")
    call_command("create_staff", "helpdesk1", "hd@example.org", "--role", "helpdesk")

    staff = Member.objects.get(username="helpdesk1")
    assert staff.is_staff and not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == ["Helpdesk"]
    assert staff.emailaddress_set.get().verified
    assert staff.check_password("Een-heel-sterk-wachtwoord-9")
