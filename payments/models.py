"""Credit packs, orders with their Mollie payment, and the append-only credit ledger.

Money in integer euro cents, credits as integers. What is kept of a payment is only what
proves and reconciles it (R4.2): Mollie's id, method, amount, status and times; never card or
bank numbers or account-holder names.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# One opaque-id maker for the project; the name stays here for this app's migrations.
from members.models import new_public_id


class CreditPack(models.Model):
    name = models.CharField(_("name"), max_length=80)
    credits = models.PositiveIntegerField(_("credits"))
    price_cents = models.PositiveIntegerField(_("price (euro cents)"))
    active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("credit pack")
        verbose_name_plural = _("credit packs")
        ordering = ["position", "price_cents"]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="pack_credits_positive"),
            models.CheckConstraint(condition=Q(price_cents__gt=0), name="pack_price_positive"),
        ]

    def __str__(self):
        return f"{self.name} ({self.credits} credits)"


class PaymentMethod(models.TextChoices):
    IDEAL = "ideal", "iDEAL"
    BANCONTACT = "bancontact", "Bancontact"
    CREDIT_CARD = "creditcard", _("Credit card")


class Order(models.Model):
    """One purchase of a credit pack, and the state of its Mollie payment."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for payment")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        EXPIRED = "expired", _("Expired")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, related_name="orders")
    credits = models.PositiveIntegerField(_("credits"))
    amount_cents = models.PositiveIntegerField(_("amount (euro cents)"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    mollie_payment_id = models.CharField(
        _("Mollie payment id"), max_length=40, unique=True, null=True, blank=True
    )
    refunded_cents = models.PositiveIntegerField(_("refunded (euro cents)"), default=0)
    charged_back_cents = models.PositiveIntegerField(_("charged back (euro cents)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set when the member was erased: the record is kept for bookkeeping, detached (R4.2).
    detached_at = models.DateTimeField(_("detached from the member at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]
        permissions = [
            ("refund_order", _("Can refund orders through Mollie")),
        ]

    def __str__(self):
        return f"order {self.public_id}"


class LedgerEntry(models.Model):
    """An append-only change of a member's credits; the balance is their sum."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        SPEND = "spend", _("Spent")
        REFUND = "refund", _("Refund")
        CHARGEBACK = "chargeback", _("Chargeback")
        ADJUSTMENT = "adjustment", _("Adjustment by staff")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    credits = models.IntegerField(_("credits"))
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by staff member"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "created_at"], name="ledger_member_time")]
        constraints = [
            # A payment credits the wallet once, whatever the number of webhook calls.
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="purchase"), name="ledger_one_purchase_per_order"
            ),
            models.CheckConstraint(condition=~Q(credits=0), name="ledger_credits_nonzero"),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_reason"
            ),
        ]
        permissions = [("adjust_credits", _("Can adjust members' credits with a reason"))]

    def __str__(self):
        return f"{self.kind} {self.credits:+d}"


class Wallet(models.Model):
    """The cached balance of a member, locked (select_for_update) for every change. A check
    (`payments.services.verify_balances`) proves it equals the ledger sum."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="wallet"
    )
    balance = models.IntegerField(_("balance"), default=0)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self):
        return f"wallet of member {self.member_id}"


class StandInPayment(models.Model):
    """A payment at the built-in stand-in for Mollie's test checkout, used when no
    MOLLIE_API_KEY is set (`make run` without network). Holds what Mollie would report about
    the payment, nothing about the member (R4.2)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        EXPIRED = "expired", _("Expired")

    id = models.CharField(primary_key=True, max_length=40)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="stand_in_payments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    refunded_cents = models.PositiveIntegerField(default=0)
    charged_back_cents = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stand-in payment")
        verbose_name_plural = _("stand-in payments")

    def __str__(self):
        return self.id


class SpendingLimit(models.Model):
    """A member's own limit on what they spend on credits in a calendar month (Amsterdam time),
    in whole euros, enforced at checkout (issue 11, fair play).

    Setting a limit, or lowering it, is in force at once. Raising or removing it waits
    `payments.services.LIMIT_RAISE_DELAY` (24 hours): the change is kept as pending, with the
    moment it takes effect. Which limit is in force is computed from these stored values by
    one function (`limit_in_force_cents`), so it is right at any moment without a sweep."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="spending_limit",
    )
    # Null: no limit.
    monthly_limit_cents = models.PositiveIntegerField(
        _("monthly limit (euro cents)"), null=True, blank=True
    )
    pending_limit_cents = models.PositiveIntegerField(
        _("pending higher limit (euro cents)"), null=True, blank=True
    )
    pending_removal = models.BooleanField(_("removal pending"), default=False)
    pending_effective_at = models.DateTimeField(
        _("pending change takes effect at"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("spending limit")
        verbose_name_plural = _("spending limits")
        constraints = [
            # A pending change is either a higher limit or a removal, always with its moment.
            models.CheckConstraint(
                condition=Q(
                    pending_effective_at__isnull=True,
                    pending_limit_cents__isnull=True,
                    pending_removal=False,
                )
                | Q(
                    pending_effective_at__isnull=False,
                    pending_limit_cents__isnull=False,
                    pending_removal=False,
                )
                | Q(
                    pending_effective_at__isnull=False,
                    pending_limit_cents__isnull=True,
                    pending_removal=True,
                ),
                name="spending_limit_pending_change_complete",
            ),
            # Whole euros.
            models.CheckConstraint(
                condition=Q(monthly_limit_cents__isnull=True)
                | Exact(Mod("monthly_limit_cents", 100), 0),
                name="spending_limit_whole_euros",
            ),
            models.CheckConstraint(
                condition=Q(pending_limit_cents__isnull=True)
                | Exact(Mod("pending_limit_cents", 100), 0),
                name="spending_limit_pending_whole_euros",
            ),
        ]

    def __str__(self):
        return f"spending limit of member {self.member_id}"

    def limit_in_force_cents(self, now) -> int | None:
        """THE limit in force at `now`, in cents (None: no limit): a pending change counts
        from the exact moment it takes effect."""
        if self.pending_effective_at is not None and now >= self.pending_effective_at:
            return None if self.pending_removal else self.pending_limit_cents
        return self.monthly_limit_cents

    def change_pending_at(self, now) -> bool:
        """True while a higher limit or a removal waits to take effect."""
        return self.pending_effective_at is not None and now < self.pending_effective_at
