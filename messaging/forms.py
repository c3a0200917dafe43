"""Forms of the chat pages: writing a message and the receiver's own settings (R3.2).

The message form only carries the text: who it goes to comes from the URL, and the length and
emptiness checks live in services.check_text, so a view and a test see the same sentences."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Notify

MAX_NEW_PER_DAY_LIMIT = 50


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.MESSAGE_MAX_LENGTH
        self.fields["text"].widget.attrs["maxlength"] = limit
        self.fields["text"].help_text = _("At most %(limit)s characters.") % {"limit": limit}

    @property
    def typed_text(self) -> str:
        """What the member typed, as typed (kept when the message is refused)."""
        return self.data.get("text", "") if self.is_bound else (self.initial.get("text") or "")


class ReceivingSettingsForm(forms.Form):
    accepts_messages = forms.BooleanField(
        label=_("Receive messages"),
        required=False,
        help_text=_(
            "Untick to stop receiving messages from anyone. Your conversations stay readable."
        ),
    )
    only_matching = forms.BooleanField(
        label=_("New conversations only from members who fit my search preferences"),
        required=False,
        help_text=_("Members you already have a conversation with can still write to you."),
    )
    only_verified = forms.BooleanField(
        label=_("Only verified members may start a new conversation with me"),
        required=False,
        help_text=_(
            "Verified members showed a moderator a selfie that matches their photos. Members "
            "you already have a conversation with can still write to you."
        ),
    )
    max_new_per_day = forms.IntegerField(
        label=_("Maximum new conversations per day"),
        required=False,
        min_value=1,
        max_value=MAX_NEW_PER_DAY_LIMIT,
        help_text=_("A number from 1 to 50. Leave empty for no limit."),
        error_messages={
            "min_value": _("Enter at least 1, or leave the field empty for no limit."),
            "max_value": _("Enter at most %(limit_value)s, or leave the field empty for no limit."),
            "invalid": _("Enter a whole number, or leave the field empty for no limit."),
        },
    )
    notify = forms.ChoiceField(
        label=_("E-mail me about new messages"),
        choices=Notify.choices,
        widget=forms.RadioSelect,
        help_text=_("The e-mail never contains the message itself."),
        error_messages={"required": _("Choose how you want to be told about new messages.")},
    )

    @classmethod
    def for_settings(cls, wishes, data=None):
        initial = {
            "accepts_messages": wishes.accepts_messages,
            "only_matching": wishes.only_matching,
            "only_verified": wishes.only_verified,
            "max_new_per_day": wishes.max_new_per_day,
            "notify": wishes.notify,
        }
        return cls(data=data, initial=initial)
