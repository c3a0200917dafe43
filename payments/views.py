"""Buying credits (R4.1): the packs, checkout, the return page, Mollie's webhook, the offline
stand-in checkout and "my credits". Thin views over payments.checkout and payments.services."""

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import checkout, mollie, services
from .forms import CheckoutForm, StandInChoiceForm
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


def _packs_page(request, *, form=None, status=200):
    packs = [
        {"pack": pack, "price": euros(pack.price_cents)}
        for pack in CreditPack.objects.filter(active=True)
    ]
    failed_pack = form.data.get("pack") if form is not None else None
    return render(
        request,
        "payments/packs.html",
        {
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


@login_required
@require_GET
def history(request):
    """My credits: the balance, the purchases and every change of credits."""
    orders = Paginator(
        Order.objects.filter(member=request.user).select_related("pack"), PAGE_SIZE
    ).get_page(request.GET.get("orders"))
    entries = Paginator(LedgerEntry.objects.filter(member=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/history.html",
        {
            "balance": services.get_balance(member=request.user),
            "orders": orders,
            "order_rows": [(o, euros(o.amount_cents)) for o in orders],
            "entries": entries,
        },
    )
