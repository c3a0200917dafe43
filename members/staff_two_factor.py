"""Two-factor for staff is a property of the session, not only of the account.

- A staff page opens only in a session that authenticated with a second factor (allauth keeps
  the methods a session used in its authentication records): an account that gained TOTP in
  another session does not make this session any safer.
- Adding an authenticator (or new recovery codes) ends the account's other sessions, as a
  password change does: a session that logged in before the factor existed must log in again.
- A staff account's first authenticator needs a one-time enrolment link (mailed, and printed
  by `create_staff`), not only the password: whoever has just the password must not be able to
  bind their own app to the account.
"""

import hashlib
import logging
import secrets
import time
from datetime import timedelta
from importlib import import_module

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_reset
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation

from .models import Member, StaffEnrolmentLink
from .services import (
    confirmed_address,
    mail_language,
    queue_rendered_mail,
    render_mail_parts,
    site_url,
)

logger = logging.getLogger("members.auth")

ENROLMENT_LINK_VALID_FOR = timedelta(hours=72)
# After opening the link, the session has this long to finish setting up the authenticator.
ENROLMENT_WINDOW_SECONDS = 60 * 60
ENROLMENT_SESSION_KEY = "members_staff_enrolment"
ENROLMENT_MAIL_KIND = "staff_enrolment_link"


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def session_used_second_factor(request, user) -> bool:
    """Whether this session logged in (or re-authenticated) with a TOTP or recovery code:
    allauth records each method a session used, for the user it was used for."""
    return any(
        record.get("method") == "mfa" for record in get_authentication_records(request, user)
    )


def may_enrol(request, user) -> bool:
    """Whether this session opened a valid enrolment link for `user` lately."""
    grant = request.session.get(ENROLMENT_SESSION_KEY)
    return (
        isinstance(grant, dict)
        and grant.get("member") == user.pk
        and grant.get("until", 0) > time.time()
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_enrolment_link(*, member: Member) -> str:
    """Makes a new one-time enrolment link for a staff account (its older unused links stop
    working) and mails it to the account's confirmed address. Returns the link, which
    `create_staff` prints for an operator who cannot wait for the mail."""
    if not member.is_staff:
        raise ValueError("enrolment links are for staff accounts")
    token = secrets.token_urlsafe(32)  # 256 bits
    url = site_url(reverse("staff_enrolment", args=[token]))
    with transaction.atomic():
        StaffEnrolmentLink.objects.filter(member=member, used_at__isnull=True).delete()
        now = timezone.now()
        link = StaffEnrolmentLink.objects.create(
            member=member,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + ENROLMENT_LINK_VALID_FOR,
        )
        address = confirmed_address(member)
        if address:
            with translation.override(mail_language(member.language)):
                parts = render_mail_parts(
                    "members/email/staff_enrolment",
                    {
                        "member": member,
                        "site_name": settings.SITE_NAME,
                        "enrolment_url": url,
                        "expires_at": timezone.localtime(link.expires_at),
                    },
                )
            queue_rendered_mail(parts=parts, to=address, kind=ENROLMENT_MAIL_KIND, member=member)
    logger.info("staff.enrolment_link_issued member=%s", member.pk)
    return url


def enrolment_link_is_valid(*, member, token: str) -> bool:
    return StaffEnrolmentLink.objects.filter(
        token_hash=_token_hash(token),
        member=member,
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()


def open_enrolment_link(*, request, token: str) -> bool:
    """Uses the link, once, in a session of the staff member it was made for: this session may
    then set up an authenticator for a while. A conditional update, so two sessions racing
    with the same link cannot both use it. Returns whether the link was valid."""
    user = request.user
    now = timezone.now()
    used = StaffEnrolmentLink.objects.filter(
        token_hash=_token_hash(token), member=user, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        logger.warning("staff.enrolment_link_refused member=%s", user.pk)
        return False
    request.session[ENROLMENT_SESSION_KEY] = {
        "member": user.pk,
        "until": time.time() + ENROLMENT_WINDOW_SECONDS,
    }
    logger.info("staff.enrolment_link_used member=%s", user.pk)
    return True


def end_other_sessions(*, member, keep_session_key: str | None) -> int:
    """Ends every session of the member but the one with `keep_session_key`: their Django
    sessions and allauth's rows (the member's list of devices). Returns how many ended."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for user_session in UserSession.objects.filter(user=member).exclude(
        session_key=keep_session_key or ""
    ):
        user_session.end()
        ended += 1
    if member.is_staff and settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        ended += _end_untracked_db_sessions(member=member, keep_session_key=keep_session_key)
    return ended


def _end_untracked_db_sessions(*, member, keep_session_key) -> int:
    """A staff account's sessions without a row in allauth's list (logged in without allauth's
    flow, or the row was cleaned up), found by decoding the live sessions: a scan, acceptable
    for the few staff accounts that add an authenticator once or twice a year (members'
    sessions all have a row: allauth makes it at log-in)."""
    from django.contrib.sessions.models import Session

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    member_id = str(member.pk)
    stale = []
    live = Session.objects.filter(expire_date__gt=timezone.now()).exclude(
        session_key=keep_session_key or ""
    )
    for session in live.iterator():
        data = store_class().decode(session.session_data)
        if str(data.get("_auth_user_id")) == member_id:
            stale.append(session.session_key)
    Session.objects.filter(session_key__in=stale).delete()
    return len(stale)


@receiver(authenticator_added)
@receiver(authenticator_reset)
def end_other_sessions_on_new_factor(sender, request, user, authenticator, **kwargs):
    """A new authenticator or new recovery codes: every other session of the account ends (one
    that logged in with the password only, before the factor existed, must not live on). The
    session that set it up proved the new factor with a code: it counts as a second factor
    there, and its enrolment permission is spent."""
    session = getattr(request, "session", None)
    keep = session.session_key if session is not None else None
    ended = end_other_sessions(member=user, keep_session_key=keep)
    logger.info("mfa.authenticator_changed member=%s other_sessions_ended=%s", user.pk, ended)
    if (
        session is not None
        and authenticator.type == Authenticator.Type.TOTP
        and getattr(request, "user", None) is not None
        and request.user.pk == user.pk
    ):
        from allauth.account.internal.flows.login import record_authentication

        # ActivateTOTPForm checked a code from the new app before the authenticator was saved.
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
        )
        session.pop(ENROLMENT_SESSION_KEY, None)
