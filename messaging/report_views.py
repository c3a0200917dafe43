"""Reporting a message or a conversation to the moderators (R10.1).

Only a participant can report, and only the other member's messages: a moderator sees the
reported messages and nothing else of the conversation. Anything else is a 404, logged.
"""

import logging

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from moderation.forms import MemberReportForm
from moderation.services import AlreadyReported, ReportRefused, report_content
from profiles.services import block_member

from .models import Conversation, Message, Participant
from .selectors import display_name as _other_name
from .services import other_member

logger = logging.getLogger(__name__)

# A conversation report carries the other member's latest messages, at most this many.
CONVERSATION_REPORT_MESSAGES = 20
THANKS = gettext_lazy("Thank you. A moderator will look at it.")


class ReportMessagesForm(MemberReportForm):
    block = forms.BooleanField(label=gettext_lazy("Also block this member"), required=False)


def _not_found(request, what: str):
    logger.info("report.not_found member=%s what=%s", request.user.pk, what)
    raise Http404


def _side(request, conversation: Conversation) -> Participant:
    side = Participant.objects.filter(conversation=conversation, member=request.user).first()
    if side is None:
        _not_found(request, "conversation")
    return side


def _reportable(conversation: Conversation, side: Participant):
    """The other member's delivered messages the reporter can see (newest first); one
    hidden pending review is in a case already and its text is not shown."""
    return Message.objects.filter(
        conversation=conversation,
        sender_id=side.other_id,
        status=Message.Status.DELIVERED,
        hidden_at__isnull=True,
        id__gt=side.cleared_up_to_message_id,
    ).order_by("-id")


@login_required
def report_message(request, public_id):
    message = (
        Message.objects.select_related("conversation", "sender").filter(public_id=public_id).first()
    )
    if message is None:
        _not_found(request, "message")
    side = _side(request, message.conversation)
    if (
        side.other_id is None
        or message.sender_id != side.other_id
        or not _reportable(message.conversation, side).filter(pk=message.pk).exists()
    ):
        _not_found(request, "message")
    return _report(
        request,
        conversation=message.conversation,
        other=message.sender,
        items=[message],
        template="messaging/report_message.html",
        context={"reported_message": message},
    )


@login_required
def report_conversation(request, public_id):
    conversation = Conversation.objects.filter(public_id=public_id).first()
    if conversation is None:
        _not_found(request, "conversation")
    side = _side(request, conversation)
    other = other_member(conversation, request.user)
    if other is None:
        _not_found(request, "conversation")
    items = list(_reportable(conversation, side)[:CONVERSATION_REPORT_MESSAGES])
    return _report(
        request,
        conversation=conversation,
        other=other,
        items=items,
        template="messaging/report_conversation.html",
        context={"message_count": len(items)},
    )


def _report(request, *, conversation, other, items, template, context):
    form = ReportMessagesForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and items and form.is_valid():
        try:
            report_content(
                reporter=request.user,
                items=items,
                reason=form.cleaned_data["reason"],
                explanation=form.cleaned_data["explanation"],
                reported_member=other,
                good_faith=form.cleaned_data["good_faith"],
            )
        except AlreadyReported as already:
            messages.info(request, already.message)
        except ReportRefused as refused:
            form.add_error(None, refused.message)
            status = 429 if refused.code == "rate_limited" else 200
        else:
            messages.success(request, THANKS)
        if not form.errors:
            if form.cleaned_data["block"]:
                block_member(member=request.user, target=other)
                messages.success(
                    request,
                    _("You blocked %(name)s: you no longer see or find each other.")
                    % {"name": _other_name(other)},
                )
            return redirect("messaging:conversation", public_id=conversation.public_id)
    return render(
        request,
        template,
        {
            "form": form,
            "conversation": conversation,
            "other": other,
            "other_name": _other_name(other),
            "has_items": bool(items),
            **context,
        },
        status=status,
    )
