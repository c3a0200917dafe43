from allauth.account.forms import SignupForm
from django import forms
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Member

format_html_lazy = lazy(format_html, str)


class MemberSignupForm(SignupForm):
    """allauth's sign-up form with what this site asks besides: gender, the 18+ confirmation
    and acceptance of the terms and the privacy statement (R1.1, R1.4)."""

    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", _("Choose…"))] + list(Member.Gender.choices),
        error_messages={"required": _("Choose your gender.")},
    )
    adult = forms.BooleanField(
        label=_("I am 18 years or older."),
        error_messages={"required": _("You must be 18 or older to join this site.")},
    )
    accept_terms = forms.BooleanField(
        label=format_html_lazy(
            _('I accept the <a href="{}">terms</a> and the <a href="{}">privacy statement</a>.'),
            reverse_lazy("terms"),
            reverse_lazy("privacy:statement"),
        ),
        error_messages={
            "required": _("You can only join after accepting the terms and the privacy statement.")
        },
    )

    field_order = ["username", "email", "gender", "password1", "password2", "adult", "accept_terms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = _(
            "3 to 30 letters, digits, or _ - . — shown to other members."
        )
        self.fields["email"].help_text = _(
            "We send a confirmation link; it is never shown to other members."
        )
