"""Shared by the tests of privacy requests in admin: a helpdesk worker, requests as the intake
makes them, and a private storage for attachments and exports."""

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from privacy.models import DataExport, PrivacyRequest, RequestAttachment
from privacy.requests import create_request, due_date
from tests.factories import staff_member
from tests.profiles.images import use_private_storage

REQUESTS = "/admin/privacy/privacyrequest/"
REQUEST_PERMISSIONS = ("view_privacyrequest", "change_privacyrequest", "process_privacyrequest")
DESCRIPTION = "Stuur mij alles wat jullie over mij weten; ik heb migraine, zie bijlage."
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def use_request_storage(path, settings, monkeypatch):
    """Attachments and exports in a temporary private storage (for an autouse fixture)."""
    storage = use_private_storage(path / "private", settings, monkeypatch)
    monkeypatch.setattr(RequestAttachment._meta.get_field("file"), "storage", storage)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", storage)
    return storage


def helpdesk_worker(**kwargs):
    """A member of the Helpdesk group. Until members/roles.py gives the group the request
    permissions, they are granted to the worker directly (the group's own are kept)."""
    staff = staff_member("Helpdesk", **kwargs)
    missing = Permission.objects.filter(
        content_type__app_label="privacy", codename__in=REQUEST_PERMISSIONS
    ).exclude(group__name="Helpdesk")
    staff.user_permissions.add(*missing)
    return staff


def make_request(
    *,
    email="visitor@example.net",
    type="access",  # noqa: A002 - the form's field
    member=None,
    language="en",
    received_at=None,
    attachments=(),
    **fields,
) -> PrivacyRequest:
    """A request as the contact form stores it (privacy.requests.create_request); a logged-in
    `member` makes it verified. `received_at` moves it back in time (its due date with it)."""
    privacy_request = create_request(
        email=email,
        subject="Mijn gegevens",
        description=DESCRIPTION,
        type=type,
        attachments=list(attachments),
        language=language,
        member=member,
    )
    if received_at is not None:
        fields["received_at"] = received_at
        fields["due_at"] = due_date(
            received_at=received_at, extended_months=fields.get("extended_months", 0)
        )
    if fields:
        PrivacyRequest.objects.filter(pk=privacy_request.pk).update(**fields)
        privacy_request.refresh_from_db()
    return privacy_request


def pdf_upload(name="scan.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def change_url(privacy_request) -> str:
    return f"{REQUESTS}{privacy_request.pk}/change/"
