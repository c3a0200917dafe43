"""A member's own photos (upload, main photo, order, deletion) and serving photo files, with a
permission check on every request (SECURITY.md: "Jack'd")."""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from members.middleware import serves_a_file
from moderation.reasons import PhotoRejectionReason

from . import photos as photo_services
from .models import Photo

logger = logging.getLogger(__name__)


class PhotoUploadForm(forms.Form):
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        widget=forms.FileInput(attrs={"accept": photo_services.ACCEPTED_CONTENT_TYPES}),
        error_messages={
            "required": gettext_lazy("Choose a photo to upload."),
            "empty": gettext_lazy("This file is empty. Please choose a photo."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = _(
            "A JPEG, PNG or WebP image of at most %(mb)s MB. Others see it once a moderator "
            "has approved it."
        ) % {"mb": settings.PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024)}

    def clean_photo(self):
        upload = self.cleaned_data["photo"]
        if upload.size > settings.PHOTO_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(photo_services._too_big_message(), code="too_big")
        return upload


def refused_status(form) -> int:
    """A refused upload's status: 413 when the file is too big, 400 otherwise (the page
    shows the same form and message either way)."""
    too_big = any(
        error.code == "too_big" for errors in form.errors.as_data().values() for error in errors
    )
    return 413 if too_big else 400


def _own_photo(request, public_id) -> Photo:
    photo = (
        Photo.objects.select_related("member")
        .filter(member=request.user, public_id=public_id)
        .first()
    )
    if photo is None:
        logger.warning("access.denied photo member=%s", request.user.pk)
        raise Http404
    return photo


@login_required
def manage_photos(request):
    photos = list(Photo.objects.filter(member=request.user).order_by("position", "pk"))
    at_limit = len(photos) >= settings.PHOTO_MAX_PER_MEMBER
    if request.method == "POST" and at_limit:
        messages.error(request, photo_services._too_many_message())
        return redirect("profiles:photos")
    status = 200
    if request.method == "POST":
        form = PhotoUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                photo_services.add_photo(member=request.user, upload=form.cleaned_data["photo"])
            except photo_services.PhotoRefused as refused:
                form.add_error("photo", forms.ValidationError(refused.message, code=refused.code))
            else:
                messages.success(
                    request,
                    _("Your photo is uploaded. Others see it once a moderator has approved it."),
                )
                return redirect("profiles:photos")
        status = refused_status(form)
    else:
        form = PhotoUploadForm()
    rows = [
        {
            "photo": photo,
            "number": number,
            "reason": (
                PhotoRejectionReason(photo.rejection_reason).label
                if photo.rejection_reason in PhotoRejectionReason.values
                else ""
            ),
            "first": number == 1,
            "last": number == len(photos),
        }
        for number, photo in enumerate(photos, start=1)
    ]
    context = {
        "rows": rows,
        "form": form,
        "count": len(photos),
        "max_photos": settings.PHOTO_MAX_PER_MEMBER,
        "at_limit": at_limit,
        "any_processing": any(p.status == Photo.Status.PROCESSING for p in photos),
    }
    if request.method == "GET" and request.headers.get("HX-Request"):
        # The list polling for itself while a photo is being processed.
        return render(request, "profiles/_photo_list.html", context)
    return render(request, "profiles/photos.html", context, status=status)


@login_required
@require_POST
def set_main(request, public_id):
    photo = _own_photo(request, public_id)
    try:
        photo_services.set_main_photo(photo=photo)
    except photo_services.PhotoRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Your main photo is changed."))
    return redirect("profiles:photos")


@login_required
@require_POST
def toggle_premium(request, public_id):
    """R2.4: the member marks a photo as premium (only paying members see it) or undoes it."""
    photo = _own_photo(request, public_id)
    premium = request.POST.get("premium") == "1"
    photo_services.set_photo_premium(photo=photo, premium=premium)
    if premium:
        messages.success(request, _("Only paying members see this photo now."))
    else:
        messages.success(request, _("All members who may see your photos see this one now."))
    return redirect("profiles:photos")


@login_required
@require_POST
def move_photo(request, public_id):
    photo = _own_photo(request, public_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("The photo could not be moved."))
    else:
        photo_services.move_photo(photo=photo, direction=direction)
        messages.success(request, _("The order of your photos is changed."))
    return redirect("profiles:photos")


@login_required
@require_POST
def delete_photo(request, public_id):
    photo = _own_photo(request, public_id)
    photo_services.delete_photo(photo=photo)
    messages.success(request, _("The photo is deleted."))
    return redirect("profiles:photos")


@serves_a_file
@require_GET
def serve_photo(request, public_id, size):
    """A photo file, after checking that this visitor may see it, on every request. Anonymous
    visitors and members without access get a 404: the answer does not reveal that it exists."""
    if size not in photo_services.SIZES or not request.user.is_authenticated:
        raise Http404
    photo = Photo.objects.select_related("member").filter(public_id=public_id).first()
    if photo is None or not photo_services.can_view_photo(viewer=request.user, photo=photo):
        logger.warning("access.denied photo_file member=%s", request.user.pk)
        raise Http404
    field = photo.image if size == "full" else photo.thumbnail
    if not field.name:  # being processed, or processing failed: there is no file to show
        raise Http404
    try:
        file = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError, ValueError):
        logger.error("photo.file_missing photo=%s", photo.pk)
        raise Http404 from None
    response = FileResponse(
        file, content_type="image/jpeg", as_attachment=False, filename=f"photo-{size}.jpg"
    )
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    patch_cache_control(response, private=True, no_store=True)
    return response
