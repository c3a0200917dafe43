"""Finance works here: packs, orders, the ledger. Orders and the ledger are read-only except the
refund action and a credit adjustment with a mandatory reason, both for the Finance role only
(moderators and helpdesk hold no payments permission at all). Members' spending limits are
read-only for everyone: only the member sets their own limit."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.admin_mixins import ReadOnlyAdminMixin

from . import services
from .models import CreditPack, LedgerEntry, Order, SpendingLimit, Wallet


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ("name", "credits", "price_cents", "active", "position")
    list_editable = ("active", "position")
    list_filter = ("active",)

    def has_delete_permission(self, request, obj=None):
        return False  # orders refer to packs; retire a pack by taking it off sale


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "public_id",
        "member",
        "status",
        "method",
        "amount_cents",
        "credits",
        "refunded_cents",
        "charged_back_cents",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "method", "created_at")
    search_fields = ("public_id", "mollie_payment_id", "member__username")
    list_select_related = ("member", "pack")
    actions = ["refund_remaining"]

    def has_refund_permission(self, request):
        return request.user.has_perm("payments.refund_order")

    @admin.action(
        description=_("Refund the remaining amount through Mollie"), permissions=["refund"]
    )
    def refund_remaining(self, request, queryset):
        from .checkout import refund_order

        done = 0
        for order in queryset.filter(status=Order.Status.PAID):
            remaining = order.amount_cents - order.refunded_cents - order.charged_back_cents
            if remaining <= 0:
                continue
            try:
                refund_order(order=order, amount_cents=remaining, staff=request.user)
                done += 1
            except Exception as error:  # Mollie down or refused: say so, keep going
                self.message_user(
                    request,
                    _("Order %(order)s was not refunded: %(error)s")
                    % {"order": order.public_id, "error": error},
                    messages.ERROR,
                )
        if done:
            self.message_user(
                request,
                ngettext("%(count)d order refunded.", "%(count)d orders refunded.", done)
                % {"count": done},
                messages.SUCCESS,
            )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "member", "kind", "credits", "reason", "reference", "created_by")
    list_filter = ("kind", "created_at")
    search_fields = ("member__username", "reference")
    list_select_related = ("member", "created_by")


class AdjustCreditsForm(forms.Form):
    credits = forms.IntegerField(
        label=_("Credits (negative to take away)"), min_value=-100000, max_value=100000
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_credits(self):
        if self.cleaned_data["credits"] == 0:
            raise forms.ValidationError(_("An adjustment changes the balance."))
        return self.cleaned_data["credits"]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why: every adjustment needs a reason."))
        return reason


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("member", "balance")
    search_fields = ("member__username",)
    list_select_related = ("member",)
    actions = ["adjust"]

    def has_adjust_permission(self, request):
        return request.user.has_perm("payments.adjust_credits")

    @admin.action(description=_("Adjust credits…"), permissions=["adjust"])
    def adjust(self, request, queryset):
        """A page asks the amount and the (mandatory) reason; confirming records it."""
        form = AdjustCreditsForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            for wallet in queryset.select_related("member"):
                services.adjust_credits(
                    member=wallet.member,
                    credits=form.cleaned_data["credits"],
                    reason=form.cleaned_data["reason"],
                    staff=request.user,
                )
            self.message_user(request, _("Credits adjusted."), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust credits"),
            "opts": self.model._meta,
            "wallets": queryset.select_related("member"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "adjust",
        }
        return TemplateResponse(request, "admin/payments/wallet/adjust.html", context)


@admin.register(SpendingLimit)
class SpendingLimitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, also for superusers: a limit is the member's own choice (issue 11), and its
    rules (a raise waits 24 hours) must not be bypassed by staff."""

    list_display = (
        "member",
        "limit_in_force",
        "pending_change",
        "pending_effective_at",
        "updated_at",
    )
    list_filter = ("pending_removal",)
    search_fields = ("member__username",)
    list_select_related = ("member",)
    fields = (
        "member",
        "limit_in_force",
        "monthly_limit_cents",
        "pending_change",
        "pending_effective_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("limit in force"))
    def limit_in_force(self, obj):
        cents = obj.limit_in_force_cents(timezone.now())
        return _("no limit") if cents is None else f"€ {cents // 100}"

    @admin.display(description=_("pending change"))
    def pending_change(self, obj):
        if not obj.change_pending_at(timezone.now()):
            return "-"
        if obj.pending_removal:
            return _("removal")
        return f"€ {obj.pending_limit_cents // 100}"
