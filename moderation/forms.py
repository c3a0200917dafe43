from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import EXPLANATION_MAX_LENGTH
from .reasons import MEMBER_REPORT_REASONS


class ReportForm(forms.Form):
    """What a member fills in to report content. Content apps add their own fields (the
    messaging report page adds "also block this member")."""

    reason = forms.ChoiceField(
        label=_("Why are you reporting this?"),
        choices=MEMBER_REPORT_REASONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    explanation = forms.CharField(
        label=_("Explanation (optional)"),
        required=False,
        max_length=EXPLANATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        # Lazy all the way: formatted per request, in the visitor's language.
        help_text=lazy(
            lambda: (
                gettext("Anything the moderator should know. At most %(limit)s characters.")
                % {"limit": EXPLANATION_MAX_LENGTH}
            ),
            str,
        )(),
    )


class DecisionForm(forms.Form):
    """A moderator's decision on a case in admin: which action, a private note, and for a
    removal the items to remove."""

    DISMISS = "dismiss"
    REMOVE = "remove"
    WARN = "warn"
    SUSPEND = "suspend"
    ACTIONS = [
        (DISMISS, _("Dismiss")),
        (REMOVE, _("Remove the chosen content")),
        (WARN, _("Warn the member")),
        (SUSPEND, _("Suspend the member")),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    note = forms.CharField(
        label=_("Note for other moderators"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Private: the member never sees it. Needed for a warning or a suspension."),
    )
    items = forms.MultipleChoiceField(
        label=_("Content to remove"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, item_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = list(item_choices)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in (self.WARN, self.SUSPEND) and not (data.get("note") or "").strip():
            self.add_error("note", _("Write a note: a warning or a suspension needs one."))
        if action == self.REMOVE and not data.get("items"):
            self.add_error("items", _("Choose the content to remove."))
        return data
