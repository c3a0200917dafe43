"""Buying credits (R4.1): the packs, checkout, the return page, Mollie's webhook, the offline
stand-in checkout and "my credits" with what was spent and the member's own monthly spending
limit (issue 11). Thin views over payments.checkout and payments.services."""

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import checkout, mollie, services
from .forms import CheckoutForm, SpendingLimitForm, StandInChoiceForm
from .models import CreditPack, LedgerEntry, Order, PaymentMethod, StandInPayment
from .signals import checkout_started

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
PAYMENT_ID = re.compile(r"^tr_\w{1,36}$")
# htmx stops polling when a response has this status (the order is settled).
STOP_POLLING = 286


def euros(cents: int) -> str:
    """Euro cents as shown to the member: "€ 19,95" in Dutch, "€19.95" in English."""
    whole, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if (get_language() or "nl").startswith("nl"):
        return f"{sign}€ {whole:,}".replace(",", ".") + f",{rest:02d}"
    return f"{sign}€{whole:,}.{rest:02d}"


# Where a member was when the site sent them to buy credits (a chat page with their unsent
# text): a same-site path, kept in the session until they visit the packs page without one.
RETURN_TO_SESSION_KEY = "payments_return_to"


def _safe_return_path(request, target: str) -> str | None:
    """`target` when it is a path on this site (not the credit pages themselves), else None."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or target.startswith("/credits/")
        or len(target) > 500
    ):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


def _remember_return_to(request) -> str | None:
    target = _safe_return_path(request, request.GET.get("next", ""))
    if target:
        request.session[RETURN_TO_SESSION_KEY] = target
    elif RETURN_TO_SESSION_KEY in request.session:
        del request.session[RETURN_TO_SESSION_KEY]
    return target


def _return_to(request) -> str | None:
    return _safe_return_path(request, request.session.get(RETURN_TO_SESSION_KEY, ""))


def _own_order(request, public_id: str) -> Order:
    order = Order.objects.filter(public_id=public_id, member=request.user).first()
    if order is None:
        logger.warning("access.denied order member=%s", request.user.pk)
        raise Http404
    return order


def _when(moment) -> str:
    """A moment as shown to the member: date and time, Amsterdam time, in their language."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _limit_context(member, now, *, limit=None, counted=None) -> dict:
    """What the pages show of the member's spending limit: the limit in force, what is left
    of it this month, and a higher limit or a removal waiting to take effect."""
    if limit is None:
        limit = services.get_spending_limit(member=member)
    limit_cents = limit.limit_in_force_cents(now) if limit else None
    context = {"limit": None, "limit_pending": None}
    if limit_cents is not None:
        if counted is None:
            counted = services.counted_purchases_cents(member=member, now=now)
        context["limit"] = {
            "cents": limit_cents,
            "amount": euros(limit_cents),
            "counted": euros(counted),
            "left": euros(max(limit_cents - counted, 0)),
            "next_month": services.next_month_start(now),
        }
    if limit is not None and limit.change_pending_at(now):
        context["limit_pending"] = {
            "removal": limit.pending_removal,
            "amount": None if limit.pending_removal else euros(limit.pending_limit_cents),
            "at": limit.pending_effective_at,
        }
    return context


def _packs_page(request, *, form=None, status=200, limit_reached=None):
    packs = [
        {"pack": pack, "price": euros(pack.price_cents)}
        for pack in CreditPack.objects.filter(active=True)
    ]
    failed_pack = form.data.get("pack") if form is not None else None
    return render(
        request,
        "payments/packs.html",
        {
            **_limit_context(
                request.user,
                timezone.now(),
                limit=limit_reached.spending_limit if limit_reached else None,
            ),
            "limit_reached": limit_reached,
            "balance": services.get_balance(member=request.user),
            "packs": packs,
            "methods": PaymentMethod.choices,
            "form": form,
            "failed_pack": str(failed_pack or ""),
            "chosen_method": (form.data.get("method") if form is not None else None)
            or PaymentMethod.IDEAL,
            "offline": mollie.is_offline(),
            "return_to": _return_to(request),
        },
        status=status,
    )


@login_required
@require_GET
def packs(request):
    """The credit packs on sale, each with a choice of payment method and a Buy button. A
    same-site `next` (the chat page that sent the member here) is remembered for the return."""
    _remember_return_to(request)
    return _packs_page(request)


@login_required
@require_POST
def start_checkout(request):
    """Creates the order and sends the member to Mollie's (or the stand-in's) checkout. Only
    the pack and the method are read from the form: price and credits come from the pack."""
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        return _packs_page(request, form=form, status=400)
    try:
        new_order, checkout_url = checkout.start_checkout(
            member=request.user,
            pack=form.cleaned_data["pack"],
            method=form.cleaned_data["method"],
            build_url=request.build_absolute_uri,
        )
    except services.SpendingLimitReached as refused:
        # Nothing was created and nothing went to Mollie: the packs page says why.
        return _packs_page(request, form=form, status=409, limit_reached=refused)
    except mollie.MollieUnavailable:
        messages.error(
            request,
            _(
                "The payment service cannot be reached right now. Nothing was charged. "
                "Please try again in a few minutes."
            ),
        )
        return redirect("payments:packs")
    # The affiliate partner's fraud check (activity.partners), only with the member's consent.
    checkout_started.send(sender=Order, order=new_order, request=request)
    return redirect(checkout_url)


def _order_context(request, order: Order) -> dict:
    return {
        "order": order,
        "amount": euros(order.amount_cents),
        "is_open": order.status == Order.Status.OPEN,
        "is_paid": order.status == Order.Status.PAID,
        "balance": services.get_balance(member=request.user),
    }


@login_required
@require_GET
def order(request, public_id):
    """The return page after checkout: the order's state, refreshed until it is settled, and
    the way back to where the member was sent from (while the order is open or once paid)."""
    context = _order_context(request, _own_order(request, public_id))
    if context["is_open"] or context["is_paid"]:
        context["return_to"] = _return_to(request)
    return render(request, "payments/order.html", context)


@login_required
@require_GET
def order_status(request, public_id):
    """The state part of the return page, polled by htmx while the order is open."""
    found = _own_order(request, public_id)
    response = render(request, "payments/_order_status.html", _order_context(request, found))
    if found.status != Order.Status.OPEN:
        response.status_code = STOP_POLLING
    return response


@csrf_exempt
@require_POST
def webhook(request):
    """Mollie posts only a payment id; the state is fetched from Mollie (R4.1). An unknown id
    gets a 200 and changes nothing; when Mollie cannot be asked, a 503 makes Mollie retry."""
    payment_id = request.POST.get("id", "").strip()
    if not payment_id:
        return HttpResponseBadRequest()
    if not PAYMENT_ID.match(payment_id):
        logger.info("webhook.malformed_id")
        return HttpResponse()
    try:
        checkout.settle_payment(payment_id=payment_id)
    except mollie.MollieUnavailable:
        logger.warning("webhook.mollie_unavailable payment=%s", payment_id)
        return HttpResponse(status=503)
    return HttpResponse()


@login_required
@require_http_methods(["GET", "POST"])
def stand_in(request, payment_id):
    """The offline stand-in for Mollie's test checkout (only without MOLLIE_API_KEY): the tester
    chooses the outcome, which is then settled by the webhook's own code."""
    if settings.MOLLIE_API_KEY:
        raise Http404
    payment = StandInPayment.objects.select_related("order__pack").filter(id=payment_id).first()
    if payment is None or payment.order.member_id != request.user.pk:
        logger.warning("access.denied stand_in member=%s", request.user.pk)
        raise Http404
    if request.method == "POST":
        form = StandInChoiceForm(request.POST)
        if form.is_valid():
            mollie.set_stand_in_status(payment_id=payment.id, status=form.cleaned_data["status"])
            checkout.settle_payment(payment_id=payment.id)  # as if Mollie called the webhook
            return redirect("payments:order", public_id=payment.order.public_id)
    return render(
        request,
        "payments/stand_in.html",
        {
            "payment": payment,
            "order": payment.order,
            "amount": euros(payment.order.amount_cents),
            "choices": StandInChoiceForm.base_fields["status"].choices,
        },
    )


def _history_page(request, *, limit_form=None, status=200):
    member = request.user
    now = timezone.now()
    orders = Paginator(
        Order.objects.filter(member=member).select_related("pack"), PAGE_SIZE
    ).get_page(request.GET.get("orders"))
    entries = Paginator(LedgerEntry.objects.filter(member=member), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counted = services.counted_purchases_cents(member=member, now=now)
    limit_context = _limit_context(member, now, counted=counted)
    if limit_form is None:
        current = limit_context["limit"]
        limit_form = SpendingLimitForm(
            initial={"limit": current["cents"] // 100} if current else None
        )
    return render(
        request,
        "payments/history.html",
        {
            "balance": services.get_balance(member=member),
            "orders": orders,
            "order_rows": [(o, euros(o.amount_cents)) for o in orders],
            "entries": entries,
            "spent": services.credits_spent(member=member, now=now),
            "spent_on_credits": euros(counted),
            "limit_form": limit_form,
            **limit_context,
        },
        status=status,
    )


@login_required
@require_GET
def history(request):
    """My credits: the balance, what was spent this week and month, the monthly spending
    limit, the purchases and every change of credits."""
    return _history_page(request)


def _back_to_limit():
    return redirect(reverse("payments:history") + "#spending-limit")


def _announce_limit(request, limit) -> None:
    now = timezone.now()
    in_force = limit.limit_in_force_cents(now)
    if limit.change_pending_at(now):
        values = {
            "when": _when(limit.pending_effective_at),
            "current": euros(in_force),
        }
        if limit.pending_removal:
            text = _(
                "Your limit will be removed on %(when)s. Until then, your limit stays "
                "%(current)s a month."
            )
        else:
            values["limit"] = euros(limit.pending_limit_cents)
            text = _(
                "Your new limit of %(limit)s a month takes effect on %(when)s. Until then, "
                "your limit stays %(current)s a month."
            )
        messages.success(request, text % values)
    elif in_force is None:
        messages.success(request, _("You have no spending limit."))
    else:
        messages.success(
            request,
            _("Your spending limit is now %(limit)s a month, from this moment on.")
            % {"limit": euros(in_force)},
        )


@login_required
@require_POST
def set_spending_limit(request):
    """Sets, lowers or raises the member's monthly limit (a raise waits 24 hours). A bad value
    shows the page again with what was typed and why it is not accepted."""
    form = SpendingLimitForm(request.POST)
    if not form.is_valid():
        return _history_page(request, limit_form=form, status=400)
    limit = services.set_spending_limit(member=request.user, limit_euros=form.cleaned_data["limit"])
    _announce_limit(request, limit)
    return _back_to_limit()


@login_required
@require_POST
def remove_spending_limit(request):
    """Removes the limit after 24 hours (shown as a pending change until then)."""
    limit = services.set_spending_limit(member=request.user, limit_euros=None)
    _announce_limit(request, limit)
    return _back_to_limit()


@login_required
@require_POST
def cancel_spending_limit_change(request):
    """Cancels a higher limit or a removal that has not taken effect yet."""
    if services.cancel_pending_limit_change(member=request.user):
        in_force = services.monthly_limit_cents(member=request.user)
        messages.success(
            request,
            _("The change was cancelled. Your limit stays %(limit)s a month.")
            % {"limit": euros(in_force)}
            if in_force is not None
            else _("The change was cancelled."),
        )
    else:
        messages.info(request, _("No change of your limit was waiting to be cancelled."))
    return _back_to_limit()
