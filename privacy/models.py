from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import new_public_id


class ConsentPurpose(models.TextChoices):
    """What a member can consent to (the wording of each, and its version, is in
    privacy/declaration.py). Every purpose is off until the member gives consent."""

    PROMOTIONAL_EMAIL = "promotional_email", _("Promotional e-mail")
    SUGGESTION_EMAIL = "suggestion_email", _("Suggestion e-mails")
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


# --- Helpdesk: questions and privacy requests (issue 7) ---------------------------------------


class RequestType(models.TextChoices):
    QUESTION = "question", _("Question")
    ACCESS = "access", _("Access to my data")
    EXPORT = "export", _("A copy of my data (export)")
    RECTIFICATION = "rectification", _("Correction of my data")
    ERASURE = "erasure", _("Erasure of my data")
    RESTRICTION = "restriction", _("Restriction of processing")
    OBJECTION = "objection", _("Objection to processing")
    COMPLAINT = "complaint", _("Complaint")


class PrivacyRequest(models.Model):
    """A question or a privacy request sent to the helpdesk (R7.5, R7.6). Its due date is
    computed by `privacy.requests.due_date` from `received_at` and `extended_months` and kept
    in `due_at` so lists can filter and sort on it."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IDENTITY_CHECK = "identity_check", _("Identity check")
        IN_PROGRESS = "in_progress", _("In progress")
        EXTENDED = "extended", _("Extended")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    reference = models.CharField(_("reference"), max_length=16, unique=True)
    type = models.CharField(_("type"), max_length=20, choices=RequestType.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    requester_email = models.EmailField(_("requester's e-mail address"), max_length=254)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests",
        verbose_name=_("member"),
    )
    language = models.CharField(_("language"), max_length=8, default="nl")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    extended_months = models.PositiveSmallIntegerField(_("extended by (months)"), default=0)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    # Identity (GDPR Art. 12(6)): a logged-in member is verified; a request from the form is
    # verified when the link mailed to the member's registered address is followed.
    verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    closed_at = models.DateTimeField(
        pgettext_lazy("privacy request", "closed at"), null=True, blank=True, db_index=True
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    # The export staff built for the requester (privacy.request_actions.send_export): when it
    # is ready, the requester is mailed a link to it.
    data_export = models.ForeignKey(
        DataExport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests",
        verbose_name=_("export"),
    )

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["due_at", "pk"]
        permissions = [("process_privacyrequest", _("Can process privacy requests"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(extended_months__lte=2), name="request_extension_at_most_2"
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.DONE, self.Status.REFUSED}


def request_attachment_storage():
    from django.core.files.storage import storages

    return storages["private"]


class RequestAttachment(models.Model):
    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(max_length=200, storage=request_attachment_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size_bytes = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class RequestMessage(models.Model):
    """The exchange on a request: what the requester wrote and what staff replied by mail."""

    class Direction(models.TextChoices):
        IN = "in", _("From the requester")
        OUT = "out", _("To the requester")
        NOTE = "note", _("Internal note")

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.request_id}:{self.direction}"


class StaffAccessLog(models.Model):
    """Every staff view of a member's personal data in admin (R9.2): who, whom, what, when.
    Readable by superusers only."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    what = models.CharField(_("what"), max_length=200)
    path = models.CharField(_("page"), max_length=300)
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff access log entry")
        verbose_name_plural = _("staff access log")
        ordering = ["-viewed_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.what} @ {self.viewed_at:%Y-%m-%d %H:%M}"
