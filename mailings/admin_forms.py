"""Forms of the campaign admin (the Marketing group's tool)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.models import Member
from profiles.places import REGIONS

from .content import ALLOWED_TAGS, ALLOWED_URL_SCHEMES, clean_body, html_to_text
from .models import Campaign

BODY_FIELDS = ("body_nl", "body_en")


def body_help_text():
    return format_lazy(
        _(
            "A safe subset of HTML. Allowed tags: {tags}; links only with href ({schemes}). "
            "Anything else (scripts, styles, images, other attributes) is removed on saving. "
            "The site's mail layout adds why the member gets the mail and the unsubscribe link."
        ),
        tags=", ".join(sorted(ALLOWED_TAGS)),
        schemes=", ".join(sorted(ALLOWED_URL_SCHEMES)),
    )


class CampaignForm(forms.ModelForm):
    """Name, subjects and texts in both languages, the audience and the send time. The texts
    are cleaned to the safe HTML subset before they are stored."""

    genders = forms.MultipleChoiceField(
        label=_("genders"),
        choices=Member.Gender.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every gender."),
    )
    regions = forms.MultipleChoiceField(
        label=_("provinces and regions"),
        choices=lambda: list(REGIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "By the place in the member's profile. None ticked: everywhere (members without a "
            "place included)."
        ),
    )

    class Meta:
        model = Campaign
        fields = (
            "name",
            "subject_nl",
            "body_nl",
            "subject_en",
            "body_en",
            "language",
            "paying",
            "genders",
            "regions",
            "active_within_days",
            "joined_within_days",
            "send_at",
        )
        help_texts = {
            "language": _("The language members chose for the site; each gets the mail in it."),
            "active_within_days": _("Only members active in the last N days. Blank: anyone."),
            "joined_within_days": _("Only members who joined in the last N days. Blank: anyone."),
            "send_at": _("Blank: as soon as the campaign is scheduled."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in BODY_FIELDS:
            if name in self.fields:
                self.fields[name].help_text = body_help_text()
                self.fields[name].widget.attrs.update({"rows": 12})

    def _clean_body(self, name):
        cleaned = clean_body(self.cleaned_data.get(name, ""))
        if not html_to_text(cleaned).strip():
            raise forms.ValidationError(
                _(
                    "This text is empty once what is not allowed is removed. Write the text in "
                    "the allowed tags."
                ),
                code="empty_body",
            )
        return cleaned

    def clean_body_nl(self):
        return self._clean_body("body_nl")

    def clean_body_en(self):
        return self._clean_body("body_en")

    def clean_genders(self):
        return sorted(set(self.cleaned_data.get("genders") or []))

    def clean_regions(self):
        return sorted(set(self.cleaned_data.get("regions") or []))


class TestSendForm(forms.Form):
    """Which language(s) of the campaign to send to the staff member's own address."""

    language = forms.ChoiceField(
        label=_("Language of the test"),
        choices=[
            ("nl", _("Dutch")),
            ("en", pgettext_lazy("language", "English")),
            ("both", _("Both")),
        ],
        initial="both",
    )
