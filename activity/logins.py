"""Each log-in, recorded (SPEC R6.1): when, from which IP address, on which device, system and
browser, through which internet provider; and a mail to the member when the log-in came from a
device not seen before (an ASVS 2.5.5-style notice).

`on_user_logged_in` (connected in activity.signals) calls `record_login` for every log-in:
one insert, at a moment that is rare (no work on ordinary page views). The user agent itself
is not stored, only what it says in words. The session key is not stored either, only a keyed
digest of it (`session_digest`), enough to mark "this session" on the member's page."""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from members.services import (
    confirmed_address,
    mail_language,
    queue_rendered_mail,
    render_mail_parts,
    site_url,
)

from .devices import device_family_key, parse_user_agent
from .models import DeviceType, FailedLogin, LoginRecord
from .networks import approximate_network, provider_for
from .retention import months_before

logger = logging.getLogger(__name__)

DIGEST_SALT = "activity.logins.session_digest"
DIGEST_LENGTH = 32
NEW_DEVICE_MAIL_KIND = "new_device"


def session_digest(session_key: str | None) -> str:
    """A keyed digest of a session key (HMAC with a key derived from SECRET_KEY), so records
    can say which session they belong to without holding anything that could log in."""
    if not session_key:
        return ""
    return salted_hmac(DIGEST_SALT, session_key, algorithm="sha256").hexdigest()[:DIGEST_LENGTH]


def client_ip(request) -> str | None:
    """The client's address as allauth sees it (REMOTE_ADDR, or X-Forwarded-For behind
    ALLAUTH_TRUSTED_PROXY_COUNT proxies): the same address the session list shows."""
    from allauth.account.adapter import get_adapter

    if request is None:
        return None
    try:
        return get_adapter().get_client_ip(request) or None
    except (PermissionDenied, ImproperlyConfigured, ValueError):
        return None


def login_retention_start(now=None):
    """The oldest moment a log-in record may be from (ACTIVITY_LOGIN_RETENTION_MONTHS ago)."""
    now = now or timezone.now()
    return months_before(now, settings.ACTIVITY_LOGIN_RETENTION_MONTHS)


def is_new_device(*, member, device_type: str, operating_system: str, browser: str, now=None):
    """Whether no log-in of the member within the retention period came from this kind of
    device with this system and browser (versions aside). None for the member's first recorded
    log-in: there is nothing to compare with, and no mail is due."""
    records = LoginRecord.objects.filter(member=member)
    if not records.exists():
        return None
    key = device_family_key(device_type, operating_system, browser)
    seen = (
        records.filter(created_at__gte=login_retention_start(now))
        .values_list("device_type", "operating_system", "browser")
        .distinct()
    )
    return all(device_family_key(*row) != key for row in seen)


def record_login(*, member, request, now=None) -> LoginRecord:
    """Stores one log-in and, when it came from a new device, queues the notice mail (sent
    once the transaction commits). Called for every log-in; one insert, plus the mail row."""
    now = now or timezone.now()
    meta = getattr(request, "META", {}) or {}
    device = parse_user_agent(meta.get("HTTP_USER_AGENT", ""))
    ip = client_ip(request)
    session = getattr(request, "session", None)
    with transaction.atomic():
        new_device = is_new_device(
            member=member,
            device_type=device.device_type,
            operating_system=device.operating_system,
            browser=device.browser,
            now=now,
        )
        record = LoginRecord.objects.create(
            member=member,
            created_at=now,
            ip_address=ip,
            device_type=device.device_type,
            operating_system=device.operating_system,
            browser=device.browser,
            provider=provider_for(ip),
            session_digest=session_digest(getattr(session, "session_key", None)),
            new_device=bool(new_device),
        )
        if new_device:
            mail_new_device(record=record)
    return record


def mail_new_device(*, record: LoginRecord) -> bool:
    """The notice of a log-in from a new device: when, which device and browser, which
    provider and approximate network (never the full IP address), with links to the log-ins
    page and to change the password. Queued as an OutgoingMail row in the caller's transaction
    (members.services.queue_mail sends it on commit). False without a confirmed address."""
    member = record.member
    address = confirmed_address(member)
    if not address:
        return False
    with translation.override(mail_language(member.language)):
        context = {
            "member": member,
            "site_name": settings.SITE_NAME,
            "logged_in_at": timezone.localtime(record.created_at),
            "device": DeviceType(record.device_type).label,
            "operating_system": record.operating_system,
            "browser": record.browser,
            "provider": record.provider,
            "network": approximate_network(record.ip_address),
            "devices_url": site_url(reverse("activity:devices")),
            "password_url": site_url(reverse("account_change_password")),
        }
        parts = render_mail_parts("activity/email/new_device", context)
    queue_rendered_mail(parts=parts, to=address, kind=NEW_DEVICE_MAIL_KIND, member=member)
    return True


def on_user_logged_in(sender, request, user, **kwargs):
    """Receiver of django.contrib.auth's user_logged_in. Recording must never stop a log-in:
    a failure is logged (without personal data) and the member is logged in all the same."""
    if user is None or getattr(user, "pk", None) is None:
        return
    try:
        record_login(member=user, request=request)
    except Exception:
        logger.exception("login.record_failed member=%s", user.pk)


def on_user_logged_out(sender, request, user, **kwargs):
    """Receiver of user_logged_out (sent before the session is flushed): the session's row in
    the member's list, with its IP address, goes at once rather than at the next clean-up."""
    from allauth.usersessions.models import UserSession

    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def record_failed_login(*, member, ip_digest: str, reason: str, now=None) -> FailedLogin:
    """Stores one failed log-in attempt: the member when the name typed is theirs, a hash of
    the IP address, the reason. One insert."""
    return FailedLogin.objects.create(
        member=member, ip_digest=ip_digest, reason=reason, created_at=now or timezone.now()
    )


def on_login_refused(sender, member, ip_digest, reason, **kwargs):
    """Receiver of members.signals.login_refused. Recording must never change the answer the
    attempt gets: a failure is logged without personal data."""
    try:
        # A savepoint: a failed insert must not break the request's transaction.
        with transaction.atomic():
            record_failed_login(member=member, ip_digest=ip_digest, reason=reason)
    except Exception:
        logger.exception("login.failed_record_failed")
