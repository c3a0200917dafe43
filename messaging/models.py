"""Conversations between two members, their messages, and what each receiver allows (R3).

A conversation has one `Participant` row per member: their read state, unread count and inbox
position live there, so the inbox and the unread badge are one indexed query each, however
long the history. Message text is encrypted at rest (`privacy.fields.EncryptedTextField`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import new_public_id
from privacy.fields import EncryptedTextField


class Conversation(models.Model):
    """One per pair of members. The pair is stored ordered (`member_low` has the smaller id) so
    a unique constraint keeps it one. A member who is erased leaves a null in their place."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    member_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    member_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    # Set with the first delivered message: a conversation without one is not "new" for the
    # receiver's daily limit yet.
    first_message_at = models.DateTimeField(null=True, blank=True)
    last_message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(
                fields=["member_low", "member_high"], name="one_conversation_per_pair"
            ),
            models.CheckConstraint(
                condition=Q(member_low__lt=models.F("member_high"))
                | Q(member_low__isnull=True)
                | Q(member_high__isnull=True),
                name="conversation_pair_ordered",
            ),
        ]

    def __str__(self):
        return self.public_id


class Participant(models.Model):
    """A member's side of a conversation. `other` is the member they talk to (null once that
    member's data is erased: "a removed member")."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_sides"
    )
    other = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Messages with an id up to this one are read ("seen" for the sender).
    last_read_message_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    unread_count = models.PositiveIntegerField(default=0)
    # "Delete for me": messages up to this id stay hidden; the conversation leaves the inbox
    # until a new message arrives.
    cleared_up_to_message_id = models.BigIntegerField(default=0)
    in_inbox = models.BooleanField(default=False)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # When the member was last mailed about this conversation (immediate notifications).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "member"], name="one_side_per_member"),
        ]
        indexes = [
            models.Index(fields=["member", "in_inbox", "-last_message_at"], name="inbox_order"),
            models.Index(
                fields=["member"],
                condition=Q(unread_count__gt=0),
                name="unread_sides",
            ),
        ]

    def __str__(self):
        return f"{self.conversation_id}:{self.member_id}"


class Message(models.Model):
    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        HELD = "held", _("Held for moderation")
        REMOVED = "removed", _("Removed by a moderator")
        ERASED = "erased", _("Removed with the sender's data")

    id = models.BigAutoField(primary_key=True)
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # No single-column indexes: `conversation_history` and `sender_recent` below start with
    # these columns and serve every look-up (and the mass-sending check) on their own.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="sent_messages",
        db_index=False,
    )
    text = EncryptedTextField(_("text"), blank=True, default="")
    # A keyed hash of the normalised text: finds the same text sent to many members without
    # decrypting anything (see services.is_mass_sending). Cleared when the text is removed.
    text_digest = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DELIVERED
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # Set while an urgent report is reviewed (moderation's `hide`): both sides see a
    # placeholder instead of the text, which is kept, so a dismissal shows it again.
    hidden_at = models.DateTimeField(_("hidden pending review since"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["conversation", "-id"], name="conversation_history"),
            models.Index(fields=["sender", "-created_at"], name="sender_recent"),
        ]

    def __str__(self):
        return self.public_id

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.DELIVERED and self.hidden_at is None


class Notify(models.TextChoices):
    IMMEDIATELY = "immediately", _("Right away, at most one mail per conversation until I read it")
    DAILY = "daily", _("Once a day, a summary")
    NEVER = "never", _("Never")


class ReceivingSettings(models.Model):
    """What a member allows to reach them and how they are told (R3.2). No row: the defaults."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="receiving_settings"
    )
    accepts_messages = models.BooleanField(_("receive messages"), default=True)
    only_matching = models.BooleanField(
        _("new conversations only from members who fit my search preferences"), default=False
    )
    # Issue 11: only members with the "verified" badge (profiles.verification) may start a new
    # conversation; existing conversations continue.
    only_verified = models.BooleanField(
        _("new conversations only from verified members"), default=False
    )
    max_new_per_day = models.PositiveSmallIntegerField(
        _("maximum new conversations per day"), null=True, blank=True
    )
    notify = models.CharField(
        _("e-mail about new messages"),
        max_length=12,
        choices=Notify.choices,
        default=Notify.IMMEDIATELY,
    )
    # The last daily summary: the next one covers messages after this moment.
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("receiving settings")
        verbose_name_plural = _("receiving settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_new_per_day__isnull=True) | Q(max_new_per_day__gte=1),
                name="max_new_per_day_positive",
            )
        ]

    def __str__(self):
        return str(self.member_id)
