"""The reasons a moderator can give for a decision. Members read them in the mail that tells
them of the decision, so they are short and in plain words."""

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
