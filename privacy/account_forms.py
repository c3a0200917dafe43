"""The form that closes an account (R7.3): when to erase, and the password once more."""

from allauth.account.adapter import get_adapter
from django import forms
from django.template.defaultfilters import date as format_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

LATER = "later"
NOW = "now"


class CloseAccountForm(forms.Form):
    erasure = forms.ChoiceField(
        label=_("When should your data be erased?"),
        widget=forms.RadioSelect,
        initial=LATER,
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To make sure it is you, enter your password once more."),
    )

    def __init__(self, *args, member, erasure_date, reopen_until, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        choices = []
        if reopen_until is not None:
            choices.append(
                (
                    LATER,
                    gettext(
                        "Erase my data on %(date)s. Until %(reopen)s I can change my mind by "
                        "logging in."
                    )
                    % {
                        "date": format_date(erasure_date, "j F Y"),
                        "reopen": format_date(reopen_until, "j F Y"),
                    },
                )
            )
        choices.append(
            (NOW, gettext("Erase my data now: within minutes, and it cannot be undone."))
        )
        field = self.fields["erasure"]
        field.choices = choices
        if reopen_until is None:
            field.initial = NOW

    def clean_password(self):
        """Checked the way allauth re-authenticates: the failed log-in limits apply."""
        password = self.cleaned_data["password"]
        if not get_adapter().reauthenticate(self.member, password):
            raise forms.ValidationError(
                _("That is not your password. Nothing has changed."), code="incorrect_password"
            )
        return password

    @property
    def erase_immediately(self) -> bool:
        return self.cleaned_data["erasure"] == NOW
