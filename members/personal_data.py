"""How the members app's personal data is exported and erased (see privacy.registry)."""

from urllib.parse import urlsplit

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core.cache import cache

from privacy.registry import Basis, Category, register, register_no_personal_data

from .adapter import login_attempts_key
from .models import Member, OutgoingMail, StaffEnrolmentLink, UndeliverableAddress


def _iso(value):
    return value.isoformat() if value else None


def _forget_rate_limits(member) -> None:
    """allauth's rate-limit counters kept in the cache under the member's id or a hash of
    their log-in name, address or id (at most minutes old): gone with the account."""
    from allauth.account import app_settings
    from allauth.core.internal.ratelimit import get_cache_key, parse_rates

    hosts = {urlsplit(settings.SITE_URL).netloc, urlsplit(settings.SITE_URL).hostname}
    hosts |= {host for host in settings.ALLOWED_HOSTS if "*" not in host and host != "."}
    logins = {value.lower() for value in (member.username, member.email) if value}
    # The failed log-in limit is keyed by the member (members.adapter.login_attempts_key).
    account_keys = {login_attempts_key(host, member=member) for host in hosts}
    keys = set()
    for action, rates in app_settings.RATE_LIMITS.items():
        for rate in parse_rates(rates):
            if rate.per == "user":
                candidates = [None]
            elif rate.per == "key":
                candidates = logins | {f"{host}:{login}" for host in hosts for login in logins}
                candidates |= account_keys
            else:
                continue
            for key in candidates:
                keys.add(
                    get_cache_key(
                        None, app="allauth.account", action=action, rate=rate, key=key, user=member
                    )
                )
    cache.delete_many(list(keys))


@register(Member, category=Category.NECESSARY, purpose="account", basis=Basis.CONTRACT)
class MemberData:
    def export(self, member):
        return [
            {
                "username": member.username,
                "email": member.email,
                "gender": member.gender,
                "language": member.language,
                "status": member.status,
                "date_joined": _iso(member.date_joined),
                "last_login": _iso(member.last_login),
                "closed_at": _iso(member.closed_at),
                "confirmed_adult_at": _iso(member.confirmed_adult_at),
                "terms_version": member.terms_version,
                "terms_accepted_at": _iso(member.terms_accepted_at),
                "privacy_version": member.privacy_version,
                "privacy_accepted_at": _iso(member.privacy_accepted_at),
            }
        ]

    def erase(self, member):
        _forget_rate_limits(member)
        Member.objects.filter(pk=member.pk).delete()


@register(EmailAddress, category=Category.NECESSARY, purpose="account", basis=Basis.CONTRACT)
class EmailAddressData:
    def export(self, member):
        return [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=member)
        ]

    def erase(self, member):
        # Mail to the member's other addresses (an unconfirmed new one) goes with them; mail to
        # the account's own address is OutgoingMailData's.
        others = EmailAddress.objects.filter(user=member).exclude(email__iexact=member.email)
        for address in others.values_list("email", flat=True):
            OutgoingMail.objects.filter(to__iexact=address).delete()
        EmailConfirmation.objects.filter(email_address__user=member).delete()
        EmailAddress.objects.filter(user=member).delete()


@register(OutgoingMail, category=Category.NECESSARY, purpose="account", basis=Basis.CONTRACT)
class OutgoingMailData:
    def export(self, member):
        return [
            {
                "kind": m.kind,
                "to": m.to,
                "subject": m.subject,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in OutgoingMail.objects.filter(member=member)
        ]

    def erase(self, member):
        OutgoingMail.objects.filter(member=member).delete()
        # Mail to the address that never matched an account row (e.g. "already exists").
        if member.email:
            OutgoingMail.objects.filter(to__iexact=member.email).delete()


@register(
    UndeliverableAddress, category=Category.NECESSARY, purpose="account", basis=Basis.CONTRACT
)
class UndeliverableAddressData:
    """An address of the member that bounced: suggestion, promotional and message mail stop."""

    def export(self, member):
        return [
            {"email": row.email, "reason": row.reason, "reported_at": _iso(row.created_at)}
            for row in UndeliverableAddress.objects.filter(member=member)
        ]

    def erase(self, member):
        UndeliverableAddress.objects.filter(member=member).delete()
        addresses = {
            a.lower()
            for a in EmailAddress.objects.filter(user=member).values_list("email", flat=True)
        }
        if member.email:
            addresses.add(member.email.lower())
        UndeliverableAddress.objects.filter(email__in=addresses).delete()


@register(
    UserSession, category=Category.NECESSARY, purpose="security", basis=Basis.LEGITIMATE_INTEREST
)
class UserSessionData:
    def export(self, member):
        return [
            {
                "ip": s.ip,
                "user_agent": s.user_agent,
                "created_at": _iso(s.created_at),
                "last_seen_at": _iso(s.last_seen_at),
            }
            for s in UserSession.objects.filter(user=member)
        ]

    def erase(self, member):
        for session in UserSession.objects.filter(user=member):
            session.end()
        UserSession.objects.filter(user=member).delete()


@register(Authenticator, category=Category.NECESSARY, purpose="account", basis=Basis.CONTRACT)
class AuthenticatorData:
    def export(self, member):
        # The secrets themselves are not exported: they would let anyone with the file log in.
        return [
            {"type": a.type, "created_at": _iso(a.created_at), "last_used_at": _iso(a.last_used_at)}
            for a in Authenticator.objects.filter(user=member)
        ]

    def erase(self, member):
        Authenticator.objects.filter(user=member).delete()


@register(
    StaffEnrolmentLink,
    category=Category.NECESSARY,
    purpose="security",
    basis=Basis.LEGITIMATE_INTEREST,
)
class StaffEnrolmentLinkData:
    """A staff account's one-time links for setting up two-factor (only a hash of each)."""

    def export(self, member):
        # The token hash is not exported: it is a credential, not information about the member.
        return [
            {
                "created_at": _iso(link.created_at),
                "expires_at": _iso(link.expires_at),
                "used_at": _iso(link.used_at),
            }
            for link in StaffEnrolmentLink.objects.filter(member=member)
        ]

    def erase(self, member):
        StaffEnrolmentLink.objects.filter(member=member).delete()


register_no_personal_data(
    LogEntry,
    reason="Staff actions in admin. Rows about an erased member or their erased objects are "
    "deleted by privacy.erasure; rows a staff member wrote go with their account.",
)
register_no_personal_data(
    EmailConfirmation, reason="Erased with the member's e-mail addresses (EmailAddressData)."
)
register_no_personal_data(
    Session, reason="Ended through the member's user sessions (UserSessionData)."
)
register_no_personal_data(
    Member.groups.through, reason="Staff role links: removed with the Member row."
)
register_no_personal_data(
    Member.user_permissions.through, reason="Staff permission links: removed with the Member row."
)
