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

from .reasons import Category, Priority

EXPLANATION_MAX_LENGTH = 1000
FACTS_MAX_LENGTH = 2000


class Decision(models.TextChoices):
    DISMISSED = "dismissed", _("Dismissed")
    CONTENT_REMOVED = "content_removed", _("Content removed")
    MEMBER_WARNED = "member_warned", _("Member warned")
    ACCOUNT_RESTRICTED = "account_restricted", _("Account restricted")
    MEMBER_SUSPENDED = "member_suspended", _("Account suspended")
    ACCOUNT_CLOSED = "account_closed", _("Account closed")
    APPEAL_UPHELD = "appeal_upheld", _("Appeal rejected: decision upheld")
    APPEAL_REVERSED = "appeal_reversed", _("Appeal granted: decision reversed")


# Decisions that restrict the member and so need a statement of reasons (DSA Art. 17).
RESTRICTING_DECISIONS = {
    Decision.CONTENT_REMOVED,
    Decision.MEMBER_WARNED,
    Decision.ACCOUNT_RESTRICTED,
    Decision.MEMBER_SUSPENDED,
    Decision.ACCOUNT_CLOSED,
}


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
    # The first notice's category (or the system's reason for a hold): filters and priority.
    reason = models.CharField(_("category"), max_length=32, choices=Category.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
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
    # Urgent cases: when the item or account was hidden pending review (None: not hidden).
    hidden_at = models.DateTimeField(_("hidden pending review at"), null=True, blank=True)
    # When a moderator first opened the case page or decided it: the urgent queue's target
    # (MODERATION_URGENT_FIRST_LOOK_MINUTES) is measured to this moment.
    first_looked_at = models.DateTimeField(_("first looked at"), null=True, blank=True)
    police_notified_at = models.DateTimeField(_("passed to the police at"), null=True, blank=True)
    police_notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("passed to the police by"),
    )
    # An appeal case: the decision it is about (see Appeal). Empty for first-instance cases.
    appeal_of = models.ForeignKey(
        "ReportDecision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appeal_cases",
        verbose_name=_("appeal against"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # Reports come from members and the site; staff look and decide, never add or delete.
        default_permissions = ("view", "change")
        permissions = [("notify_police", "Can mark a case as passed to the police")]
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_queue"),
            models.Index(fields=["status", "priority", "created_at"], name="report_priority_queue"),
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
    """One report on a case (DSA Art. 16 notice), by a member or by a visitor without an
    account: category, explanation, name and e-mail, the statement of good faith, and the
    reference of the receipt. The reported member is never told who reported them."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_made",
    )
    # A visitor's own details (members' come from their account); optional only for the
    # categories in reasons.ANONYMOUS_CATEGORIES.
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    reason = models.CharField(_("category"), max_length=32, choices=Category.choices)
    explanation = models.TextField(_("explanation"), max_length=EXPLANATION_MAX_LENGTH, blank=True)
    good_faith = models.BooleanField(_("declared in good faith"), default=False)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    # Told of the outcome (Art. 16(5)); set once.
    outcome_sent_at = models.DateTimeField(null=True, blank=True)
    # A keyed hash of the address the notice came from (never the address itself): two
    # notices from one address are one reporter when counting independent reporters.
    source_digest = models.CharField(max_length=64, blank=True)
    # Sent by a trusted flagger (DSA Art. 22): marked and handled first.
    trusted_flagger = models.ForeignKey(
        "TrustedFlagger",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("trusted flagger"),
    )
    # A flagger known by e-mail address proved the notice is theirs (the link in the receipt):
    # anyone can type an address on the public form.
    confirmed_at = models.DateTimeField(_("confirmed by the flagger at"), null=True, blank=True)

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


class TrustedFlagger(models.Model):
    """A trusted flagger (DSA Art. 22): an organisation whose notices are handled first and
    may hide a reported account at once, pending review, on their own. Known by a member
    account it reports with, or by the e-mail address or domain its notices come from (such
    a notice counts once the flagger confirms it through the link in its receipt: an address
    typed on the public form proves nothing). Superusers add them; moderators see the list."""

    name = models.CharField(_("organisation"), max_length=150)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="trusted_flaggers",
        verbose_name=_("member account"),
        help_text=_("The account the organisation reports with, if it has one."),
    )
    email = models.EmailField(
        _("e-mail address"),
        blank=True,
        help_text=_("Notices from exactly this address (confirmed through their receipt)."),
    )
    email_domain = models.CharField(
        _("e-mail domain"),
        max_length=150,
        blank=True,
        help_text=_("Notices from any address at this domain, for example offlimits.nl."),
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("Why the organisation is trusted.")
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("trusted flagger")
        verbose_name_plural = _("trusted flaggers")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) | ~Q(email="") | ~Q(email_domain=""),
                name="trusted_flagger_identified",
                violation_error_message=_(
                    "Give a member account, an e-mail address or an e-mail domain."
                ),
            ),
        ]

    def __str__(self):
        return self.name


class ReportDecision(models.Model):
    """One action a moderator (or the strike ladder) took on a case, with a private note."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    # Restrictions for a period end by themselves (see Sanction); None: not for a period.
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    # Taken by the strike ladder, not by a person.
    automated = models.BooleanField(_("automated"), default=False)
    # Reversed on appeal (the effect was undone).
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
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


class CaseNote(models.Model):
    """A moderator's private note on a case, so another moderator can take it over. Members
    never see notes."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("moderator"),
    )
    text = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("moderator note")
        verbose_name_plural = _("moderator notes")
        default_permissions = ()
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.report_id}:{self.pk}"


class Statement(models.Model):
    """A statement of reasons (DSA Art. 17) for one restricting decision, with the fields of the
    EU Transparency Database (`transparency.py` turns it into a record). It is mailed to the
    member, shown on their "decisions about me" page, and kept after the member's erasure
    without the member (`member` and `language` emptied; `decision_facts` hold no personal
    data by rule, see the decision form)."""

    class Ground(models.TextChoices):
        ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT", _("Illegal content")
        INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT", _("Against the terms of use")

    class Automated(models.TextChoices):
        FULLY = "AUTOMATED_DECISION_FULLY", _("Fully automated")
        PARTIALLY = "AUTOMATED_DECISION_PARTIALLY", _("Partially automated")
        NOT = "AUTOMATED_DECISION_NOT_AUTOMATED", _("Not automated")

    class Source(models.TextChoices):
        NOTICE = "SOURCE_ARTICLE_16", _("A notice (report)")
        VOLUNTARY = "SOURCE_VOLUNTARY", _("The site's own initiative")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    decision = models.OneToOneField(
        ReportDecision, on_delete=models.PROTECT, related_name="statement"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_statements",
        verbose_name=_("member"),
    )
    decision_visibility = models.JSONField(default=list, blank=True)
    decision_monetary = models.CharField(max_length=60, blank=True)
    decision_provision = models.CharField(max_length=60, blank=True)
    decision_account = models.CharField(max_length=60, blank=True)
    decision_ground = models.CharField(_("ground"), max_length=60, choices=Ground.choices)
    # Ground "illegal": the law; ground "incompatible": the clause of the terms.
    legal_ground = models.CharField(_("law"), max_length=300, blank=True)
    terms_clause = models.CharField(_("clause of the terms"), max_length=300, blank=True)
    ground_explanation = models.TextField(_("why it is illegal or against the terms"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    content_type = models.JSONField(default=list, blank=True)
    decision_facts = models.TextField(_("facts and circumstances"), max_length=FACTS_MAX_LENGTH)
    source_type = models.CharField(max_length=40, choices=Source.choices)
    automated_detection = models.BooleanField(_("detected by automated means"), default=False)
    automated_decision = models.CharField(
        _("automated decision"), max_length=40, choices=Automated.choices, default=Automated.NOT
    )
    content_date = models.DateTimeField(null=True, blank=True)
    application_date = models.DateTimeField(_("applies from"))
    end_date = models.DateTimeField(_("applies until"), null=True, blank=True)
    territorial_scope = models.JSONField(default=list)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("statement of reasons")
        verbose_name_plural = _("statements of reasons")
        default_permissions = ("view",)
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"], name="statement_by_member")]

    def __str__(self):
        return self.public_id


class Sanction(models.Model):
    """A restriction in force on an account: restricted (no messaging, hidden from search),
    suspended (no log-in), or hidden pending review (urgent cases). It ends at `ends_at` by
    itself (beat `end_expired_sanctions`), or early when lifted (decision reversed, case
    dismissed); `ended_at` records when."""

    class Kind(models.TextChoices):
        RESTRICTED = "restricted", _("Restricted: no messaging, hidden from search")
        SUSPENDED = "suspended", _("Suspended")
        HIDDEN = "hidden", _("Hidden pending review")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="moderation_sanctions",
        verbose_name=_("member"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    report = models.ForeignKey(
        Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="sanctions"
    )
    decision = models.ForeignKey(
        ReportDecision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sanctions",
    )
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account restriction")
        verbose_name_plural = _("account restrictions")
        default_permissions = ("view",)
        indexes = [
            models.Index(
                fields=["member", "kind"],
                condition=Q(ended_at__isnull=True),
                name="sanction_in_force",
            ),
            models.Index(
                fields=["ends_at"], condition=Q(ended_at__isnull=True), name="sanction_ending"
            ),
        ]

    def __str__(self):
        return f"{self.member_id}:{self.kind}"


class Strike(models.Model):
    """A violation counted against a member (DSA Art. 23): the strike ladder turns repeated
    ones into a warning, then a suspension. Removed (not deleted) when the decision is
    reversed on appeal."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_strikes"
    )
    decision = models.ForeignKey(ReportDecision, on_delete=models.CASCADE, related_name="strikes")
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("strike")
        verbose_name_plural = _("strikes")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["member", "decision"], name="one_strike_per_decision")
        ]

    def __str__(self):
        return f"{self.member_id}:{self.decision_id}"


class ReporterStanding(models.Model):
    """How a member's reports turned out (DSA Art. 23(2)): reporters whose reports are
    repeatedly unfounded have their reports handled last, from `deprioritised_at`, with the
    counts that led to it recorded."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reporter_standing"
    )
    founded = models.PositiveIntegerField(_("founded reports"), default=0)
    unfounded = models.PositiveIntegerField(_("unfounded reports"), default=0)
    deprioritised_at = models.DateTimeField(_("handled last since"), null=True, blank=True)
    deprioritised_founded = models.PositiveIntegerField(null=True, blank=True)
    deprioritised_unfounded = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("reporter standing")
        verbose_name_plural = _("reporter standings")
        default_permissions = ("view",)

    def __str__(self):
        return str(self.member_id)


class Appeal(models.Model):
    """An appeal (DSA Art. 20) against one decision, by the affected member or by a reporter
    whose report was dismissed: once, within six months, free. It is decided as a case in the
    same queue (`case`), by another moderator than the one who decided first."""

    class Role(models.TextChoices):
        AFFECTED = "affected", _("The member the decision is about")
        REPORTER = "reporter", _("The person who reported")

    class Outcome(models.TextChoices):
        PENDING = "", _("Pending")
        UPHELD = "upheld", _("Decision upheld")
        REVERSED = "reversed", _("Decision reversed")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    decision = models.ForeignKey(ReportDecision, on_delete=models.CASCADE, related_name="appeals")
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_appeals",
    )
    # A visitor without an account appeals through their notice (the link in its outcome
    # mail): then `appellant` is empty and the outcome goes to the notice's address.
    notice = models.ForeignKey(
        Notice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("notice of the visitor who appealed"),
    )
    role = models.CharField(_("appealed by"), max_length=10, choices=Role.choices)
    explanation = models.TextField(_("explanation"), max_length=EXPLANATION_MAX_LENGTH)
    case = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="appeal")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "appellant"],
                condition=Q(appellant__isnull=False),
                name="one_appeal_per_person_and_decision",
            ),
            models.UniqueConstraint(
                fields=["decision", "notice"],
                condition=Q(notice__isnull=False),
                name="one_appeal_per_notice_and_decision",
            ),
        ]

    def __str__(self):
        return self.public_id


class ModerationAction(models.Model):
    """The append-only audit log of every moderator action: who, what, which item, when, and
    the statement's id. Written by `moderation.audit.record_action` only; readable by
    superusers; nobody edits or deletes it (the admin refuses, `save` refuses an update,
    `delete` raises, and on PostgreSQL a trigger refuses UPDATE and DELETE except the
    SET NULL of an erased staff account)."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("action"), max_length=40)
    report = models.ForeignKey(
        Report,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("case"),
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kind"),
    )
    object_id = models.BigIntegerField(_("item id"), null=True, blank=True)
    statement_reference = models.CharField(_("statement"), max_length=32, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("moderation audit log entry")
        verbose_name_plural = _("moderation audit log")
        default_permissions = ("view",)
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("the moderation audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the moderation audit log is append-only")


from django.db.models.functions import Lower  # noqa: E402 (kept with BlockedTerm, below)


class BlockedTerm(models.Model):
    """A word or phrase moderators do not want in profile texts (moderation.detection): a
    new or changed text holding it waits in the queue. Matched as whole words, ignoring case,
    accents and spacing."""

    term = models.CharField(_("word or phrase"), max_length=100)
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("Why it is on the list (for staff).")
    )
    active = models.BooleanField(_("active"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("blocked term")
        verbose_name_plural = _("blocked terms")
        ordering = ["term"]
        constraints = [
            models.UniqueConstraint(
                Lower("term"),
                name="blocked_term_once",
                violation_error_message=_("This word or phrase is already on the list."),
            ),
        ]

    def __str__(self):
        return self.term
