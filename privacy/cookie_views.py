"""The cookie page and saving a cookie choice (issue 10; the rules are in privacy.cookies).

Both work without JavaScript: the banner (templates/privacy/_cookie_banner.html) and the cookie
page are plain forms that POST to `save_choice`, which redirects back to the page they were
sent from (a path on this site only)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import cookies
from .forms import safe_next

ACCEPT = "accept"
REFUSE = "refuse"
CHOOSE = "choose"
SAVE = "save"
SOURCES = {"banner": cookies.SOURCE_COOKIE_BANNER, "page": cookies.SOURCE_COOKIE_PAGE}


class CookieChoiceForm(forms.Form):
    choice = forms.ChoiceField(choices=[(key, key) for key in (ACCEPT, REFUSE, CHOOSE, SAVE)])
    category = forms.MultipleChoiceField(
        choices=[(key, key) for key in cookies.OPTIONAL_CATEGORIES], required=False
    )
    origin = forms.ChoiceField(choices=[(key, key) for key in SOURCES], required=False)
    next = forms.CharField(required=False, max_length=2000)


@require_GET
def cookie_page(request):
    """Every cookie the site sets, per category (from privacy.cookies.COOKIES), and the form to
    choose per category. Boxes are ticked only where the current choice allows."""
    choice = cookies.choice_for(request)
    sections = [
        {
            "category": category,
            "cookies": cookies.cookies_of(key),
            "optional": category.purpose is not None,
            "on": choice.allows(key),
        }
        for key, category in cookies.CATEGORIES.items()
    ]
    return render(
        request,
        "privacy/cookies.html",
        {
            "sections": sections,
            "choice": choice,
            "policy_version": cookies.policy_version(),
            "next": safe_next(request, request.GET.get("next"), ""),
        },
    )


@require_POST
def save_choice(request):
    form = CookieChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: that choice is not known."))
        return redirect("privacy:cookies")
    data = form.cleaned_data
    fallback = reverse("privacy:cookies") if data["origin"] == "page" else reverse("home")
    back = safe_next(request, data["next"], fallback)
    if data["choice"] == CHOOSE:
        return redirect(f"{reverse('privacy:cookies')}?{urlencode({'next': back})}")
    if data["choice"] == ACCEPT:
        allowed = cookies.OPTIONAL_CATEGORIES
    elif data["choice"] == REFUSE:
        allowed = []
    else:
        allowed = data["category"]
    response = redirect(back)
    choice = cookies.save_choice(
        request, response, allowed=allowed, source=SOURCES.get(data["origin"] or "banner")
    )
    allowed_labels = [
        str(category.label) for key, category in cookies.CATEGORIES.items() if choice.allows(key)
    ]
    messages.success(
        request,
        _("Your cookie choice is saved. Allowed: %(categories)s.")
        % {"categories": ", ".join(allowed_labels)},
    )
    return response
