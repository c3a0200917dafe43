"""The checkout form: a pack and a payment method, nothing else (an amount or a number of
credits posted with it is never read, SECURITY: forms bind only the fields they declare); the
member's monthly spending limit."""

import re

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .models import CreditPack, PaymentMethod
from .services import LIMIT_MAX_EUROS


class CheckoutForm(forms.Form):
    pack = forms.ModelChoiceField(
        queryset=CreditPack.objects.filter(active=True),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose a credit pack."),
            "invalid_choice": _("This credit pack is no longer on sale. Choose another one."),
        },
    )
    method = forms.ChoiceField(
        label=_("Payment method"),
        choices=PaymentMethod.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you want to pay."),
            "invalid_choice": _("Choose iDEAL, Bancontact or credit card."),
        },
    )


class StandInChoiceForm(forms.Form):
    """The outcome a tester picks on the offline stand-in checkout."""

    status = forms.ChoiceField(
        choices=[
            ("paid", _("Paid")),
            ("failed", _("Failed")),
            ("canceled", _("Canceled")),
            ("expired", _("Expired")),
        ]
    )


class SpendingLimitForm(forms.Form):
    """The member's monthly spending limit, in whole euros. Read as text and judged here (not
    by the browser), so what was typed stays in the field with a clear message."""

    WHOLE_EUROS = re.compile(r"^(?:€\s*)?(\d{1,9})(?:[.,]0{1,2})?(?:\s*€)?$")

    limit = forms.CharField(
        label=_("Monthly limit in euros"),
        max_length=20,
        help_text=_("Whole euros, for example 50. With 0 you buy no credits at all."),
        error_messages={"required": _("Enter a limit in whole euros, for example 50.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
    )

    def clean_limit(self) -> int:
        typed = self.cleaned_data["limit"].strip().replace("\u00a0", " ")
        match = self.WHOLE_EUROS.match(typed)
        if not match:
            raise forms.ValidationError(
                _("Enter the limit in whole euros, with digits only, for example 50."),
                code="invalid",
            )
        euros = int(match.group(1))
        if euros > LIMIT_MAX_EUROS:
            raise forms.ValidationError(
                _(
                    "The highest limit you can set is %(max)s euros a month. For more, remove "
                    "the limit."
                ),
                code="max_value",
                params={"max": number_format(LIMIT_MAX_EUROS, force_grouping=True)},
            )
        return euros
