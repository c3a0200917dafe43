"""Shared by the helpdesk intake tests: a private storage in a temporary folder for the
attachments, the contact form's rate limits (off unless a test is marked rate_limits), and
posting the form."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.profiles.images import use_private_storage

LIMITS = {"ip": [(5, 3600)], "email": [(3, 3600)]}
DESCRIPTION = "Ik wil weten welke gegevens jullie over mij hebben, ook over mijn gezondheid."


@pytest.fixture(autouse=True)
def _attachment_storage(settings, tmp_path, monkeypatch):
    """Attachments go to tmp_path/private (never the real media folder)."""
    from privacy.models import RequestAttachment

    storage = use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(RequestAttachment._meta.get_field("file"), "storage", storage)
    return storage


@pytest.fixture(autouse=True)
def _contact_rate_limits(settings, request):
    """CONTACT_RATE_LIMITS is read with a default (the site's limits are on); tests switch them
    off unless they check them, as tests/conftest.py does for the other limits."""
    settings.CONTACT_RATE_LIMITS = LIMITS if "rate_limits" in request.keywords else None


def form_data(**overrides):
    data = {
        "email": "visitor@example.net",
        "type": "access",
        "subject": "Mijn gegevens",
        "description": DESCRIPTION,
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def send(client, files=(), remote_addr="127.0.0.1", **overrides):
    """Posts the contact form (files: uploaded files for the attachments input) from
    `remote_addr`."""
    data = form_data(**overrides)
    if files:
        data["attachments"] = list(files)
    return client.post(reverse("privacy:contact"), data, REMOTE_ADDR=remote_addr)


def mails_to(address: str):
    return [m for m in mail.outbox if m.to == [address]]
