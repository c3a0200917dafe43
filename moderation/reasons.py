"""The categories of reports and the grounds of decisions. Members read the labels in the mails
that tell them of a decision, so they are short and in plain words.

Categories follow the notice form of the issue (DSA Art. 16) and map onto the categories of the
EU Transparency Database (`TDB_CATEGORY`). Categories set a case's priority (`PRIORITY`)."""

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


class Category(models.TextChoices):
    """Why content is in the queue. People reporting choose one of REPORT_CATEGORIES; the site
    itself uses the SYSTEM_CATEGORIES when it holds content back."""

    SCAM_FAKE = "scam", _("Scam or fake profile")
    MINOR = "minor", _("Suspected minor")
    NON_CONSENSUAL = "non_consensual", _("Non-consensual image")
    HARASSMENT = "harassment", _("Harassment")
    THREAT = "threat", _("Threat to someone's life or safety")
    SPAM = "spam", _("Spam or solicitation")
    ILLEGAL = "illegal", _("Illegal content")
    OTHER = "other", _("Something else")
    # The site's own detection:
    MASS_SENDING = "mass_sending", _("The same message sent to many members")
    PROFILE_TEXT = "profile_text", _("Profile text matched a pattern")
    NEW_PHOTO = "new_photo", _("New photo")


# Kept for code that still says "reason": the same choices.
ReportReason = Category

SYSTEM_CATEGORIES = {Category.MASS_SENDING, Category.PROFILE_TEXT, Category.NEW_PHOTO}
REPORT_CATEGORIES = [
    (value, label) for value, label in Category.choices if value not in SYSTEM_CATEGORIES
]
MEMBER_REPORT_REASONS = REPORT_CATEGORIES
SYSTEM_REPORT_REASONS = SYSTEM_CATEGORIES
# A visitor may leave name and e-mail out only for these (DSA Art. 16(2)(c) exempts reports of
# child sexual abuse material; the issue extends it to suspected minors and abuse).
ANONYMOUS_CATEGORIES = {Category.MINOR, Category.NON_CONSENSUAL}


class Priority(models.IntegerChoices):
    """Lower is handled first."""

    URGENT = 0, _("Urgent")
    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


PRIORITY = {
    Category.MINOR: Priority.URGENT,
    Category.THREAT: Priority.URGENT,
    Category.NON_CONSENSUAL: Priority.HIGH,
    Category.ILLEGAL: Priority.HIGH,
}
# Urgent cases hide the account or item at once, pending review.
URGENT_CATEGORIES = {c for c, p in PRIORITY.items() if p == Priority.URGENT}


def priority_for(category) -> int:
    return PRIORITY.get(category, Priority.NORMAL)


# DSA Transparency Database statement categories, schema v2 (July 2025). It refuses the v1
# categories SCOPE_OF_PLATFORM_SERVICE (now OTHER_VIOLATION_TC) and NON_CONSENSUAL_BEHAVIOUR
# (now CYBER_VIOLENCE with the keyword KEYWORD_NON_CONSENSUAL_IMAGE_SHARING, see TDB_KEYWORDS).
TDB_CATEGORY = {
    Category.SCAM_FAKE: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    Category.MINOR: "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    Category.NON_CONSENSUAL: "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    Category.HARASSMENT: "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    Category.THREAT: "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    Category.SPAM: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    Category.ILLEGAL: "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    Category.OTHER: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    Category.MASS_SENDING: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    Category.PROFILE_TEXT: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    Category.NEW_PHOTO: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
}
# The optional `category_specification` keywords that say more than the category.
TDB_KEYWORDS = {
    Category.NON_CONSENSUAL: ["KEYWORD_NON_CONSENSUAL_IMAGE_SHARING"],
    Category.HARASSMENT: ["KEYWORD_CYBER_HARASSMENT"],
}
