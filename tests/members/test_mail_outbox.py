"""Mail that must not be lost: a row first, a Celery task after commit, a sweep for the rest."""

from datetime import timedelta

import pytest
from django.conf import settings
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
    OutgoingMail.objects.filter(pk=lost.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    fresh = pending_mail(to="fresh@example.org", due_at=timezone.now() + timedelta(seconds=60))

    enqueued = services.sweep_outgoing_mail()

    assert enqueued == 1
    assert [m.to for m in mail.outbox] == [["jan@example.org"]]
    fresh.refresh_from_db()
    assert fresh.status == OutgoingMail.Status.PENDING


def test_a_lost_mail_goes_out_with_the_sweep_after_60_seconds_not_before(
    django_capture_on_commit_callbacks,
):
    """The beat runs the sweep every minute and a mail is due 60 s after it was written: a
    mail whose task was lost arrives within two minutes."""
    from django.core.mail import EmailMultiAlternatives

    assert settings.OUTGOING_MAIL_RETRY_AFTER_SECONDS == 60
    assert settings.CELERY_BEAT_SCHEDULE["resend-unsent-mail"]["schedule"] == 60.0
    written = timezone.now()
    message = EmailMultiAlternatives("Hallo", "tekst", "site@example.org", ["jan@example.org"])
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        row = services.queue_mail(message=message, kind="test")

    assert services.sweep_outgoing_mail(now=written + timedelta(seconds=59)) == 0
    assert mail.outbox == []
    assert services.sweep_outgoing_mail(now=written + timedelta(seconds=61)) == 1
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert services.sweep_outgoing_mail(now=written + timedelta(seconds=200)) == 0
    assert len(mail.outbox) == 1


def test_a_mail_the_sweep_enqueued_is_not_enqueued_again_at_the_next_run(monkeypatch):
    """Its task may still wait in a long queue: the next sweeps leave it for a minute."""
    from members import tasks

    sent = []
    monkeypatch.setattr(
        tasks.send_outgoing_mail, "apply_async", lambda args, kwargs: sent.append(args)
    )
    now = timezone.now()
    pending_mail(due_at=now - timedelta(seconds=1))

    assert services.sweep_outgoing_mail(now=now) == 1
    assert services.sweep_outgoing_mail(now=now + timedelta(seconds=30)) == 0
    assert services.sweep_outgoing_mail(now=now + timedelta(seconds=61)) == 1
    assert len(sent) == 2


def test_each_failed_attempt_waits_twice_as_long(settings):
    settings.EMAIL_BACKEND = "tests.members.failing_backend.FailingBackend"
    row = pending_mail()
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        services.send_queued_mail(mail_id=row.pk)
        row.refresh_from_db()
        waits.append(round((row.due_at - before).total_seconds() / 10) * 10)

    assert waits == [60, 120, 240]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_reads_the_partial_index_of_unsent_mail():
    from django.db import connection

    OutgoingMail.objects.bulk_create(
        [
            OutgoingMail(
                kind="test",
                to=f"m{number}@example.org",
                from_email="site@example.org",
                subject="s",
                status=OutgoingMail.Status.SENT if number % 100 else OutgoingMail.Status.PENDING,
            )
            for number in range(3000)
        ]
    )
    query = services.unsent_mail_due().values_list("pk", flat=True)[:500]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_outgoingmail")
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "outgoingmail_unsent_due_idx" in plan, plan


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
