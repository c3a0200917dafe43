from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentPurpose(models.TextChoices):
    """What a member can consent to. Issue 6 adds the rest of the ledger around these."""

    SPECIAL_CATEGORY = "special_category", _("Processing of special-category data")


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
