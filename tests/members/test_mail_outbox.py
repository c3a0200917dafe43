"""Mail that must not be lost: a row first, a Celery task after commit, a sweep for the rest."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from members import services
from members.models import OutgoingMail
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def pending_mail(**kwargs):
    defaults = {
        "kind": "email_confirmation_signup",
        "to": "jan@example.org",
        "from_email": "site@example.org",
        "subject": "Bevestig je adres",
        "body_text": "https://example.org/accounts/confirm-email/KEY/",
        "body_html": "<p>https://example.org/accounts/confirm-email/KEY/</p>",
    }
    defaults.update(kwargs)
    return OutgoingMail.objects.create(**defaults)


def test_sending_is_idempotent_and_forgets_the_body():
    row = pending_mail(member=MemberFactory())

    assert services.send_queued_mail(mail_id=row.pk) is True
    assert services.send_queued_mail(mail_id=row.pk) is False

    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert row.body_text == "" and row.body_html == ""


def test_sweep_sends_mail_whose_task_was_lost(settings):
    """A mail row whose task never ran (Redis down, worker killed) goes out with the sweep."""
    lost = pending_mail()
    OutgoingMail.objects.filter(pk=lost.pk).update(
        created_at=timezone.now()
        - timedelta(seconds=settings.OUTGOING_MAIL_RETRY_AFTER_SECONDS + 1)
    )
    fresh = pending_mail(to="fresh@example.org")

    enqueued = services.sweep_outgoing_mail()

    assert enqueued == 1
    assert [m.to for m in mail.outbox] == [["jan@example.org"]]
    fresh.refresh_from_db()
    assert fresh.status == OutgoingMail.Status.PENDING


def test_failed_send_is_kept_for_a_retry(settings):
    settings.EMAIL_BACKEND = "tests.members.failing_backend.FailingBackend"
    row = pending_mail()

    assert services.send_queued_mail(mail_id=row.pk) is False

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.PENDING
    assert row.attempts == 1
    assert row.body_text


def test_mail_is_queued_on_commit_not_before(django_capture_on_commit_callbacks):
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives("Hallo", "tekst", "site@example.org", ["jan@example.org"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.queue_mail(message=message, kind="test")
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_the_text_part_is_not_html_escaped_and_the_html_part_is(settings):
    """Plain text stays plain ("foto's", "&", "<"); the HTML wrapper escapes the same text."""
    from django.utils import translation

    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
    with translation.override("nl"):
        subject, body, html = services.render_mail_parts(
            "profiles/verification/email/refused",
            {
                "member": MemberFactory(username="jan"),
                "requested_at": timezone.now(),
                "reason": "Foto's <klein> & donker",
                "verification_url": "https://example.org/v/",
                "site_name": "Lage & Landen",
            },
        )

    assert "Reden: Foto's <klein> & donker" in body
    assert "&#x27;" not in body and "&amp;" not in body and "&lt;" not in body
    assert "Foto&#x27;s &lt;klein&gt; &amp; donker" in html
    assert "<klein>" not in html
    assert "&#x27;" not in subject
