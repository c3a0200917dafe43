"""Writes that matter for accounts: queueing and sending mail, suspending, creating staff."""

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from .enqueue import enqueue, enqueue_on_commit
from .models import Member, OutgoingMail, UndeliverableAddress

logger = logging.getLogger(__name__)

MAX_MAIL_ATTEMPTS = 10
ROLE_GROUPS = {
    "moderator": "Moderators",
    "helpdesk": "Helpdesk",
    "finance": "Finance",
    "marketing": "Marketing",
    "management": "Management",
}


def queue_mail(*, message, kind: str, member: Member | None = None) -> OutgoingMail:
    """Stores a rendered mail as a row and sends it by a Celery task once the transaction
    commits. The row survives a broker outage; `sweep_outgoing_mail` picks it up again."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = content
    mail = OutgoingMail.objects.create(
        member=member,
        kind=kind[:100],
        to=message.to[0],
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        subject=message.subject[:255],
        body_text=message.body,
        body_html=html,
        headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
        due_at=timezone.now() + _retry_after(),
    )
    from .tasks import send_outgoing_mail

    enqueue_on_commit(send_outgoing_mail, mail.pk)
    return mail


def _retry_after(attempts: int = 0) -> timedelta:
    """How long an unsent mail waits for the sweep: OUTGOING_MAIL_RETRY_AFTER_SECONDS after it
    was written or re-enqueued, doubling with each failed attempt (at most an hour), so a mail
    server that is down for a while does not use up the attempts within minutes."""
    seconds = settings.OUTGOING_MAIL_RETRY_AFTER_SECONDS * 2 ** min(attempts, 10)
    return timedelta(seconds=min(seconds, max(3600, settings.OUTGOING_MAIL_RETRY_AFTER_SECONDS)))


def _render_plain_text(name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping: "foto's" stays "foto's", not
    "foto&#x27;s" (a text/plain part is not HTML)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def render_mail_parts(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a site mail from `<prefix>_subject.txt`,
    `<prefix>_message.txt` and `<prefix>_message.html`, in the active language (callers wrap
    it in `translation.override(<the recipient's language>)`)."""
    subject = _render_plain_text(f"{template_prefix}_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    # A plain str (not marked safe): the HTML wrapper escapes it.
    body = str.strip(_render_plain_text(f"{template_prefix}_message.txt", context))
    html = render_to_string(
        f"{template_prefix}_message.html", {**context, "subject": subject, "body": body}
    )
    return subject, body, html


def queue_rendered_mail(
    *, parts: tuple[str, str, str], to: str, kind: str, member=None, headers=None
) -> OutgoingMail:
    """Queues a mail rendered by `render_mail_parts` (text and HTML) through `queue_mail`."""
    subject, body, html = parts
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or None,
    )
    message.attach_alternative(html, "text/html")
    return queue_mail(message=message, kind=kind, member=member)


def mail_still_wanted(mail: OutgoingMail) -> bool:
    """Asks settings.OUTGOING_MAIL_STILL_WANTED (a dotted path to a function taking the
    OutgoingMail; the mailings app answers it for the kinds of mail members choose) whether a
    queued mail may still go out. Members imports no other app: it asks through the setting,
    as profiles asks PREMIUM_ACCESS_CHECK."""
    path = getattr(settings, "OUTGOING_MAIL_STILL_WANTED", "")
    if not path:
        return True
    return bool(import_string(path)(mail))


def mail_language(language: str) -> str:
    """The language a mail to someone who chose `language` is written in: theirs when the
    site speaks it, Dutch otherwise."""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def site_url(path: str) -> str:
    """An absolute link to `path` on the site, for mail (SITE_URL, not the request's host)."""
    return settings.SITE_URL.rstrip("/") + path


def confirmed_address(member) -> str | None:
    """The member's confirmed primary e-mail address, or None."""
    return (
        EmailAddress.objects.filter(user=member, primary=True, verified=True)
        .values_list("email", flat=True)
        .first()
    )


def has_confirmed_email(member) -> bool:
    """Fair play (issue 11): only a person who signed up and confirmed their primary address
    can be seen, found or written to."""
    return EmailAddress.objects.filter(user=member, primary=True, verified=True).exists()


def confirmed_email_exists(member_field: str = "pk") -> Exists:
    """`has_confirmed_email` for a queryset: filter(confirmed_email_exists("member_id"))."""
    return Exists(
        EmailAddress.objects.filter(user=OuterRef(member_field), primary=True, verified=True)
    )


def mailable_members():
    """Active accounts whose primary address is confirmed and has not bounced: who may get
    mail they asked for (message notifications, suggestions, promotions). Addresses are stored
    lower-cased in UndeliverableAddress; allauth keeps them as typed."""
    confirmed = EmailAddress.objects.filter(user=OuterRef("pk"), primary=True, verified=True)
    primary_lower = (
        EmailAddress.objects.filter(user=OuterRef(OuterRef("pk")), primary=True)
        .annotate(lower=Lower("email"))
        .values("lower")
    )
    bounced = UndeliverableAddress.objects.filter(email__in=primary_lower)
    return (
        Member.objects.filter(is_active=True, status=Member.Status.ACTIVE)
        .filter(Exists(confirmed))
        .exclude(Exists(bounced))
    )


def is_undeliverable(email: str) -> bool:
    return UndeliverableAddress.objects.filter(email=(email or "").lower()).exists()


def mark_undeliverable(*, email: str, reason: str) -> UndeliverableAddress | None:
    """Records that mail to `email` bounces (idempotent), linked to the member whose address it
    is, if any. Returns the row, or None for an empty address."""
    address = (email or "").strip().lower()
    if not address:
        return None
    member = (
        EmailAddress.objects.filter(email__iexact=address)
        .order_by("-verified", "-primary", "pk")
        .select_related("user")
        .first()
    )
    row, created = UndeliverableAddress.objects.get_or_create(
        email=address,
        defaults={"member": member.user if member else None, "reason": reason[:60]},
    )
    if created:
        logger.info("mail.undeliverable member=%s", row.member_id)
    return row


def send_queued_mail(*, mail_id: int) -> bool:
    """Sends one queued mail. Idempotent: a mail already sent is not sent again. Returns
    whether this call sent it."""
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None or mail.status != OutgoingMail.Status.PENDING:
            return False
        if not mail_still_wanted(mail):
            # Unsubscribed, restricted or closed since it was queued: honoured at once.
            mail.status = OutgoingMail.Status.CANCELLED
            mail.body_text = ""
            mail.body_html = ""
            mail.headers = {}
            mail.save(update_fields=["status", "body_text", "body_html", "headers"])
            logger.info("mail.cancelled mail=%s kind=%s", mail.pk, mail.kind)
            return False
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.body_text,
            from_email=mail.from_email,
            to=[mail.to],
            headers=mail.headers or None,
        )
        if mail.body_html:
            message.attach_alternative(mail.body_html, "text/html")
        try:
            message.send()
        except Exception:
            OutgoingMail.objects.filter(pk=mail.pk).update(
                attempts=mail.attempts + 1,
                due_at=timezone.now() + _retry_after(mail.attempts),
                status=(
                    OutgoingMail.Status.FAILED
                    if mail.attempts + 1 >= MAX_MAIL_ATTEMPTS
                    else OutgoingMail.Status.PENDING
                ),
            )
            logger.warning("mail.send_failed mail=%s kind=%s", mail.pk, mail.kind)
            return False
        # The body may hold a confirmation or reset link: it is not kept once sent.
        mail.status = OutgoingMail.Status.SENT
        mail.sent_at = timezone.now()
        mail.attempts += 1
        mail.body_text = ""
        mail.body_html = ""
        mail.headers = {}
        mail.save(
            update_fields=["status", "sent_at", "attempts", "body_text", "body_html", "headers"]
        )
    logger.info("mail.sent mail=%s kind=%s", mail.pk, mail.kind)
    return True


def unsent_mail_due(*, now=None):
    """Pending mail whose due time has come: its task was lost or its last attempt failed
    (the partial index outgoingmail_unsent_due_idx answers it)."""
    now = now or timezone.now()
    return OutgoingMail.objects.filter(
        status=OutgoingMail.Status.PENDING, due_at__lte=now
    ).order_by("due_at")


def sweep_outgoing_mail(*, now=None, limit: int = 500) -> int:
    """Every minute (beat): re-enqueues mail that should have gone out by now, and gives each
    another OUTGOING_MAIL_RETRY_AFTER_SECONDS before the next sweep enqueues it again (tasks
    still waiting in a long queue are not piled up). Returns how many were enqueued."""
    from .tasks import send_outgoing_mail

    now = now or timezone.now()
    ids = list(unsent_mail_due(now=now).values_list("pk", flat=True)[:limit])
    enqueued = [mail_id for mail_id in ids if enqueue(send_outgoing_mail, mail_id)]
    if enqueued:
        OutgoingMail.objects.filter(
            pk__in=enqueued, status=OutgoingMail.Status.PENDING, due_at__lte=now
        ).update(due_at=now + _retry_after())
        logger.info("mail.swept count=%s", len(enqueued))
    return len(enqueued)


def resend_mail(*, mail: OutgoingMail) -> None:
    """Helpdesk: a failed mail is tried again (its body is still there: it was never sent)."""
    from .tasks import send_outgoing_mail

    if mail.status == OutgoingMail.Status.SENT:
        return
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status=OutgoingMail.Status.PENDING, attempts=0, due_at=timezone.now() + _retry_after()
    )
    enqueue_on_commit(send_outgoing_mail, mail.pk)


def suspend_member(*, member: Member) -> None:
    """A suspended member cannot log in; their sessions end at once."""
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(status=Member.Status.SUSPENDED, is_active=False)
        end_all_sessions(member=member)
    logger.info("member.suspended member=%s", member.pk)


def reinstate_member(*, member: Member) -> None:
    Member.objects.filter(pk=member.pk, status=Member.Status.SUSPENDED).update(
        status=Member.Status.ACTIVE, is_active=True
    )
    logger.info("member.reinstated member=%s", member.pk)


def end_all_sessions(*, member: Member) -> None:
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(user=member):
        session.end()


def create_staff_member(*, username: str, email: str, password: str, role: str) -> Member:
    """Creates a staff account with a verified e-mail address. `role` is `superuser`,
    `moderator` or `helpdesk`; the member must set up two-factor at the first admin visit."""
    if role not in {"superuser", *ROLE_GROUPS}:
        raise ValueError(f"unknown role {role!r}")
    with transaction.atomic():
        member = Member(
            username=username,
            email=email,
            is_staff=True,
            is_superuser=role == "superuser",
            confirmed_adult_at=timezone.now(),
        )
        member.set_password(password)
        member.full_clean(exclude=["password"])
        member.save()
        EmailAddress.objects.create(user=member, email=email, verified=True, primary=True)
        if role in ROLE_GROUPS:
            member.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    return member
