from allauth.account.forms import SignupForm, UserTokenForm
from django import forms
from django.dispatch import Signal
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Member

format_html_lazy = lazy(format_html, str)

# Sent once a member signed up, with `member` and `consents`: {purpose: ticked} for the optional
# boxes below. The privacy app records them in its consent ledger (members may not import it,
# so it listens here, as profiles listens to privacy's consent_withdrawn). Purposes are named as
# in privacy.models.ConsentPurpose.
member_signed_up = Signal()
SIGNUP_CONSENT_FIELDS = {
    "consent_suggestions": "suggestions",
    "consent_promotional_email": "promotional_email",
    "consent_suggestion_email": "suggestion_email",
}


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

    # Optional and unticked: consent is given by ticking, never by default (R7.1).
    consent_suggestions = forms.BooleanField(
        label=_("Suggest people who fit me, and suggest me to people I fit (optional)."),
        help_text=_(
            "We compare your profile and what you look for with other members' profiles. You "
            "can turn this on or off at any time in your privacy centre."
        ),
        required=False,
    )
    consent_promotional_email = forms.BooleanField(
        label=_("Send me news and offers about the site by e-mail now and then (optional)."),
        help_text=_("You can stop them at any time in your privacy centre."),
        required=False,
    )
    consent_suggestion_email = forms.BooleanField(
        label=_("Now and then, send me e-mails with members who fit me (optional)."),
        help_text=_(
            "Their username, age and place, no photos; only with the suggestions above turned "
            "on. You can stop them at any time in your e-mail settings."
        ),
        required=False,
    )

    field_order = [
        "username",
        "email",
        "gender",
        "password1",
        "password2",
        "adult",
        "accept_terms",
        "consent_suggestions",
        "consent_promotional_email",
        "consent_suggestion_email",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = _(
            "3 to 30 letters, digits, or _ - . — shown to other members."
        )
        self.fields["email"].help_text = _(
            "We send a confirmation link; it is never shown to other members."
        )

    def signup(self, request, user):
        """allauth's hook after the member is saved: hands the optional consents on."""
        member_signed_up.send(
            sender=type(user),
            member=user,
            consents={
                purpose: bool(self.cleaned_data.get(name))
                for name, purpose in SIGNUP_CONSENT_FIELDS.items()
            },
        )


class MemberUserTokenForm(UserTokenForm):
    """The member of a password reset link by the sealed public id the adapter put there
    (members.adapter.reset_link_uid)."""

    def _get_user(self, uidb36):
        from .adapter import member_for_reset_uid

        member = member_for_reset_uid(uidb36)
        if member is not None:
            return member
        # Links mailed before the id was sealed carry it in base 36: accepted until their
        # token expires (PASSWORD_RESET_TIMEOUT).
        return super()._get_user(uidb36)
