from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import new_public_id


class ConsentPurpose(models.TextChoices):
    """What a member can consent to (the wording of each, and its version, is in
    privacy/declaration.py). Every purpose is off until the member gives consent."""

    PROMOTIONAL_EMAIL = "promotional_email", _("Promotional e-mail")
    SUGGESTIONS = "suggestions", _("Personalised suggestions")
    SPECIAL_CATEGORY = "special_category", _("Processing of special-category data")
    ANALYTICS_COOKIES = "analytics_cookies", _("Analytics cookies")
    OTHER_COOKIES = "other_cookies", _("Other non-necessary cookies")


class ConsentRecord(models.Model):
    """One grant or withdrawal, append-only: who, what, when, which wording, from where.
    The current state of a purpose is the latest record for it."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_records"
    )
    purpose = models.CharField(_("purpose"), max_length=40, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    wording_version = models.CharField(_("wording version"), max_length=40)
    source = models.CharField(_("source"), max_length=60)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "purpose", "-created_at"], name="consent_lookup")]

    def __str__(self):
        return f"{self.purpose}: {'granted' if self.granted else 'withdrawn'}"


class ProcessingLimit(models.TextChoices):
    """Limits a member puts on processing (R7.4), each effective at once."""

    RESTRICTION = "restriction", _("Restriction of processing")
    OBJECT_PROFILING = "object_profiling", _("Objection to profiling (suggestions)")
    OBJECT_DIRECT_MARKETING = "object_direct_marketing", _("Objection to direct marketing")


class ProcessingLimitRecord(models.Model):
    """One switch of a processing limit on or off, append-only like the consent ledger; the
    latest record of a kind is its state. Restriction is mirrored on
    `Member.processing_restricted` so every query can filter on it cheaply."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="processing_limits"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=ProcessingLimit.choices)
    active = models.BooleanField(_("in force"))
    source = models.CharField(_("source"), max_length=60)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("processing limit record")
        verbose_name_plural = _("processing limit records")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "kind", "-created_at"], name="processing_limit_lookup")
        ]

    def __str__(self):
        return f"{self.kind}: {'on' if self.active else 'off'}"


class PrivacyStatement(models.Model):
    """A version of the privacy statement, in Dutch (the published text) and English. Drafts
    have no `published_at`; the current statement is the latest published one. Members who
    accepted an older version are asked to read the current one on their next visit."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    text_nl = models.TextField(_("text (Dutch)"))
    text_en = models.TextField(_("text (English)"))
    changes_nl = models.TextField(_("what changed (Dutch)"), blank=True)
    changes_en = models.TextField(_("what changed (English)"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("privacy statement version")
        verbose_name_plural = _("privacy statement versions")
        ordering = ["-published_at", "-created_at"]
        permissions = [("publish_privacystatement", _("Can publish a privacy statement version"))]

    def __str__(self):
        return self.version


class StatementAcceptance(models.Model):
    """A member read and accepted a version of the privacy statement (append-only)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="statement_acceptances"
    )
    version = models.CharField(_("version"), max_length=32)
    source = models.CharField(_("source"), max_length=60)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("privacy statement acceptance")
        verbose_name_plural = _("privacy statement acceptances")
        ordering = ["-accepted_at", "-pk"]

    def __str__(self):
        return self.version


def export_storage():
    from django.core.files.storage import storages

    return storages["private"]


class DataExport(models.Model):
    """A member's export (R7.4): built by a Celery task into a ZIP in private storage,
    downloadable with the member's session until `expires_at`, then deleted by a beat task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(max_length=200, storage=export_storage, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return self.public_id
