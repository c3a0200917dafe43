import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import username_validator


def new_public_id() -> str:
    """An opaque id for URLs: 128 random bits, never the database key."""
    return secrets.token_urlsafe(16)


class MemberManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class Member(AbstractUser):
    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        NON_BINARY = "non_binary", _("Non-binary")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        SUSPENDED = "suspended", _("Suspended")

    class Language(models.TextChoices):
        DUTCH = "nl", "Nederlands"
        ENGLISH = "en", "English"

    username = models.CharField(
        _("username"),
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text=_("3 to 30 letters, digits, or _ - ."),
        error_messages={"unique": _("This username is already taken.")},
    )
    email = models.EmailField(_("e-mail address"), max_length=254)
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.DUTCH
    )
    confirmed_adult_at = models.DateTimeField(_("confirmed 18 or older at"), null=True, blank=True)
    terms_version = models.CharField(_("terms version accepted"), max_length=32, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    privacy_version = models.CharField(
        _("privacy statement version accepted"), max_length=32, blank=True
    )
    privacy_accepted_at = models.DateTimeField(
        _("privacy statement accepted at"), null=True, blank=True
    )
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True, db_index=True)
    # Set by the privacy work (R7.4 restriction): while true the member is left out of search,
    # suggestions and matching. Every such feature honours it.
    processing_restricted = models.BooleanField(_("processing restricted"), default=False)
    # Closing (R7.3): when the closed account's data is erased. Equal to `closed_at` when the
    # member asked for immediate erasure (no reopening then).
    erasure_due_at = models.DateTimeField(_("erasure due at"), null=True, blank=True, db_index=True)

    objects = MemberManager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="member_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"),
                name="member_email_ci_unique",
                condition=~models.Q(email=""),
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "closed", "suspended"]),
                name="member_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["date_joined"], name="member_joined_idx"),
            # The orders of search results (profiles.selectors.search_profiles).
            models.Index(
                models.F("last_active_at").desc(nulls_last=True),
                models.F("date_joined").desc(),
                models.F("id").desc(),
                name="member_active_order",
            ),
            models.Index(
                models.F("date_joined").desc(), models.F("id").desc(), name="member_joined_order"
            ),
        ]
        permissions = [
            ("view_contact_details", _("Can see members' e-mail addresses")),
            ("suspend_member", _("Can suspend and reinstate members")),
        ]

    def __str__(self):
        return self.username

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_findable(self) -> bool:
        """May others find and see this member at all (search, suggestions, profile page)?"""
        return (
            self.status == self.Status.ACTIVE and self.is_active and not self.processing_restricted
        )


class OutgoingMail(models.Model):
    """A mail the site must send. The row is written in the same transaction as the cause (a
    sign-up, a password reset), so a Redis outage or a killed worker delays the mail but never
    loses it: a periodic sweep re-enqueues rows that are not sent in time. Once sent, the body is
    cleared (it may hold a confirmation or reset link) and only the bookkeeping remains."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Not sent: by the time it was due the member no longer wanted it (unsubscribed,
        # restricted processing, closed the account) or the address became undeliverable.
        CANCELLED = "cancelled", _("Not sent: no longer wanted")

    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="outgoing_mail"
    )
    kind = models.CharField(_("kind"), max_length=100)
    to = models.EmailField(_("to"), max_length=254)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Extra mail headers, e.g. List-Unsubscribe (RFC 8058) on notification mail. Cleared with
    # the body once sent (an unsubscribe link is a token too).
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the sweep should send it if it is still unsent: shortly after it was written (its
    # own task should have sent it by then), later after each failed attempt.
    due_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at"]
        indexes = [
            # The sweep's question every minute: unsent rows by due time (a small index, as
            # sent rows, the bulk of the table, are not in it).
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="outgoingmail_unsent_due_idx",
            ),
            # Erasure finds a member's mail by address, case-insensitively.
            models.Index(Upper("to"), name="outgoingmail_to_upper_idx"),
        ]

    def __str__(self):
        return f"{self.kind} ({self.get_status_display()})"


class UndeliverableAddress(models.Model):
    """An address mail could not be delivered to (a hard bounce reported by the mail provider),
    stored lower-cased. Mail the member asked for (suggestions, promotions, message
    notifications) is not sent to it; mail about the account still is (the member may have
    fixed their mailbox). Helpdesk deletes the row when the member says it works again; a new
    address is deliverable until it bounces."""

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="undeliverable_addresses",
    )
    reason = models.CharField(_("reason"), max_length=60)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("undeliverable address")
        verbose_name_plural = _("undeliverable addresses")
        ordering = ["-created_at"]

    def __str__(self):
        return f"undeliverable #{self.pk}"


class StaffEnrolmentLink(models.Model):
    """A one-time link that lets a staff account set up its first authenticator: the password
    alone must not be enough to enrol one (whoever has only the password would otherwise bind
    their own app to the account). Only a hash of the token is stored; the link works once,
    for a limited time, and only in a session of the staff member it was made for."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="staff_enrolment_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff enrolment link")
        verbose_name_plural = _("staff enrolment links")
        ordering = ["-created_at"]

    def __str__(self):
        return f"enrolment link #{self.pk}"
