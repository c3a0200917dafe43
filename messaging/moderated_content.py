"""Messages in moderation (see moderation.registry): what a moderator sees of a reported or held
message, and how a decision removes or delivers it. Imported at start-up by
`ModerationConfig.ready`."""

from moderation.registry import Described, register_content

from .models import Message
from .services import release_held_message, remove_message


def describe_message(message: Message) -> Described:
    sender = message.sender
    return Described(
        text=message.text,
        author_id=message.sender_id,
        author_username=sender.username if sender else "",
        created_at=message.created_at,
        status=message.status,
        status_label=str(message.get_status_display()),
        held=message.status == Message.Status.HELD,
    )


register_content(
    Message,
    describe=describe_message,
    remove=lambda message: remove_message(message=message),
    release=lambda message: release_held_message(message=message),
    author=lambda message: message.sender_id,
    queryset=lambda: Message.objects.select_related("sender"),
    kind="message",
    tdb_content_type="CONTENT_TYPE_TEXT",
)
