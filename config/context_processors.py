from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "DPO_EMAIL": settings.DPO_EMAIL,
        "HELPDESK_EMAIL": settings.HELPDESK_EMAIL,
    }
