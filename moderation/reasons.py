"""The reasons behind reports and decisions. Members read them in the mail that tells them of a
decision, so they are short and in plain words."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PhotoRejectionReason(models.TextChoices):
    NOT_A_PERSON = "not_a_person", _("Not a photo of you")
    NUDITY = "nudity", _("Nudity or sexual content")
    MINOR = "minor", _("Appears to show a minor")
    CONTACT_DETAILS = "contact_details", _("Shows contact details")
    COPYRIGHT = "copyright", _("Someone else's photo")
    POOR_QUALITY = "poor_quality", _("Unrecognisable or poor quality")
    OFFENSIVE = "offensive", _("Offensive content")


class ReportReason(models.TextChoices):
    """Why content was reported. Members choose one of MEMBER_REPORT_REASONS; the site itself
    uses MASS_SENDING when it holds a message (the same text sent to many members). The reported
    member reads the label in the mail that tells them of a decision."""

    SPAM = "spam", _("Spam or advertising")
    SCAM = "scam", _("Scam or asking for money")
    HARASSMENT = "harassment", _("Harassment or threats")
    NON_CONSENSUAL = "non_consensual", _("Sexual content without consent")
    HATE = "hate", _("Hate or discrimination")
    MINOR = "minor", _("Appears to be a minor")
    OTHER = "other", _("Something else")
    MASS_SENDING = "mass_sending", _("The same message sent to many members")


# What a member can choose on a report form (the system reasons are left out).
MEMBER_REPORT_REASONS = [
    (value, label) for value, label in ReportReason.choices if value != ReportReason.MASS_SENDING
]
SYSTEM_REPORT_REASONS = {ReportReason.MASS_SENDING}
