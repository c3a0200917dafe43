"""The member's verification page (ask for the "verified" badge with a selfie, see where it
stands, withdraw a waiting selfie) and the staff-only view that serves a selfie to the
moderator reviewing it. The work is in profiles.verification."""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members.middleware import serves_a_file

from . import photos as photo_services
from . import verification as services
from .models import (
    Profile,
    VerificationRefusalReason,
    VerificationRequest,
    VerificationRevokeReason,
)
from .photo_views import refused_status

logger = logging.getLogger(__name__)

# The gesture shown to the member, kept in their session until they send a selfie, so a
# reload does not change it and the server, not the form, says which gesture was asked.
SESSION_KEY = "verification_gesture"


class SelfieForm(forms.Form):
    selfie = forms.FileField(
        label=gettext_lazy("Your selfie"),
        widget=forms.FileInput(
            # "user": phones offer the front camera first.
            attrs={"accept": photo_services.ACCEPTED_CONTENT_TYPES, "capture": "user"}
        ),
        error_messages={
            "required": gettext_lazy("Choose your selfie to send."),
            "empty": gettext_lazy("This file is empty. Please choose your selfie."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["selfie"].help_text = _(
            "A JPEG, PNG or WebP photo of at most %(mb)s MB, taken now, showing your face and "
            "the gesture."
        ) % {"mb": settings.PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024)}

    def clean_selfie(self):
        upload = self.cleaned_data["selfie"]
        if upload.size > settings.PHOTO_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(photo_services._too_big_message(), code="too_big")
        return upload


def _gesture_for(request) -> str:
    code = request.session.get(SESSION_KEY)
    if code not in services.GESTURES:
        code = services.pick_gesture()
        request.session[SESSION_KEY] = code
    return code


@login_required
@require_http_methods(["GET", "POST"])
def verification_page(request):
    member = request.user
    profile = Profile.objects.filter(member=member).only("verified_at").first()
    latest = services.latest_request(member)
    refused = None
    try:
        services.check_can_request(member=member)
    except services.VerificationRefused as refusal:
        refused = refusal
    form = None
    status = 200
    if refused is None:
        if request.method == "POST":
            form = SelfieForm(request.POST, request.FILES)
            gesture_code = request.session.get(SESSION_KEY)
            if gesture_code not in services.GESTURES:
                # The session lost the gesture (expired, another device): show a new one.
                form.add_error(
                    None,
                    _("Please take your selfie with the gesture shown below, then send it."),
                )
            elif form.is_valid():
                try:
                    services.request_verification(
                        member=member,
                        gesture_code=gesture_code,
                        upload=form.cleaned_data["selfie"],
                    )
                except services.VerificationRefused as refusal:
                    form.add_error("selfie", refusal.message)
                else:
                    request.session.pop(SESSION_KEY, None)
                    messages.success(
                        request,
                        _(
                            "Your selfie is sent. A moderator compares it with your photos; "
                            "we will e-mail you the outcome."
                        ),
                    )
                    return redirect("profiles:verification")
            status = refused_status(form)
        else:
            form = SelfieForm()
    elif request.method == "POST":
        messages.error(request, refused.message)
        return redirect("profiles:verification")
    code = _gesture_for(request) if form is not None else None
    context = {
        "verified_at": profile.verified_at if profile else None,
        "latest": latest,
        "pending": latest if latest is not None and latest.is_pending else None,
        "processing": (
            latest is not None and latest.status == VerificationRequest.Status.PROCESSING
        ),
        "refusal": (
            VerificationRefusalReason(latest.refusal_reason).label
            if latest is not None and latest.refusal_reason in VerificationRefusalReason.values
            else None
        ),
        # The last grant's badge is gone: revoked by a moderator, or its photos are gone.
        "badge_gone": (
            latest is not None
            and latest.status == VerificationRequest.Status.GRANTED
            and not (profile and profile.verified_at)
        ),
        "revoke_reason": (
            VerificationRevokeReason(latest.revoke_reason).label
            if latest is not None and latest.revoke_reason in VerificationRevokeReason.values
            else None
        ),
        "why_not": refused,
        "form": form,
        "gesture": services.gesture(code) if code else None,
    }
    return render(request, "profiles/verification/page.html", context, status=status)


@login_required
@require_POST
def withdraw_request(request):
    if services.withdraw_verification_request(member=request.user):
        messages.success(request, _("Your request is withdrawn and your selfie is deleted."))
    return redirect("profiles:verification")


@serves_a_file
@require_GET
def serve_selfie(request, public_id):
    """A pending request's selfie, for staff with the review permission only (each opening
    logged). Anyone else gets a 404: the answer does not reveal that it exists."""
    user = request.user
    if not user.is_authenticated or not user.is_staff:
        raise Http404
    verification = VerificationRequest.objects.filter(public_id=public_id).first()
    if verification is None:
        raise Http404
    try:
        file = services.open_selfie_for_review(verification=verification, staff=user)
    except PermissionDenied:
        logger.warning("access.denied verification_selfie staff=%s", user.pk)
        raise Http404 from None
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(
        file, content_type="image/jpeg", as_attachment=False, filename="selfie.jpg"
    )
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    patch_cache_control(response, private=True, no_store=True)
    return response
