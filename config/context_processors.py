from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DPO_EMAIL": settings.DPO_EMAIL,
        "HELPDESK_EMAIL": settings.HELPDESK_EMAIL,
        # A staging site's stand-in checkout (PAYMENTS_STAND_IN=1, no MOLLIE_API_KEY): every
        # page says so, as nobody must take its credits for real ones.
        "PAYMENTS_SIMULATED": settings.PAYMENTS_STAND_IN and not settings.MOLLIE_API_KEY,
    }
