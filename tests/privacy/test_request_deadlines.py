"""Deadlines of privacy requests (GDPR Art. 12(3), issue 7): an answer is due one month after
receipt; staff may extend by at most two more months, mailing the reason; the helpdesk gets a
daily summary of what is overdue or due within 7 days, once a day after 08:00 Amsterdam time;
requests are erased PRIVACY_REQUEST_RETENTION_DAYS after closing (R7.6, issue 7)."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from members.models import OutgoingMail
from members.services import queue_mail
from privacy import request_actions as actions
from privacy.models import PrivacyRequest, RequestAttachment, RequestMessage
from privacy.requests import due_date
from tests.conftest import clear_own_cache

from .request_helpers import (
    DESCRIPTION,
    helpdesk_worker,
    make_request,
    use_request_storage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path, monkeypatch):
    """Attachments and exports in a temporary private storage."""
    return use_request_storage(tmp_path, settings, monkeypatch)


AMSTERDAM = timezone.get_default_timezone()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def local(year, month, day, hour=12, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute), AMSTERDAM)


def today_at(hour, minute=0, days=0):
    """Today (Amsterdam) at the given time, `days` later."""
    moment = timezone.localtime(timezone.now()) + timedelta(days=days)
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0)


# -- due dates and extensions ----------------------------------------------------------------


def test_a_request_is_due_one_calendar_month_after_receipt():
    """Art. 12(3): one month, the day clamped to the month's end."""
    privacy_request = make_request()

    assert privacy_request.due_at == due_date(received_at=privacy_request.received_at)
    received = timezone.localtime(privacy_request.received_at)
    due = timezone.localtime(privacy_request.due_at)
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
    assert due_date(received_at=local(2027, 1, 31, 9)) == local(2027, 2, 28, 9)
    assert due_date(received_at=local(2027, 1, 31, 9), extended_months=2) == local(2027, 4, 30, 9)


def test_extension_by_up_to_two_months_mails_its_reason_and_a_third_is_refused(
    django_capture_on_commit_callbacks,
):
    """Art. 12(3): one month and then another, each with its reason mailed to the requester;
    a third month is refused and changes nothing."""
    staff = helpdesk_worker()
    received = timezone.now() - timedelta(days=3)
    privacy_request = make_request(received_at=received, language="en")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        actions.extend(
            request=privacy_request, months=1, reason="Your account history is long.", staff=staff
        )
    assert privacy_request.due_at == due_date(received_at=received, extended_months=1)
    assert privacy_request.status == PrivacyRequest.Status.EXTENDED
    [first] = mail.outbox
    assert first.to == ["visitor@example.net"]
    assert "Your account history is long." in first.body
    assert "by 1 month" in first.body

    with django_capture_on_commit_callbacks(execute=True):
        actions.extend(
            request=privacy_request, months=1, reason="The payment provider is slow.", staff=staff
        )
    privacy_request.refresh_from_db()
    assert privacy_request.extended_months == 2
    assert privacy_request.due_at == due_date(received_at=received, extended_months=2)
    assert "The payment provider is slow." in mail.outbox[-1].body
    assert "The payment provider is slow." in privacy_request.extension_reason

    with pytest.raises(actions.ActionRefused, match="at most two months"):
        actions.extend(request=privacy_request, months=1, reason="Once more.", staff=staff)
    privacy_request.refresh_from_db()
    assert privacy_request.extended_months == 2
    assert len(mail.outbox) == 2


def test_two_months_at_once_then_none_more():
    staff = helpdesk_worker()
    privacy_request = make_request(received_at=timezone.now() - timedelta(days=1))

    actions.extend(request=privacy_request, months=2, reason="Complex request.", staff=staff)

    with pytest.raises(actions.ActionRefused):
        actions.extend(request=privacy_request, months=1, reason="More.", staff=staff)
    with pytest.raises(actions.ActionRefused):
        actions.extend(request=privacy_request, months=3, reason="More.", staff=staff)


def test_an_extension_needs_a_reason_and_must_come_before_the_due_date():
    staff = helpdesk_worker()
    late = make_request(received_at=timezone.now() - timedelta(days=40))
    fresh = make_request()

    with pytest.raises(actions.ActionRefused, match="due date has passed"):
        actions.extend(request=late, months=1, reason="Too late.", staff=staff)
    with pytest.raises(actions.ActionRefused, match="reason"):
        actions.extend(request=fresh, months=1, reason="  ", staff=staff)
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.extended_months == fresh.extended_months == 0


# -- the daily summary -----------------------------------------------------------------------


@pytest.fixture
def due_requests():
    """One overdue, one due in 3 days, one due in 20 days, one overdue but done."""
    now = timezone.now()
    return {
        "overdue": make_request(received_at=now - timedelta(days=40), type="erasure"),
        "soon": make_request(received_at=now - timedelta(days=27), type="access"),
        "later": make_request(received_at=now - timedelta(days=10)),
        "done": make_request(
            received_at=now - timedelta(days=45), status="done", closed_at=now - timedelta(days=20)
        ),
    }


def summaries():
    return [m for m in mail.outbox if m.to == ["helpdesk@example.nl"]]


def test_daily_summary_lists_overdue_and_due_within_seven_days_once_a_day(
    settings, due_requests, django_capture_on_commit_callbacks
):
    """Issue 7: the helpdesk gets one mail a day, after 08:00 Amsterdam time, with the
    references, types, due dates and days left of what is overdue or due within 7 days,
    and nothing of the requester (address, description)."""
    settings.HELPDESK_EMAIL = "helpdesk@example.nl"
    settings.LANGUAGE_CODE = "en"  # the summary is in the site's language
    mail.outbox.clear()

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return actions.send_due_summary(now=now)

    assert run(today_at(7, 45)) is False
    assert summaries() == []

    assert run(today_at(8, 5)) is True
    [summary] = summaries()
    overdue, soon = due_requests["overdue"], due_requests["soon"]
    assert overdue.reference in summary.body and soon.reference in summary.body
    assert due_requests["later"].reference not in summary.body
    assert due_requests["done"].reference not in summary.body
    assert "Erasure of my data" in summary.body
    overdue_days = -actions.days_left(overdue, now=today_at(8, 5))
    assert f"Overdue by {overdue_days} days" in summary.body
    assert f"{actions.days_left(soon, now=today_at(8, 5))} days left" in summary.body
    assert "1 overdue, 1 due within 7 days" in summary.subject
    assert "visitor@example.net" not in summary.body + summary.subject
    assert DESCRIPTION not in summary.body

    # Later runs the same day send nothing, also when the cache was lost (a Redis restart):
    # the day's summary mail row is the durable guard.
    assert run(today_at(8, 20)) is False
    clear_own_cache()
    assert run(today_at(17, 0)) is False
    assert len(summaries()) == 1

    # The next morning: a new summary, not before 08:00.
    assert run(today_at(7, 30, days=1)) is False
    assert run(today_at(8, 1, days=1)) is True
    assert len(summaries()) == 2


def test_no_summary_when_nothing_is_due(settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_EMAIL = "helpdesk@example.nl"
    make_request()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_due_summary(now=today_at(9)) is False
    assert summaries() == []


def test_the_scheduled_task_runs_the_summary_and_the_retention(settings):
    """privacy.tasks.privacy_requests_daily (beat, every 15 minutes) calls both services."""
    from privacy.tasks import privacy_requests_daily

    settings.HELPDESK_EMAIL = "helpdesk@example.nl"
    expired = make_request(
        status="done", closed_at=timezone.now() - timedelta(days=800), received_at=None
    )

    privacy_requests_daily.apply()

    assert not PrivacyRequest.objects.filter(pk=expired.pk).exists()


# -- retention -------------------------------------------------------------------------------


def test_requests_are_erased_with_their_files_after_the_retention_period(settings, private_storage):
    """Issue 7: requests are personal data too: closed more than
    PRIVACY_REQUEST_RETENTION_DAYS ago, they go with their messages, attachment files and the
    mail rows about them; younger and open ones stay."""
    settings.PRIVACY_REQUEST_RETENTION_DAYS = 730
    now = timezone.now()
    old = make_request(status="done", closed_at=now - timedelta(days=731), email="oud@example.net")
    attachment = RequestAttachment.objects.create(
        request=old, original_name="scan.pdf", content_type="application/pdf", size_bytes=9
    )
    attachment.file.save("helpdesk/oud.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    file_name = attachment.file.name
    RequestMessage.objects.create(request=old, direction="out", body="Antwoord")
    _mail_about(old)
    young = make_request(status="refused", closed_at=now - timedelta(days=700))
    still_open = make_request(received_at=now - timedelta(days=900))

    assert actions.erase_expired_requests(now=now) == 1

    assert not PrivacyRequest.objects.filter(pk=old.pk).exists()
    assert not RequestMessage.objects.filter(request_id=old.pk).exists()
    assert not RequestAttachment.objects.filter(pk=attachment.pk).exists()
    assert not private_storage.exists(file_name)
    assert not OutgoingMail.objects.filter(to="oud@example.net").exists()
    assert PrivacyRequest.objects.filter(pk__in=[young.pk, still_open.pk]).count() == 2
    assert actions.erase_expired_requests(now=now) == 0  # idempotent


def _mail_about(privacy_request):
    from django.core.mail import EmailMessage

    queue_mail(
        message=EmailMessage(
            subject=f"Re: your request {privacy_request.reference}",
            body="x",
            to=[privacy_request.requester_email],
        ),
        kind="privacy_request_request_reply",
    )
