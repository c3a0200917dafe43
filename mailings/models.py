"""Mail members asked for (R5.2, R7.2): promotional campaigns and suggestion mails.

Whether a member may get either is never stored here: it is the consent ledger and the
processing limits of the privacy app, asked at the moment of sending (mailings.services).
What is stored is what went out, so that nothing goes out twice.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MailKind(models.TextChoices):
    """The kinds of mail a member switches on and off on the e-mail settings page. Each
    marketing kind rests on its own consent (privacy.models.ConsentPurpose)."""

    SUGGESTIONS = "suggestions", _("Suggestion e-mails")
    PROMOTIONS = "promotions", _("Promotional e-mail")


class Campaign(models.Model):
    """A promotional mailing, written in Dutch and English by the Marketing group, sent to the
    members of its audience who asked for promotional mail, from `send_at` on."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    class Language(models.TextChoices):
        ANY = "", _("Dutch and English")
        DUTCH = "nl", _("Dutch only")
        ENGLISH = "en", _("English only")

    class Paying(models.TextChoices):
        ANY = "", _("Paying or not")
        PAYING = "paying", _("Paying members only")
        NOT_PAYING = "not_paying", _("Only members who have not paid")

    name = models.CharField(_("name"), max_length=120, help_text=_("For staff only."))
    subject_nl = models.CharField(_("subject (Dutch)"), max_length=150)
    subject_en = models.CharField(_("subject (English)"), max_length=150)
    # A safe HTML subset (mailings.content.clean_body); the plain-text part is made from it.
    body_nl = models.TextField(_("text (Dutch)"))
    body_en = models.TextField(_("text (English)"))

    # The audience. Empty means: no condition.
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, blank=True, default=""
    )
    paying = models.CharField(
        _("paying"), max_length=12, choices=Paying.choices, blank=True, default=""
    )
    genders = models.JSONField(_("genders"), default=list, blank=True)
    # "NL-07" (North Holland), "BE-VLG" (Flanders): country and GeoNames admin1 code.
    regions = models.JSONField(_("provinces and regions"), default=list, blank=True)
    active_within_days = models.PositiveIntegerField(
        _("active within (days)"), null=True, blank=True
    )
    joined_within_days = models.PositiveIntegerField(
        _("joined within (days)"), null=True, blank=True
    )

    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        permissions = [
            ("send_campaign", _("Can schedule, pause, resume and cancel campaigns")),
        ]

    def __str__(self):
        return self.name


class Delivery(models.Model):
    """One campaign mail to one member: unique per (campaign, member) in the database, so a
    member can never be queued twice. A batch claims rows (status CLAIMED with its claim id),
    sends them on one connection and marks each SENT with the provider's message id."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Not sent: the member no longer wanted it by the time it was due, or the address was
        # undeliverable, or the campaign was cancelled.
        SKIPPED = "skipped", _("Skipped")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_deliveries"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    claim = models.CharField(max_length=40, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, default="")
    # Why it was skipped or failed, as a short code (never an address).
    reason = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campaign delivery")
        verbose_name_plural = _("campaign deliveries")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="delivery_once_per_member"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="delivery_batch_idx"),
            # The provider's bounce and complaint events find their row by message id.
            models.Index(
                fields=["message_id"],
                name="delivery_message_id_idx",
                condition=~models.Q(message_id=""),
            ),
        ]

    def __str__(self):
        return f"delivery #{self.pk}"


class SuggestionMailState(models.Model):
    """When a member last got a suggestion mail: the weekly run claims a member by moving
    `last_sent_at` in one conditional UPDATE, so two runs never mail the same week twice."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="suggestion_mail_state",
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("suggestion mail state")
        verbose_name_plural = _("suggestion mail states")

    def __str__(self):
        return f"suggestion mail state #{self.pk}"


class MailedSuggestion(models.Model):
    """A member suggested to another in a suggestion mail: never mailed to them again."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailed_suggestions"
    )
    suggested = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    mailed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mailed suggestion")
        verbose_name_plural = _("mailed suggestions")
        constraints = [
            models.UniqueConstraint(fields=["member", "suggested"], name="mailed_suggestion_once"),
        ]

    def __str__(self):
        return f"mailed suggestion #{self.pk}"
