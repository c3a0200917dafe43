"""What the site records by itself (SPEC R6.1), each kept only as long as its setting says
(activity.retention): log-ins, pages visited per session, anonymous daily page counts, and
the checks 24metrics made for a member who allowed them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", _("Computer")
    MOBILE = "mobile", _("Phone")
    TABLET = "tablet", _("Tablet")
    OTHER = "other", _("Other device")


class LoginRecord(models.Model):
    """One log-in: when, from which IP address (truncated after ACTIVITY_FULL_IP_DAYS), on
    which kind of device, system and browser (parsed from the user agent, which is not kept),
    and through which internet provider (AS name from the offline ASN database, when
    configured). Deleted after ACTIVITY_LOGIN_RETENTION_MONTHS."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_records"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    ip_truncated = models.BooleanField(_("IP address shortened"), default=False)
    device_type = models.CharField(
        _("device"), max_length=10, choices=DeviceType.choices, default=DeviceType.OTHER
    )
    operating_system = models.CharField(_("operating system"), max_length=60, blank=True)
    browser = models.CharField(_("browser"), max_length=60, blank=True)
    provider = models.CharField(_("internet provider"), max_length=120, blank=True)
    # Keyed digest of the session key (activity.logins.session_digest): marks the current
    # session on the member's page without storing the key itself.
    session_digest = models.CharField(max_length=32, blank=True)
    new_device = models.BooleanField(_("new device"), default=False)

    class Meta:
        verbose_name = _("log-in")
        verbose_name_plural = _("log-ins")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "-created_at"], name="login_member_recent"),
            models.Index(fields=["created_at"], name="login_created"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.created_at:%Y-%m-%d %H:%M}"


class FailedLogin(models.Model):
    """One failed log-in attempt (activity.logins.record_failed_login): when, why, the member
    the typed name belongs to (none for an unknown name) and a keyed hash of the IP address.
    Never the name typed, the password or the address itself. Deleted after
    ACTIVITY_FAILED_LOGIN_DAYS."""

    class Reason(models.TextChoices):
        BAD_PASSWORD = "bad_password", _("wrong password")
        RATE_LIMITED = "rate_limited", _("too many attempts")
        UNKNOWN_ACCOUNT = "unknown_account", _("unknown account")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="failed_logins",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # members.adapter.ip_digest: HMAC of the address, to see attempts from one address.
    ip_digest = models.CharField(_("IP address (hashed)"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("failed log-in")
        verbose_name_plural = _("failed log-ins")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "-created_at"], name="failed_login_member"),
            models.Index(fields=["created_at"], name="failed_login_created"),
        ]

    def __str__(self):
        return f"{self.reason} {self.created_at:%Y-%m-%d %H:%M}"


class PageVisit(models.Model):
    """One page a logged-in member saw: the route's name (never the URL: it may carry a
    username or a search) and the time, grouped by session. Written in bulk from a buffer
    (activity.page_visits), deleted after ACTIVITY_PAGE_VISIT_DAYS; afterwards only the
    anonymous DailyPageCount remains."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="page_visits"
    )
    session_digest = models.CharField(max_length=32, blank=True)
    route = models.CharField(_("page"), max_length=100)
    visited_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("page visit")
        verbose_name_plural = _("page visits")
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "-visited_at"], name="visit_member_recent"),
            models.Index(fields=["visited_at"], name="visit_at"),
        ]

    def __str__(self):
        return f"{self.route} {self.visited_at:%Y-%m-%d %H:%M}"


class DailyPageCount(models.Model):
    """Anonymous: how often a route was viewed on a day, by visitors and members together."""

    day = models.DateField(_("day"))
    route = models.CharField(_("page"), max_length=100)
    views = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("daily page count")
        verbose_name_plural = _("daily page counts")
        ordering = ["-day", "route"]
        constraints = [
            models.UniqueConstraint(fields=["day", "route"], name="daily_page_count_unique")
        ]

    def __str__(self):
        return f"{self.day} {self.route}: {self.views}"


class PartnerCheck(models.Model):
    """A sign-up or purchase that came through an affiliate partner's link and was checked by
    24metrics, only for a member who allowed affiliate cookies (activity.partners): the partner,
    the click code, what 24metrics answered. The IP address, user agent and referrer sent are
    not kept here."""

    class Event(models.TextChoices):
        SIGNUP = "signup", _("sign-up")
        PURCHASE = "purchase", _("purchase")

    class Status(models.TextChoices):
        SENT = "sent", _("checked")
        FAILED = "failed", _("check failed")
        SKIPPED = "skipped", _("not checked (switched off)")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_checks"
    )
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    partner = models.CharField(_("partner"), max_length=60)
    click_id = models.CharField(_("click code"), max_length=100, blank=True)
    # The order's public reference for purchases (payments.Order), blank for sign-ups.
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    verdict = models.CharField(_("verdict"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("partner check")
        verbose_name_plural = _("partner checks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "event", "reference"], name="partner_check_once"
            )
        ]

    def __str__(self):
        return f"{self.event} {self.partner} {self.created_at:%Y-%m-%d}"
