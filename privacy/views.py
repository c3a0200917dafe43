from django.conf import settings
from django.shortcuts import render


def statement(request):
    """The privacy statement: the Dutch text as published, and its English rendering."""
    return render(
        request, "privacy/statement.html", {"version": settings.PRIVACY_STATEMENT_VERSION}
    )


def data_protection_officer(request):
    return render(
        request,
        "privacy/dpo.html",
        {"dpo_name": settings.DPO_NAME, "dpo_email": settings.DPO_EMAIL},
    )
