"""The download link the helpdesk mails with an export (privacy:request_export, R7.4-R7.6).

The link's signed token names one export kept on one privacy request
(privacy.request_actions.export_token); it works without a session (the requester may be
unable to log in) for DATA_EXPORT_DAYS and while the export's file exists. A link that is too
old, or whose export expired, shows a page saying so (410); anything else is a 404.
"""

import logging

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from . import exports, request_actions

logger = logging.getLogger(__name__)


@require_GET
def request_export_download(request, token):
    try:
        export = request_actions.export_for_token(token)
    except request_actions.ExportLinkInvalid:
        logger.warning("access.denied request_export invalid_link")
        raise Http404 from None
    except request_actions.ExportLinkExpired:
        response = render(
            request,
            "privacy/request_export_expired.html",
            {"days": settings.DATA_EXPORT_DAYS, "helpdesk_email": settings.HELPDESK_EMAIL},
            status=410,
        )
        patch_cache_control(response, private=True, no_store=True)
        return response
    try:
        file = export.file.storage.open(export.file.name, "rb")
    except OSError:
        logger.error("export.file_missing member=%s export=%s", export.member_id, export.pk)
        raise Http404 from None
    exports.record_download(export=export)
    filename = f"{settings.SITE_NAME}-{timezone.localdate(export.ready_at):%Y-%m-%d}.zip"
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename.replace(" ", "-").lower(),
        content_type="application/zip",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, no_store=True)
    return response
