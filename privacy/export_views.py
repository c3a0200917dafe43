"""The member's export pages (R7.4): ask for an export, follow it being prepared, download it.

Thin: asking, building and expiry are privacy.exports. The page lists the member's exports;
while one is being prepared its list polls itself with htmx (every EXPORT_POLL_SECONDS) and
says so in a status region when it is ready; without JavaScript a reload shows the same.
The download is the owner's alone, with their session, while the export is ready and not
expired; another member's id is a 404, logged.
"""

import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import exports as services
from .models import DataExport

logger = logging.getLogger(__name__)

EXPORT_POLL_SECONDS = 3
# htmx stops polling when an answer has this status (the member logged out meanwhile).
STOP_POLLING = 286
LISTED = 10


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def member_only(view):
    """login_required, except that a logged-out poll stops polling instead of swapping the
    log-in page into the list."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if _is_htmx(request):
                return HttpResponse(status=STOP_POLLING)
            return redirect_to_login(request.get_full_path())
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper


class _Row:
    """An export as the page shows it: a ready export past its expiry is shown expired even
    before the sweep deleted its file."""

    def __init__(self, export: DataExport, now):
        self.export = export
        self.public_id = export.public_id
        self.requested_at = export.requested_at
        self.expires_at = export.expires_at
        self.downloaded_at = export.downloaded_at
        self.size_bytes = export.size_bytes
        expired = export.status == DataExport.Status.READY and (
            export.expires_at is None or export.expires_at <= now
        )
        self.status = DataExport.Status.EXPIRED if expired else export.status
        self.status_label = DataExport.Status(self.status).label
        self.downloadable = self.status == DataExport.Status.READY


def _context(member) -> dict:
    now = timezone.now()
    rows = [_Row(export, now) for export in member.data_exports.all()[:LISTED]]
    return {
        "rows": rows,
        "pending": any(row.status == DataExport.Status.PENDING for row in rows),
        "next_export_at": services.next_export_at(member),
        "poll_seconds": EXPORT_POLL_SECONDS,
        "days": settings.DATA_EXPORT_DAYS,
        "hours": settings.DATA_EXPORT_INTERVAL_HOURS,
    }


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@member_only
@require_http_methods(["GET", "POST"])
def exports(request):
    member = request.user
    if request.method == "POST":
        try:
            services.request_export(member=member)
        except services.ExportTooSoon as refusal:
            messages.error(
                request,
                _(
                    "You can ask for one export every %(hours)s hours. From %(time)s you can "
                    "ask for a new one."
                )
                % {
                    "hours": settings.DATA_EXPORT_INTERVAL_HOURS,
                    "time": _when(refusal.available_at),
                },
            )
        else:
            messages.success(
                request,
                _(
                    "We are preparing your export. This usually takes a few minutes; we will "
                    "also send you an e-mail when it is ready."
                ),
            )
        return redirect("privacy:exports")
    context = _context(member)
    if _is_htmx(request):
        # Only polled while an export was being prepared: announce how it ended.
        return render(request, "privacy/_export_list.html", {**context, "announce": True})
    return render(request, "privacy/exports.html", context)


@member_only
@require_GET
def download(request, public_id):
    export = DataExport.objects.filter(public_id=public_id, member=request.user).first()
    if export is None:
        logger.warning("access.denied data_export member=%s", request.user.pk)
        raise Http404
    if export.status in (DataExport.Status.PENDING, DataExport.Status.FAILED):
        return redirect("privacy:exports")
    if not services.is_downloadable(export):
        context = {**_context(request.user), "export": export}
        return render(request, "privacy/export_expired.html", context, status=410)
    try:
        file = export.file.storage.open(export.file.name, "rb")
    except OSError:
        logger.error("export.file_missing member=%s export=%s", request.user.pk, export.pk)
        raise Http404 from None
    services.record_download(export=export)
    filename = f"{settings.SITE_NAME}-{timezone.localdate(export.ready_at):%Y-%m-%d}.zip"
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename.replace(" ", "-").lower(),
        content_type="application/zip",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response
