"""Helpers several test modules share."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from members.models import Member
from tests.factories import PASSWORD


def signup(client, **extra):
    data = {
        "username": "nieuw",
        "email": "nieuw@example.org",
        "gender": "woman",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "adult": "on",
        "accept_terms": "on",
        **extra,
    }
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Member.objects.get(username="nieuw")


def every_admin_url() -> list[str]:
    """Every page of admin.site a GET can reach: the index, each app's index, and each model
    admin's named URLs, filled in with every object of that model (up to 20) where the URL
    takes an object id. URLs with other parameters are left out."""
    urls = ["/admin/"]
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        urls.append(reverse("admin:app_list", kwargs={"app_label": app_label}))
    for model, model_admin in admin.site._registry.items():
        ids = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:20])
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue
            parameters = set(getattr(pattern.pattern, "converters", {}))
            try:
                if not parameters:
                    urls.append(reverse(f"admin:{pattern.name}"))
                elif parameters == {"object_id"}:
                    urls += [
                        reverse(f"admin:{pattern.name}", kwargs={"object_id": pk}) for pk in ids
                    ]
            except NoReverseMatch:
                continue
    return urls
