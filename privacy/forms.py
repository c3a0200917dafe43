"""The privacy centre's forms: each is one button, so they bind only what the button sends."""

from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from .models import ConsentPurpose, ProcessingLimit

GIVE = "give"
WITHDRAW = "withdraw"


class ConsentChangeForm(forms.Form):
    """Give or withdraw one consent (the consents page's buttons)."""

    purpose = forms.ChoiceField(choices=ConsentPurpose.choices)
    action = forms.ChoiceField(choices=[(GIVE, GIVE), (WITHDRAW, WITHDRAW)])

    @property
    def granted(self) -> bool:
        return self.cleaned_data["action"] == GIVE


class LimitChangeForm(forms.Form):
    """Put a processing limit in force or lift it (the restriction and objection page)."""

    kind = forms.ChoiceField(choices=ProcessingLimit.choices)
    active = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on"
    )


class AcceptStatementForm(forms.Form):
    """ "I have read it": the version the member was shown, and where to go back to."""

    version = forms.CharField(max_length=32)
    next = forms.CharField(required=False, max_length=2000)


def safe_next(request, target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else the fallback (no open redirects)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
