"""Messages in moderation (see moderation.registry): what a moderator sees of a reported or held
message, and how a decision removes or delivers it. An urgent report hides the message itself
at once (`hide_message`: a placeholder for both sides, the text kept) and a dismissal shows it
again; the message still stands for its sender's account, which independent reporters may
hide too (moderation.urgent). Imported at start-up by `ModerationConfig.ready`."""

from django.utils.translation import gettext as _

from moderation.registry import Described, register_content

from .models import Message
from .services import hide_message, release_held_message, remove_message, unhide_message


def describe_message(message: Message) -> Described:
    sender = message.sender
    status_label = str(message.get_status_display())
    if message.hidden_at is not None and message.status == Message.Status.DELIVERED:
        status_label = _("%(status)s, hidden pending review") % {"status": status_label}
    return Described(
        text=message.text,
        author_id=message.sender_id,
        author_username=sender.username if sender else "",
        created_at=message.created_at,
        status=message.status,
        status_label=status_label,
        held=message.status == Message.Status.HELD,
    )


register_content(
    Message,
    describe=describe_message,
    remove=lambda message: remove_message(message=message),
    release=lambda message: release_held_message(message=message),
    hide=lambda message: hide_message(message=message),
    unhide=lambda message: unhide_message(message=message),
    stands_for_account=True,
    author=lambda message: message.sender_id,
    queryset=lambda: Message.objects.select_related("sender"),
    kind="message",
    tdb_content_type="CONTENT_TYPE_TEXT",
)
