"""The member's e-mail settings form (R5.2, R7.2): one control per kind of mail.

Mail about new messages is messaging's ReceivingSettings.notify; suggestion and promotional
mail are consents in the privacy ledger. The form only carries the choices: the view compares
them with the current state and writes only what changed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.models import Notify

from .models import MailKind


class MailSettingsForm(forms.Form):
    notify = forms.ChoiceField(
        label=_("E-mail me about new messages"),
        choices=Notify.choices,
        widget=forms.RadioSelect,
        help_text=_("The e-mail never contains the message itself, nor who sent it."),
        error_messages={"required": _("Choose how you want to be told about new messages.")},
    )
    # Named after MailKind values: the view maps each straight to services.set_mail_choice.
    suggestions = forms.BooleanField(
        label=_("Send me suggestion e-mails"),
        required=False,
    )
    promotions = forms.BooleanField(
        label=_("Send me promotional e-mail"),
        required=False,
    )

    KINDS = (MailKind.SUGGESTIONS, MailKind.PROMOTIONS)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Each control is described by its section's explanation (read out with the control).
        for kind in self.KINDS:
            self.fields[kind].widget.attrs["aria-describedby"] = f"mail-{kind}-explanation"

    @classmethod
    def for_member(cls, *, notify: str, wanted: dict[str, bool], data=None):
        initial = {"notify": notify, **{str(kind): wanted[kind] for kind in cls.KINDS}}
        return cls(data=data, initial=initial)
