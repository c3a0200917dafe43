"""`manage.py check --deploy` says when the payments are the offline stand-in."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def stand_in_checkout(app_configs, **kwargs):
    if settings.MOLLIE_API_KEY:
        return []
    return [
        checks.Warning(
            "Payments are simulated: without MOLLIE_API_KEY the stand-in checkout lets every "
            "member choose 'paid' and get credits for free"
            + (" (PAYMENTS_STAND_IN=1)." if settings.PAYMENTS_STAND_IN else "."),
            hint="Only a staging site sets PAYMENTS_STAND_IN=1; production sets MOLLIE_API_KEY.",
            id="payments.W001",
        )
    ]
