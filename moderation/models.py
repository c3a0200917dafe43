"""Reports about content, what moderators decided, and who looked at reported content (R10.1).

A `Report` is a case: the content items it is about (`ReportedItem`), the members who reported
them (`Notice`, one per reporter; the site's own holds have none), and the decisions taken
(`ReportDecision`, one row per action, so "remove, then warn" is two rows). Moderation knows
content only by ContentType and id: content apps describe, remove and release their items
through `moderation.registry`, so this app never imports them.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import new_public_id

from .reasons import ReportReason

EXPLANATION_MAX_LENGTH = 1000


class Decision(models.TextChoices):
    DISMISSED = "dismissed", _("Dismissed")
    CONTENT_REMOVED = "content_removed", _("Content removed")
    MEMBER_WARNED = "member_warned", _("Member warned")
    MEMBER_SUSPENDED = "member_suspended", _("Member suspended")


class Report(models.Model):
    """One case in the moderation queue. Reports of the same item while a case is open join
    that case instead of opening another."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        ACTIONED = "actioned", _("Actioned")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind")
    )
    # The first notice's reason (or the system's reason for a hold): filters and priority.
    reason = models.CharField(_("reason"), max_length=32, choices=ReportReason.choices)
    reported_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_about",
        verbose_name=_("reported member"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    # The latest decision (every decision is a ReportDecision row).
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        # Reports come from members and the site; staff look and decide, never add or delete.
        default_permissions = ("view", "change")
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_queue"),
            models.Index(fields=["reported_member", "status"], name="report_member_history"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", decision="") | ~Q(status="open") & ~Q(decision=""),
                name="report_decided_when_closed",
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class ReportedItem(models.Model):
    """One piece of content in a case (a message; later a photo or a profile text)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    added_at = models.DateTimeField(default=timezone.now)
    # Set when a moderator removed this item (the content app removed the content itself).
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reported item")
        verbose_name_plural = _("reported items")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["report", "content_type", "object_id"], name="one_item_per_report"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="reported_item_lookup")]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id}"


class Notice(models.Model):
    """One member's report on a case: their reason and explanation. The reported member is
    never told who reported them."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_made",
    )
    reason = models.CharField(_("reason"), max_length=32, choices=ReportReason.choices)
    explanation = models.TextField(_("explanation"), max_length=EXPLANATION_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["report", "reporter"],
                condition=Q(reporter__isnull=False),
                name="one_notice_per_reporter",
            ),
        ]
        indexes = [models.Index(fields=["reporter", "-created_at"], name="notice_by_reporter")]

    def __str__(self):
        return f"{self.report_id}:{self.pk}"


class ReportDecision(models.Model):
    """One action a moderator took on a case, with their private note."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    note = models.TextField(_("moderator note"), blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderator"),
    )
    created_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        default_permissions = ()
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.report_id}:{self.decision}"


class ContentAccessLog(models.Model):
    """A staff member was shown a reported item's content: who, what (whose), when. Written by
    `services.reported_items_for_review`, one row per item shown; read by superusers only."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    report = models.ForeignKey(
        Report, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("report")
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind")
    )
    object_id = models.BigIntegerField(_("item id"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now)

    class Meta:
        verbose_name = _("content access log entry")
        verbose_name_plural = _("content access log")
        default_permissions = ("view",)
        ordering = ["-viewed_at", "-pk"]
        indexes = [models.Index(fields=["staff", "-viewed_at"], name="access_by_staff")]

    def __str__(self):
        return f"{self.staff_id}:{self.content_type_id}:{self.object_id}"
