"""The member's chat pages (R3.1, R3.2): the inbox, a conversation, starting one from a profile,
the receiving settings and the unread badge. Thin: sending, reading and deleting are
messaging.services; what a page lists comes from messaging.selectors.

Every page works without JavaScript (forms post and redirect, links page through the history).
With htmx (requests carrying HX-Request) the conversation polls for new messages, the inbox and
the navigation's badge refresh themselves, and sending swaps in a fresh form.
"""

import logging
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from payments.services import get_balance
from privacy import crypto
from profiles.discovery_views import findable_member
from profiles.models import Block

from . import selectors, services
from .context_processors import KNOWN_TOTAL_ATTRIBUTE
from .forms import MessageForm, ReceivingSettingsForm
from .models import Message
from .services import InsufficientCredits, SendRefused

logger = logging.getLogger(__name__)

# htmx stops polling when a response has this status (the member logged out meanwhile).
STOP_POLLING = 286
# Refusals about the text itself (or its pace): the form stays, with the error beside it.
TEXT_REFUSALS = {"empty", "too_long"}
PACE_REFUSALS = {"rate_limited"}
# Typed texts kept while the member buys credits, encrypted like stored messages.
DRAFTS_SESSION_KEY = "messaging_drafts"
MAX_DRAFTS = 5


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def member_part(view):
    """login_required for the parts htmx polls: a logged-out poll stops polling (286) instead
    of swapping the log-in page into the page. Answers vary on HX-Request (fragment or page)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if is_htmx(request):
                return HttpResponse(status=STOP_POLLING)
            return redirect_to_login(request.get_full_path())
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    return wrapper


def member_page(view):
    """login_required, except that a logged-out member's htmx request (a send after the session
    ended) takes the whole browser to the log-in page instead of swapping it into the form."""
    page = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and is_htmx(request):
            response = HttpResponse()
            response["HX-Redirect"] = redirect_to_login(request.get_full_path())["Location"]
            return response
        return page(request, *args, **kwargs)

    return wrapper


def _id_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def _page_number(request) -> int:
    number = _id_param(request, "page")
    return number if number and number < 10_000 else 1


def _own_side(request, public_id):
    """The member's side of the conversation; 404 (logged) for anyone not in it."""
    side = selectors.side_of(request.user, public_id)
    if side is None:
        logger.warning("access.denied conversation member=%s", request.user.pk)
        raise Http404
    return side


def _other_name(other) -> str:
    return selectors.display_name(other)


def _mark_own(found, viewer) -> list:
    for message in found:
        message.is_own = message.sender_id == viewer.pk
    return found


# -- drafts kept while buying credits ----------------------------------------------------------


def _drafts(request) -> dict:
    return request.session.get(DRAFTS_SESSION_KEY) or {}


def keep_draft(request, key: str, text: str) -> None:
    drafts = {k: v for k, v in _drafts(request).items() if k != key}
    drafts[key] = crypto.encrypt_text(text)
    request.session[DRAFTS_SESSION_KEY] = dict(list(drafts.items())[-MAX_DRAFTS:])


def draft_for(request, *keys: str) -> str:
    drafts = _drafts(request)
    for key in keys:
        token = drafts.get(key)
        if token:
            try:
                return crypto.decrypt_text(token)
            except ValueError:  # written under a key that was rotated away
                continue
    return ""


def drop_drafts(request, *keys: str) -> None:
    drafts = _drafts(request)
    if any(key in drafts for key in keys):
        request.session[DRAFTS_SESSION_KEY] = {k: v for k, v in drafts.items() if k not in keys}


def _draft_keys(conversation, receiver) -> tuple[str, ...]:
    keys = []
    if conversation is not None:
        keys.append(conversation.public_id)
    if receiver is not None:
        keys.append(f"to:{receiver.public_id}")
    return tuple(keys)


# -- writing -----------------------------------------------------------------------------------


def packs_url_back_to(path: str) -> str:
    return reverse("payments:packs") + "?" + urlencode({"next": path})


def _composer_context(
    request,
    *,
    receiver,
    conversation,
    action_url,
    form=None,
    refusal=None,
    posted=False,
    sent=False,
) -> dict:
    """What the send form needs. The refusal is checked on every showing, so a sender learns
    why before typing, let alone paying (R3.2)."""
    if refusal is None:
        try:
            services.check_can_send(
                sender=request.user, receiver=receiver, conversation=conversation
            )
        except SendRefused as refused:
            refusal = refused.message
    if form is None:
        form = MessageForm(
            initial={"text": draft_for(request, *_draft_keys(conversation, receiver))}
        )
    if posted or sent:
        # The answer to a send (htmx swaps it in, or a re-shown page): the keyboard goes back
        # to the text, with its error read out, ready for the next message.
        form.fields["text"].widget.attrs["autofocus"] = True
    balance = get_balance(member=request.user)
    price = settings.MESSAGE_PRICE_CREDITS
    return {
        "form": form,
        "refusal": refusal,
        "posted": posted,
        "action_url": action_url,
        "balance": balance,
        "price": price,
        "too_few_credits": balance < price,
        "packs_url": packs_url_back_to(action_url),
    }


def _send(request, *, receiver, conversation, return_path):
    """Sends the posted text. Returns the Message, a response (off to buy credits), or the
    (form, refusal) to show again with the typed text kept."""
    form = MessageForm(request.POST)
    text = form.typed_text
    try:
        message = services.send_message(sender=request.user, receiver=receiver, text=text)
    except InsufficientCredits:
        keep_draft(request, _draft_keys(conversation, receiver)[0], text)
        price = settings.MESSAGE_PRICE_CREDITS
        messages.info(
            request,
            ngettext(
                "You need %(price)s credit to send this message; your text is kept.",
                "You need %(price)s credits to send this message; your text is kept.",
                price,
            )
            % {"price": price},
        )
        target = packs_url_back_to(return_path)
        if is_htmx(request):
            response = HttpResponse()
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    except SendRefused as refused:
        if refused.code in TEXT_REFUSALS:
            form.add_error("text", refused.message)
            return form, None
        if refused.code in PACE_REFUSALS:
            form.add_error(None, refused.message)
            return form, None
        return form, refused.message
    drop_drafts(request, *_draft_keys(conversation, receiver))
    return message


def _render_composer(request, context, *, sent=False):
    """The send form alone, for htmx. After a send, the open conversation's poll is told to
    fetch at once (the new message then arrives like any other)."""
    response = render(request, "messaging/_composer.html", context)
    if sent:
        response["HX-Trigger"] = "message-sent"
    return response


# -- pages -------------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    """Conversations, latest message first, each with photo, preview and unread count."""
    page = selectors.inbox_page(request.user, _page_number(request))
    total = services.unread_total(member=request.user)
    setattr(request, KNOWN_TOTAL_ATTRIBUTE, total)
    return render(
        request,
        "messaging/inbox.html",
        {"page": page, "unread_total": total, "poll_seconds": settings.INBOX_POLL_SECONDS},
    )


@member_part
@require_GET
def inbox_list(request):
    """The inbox's list, polled by htmx. The unread total is re-announced only when changed."""
    if not is_htmx(request):
        return redirect(reverse("messaging:inbox") + f"?page={_page_number(request)}")
    page = selectors.inbox_page(request.user, _page_number(request))
    total = services.unread_total(member=request.user)
    return render(
        request,
        "messaging/_inbox_list.html",
        {
            "page": page,
            "unread_total": total,
            "announce": _id_param(request, "unread") != total,
            "poll_seconds": settings.INBOX_POLL_SECONDS,
        },
    )


@require_GET
def unread_badge(request):
    """The navigation's unread count, polled by htmx: one indexed query."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    response = render(
        request,
        "messaging/_unread_badge.html",
        {
            "total": services.unread_total(member=request.user),
            "poll_seconds": settings.INBOX_POLL_SECONDS,
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _who_context(request, other) -> dict:
    """How the other member is shown: after a block either way, or once they are closed or
    erased, only their name (or "Removed member"): no photo, no profile link."""
    blockers = set()
    if other is not None:
        blockers = set(
            Block.objects.filter(
                Q(blocker=request.user, blocked=other) | Q(blocker=other, blocked=request.user)
            ).values_list("blocker_id", flat=True)
        )
    shows_other = other is not None and other.is_findable and not blockers
    return {
        "other": other,
        "other_name": _other_name(other),
        "shows_other": shows_other,
        "photo": selectors.main_photo_of(other) if shows_other else None,
        "blocked_by_me": request.user.pk in blockers,
        # The profiles block toggle only answers for members who did not block the viewer.
        "can_block": other is not None and other.is_findable and (other.pk not in blockers),
    }


def _conversation_page(request, side, *, composer: dict, status: int = 200):
    conversation = side.conversation
    page, has_older = selectors.latest_messages(side)
    if side.unread_count or (page and page[-1].id > side.last_read_message_id):
        services.mark_read(
            member=request.user,
            conversation=conversation,
            up_to_id=page[-1].id if page else None,
        )
    seen_up_to = selectors.read_up_to_by_other(side)
    context = {
        "conversation": conversation,
        "chat_messages": _mark_own(page, request.user),
        "has_older": has_older,
        "oldest_id": page[0].id if page else None,
        "seen_up_to": seen_up_to,
        "poll_after": page[-1].id if page else side.cleared_up_to_message_id,
        "poll_seconds": settings.MESSAGE_POLL_SECONDS,
        **_who_context(request, side.other),
        **composer,
    }
    return render(request, "messaging/conversation.html", context, status=status)


@member_page
@require_http_methods(["GET", "POST"])
def conversation(request, public_id):
    """One conversation: the latest messages (newest at the bottom), marked read on opening,
    and the send form (or why the member cannot write)."""
    side = _own_side(request, public_id)
    receiver = side.other
    url = reverse("messaging:conversation", args=[side.conversation.public_id])
    composer_args = {"receiver": receiver, "conversation": side.conversation, "action_url": url}
    if request.method == "POST":
        outcome = _send(request, receiver=receiver, conversation=side.conversation, return_path=url)
        if isinstance(outcome, HttpResponse):
            return outcome
        if isinstance(outcome, Message):
            if is_htmx(request):
                context = _composer_context(request, **composer_args, form=MessageForm(), sent=True)
                return _render_composer(request, context, sent=True)
            return redirect(url)
        form, refusal = outcome
        composer = _composer_context(
            request, **composer_args, form=form, refusal=refusal, posted=True
        )
        if is_htmx(request):
            return _render_composer(request, composer)
        return _conversation_page(request, side, composer=composer, status=400)
    return _conversation_page(request, side, composer=_composer_context(request, **composer_args))


@member_page
@require_http_methods(["GET", "POST"])
def start(request, member_id):
    """Writing to a member from their profile: their conversation when there is one, else an
    empty one whose first message creates it. Hidden, blocked or closed members: 404."""
    receiver = findable_member(request.user, member_id)
    if receiver.pk == request.user.pk:
        raise Http404
    existing = services.conversation_between(request.user, receiver)
    if request.method == "GET" and existing is not None:
        return redirect("messaging:conversation", public_id=existing.public_id)
    url = reverse("messaging:start", args=[receiver.public_id])
    composer_args = {"receiver": receiver, "conversation": existing, "action_url": url}
    posted = {}
    if request.method == "POST":
        outcome = _send(request, receiver=receiver, conversation=existing, return_path=url)
        if isinstance(outcome, HttpResponse):
            return outcome
        if isinstance(outcome, Message):
            drop_drafts(request, f"to:{receiver.public_id}")
            target = reverse("messaging:conversation", args=[outcome.conversation.public_id])
            if is_htmx(request):
                response = HttpResponse()
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        form, refusal = outcome
        posted = {"form": form, "refusal": refusal, "posted": True}
        if is_htmx(request):
            return _render_composer(request, _composer_context(request, **composer_args, **posted))
    context = {
        "conversation": None,
        "chat_messages": [],
        "has_older": False,
        **_who_context(request, receiver),
        **_composer_context(request, **composer_args, **posted),
    }
    return render(request, "messaging/conversation.html", context, status=400 if posted else 200)


@member_part
@require_GET
def new_messages(request, public_id):
    """What the open conversation's poll appends: messages after `after`, marked read, plus
    "Seen" for the member's own messages the other has read since `seen`."""
    side = _own_side(request, public_id)
    if not is_htmx(request):
        return redirect("messaging:conversation", public_id=side.conversation.public_id)
    after = _id_param(request, "after")
    if after is None:
        return HttpResponseBadRequest()
    seen_before = _id_param(request, "seen") or 0
    found = selectors.messages_after(side, after)
    if found and (side.unread_count or found[-1].id > side.last_read_message_id):
        services.mark_read(
            member=request.user, conversation=side.conversation, up_to_id=found[-1].id
        )
    seen_up_to = selectors.read_up_to_by_other(side)
    context = {
        "conversation": side.conversation,
        "chat_messages": _mark_own(found, request.user),
        "seen": selectors.newly_seen(side, seen_before=seen_before, seen_now=seen_up_to),
        "seen_up_to": seen_up_to,
        "poll_after": found[-1].id if found else after,
        "poll_seconds": settings.MESSAGE_POLL_SECONDS,
        "other_name": _other_name(side.other),
    }
    return render(request, "messaging/_new_messages.html", context)


@member_part
@require_GET
def older_messages(request, public_id):
    """Earlier history before message id `before`: a fragment htmx puts above the list, or
    (without JavaScript) a page of its own."""
    side = _own_side(request, public_id)
    before = _id_param(request, "before")
    if before is None:
        return HttpResponseBadRequest()
    page, has_older = selectors.latest_messages(side, before=before)
    context = {
        "conversation": side.conversation,
        "chat_messages": _mark_own(page, request.user),
        "has_older": has_older,
        "oldest_id": page[0].id if page else None,
        "seen_up_to": selectors.read_up_to_by_other(side),
        "other_name": _other_name(side.other),
    }
    if is_htmx(request):
        return render(request, "messaging/_older_messages.html", context)
    return render(request, "messaging/older.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delete_conversation(request, public_id):
    """Delete for me: asks first (GET), then hides the history for this member only (POST)."""
    side = _own_side(request, public_id)
    if request.method == "POST":
        services.delete_conversation_for_me(member=request.user, conversation=side.conversation)
        messages.success(
            request,
            _("The conversation was deleted for you. The other member still has their copy."),
        )
        return redirect("messaging:inbox")
    return render(
        request,
        "messaging/delete_confirm.html",
        {"conversation": side.conversation, "other_name": _other_name(side.other)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def receiving_settings(request):
    """Who may write to me and how I hear of it (R3.2, R7.2)."""
    wishes = services.receiving_settings_for(request.user)
    status = 200
    if request.method == "POST":
        form = ReceivingSettingsForm.for_settings(wishes, data=request.POST)
        if form.is_valid():
            services.update_receiving_settings(member=request.user, **form.cleaned_data)
            messages.success(request, _("Your message settings are saved."))
            return redirect("messaging:settings")
        status = 400
    else:
        form = ReceivingSettingsForm.for_settings(wishes)
    return render(request, "messaging/settings.html", {"form": form}, status=status)
