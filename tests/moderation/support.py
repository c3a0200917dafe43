"""Helpers for the moderation core's service tests (test_cases, test_decisions, test_sanctions,
test_ladder, test_appeals, test_reporter_standing, test_audit_log). Messages are the content:
`messaging.models.Message` is registered with moderation (messaging/moderated_content.py)."""

import dataclasses
import re

from django.contrib.auth.models import Permission
from django.utils import timezone

from members.models import OutgoingMail
from messaging.models import Message
from moderation import registry, services
from moderation.models import ModerationAction, Statement

from .conftest import send

TERMS = services.StatementInput(
    ground=Statement.Ground.INCOMPATIBLE,
    terms_clause="Terms of use, article 4.2 (no requests for money)",
    ground_explanation="Asking members for money is not allowed.",
    facts="The message asks the receiver to transfer money.",
)
ILLEGAL = services.StatementInput(
    ground=Statement.Ground.ILLEGAL,
    legal_ground="Wetboek van Strafrecht, article 285 (threat)",
    ground_explanation="The message threatens violence.",
    facts="The message threatens the receiver with violence.",
)


def reported_message(reporter, author, *, reason="scam", text="Maak 500 euro over", **kwargs):
    """`author` writes to `reporter`, who reports it: (case, message)."""
    message = send(author, reporter, text)
    report = services.report_content(
        reporter=reporter, items=[message], reason=reason, reported_member=author, **kwargs
    )
    return report, message


def decide(report, moderator, action, *, statement=TERMS, days=None, **kwargs):
    if action == services.DISMISS:
        statement = None
    if action in services.PERIOD_ACTIONS and days is None:
        days = 7
    return services.decide_case(
        report=report, moderator=moderator, action=action, statement=statement, days=days, **kwargs
    )


def mails(kind, to=None):
    rows = OutgoingMail.objects.filter(kind=kind).order_by("pk")
    if to is not None:
        rows = rows.filter(to=to)
    return list(rows)


def actions(**filters) -> list[str]:
    return list(
        ModerationAction.objects.filter(**filters).order_by("pk").values_list("action", flat=True)
    )


def grant(member, codename):
    app_label, code = codename.split(".")
    member.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=code)
    )
    # has_perm caches permissions on the instance.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        member.__dict__.pop(cache, None)


def links_in(text) -> list[str]:
    return re.findall(r"https?://\S+", text)


class Clock:
    """A frozen `timezone.now` for the services (model defaults still use the real clock;
    services pass their `now` explicitly where it matters)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def set(self, moment):
        self.monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment


def spy_on_message_entry(monkeypatch):
    """Replaces messages' `hide` and `unhide` and gives them a `restore` for the test (the
    real entry has none, as a removed message's text is wiped): the calls are recorded as
    (name, message id)."""
    calls = []
    entry = registry.entry_for(Message)
    spy = dataclasses.replace(
        entry,
        hide=lambda message: calls.append(("hide", message.pk)),
        unhide=lambda message: calls.append(("unhide", message.pk)),
        restore=lambda message: calls.append(("restore", message.pk)),
    )
    monkeypatch.setitem(registry._entries, Message, spy)
    return calls
