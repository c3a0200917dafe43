"""The checkout form: a pack and a payment method, nothing else (an amount or a number of
credits posted with it is never read, SECURITY: forms bind only the fields they declare)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CreditPack, PaymentMethod


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
