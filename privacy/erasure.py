"""Closing an account and erasing it (R7.3).

Closing is instant and reversible for a while: the member disappears from every page, every
session ends, and the data waits for `erasure_due_at` (ACCOUNT_ERASURE_AFTER months later, or
now when the member asked for immediate erasure). Within ACCOUNT_REOPEN_GRACE_DAYS a member who
did not ask for immediate erasure gets the account back by logging in (members.adapter).

Erasure is one service, `erase_member`: it calls every registry entry (each app erases its own
rows, files and cached data; the Member row goes last) and removes what no app owns: admin log
rows about the member and their objects. One member is erased in one transaction, so a crash
midway rolls back and the next run (the beat task every five minutes) starts again; every
entry is idempotent as well, so a re-run after a partial erasure finishes the job.

Mail: the closing confirmation is written in the closing transaction. Erasure sends it itself
first if it is still pending (an immediate erasure can win the race with the mail task), and then
deletes every mail row of the member, sent or not: a sent row would keep the address, and any
other unsent mail (a notification, a digest) is dropped on purpose, as the account it is about
no longer exists.
"""

import calendar
import logging
from datetime import datetime

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone, translation

from members.adapter import reopen_deadline
from members.enqueue import enqueue
from members.models import Member, OutgoingMail
from members.services import (
    end_all_sessions,
    queue_rendered_mail,
    render_mail_parts,
    send_queued_mail,
)

from . import registry

logger = logging.getLogger(__name__)

CLOSING_MAIL_KIND = "account_closed"
ERASURE_BATCH_SIZE = 200


class AccountNotClosable(Exception):
    """The account is not open (already closed, or suspended): nothing was changed."""


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months later in the site's time zone; the
    day is clamped to the month's last day (31 January + 1 month = 28 or 29 February)."""
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def erasure_due_date(closed_at: datetime, *, immediately: bool = False) -> datetime:
    """When a closed account's data is erased: at once on request, otherwise
    ACCOUNT_ERASURE_AFTER months after closing (0 months: at once too)."""
    if immediately or settings.ACCOUNT_ERASURE_AFTER == 0:
        return closed_at
    return add_months(closed_at, settings.ACCOUNT_ERASURE_AFTER)


def close_account(*, member: Member, erase_immediately: bool, now: datetime | None = None):
    """Closes the member's account (R7.3), all in one transaction: the status hides them from
    search, suggestions, profile pages and conversations at once and stops promotional mail,
    every session ends, and a confirmation mail is queued in their language. With
    `erase_immediately` the erasure is enqueued after commit (the beat task picks it up too,
    should the broker lose it)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Member.objects.select_for_update().filter(pk=member.pk).first()
        if locked is None or locked.status != Member.Status.ACTIVE:
            raise AccountNotClosable
        locked.status = Member.Status.CLOSED
        locked.closed_at = now
        locked.erasure_due_at = erasure_due_date(now, immediately=erase_immediately)
        locked.save(update_fields=["status", "closed_at", "erasure_due_at"])
        end_all_sessions(member=locked)
        _send_closing_mail(member=locked)
        if locked.erasure_due_at <= now:
            transaction.on_commit(lambda: _enqueue_erasure(locked.pk))
    for field in ("status", "closed_at", "erasure_due_at"):
        setattr(member, field, getattr(locked, field))
    logger.info("account.closed member=%s immediate=%s", member.pk, locked.erasure_due_at <= now)
    return member


def _enqueue_erasure(member_id: int) -> None:
    from .tasks import erase_member_task

    enqueue(erase_member_task, member_id)


def _send_closing_mail(*, member: Member) -> None:
    if not member.email:
        return
    immediately = member.erasure_due_at <= member.closed_at
    language = member.language if member.language in dict(settings.LANGUAGES) else "nl"
    with translation.override(language):
        context = {
            "username": member.username,
            "immediately": immediately,
            "erasure_date": timezone.localtime(member.erasure_due_at),
            "reopen_until": _local(reopen_deadline(member)),
            "login_url": settings.SITE_URL.rstrip("/") + reverse("account_login"),
            "helpdesk_email": settings.HELPDESK_EMAIL,
            "site_name": settings.SITE_NAME,
        }
        parts = render_mail_parts("privacy/email/account_closed", context)
    queue_rendered_mail(parts=parts, to=member.email, kind=CLOSING_MAIL_KIND, member=member)


def _local(moment):
    return timezone.localtime(moment) if moment else None


def is_due(member: Member, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        member.status == Member.Status.CLOSED
        and member.erasure_due_at is not None
        and member.erasure_due_at <= now
    )


def erase_member(*, member_id: int, now: datetime | None = None) -> bool:
    """Erases a closed member whose erasure is due: every registry entry, admin log rows about
    them and their objects, and finally the Member row. A no-op (False) when the member is gone
    already, reopened the account, or is not due yet; True when this call erased them."""
    now = now or timezone.now()
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not is_due(member, now=now):
        return False
    # The closing confirmation goes out before the address is erased (sent at most once).
    pending = OutgoingMail.objects.filter(
        member=member, kind=CLOSING_MAIL_KIND, status=OutgoingMail.Status.PENDING
    ).values_list("pk", flat=True)
    for mail_id in list(pending):
        send_queued_mail(mail_id=mail_id)
    with transaction.atomic():
        # Another run erasing this member holds the lock: leave it to that run.
        member = Member.objects.select_for_update(skip_locked=True).filter(pk=member_id).first()
        if member is None or not is_due(member, now=now):
            return False
        logged = _admin_log_about(member)
        registry.erase_member_data(member)
        _erase_admin_log(logged)
    logger.info("member.erased member=%s", member_id)
    return True


def erase_due_accounts(*, now: datetime | None = None, batch_size: int = ERASURE_BATCH_SIZE):
    """The beat task (every five minutes): erases every closed account whose time has come,
    each in its own transaction, in batches by id (each member is tried once per run). A
    member whose erasure fails is logged and tried again on the next run; one another run is
    erasing at the same moment is skipped (its row is locked). Returns how many were erased."""
    now = now or timezone.now()
    erased = failed = 0
    due = Member.objects.filter(status=Member.Status.CLOSED, erasure_due_at__lte=now).order_by("pk")
    last = 0
    while batch := list(due.filter(pk__gt=last).values_list("pk", flat=True)[:batch_size]):
        last = batch[-1]
        for member_id in batch:
            try:
                if erase_member(member_id=member_id, now=now):
                    erased += 1
            except Exception:
                logger.exception("member.erasure_failed member=%s", member_id)
                failed += 1
    if erased or failed:
        logger.info("erasure.run erased=%s failed=%s", erased, failed)
    return erased


# --- Admin log ---------------------------------------------------------------------------------
# Django admin's LogEntry keeps `object_repr` (a username, an e-mail address) of what staff
# changed. Rows about the member, or about an object of theirs that erasure deletes, go with
# them. Rows about records kept detached (purchase records, for bookkeeping) stay, as the
# records do. Rows the member wrote as staff are deleted by Django with the account (LogEntry's
# user is not nullable).


def _member_foreign_keys(model) -> list[str]:
    member_model = get_user_model()
    return [
        field.name
        for field in model._meta.get_fields()
        if field.concrete
        and isinstance(field, models.ForeignKey | models.OneToOneField)
        and field.related_model is member_model
    ]


def _admin_log_about(member) -> list[tuple[type[models.Model], int, str]]:
    """(model, log entry id, object id) of admin log rows about the member or their objects,
    found before erasure changes anything."""
    member_model = get_user_model()
    candidates = {}
    for model in {entry.model for entry in registry.entries()} | {member_model}:
        fields = _member_foreign_keys(model)
        if model is member_model or fields:
            candidates[ContentType.objects.get_for_model(model).pk] = (model, fields)
    present = set(
        LogEntry.objects.filter(content_type_id__in=candidates)
        .values_list("content_type_id", flat=True)
        .distinct()
    )
    found = []
    for content_type_id in present:
        model, fields = candidates[content_type_id]
        if model is member_model:
            rows = model.objects.filter(pk=member.pk)
        else:
            condition = models.Q()
            for name in fields:
                condition |= models.Q(**{name: member})
            rows = model.objects.filter(condition)
        ids = rows.annotate(log_id=Cast("pk", models.TextField())).values("log_id")
        entries = LogEntry.objects.filter(content_type_id=content_type_id, object_id__in=ids)
        found += [
            (model, pk, object_id) for pk, object_id in entries.values_list("pk", "object_id")
        ]
    return found


def _erase_admin_log(logged) -> None:
    """Deletes the admin log rows whose object erasure deleted."""
    gone = [
        pk for model, pk, object_id in logged if not model.objects.filter(pk=object_id).exists()
    ]
    if gone:
        LogEntry.objects.filter(pk__in=gone).delete()
