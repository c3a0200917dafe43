"""Anonymised statistics (SPEC R8.3): numbers about groups of members, never about one.

Nothing here refers to a member: no foreign key, no member id, public id or username, no time
finer than a day. A row holds a table's name, a day or the Monday of a week (or nothing, for
counts of the members as they are now), the group it counts (a province code, a gender, an
age band, or "total") and the number shown; a suppressed cell holds no number at all.
Computed each night by stats.services.compute_statistics.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Keys of the groups that are not a province, gender or age band.
TOTAL = "total"
UNKNOWN = "unknown"


class Table(models.TextChoices):
    SIGNUPS = "signups", _("Sign-ups per week")
    ACTIVE_MEMBERS = "active_members", _("Active members per day")
    MESSAGES = "messages", _("Messages per day")
    PURCHASES = "purchases", _("Purchases per week")
    REVENUE = "revenue", _("Revenue per week")
    REGIONS = "members_by_region", _("Members by province or region")
    GENDERS = "members_by_gender", _("Members by gender")
    AGE_BANDS = "members_by_age", _("Members by age")
    GENDER_AGE = "members_by_gender_age", _("Members by gender and age")


class Statistic(models.Model):
    """One cell of a table: a number of members, messages, purchases or euro cents."""

    table = models.CharField(_("table"), max_length=32, choices=Table.choices)
    # The day, or the Monday of the week (Europe/Amsterdam); empty for tables of the members
    # as they are at computation time (by province, gender, age).
    period = models.DateField(_("day or week"), null=True, blank=True)
    # The group counted: a province or region code ("NL-07"), a gender, an age band ("25-34"),
    # "unknown" (not given) or "total"; empty in tables over time. `group2` is the age band of
    # the gender-and-age table.
    group = models.CharField(_("group"), max_length=16, blank=True, default="")
    group2 = models.CharField(_("second group"), max_length=16, blank=True, default="")
    # Empty when suppressed: the number is not stored at all, only that it is hidden.
    value = models.BigIntegerField(_("value"), null=True, blank=True)
    suppressed = models.BooleanField(_("suppressed"), default=False)

    class Meta:
        verbose_name = _("statistic")
        verbose_name_plural = _("statistics")
        # Read-only: the nightly computation writes them; staff only look (Management role).
        default_permissions = ("view",)
        ordering = ["table", "period", "group", "group2"]
        constraints = [
            models.CheckConstraint(
                condition=Q(suppressed=True, value__isnull=True)
                | Q(suppressed=False, value__isnull=False),
                name="statistic_suppressed_has_no_value",
            ),
            models.UniqueConstraint(
                fields=["table", "period", "group", "group2"],
                condition=Q(period__isnull=False),
                name="statistic_cell_unique",
            ),
            models.UniqueConstraint(
                fields=["table", "group", "group2"],
                condition=Q(period__isnull=True),
                name="statistic_snapshot_cell_unique",
            ),
        ]

    def __str__(self):
        shown = "suppressed" if self.suppressed else self.value
        return f"{self.table} {self.period or ''} {self.group} {self.group2}: {shown}"


class Computation(models.Model):
    """When a table was last computed, and which days or weeks that run covered."""

    table = models.CharField(_("table"), max_length=32, choices=Table.choices, unique=True)
    computed_at = models.DateTimeField(_("computed at"))
    first_period = models.DateField(_("first day or week"), null=True, blank=True)
    last_period = models.DateField(_("last day or week"), null=True, blank=True)

    class Meta:
        verbose_name = _("statistics computation")
        verbose_name_plural = _("statistics computations")
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.table} at {self.computed_at:%Y-%m-%d %H:%M}"
