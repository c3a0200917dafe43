import logging
from datetime import timedelta

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Member
from .services import queue_mail
from .signals import login_refused
from .tokens import open_alphanumeric, seal_alphanumeric

logger = logging.getLogger("members.auth")

IP_DIGEST_SALT = "members.auth.ip_digest"
IP_DIGEST_LENGTH = 32
RESET_UID_PURPOSE = "members.password_reset.member"


class LoginRefusal:
    """Why a log-in attempt failed, as recorded and logged (activity.FailedLogin)."""

    BAD_PASSWORD = "bad_password"  # noqa: S105 (a reason, not a password)
    RATE_LIMITED = "rate_limited"
    UNKNOWN_ACCOUNT = "unknown_account"


def ip_digest(ip: str | None) -> str:
    """A keyed hash of an IP address (HMAC with a key derived from SECRET_KEY): enough to tell
    that failed log-ins came from the same address, without keeping the address."""
    if not ip:
        return ""
    return salted_hmac(IP_DIGEST_SALT, ip, algorithm="sha256").hexdigest()[:IP_DIGEST_LENGTH]


def member_for_login(login: str) -> Member | None:
    """The member a typed log-in names: a username or an e-mail address, in any case."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        member = _member_for_address(login)
        if member is not None:
            return member
    return Member.objects.filter(username__iexact=login).first()


def reset_link_uid(member) -> str:
    """The member part of a password reset link: the public id, sealed (allauth puts the
    database id in base 36 there, which told sign-up order)."""
    return seal_alphanumeric(member.public_id, purpose=RESET_UID_PURPOSE)


def member_for_reset_uid(uid: str) -> Member | None:
    public_id = open_alphanumeric(uid, purpose=RESET_UID_PURPOSE)
    return Member.objects.filter(public_id=public_id).first() if public_id else None


def login_attempts_key(domain: str, *, member=None, login: str = "") -> str:
    """The key of allauth's per-account failed log-in limit ("login_failed" .../key): the
    member's id when the login names one, so a username and an e-mail address share one
    budget; an unknown name has a key of its own (telling nothing about existence)."""
    if member is not None:
        return f"{domain}:member:{member.pk}"
    return f"{domain}:login:{login.lower()}"


class MemberAccountAdapter(DefaultAccountAdapter):
    def _login_member(self, credentials):
        """The member the attempt's credentials name, looked up once per attempt."""
        login = credentials.get("email") or credentials.get("username") or ""
        cached = getattr(self, "_login_lookup", None)
        if cached is None or cached[0] != login:
            cached = (login, member_for_login(login))
            self._login_lookup = cached
        return cached[1]

    def _get_login_attempts_cache_key(self, request, **credentials):
        login = credentials.get("email") or credentials.get("username") or ""
        return login_attempts_key(
            get_current_site(request).domain,
            member=self._login_member(credentials),
            login=login,
        )

    def get_reset_password_from_key_url(self, key):
        """allauth's key is "<id in base 36>-<token>": the id is replaced by the sealed public
        id (members.forms.MemberUserTokenForm reads it back)."""
        from allauth.account.utils import url_str_to_user_pk

        uid, _dash, token = key.partition("-")
        member = Member.objects.filter(pk=url_str_to_user_pk(uid)).only("public_id").first()
        if member is not None:
            key = f"{reset_link_uid(member)}-{token}"
        return super().get_reset_password_from_key_url(key)

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            self._refused(request, credentials, LoginRefusal.RATE_LIMITED)
            raise

    def authentication_failed(self, request, **credentials):
        member = self._login_member(credentials)
        reason = LoginRefusal.UNKNOWN_ACCOUNT if member is None else LoginRefusal.BAD_PASSWORD
        self._refused(request, credentials, reason)
        super().authentication_failed(request, **credentials)

    def _refused(self, request, credentials, reason):
        """Logs the failed attempt with the member's id and a hash of the IP address (never
        the name typed) and tells activity, which records it."""
        member = self._login_member(credentials)
        digest = ip_digest(self._client_ip(request))
        logger.warning(
            "login.failed reason=%s member=%s ip=%s",
            reason,
            member.pk if member is not None else "-",
            digest or "-",
        )
        login_refused.send(
            sender=Member, request=request, member=member, ip_digest=digest, reason=reason
        )

    def _client_ip(self, request):
        if request is None:
            return None
        try:
            return self.get_client_ip(request)
        except (PermissionDenied, ImproperlyConfigured, ValueError):
            return None

    def save_user(self, request, user, form, commit=True):
        """Stores what the sign-up form asks besides allauth's fields, in the same save."""
        data = form.cleaned_data
        now = timezone.now()
        user.gender = data.get("gender", "")
        user.language = _supported_language(translation.get_language())
        if data.get("adult"):
            user.confirmed_adult_at = now
        if data.get("accept_terms"):
            user.terms_version = settings.TERMS_VERSION
            user.terms_accepted_at = now
            # The latest published version (privacy app), asked by name: members does not
            # import privacy.
            user.privacy_version = import_string(settings.CURRENT_PRIVACY_STATEMENT_VERSION)()
            user.privacy_accepted_at = now
        return super().save_user(request, user, form, commit=commit)

    def pre_login(self, request, user, **kwargs):
        """A closed account logs in only to be reopened (R7.3): within the grace period and
        when the member did not ask for immediate erasure. Otherwise the log-in is refused
        with a clear message; this runs only after a correct password, so it tells nothing
        to anyone who does not know it."""
        if isinstance(user, Member) and user.is_closed and not may_reopen(user):
            return _refuse_closed_account(request, user)
        if isinstance(user, Member) and user.status == Member.Status.SUSPENDED:
            refused = _refuse_suspended_account(request, user)
            if refused is not None:
                return refused
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request, user, **kwargs):
        """Reopens a closed account once the log-in is complete (after two-factor, if set)."""
        if isinstance(user, Member) and user.is_closed:
            if not reopen_account(member=user):
                logout(request)
                return _refuse_closed_account(request, user)
            messages.success(
                request,
                _(
                    "Welcome back! Your account is open again: other members can find you, "
                    "and your data will not be erased."
                ),
            )
        return super().post_login(request, user, **kwargs)

    def send_mail(self, template_prefix, email, context):
        """Renders the mail in the member's own language and queues it: the row is written in
        this transaction and a Celery task sends it after commit (see members.services)."""
        member = context.get("user") or _member_for_address(email)
        language = member.language if isinstance(member, Member) else translation.get_language()
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        with translation.override(_supported_language(language)):
            message = self.render_mail(template_prefix, email, ctx)
            if not getattr(message, "alternatives", None):
                html = render_to_string(
                    "email/wrapper.html",
                    {
                        "subject": message.subject,
                        "body": message.body,
                        "site_name": settings.SITE_NAME,
                    },
                )
                message.attach_alternative(html, "text/html")
        queue_mail(
            message=message,
            kind=template_prefix.rsplit("/", 1)[-1],
            member=member if isinstance(member, Member) else None,
        )


def _supported_language(language):
    codes = {code for code, _name in settings.LANGUAGES}
    language = (language or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in codes else settings.LANGUAGE_CODE


def _member_for_address(email):
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address:
        return address.user
    return Member.objects.filter(email__iexact=email).first()


# --- Reopening a closed account (R7.3) ---------------------------------------------------------
# The rule lives here, beside the log-in that applies it: members may not import privacy, and
# everything it needs (status, closed_at, erasure_due_at) is on the Member.


def reopen_deadline(member):
    """Until when a closed member gets the account back by logging in: ACCOUNT_REOPEN_GRACE_DAYS
    after closing (never past the erasure date). None when there is no way back: the member
    asked for immediate erasure (`erasure_due_at` equals `closed_at`)."""
    if member.closed_at is None or member.erasure_due_at is None:
        return None
    if member.erasure_due_at <= member.closed_at:
        return None
    grace_end = member.closed_at + timedelta(days=settings.ACCOUNT_REOPEN_GRACE_DAYS)
    return min(grace_end, member.erasure_due_at)


def may_reopen(member, *, now=None) -> bool:
    deadline = reopen_deadline(member)
    return member.is_closed and deadline is not None and (now or timezone.now()) < deadline


def reopen_account(*, member, now=None) -> bool:
    """Makes a closed member active again if they still may; a conditional update, so it
    cannot undo an erasure running at the same moment. Returns whether it reopened."""
    now = now or timezone.now()
    if not may_reopen(member, now=now):
        return False
    reopened = Member.objects.filter(
        pk=member.pk,
        status=Member.Status.CLOSED,
        closed_at=member.closed_at,
        erasure_due_at=member.erasure_due_at,
    ).update(status=Member.Status.ACTIVE, closed_at=None, erasure_due_at=None)
    if reopened:
        member.status, member.closed_at, member.erasure_due_at = Member.Status.ACTIVE, None, None
        logger.info("account.reopened member=%s", member.pk)
    return bool(reopened)


def _refuse_closed_account(request, member):
    from allauth.account.internal.stagekit import clear_login

    clear_login(request)
    logger.info("login.refused_closed member=%s", member.pk)
    if reopen_deadline(member) is None or member.erasure_due_at <= timezone.now():
        text = _(
            "This account was closed and its data is being erased. It can no longer be reopened."
        )
    else:
        text = _(
            "This account was closed on %(closed)s. It could be reopened by logging in until "
            "%(deadline)s; that is no longer possible. Its data will be erased on %(erasure)s."
        ) % {
            "closed": _day(member.closed_at),
            "deadline": _day(reopen_deadline(member)),
            "erasure": _day(member.erasure_due_at),
        }
    messages.error(request, text)
    return redirect("account_login")


def _refuse_suspended_account(request, member):
    """A suspended member (moderation, or staff in admin) is told until when, after a correct
    password only. A suspension whose end has come ends here, before beat's sweep would, and
    the log-in goes on (None)."""
    from allauth.account.internal.stagekit import clear_login

    suspended, until = True, None
    check = getattr(settings, "SUSPENSION_AT_LOGIN", "")
    if check:
        suspended, until = import_string(check)(member)
    if not suspended:
        return None
    clear_login(request)
    logger.info("login.refused_suspended member=%s", member.pk)
    if until is not None:
        text = _(
            "Your account is suspended until %(until)s. You can log in again after that. The "
            "e-mail about this decision says why and how to appeal it; questions go to "
            "%(helpdesk)s."
        ) % {
            "until": format_date(timezone.localtime(until), "j F Y, H:i"),
            "helpdesk": settings.HELPDESK_EMAIL,
        }
    else:
        text = _(
            "Your account is suspended. The e-mail about this decision says why and how to "
            "appeal it; questions go to %(helpdesk)s."
        ) % {"helpdesk": settings.HELPDESK_EMAIL}
    messages.error(request, text)
    return redirect("account_login")


def _day(moment) -> str:
    return format_date(timezone.localtime(moment), "j F Y")
