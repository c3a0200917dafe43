"""Editing one's own profile (R2.1), the special-category screen (R2.2) and the place
autocomplete. Every view works on request.user's own profile only: no id in any URL or form."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from privacy.models import ConsentPurpose
from privacy.services import has_consent

from . import profile_texts, services
from .completeness import profile_completeness
from .forms import ProfileForm, SexualPreferencesForm, SpecialCategoryConsentForm
from .places import find_places, place_label

logger = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request):
    profile = services.get_or_create_profile(member=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                saved = services.update_profile(member=request.user, **form.profile_fields())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if saved.held_text is not None:
                    messages.success(
                        request,
                        _(
                            "Your profile has been saved. Your new text waits for a moderator "
                            "to look at it: until then, others see your previous text."
                        ),
                    )
                else:
                    messages.success(request, _("Your profile has been saved."))
                return redirect("profiles:edit")
        messages.error(request, _("Your profile was not saved: please correct what is marked."))
    pending = profile_texts.pending_revision(request.user)
    if request.method != "POST":
        form = ProfileForm(profile=profile, pending_text=pending)
    percent, missing = profile_completeness(profile)
    return render(
        request,
        "profiles/edit.html",
        {
            "form": form,
            "completeness": percent,
            "missing": missing,
            # Issue 11: a new text waiting for review, and the approved one others see.
            "pending_text": pending,
            "profile": profile,
        },
    )


@login_required
@require_GET
def place_autocomplete(request):
    """An HTML fragment of <option>s for the place input's <datalist> (htmx)."""
    query = request.GET.get("q", request.GET.get("place", ""))
    places = find_places(query)
    return render(
        request,
        "profiles/_place_options.html",
        {"options": [place_label(place) for place in places]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_sensitive(request):
    member = request.user
    consented = has_consent(member=member, purpose=ConsentPurpose.SPECIAL_CATEGORY)
    consent_form = SpecialCategoryConsentForm()
    preferences_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "consent":
            consent_form = SpecialCategoryConsentForm(request.POST)
            if consent_form.is_valid():
                if not consented:
                    services.give_special_category_consent(member=member)
                messages.success(
                    request, _("Thank you: your consent is recorded. You can now fill this in.")
                )
                return redirect("profiles:sensitive")
        elif action == "save":
            preferences_form = SexualPreferencesForm(request.POST)
            if preferences_form.is_valid():
                try:
                    services.set_sexual_preferences(
                        member=member, preferences=preferences_form.cleaned_data["preferences"]
                    )
                except services.ConsentRequired:
                    logger.warning(
                        "access.denied special_category_without_consent member=%s", member.pk
                    )
                    messages.error(request, _("Nothing was saved: give your consent first."))
                    return redirect("profiles:sensitive")
                messages.success(request, _("Your sexual preferences have been saved."))
                return redirect("profiles:sensitive")
        elif action == "withdraw":
            if consented:
                services.withdraw_special_category_consent(member=member)
            messages.success(
                request,
                _("Your consent is withdrawn and your sexual preferences have been erased."),
            )
            return redirect("profiles:sensitive")
        else:
            return redirect("profiles:sensitive")
    if consented and preferences_form is None:
        profile = services.get_or_create_profile(member=member)
        preferences_form = SexualPreferencesForm(
            initial={"preferences": profile.sexual_preferences}
        )
    return render(
        request,
        "profiles/sensitive.html",
        {
            "consented": consented,
            "consent_form": consent_form,
            "preferences_form": preferences_form if consented else None,
            "wording_version": services.SPECIAL_CONSENT_WORDING_VERSION,
        },
    )
