"""Fair play for a paid chat site (issue 11): every profile belongs to a person who signed up and
confirmed their e-mail address; staff cannot create members, write profiles or send messages as
a member (no admin add or change, for any role and not for superusers either); the terms say so.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import admin
from django.core import mail
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from members.models import Member
from members.roles import ROLE_PERMISSIONS
from messaging import services as messaging
from messaging.models import Conversation, Message, Participant
from profiles.models import Block, Favourite, Photo, Profile
from profiles.services import add_favourite
from tests.factories import PASSWORD, MemberFactory, make_profile, staff_member
from tests.messaging.test_views_support import give_credits
from tests.profiles.test_suggestions import seeker

pytestmark = pytest.mark.django_db

ROLES = ["superuser", *ROLE_PERMISSIONS]
# What members write or do themselves: nobody on the staff adds or changes these in admin.
MEMBER_CONTENT = [Profile, Photo, Conversation, Message, Participant, Favourite, Block]
# allauth's account records: with them staff could take over a member's log-in.
ACCOUNT_RECORDS = [EmailAddress, UserSession, Authenticator]
SEARCH = reverse("profiles:search")


@pytest.fixture(autouse=True)
def _price(settings):
    settings.MESSAGE_PRICE_CREDITS = 2


# --- Only people who confirmed their e-mail address -------------------------------------------


def unconfirmed(username, how):
    """A woman in Utrecht with a complete profile who looks for men, whose primary e-mail
    address is not confirmed: she has no address at all, an unconfirmed one, or a confirmed one
    that is not her primary address."""
    member = MemberFactory(username=username, verified_email=False)
    if how == "unconfirmed":
        EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
    elif how == "confirmed but not primary":
        EmailAddress.objects.create(user=member, email=member.email, verified=False, primary=True)
        EmailAddress.objects.create(
            user=member, email=f"old-{member.email}", verified=True, primary=False
        )
    return seeker(username, Member.Gender.WOMAN, member=member)


def confirm(member):
    EmailAddress.objects.filter(user=member).delete()
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)


@pytest.fixture
def viewer(client):
    member = seeker("viewer", Member.Gender.MAN)
    give_credits(member, 20)
    client.force_login(member)
    client.cookies["django_language"] = "en"
    return member


def found_in_search(client) -> set[str]:
    return {p.member.username for p in client.get(SEARCH).context["page"].object_list}


def suggested(client) -> set[str]:
    page = client.get(reverse("profiles:suggestions")).context["page"]
    return {p.member.username for p in page.object_list}


def favourites(client) -> set[str]:
    page = client.get(reverse("profiles:favourites")).context["page"]
    return {p.member.username for p in page.object_list}


@pytest.mark.parametrize("how", ["no address", "unconfirmed", "confirmed but not primary"])
def test_a_member_without_a_confirmed_address_is_not_seen_found_or_written_to(client, viewer, how):
    """Issue 11: not in search, suggestions or favourites, no profile page, no conversation
    can be started and no message sent, not even in a conversation that exists. Once she
    confirms her address, all of it works: the rule is the address, nothing else."""
    sanne = unconfirmed("sanne", how)
    seeker("confirmed", Member.Gender.WOMAN)
    add_favourite(member=viewer, target=sanne)
    profile_page = reverse("profiles:profile", args=[sanne.public_id])
    write_to = reverse("messaging:start", args=[sanne.public_id])

    assert found_in_search(client) == {"confirmed"}
    assert suggested(client) == {"confirmed"}
    assert favourites(client) == set()
    assert client.get(profile_page).status_code == 404
    assert client.get(write_to).status_code == 404
    assert client.post(write_to, {"text": "Hoi Sanne"}).status_code == 404
    with pytest.raises(messaging.SendRefused) as refused:
        messaging.send_message(sender=viewer, receiver=sanne, text="Hoi Sanne")
    assert refused.value.code == "unavailable"
    conversation = messaging.get_or_start_conversation(sender=viewer, receiver=sanne)
    with pytest.raises(messaging.SendRefused):
        messaging.check_can_send(sender=viewer, receiver=sanne, conversation=conversation)
    assert not Message.objects.exists()

    confirm(sanne)

    assert found_in_search(client) == {"confirmed", "sanne"}
    assert suggested(client) == {"confirmed", "sanne"}
    assert favourites(client) == {"sanne"}
    assert client.get(profile_page).status_code == 200
    messaging.send_message(sender=viewer, receiver=sanne, text="Hoi Sanne")
    assert Message.objects.filter(sender=viewer).count() == 1


def test_sign_up_still_works_and_a_new_member_is_found_once_confirmed(committing_client):
    """Sign-up is the only way a member comes to exist: the new member is not findable until
    the confirmation link is followed, and findable right after."""
    searching = Client()
    searching.force_login(seeker("viewer", Member.Gender.MAN))
    response = committing_client.post(
        "/accounts/signup/",
        {
            "username": "nieuw",
            "email": "nieuw@example.org",
            "gender": "woman",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "adult": "on",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302
    newcomer = Member.objects.get(username="nieuw")
    seeker("nieuw", Member.Gender.WOMAN, member=newcomer)
    assert "nieuw" not in found_in_search(searching)

    link = re.search(r"/accounts/confirm-email/[^\s/]+/", mail.outbox[-1].body)[0]
    committing_client.post(link)

    assert EmailAddress.objects.get(user=newcomer).verified
    assert "nieuw" in found_in_search(searching)


# --- Staff cannot create members or write as one ------------------------------------------------


def request_by(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize("role", ROLES)
def test_no_role_may_add_or_change_members_content_in_admin(role, member):
    """Issue 11: for every role and for superusers, the ModelAdmins refuse adding members and
    adding or changing what members write (a model that is not in admin at all is refused
    too), and allauth's account records are look-and-delete only."""
    request = request_by(staff_member(role))
    make_profile(member, place="Utrecht")

    member_admin = admin.site._registry[Member]
    assert not member_admin.has_add_permission(request)
    for model in MEMBER_CONTENT + ACCOUNT_RECORDS:
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue  # not in admin: no page to add or change it on
        obj = model.objects.first()
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_change_permission(request, obj), model


def test_profiles_conversations_and_messages_have_no_admin_pages():
    """Read-only at most: today they are not in admin at all (moderation acts on reported
    content through its own case pages and services)."""
    for model in (Profile, Conversation, Message, Participant):
        assert not admin.site.is_registered(model), model


@pytest.fixture
def written(member):
    """A member with a profile, a photo, a favourite, a conversation with messages, a second
    e-mail address waiting for confirmation and a session: everything staff must not write."""
    other = MemberFactory(username="bram", gender=Member.Gender.MAN)
    make_profile(member, place="Utrecht", description="Mijn eigen woorden")
    make_profile(other, place="Amersfoort")
    Photo.objects.create(member=member, image="a.jpg", thumbnail="a_t.jpg", width=9, height=9)
    add_favourite(member=member, target=other)
    give_credits(member, 10)
    messaging.send_message(sender=member, receiver=other, text="Mijn eigen bericht")
    UserSession.objects.create(
        user=member, session_key="SeSsIoNkEy0123456789", ip="127.0.0.1", user_agent="test"
    )
    return member


def state():
    """Everything the admin walk must leave as it was."""
    return {
        "members": sorted(
            Member.objects.values_list("pk", "username", "email", "gender", "password")
        ),
        "addresses": sorted(EmailAddress.objects.values_list("pk", "user", "email", "verified")),
        # The staff member's own session is tracked as they browse; members' sessions stay.
        "sessions": sorted(
            UserSession.objects.filter(user__is_staff=False).values_list(
                "pk", "user", "session_key"
            )
        ),
        **{
            model.__name__: sorted(map(repr, model.objects.values_list()))
            for model in MEMBER_CONTENT
        },
    }


def admin_url(model, action, pk=None):
    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    return f"{base}{action}/" if pk is None else f"{base}{pk}/{action}/"


@pytest.mark.parametrize("role", ROLES)
def test_admin_add_and_change_pages_write_nothing(client, written, role):
    """Issue 11: GET and POST to the add and change pages of members, their content and their
    account records are refused (403, 404, or a redirect), or show the record read-only, and
    nothing is written: no member appears, no name, address, gender, password, profile text,
    message or e-mail address changes."""
    client.force_login(staff_member(role))
    member = written
    before = state()
    message = Message.objects.get()
    address = EmailAddress.objects.get(user=member)
    objects = {
        Member: member.pk,
        Profile: member.pk,
        Photo: Photo.objects.get().pk,
        Conversation: message.conversation_id,
        Message: message.pk,
        Participant: Participant.objects.filter(member=member).get().pk,
        Favourite: Favourite.objects.get().pk,
        EmailAddress: address.pk,
        UserSession: UserSession.objects.get().pk,
    }
    posts = {
        Member: {
            "username": "overgenomen",
            "email": "staff@example.org",
            "gender": "man",
            "password1": "Een-ander-wachtwoord-77",
            "password2": "Een-ander-wachtwoord-77",
            "status": "active",
            "language": "nl",
            "is_active": "on",
        },
        Profile: {"member": member.pk, "description": "Door staf geschreven"},
        Message: {"conversation": message.conversation_id, "text": "Door staf geschreven"},
        EmailAddress: {
            "user": member.pk,
            "email": "staff@example.org",
            "verified": "on",
            "primary": "on",
        },
    }
    for model, pk in objects.items():
        data = posts.get(model, {})
        for url in (admin_url(model, "add"), admin_url(model, "change", pk)):
            shown = client.get(url)
            if url.endswith("/add/"):
                assert shown.status_code in {302, 403, 404}, url
            else:
                assert shown.status_code in {200, 302, 403, 404}, url
                if shown.status_code == 200 and model is not Member:
                    assert 'name="_save"' not in shown.content.decode(), url
            sent = client.post(url, data)
            assert sent.status_code in {200, 302, 403, 404}, url
    # The member's password can be set nowhere in admin.
    for method in (client.get, client.post):
        response = method(
            admin_url(Member, "password", member.pk),
            {"password1": "Een-ander-wachtwoord-77", "password2": "Een-ander-wachtwoord-77"},
        )
        assert response.status_code == 403

    assert state() == before
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_superuser_still_manages_staff_but_not_the_member_s_own_fields(client, member):
    """Superusers keep what they need (staff status, roles); the member's name, address and
    gender show read-only and the page has no link to set a password."""
    superuser = staff_member("superuser")
    client.force_login(superuser)
    page = client.get(admin_url(Member, "change", member.pk)).content.decode()

    assert 'name="username"' not in page and 'name="email"' not in page
    assert 'name="gender"' not in page
    assert "../password/" not in page
    assert 'name="is_staff"' in page and 'name="groups"' in page


def test_admin_never_shows_a_session_key_or_an_authenticator_secret(client, written):
    """A session key is the session, and an authenticator's data its secret: whoever holds
    them logs in as the member. No admin page shows them."""
    client.force_login(staff_member("superuser"))
    session = UserSession.objects.get(user=written)
    pages = [
        "/admin/usersessions/usersession/",
        admin_url(UserSession, "change", session.pk),
        "/admin/mfa/authenticator/",
    ]
    secret_bearers = Authenticator.objects.all()
    pages += [admin_url(Authenticator, "change", a.pk) for a in secret_bearers]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert session.session_key not in page, path
        for authenticator in secret_bearers:
            secret = authenticator.data.get("secret")
            assert not secret or secret not in page, path


def test_make_verified_is_not_offered(client, member):
    """allauth's "mark as verified" admin action would let staff confirm an address nobody
    confirmed: it is gone."""
    address = EmailAddress.objects.get(user=member)
    EmailAddress.objects.filter(pk=address.pk).update(verified=False)
    client.force_login(staff_member("superuser"))

    page = client.get("/admin/account/emailaddress/").content.decode()
    client.post(
        "/admin/account/emailaddress/",
        {"action": "make_verified", "_selected_action": [address.pk]},
    )

    assert "make_verified" not in page
    address.refresh_from_db()
    assert not address.verified


@pytest.mark.parametrize("role", ["superuser", "moderator", "helpdesk"])
def test_staff_accounts_still_come_from_the_command(role, monkeypatch):
    """`manage.py create_staff` is how staff accounts are made (not admin's add page)."""
    monkeypatch.setenv("STAFF_PASSWORD", "Een-heel-sterk-wachtwoord-9")
    call_command("create_staff", f"staf-{role}", f"{role}@example.org", "--role", role)

    staff = Member.objects.get(username=f"staf-{role}")
    assert staff.is_staff
    assert EmailAddress.objects.get(user=staff).verified


# --- The terms say so -------------------------------------------------------------------------


def test_the_terms_say_every_profile_is_a_real_person_and_nobody_writes_for_members(client):
    """Issue 11: in plain words, in English..."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("terms"))

    assert response.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    for promise in (
        "Every profile on this website belongs to a real person who signed up themselves and "
        "confirmed their e-mail address",
        "We never write profiles and never send messages on a member's behalf",
        "There are no paid chatters and no fake profiles",
        "Our staff cannot create members",
    ):
        assert promise in text.replace("&#x27;", "'"), promise


def test_the_dutch_terms_say_it_too(client):
    """...and in Dutch, the site's default language."""
    response = client.get(reverse("terms"))

    assert response.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert '<html lang="nl">' in response.content.decode()
    for promise in (
        "Elk profiel op deze website is van een echt persoon",
        "e-mailadres heeft bevestigd",
        "Wij schrijven nooit profielen en versturen nooit berichten namens een lid",
        "geen betaalde chatters en geen nepprofielen",
    ):
        assert promise in text, promise
