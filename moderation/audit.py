"""The moderation audit log (see models.ModerationAction): every moderator action is written
here, in the transaction of the action itself, so a rolled-back action leaves no entry."""

from django.contrib.contenttypes.models import ContentType

from .models import ModerationAction


def record_action(
    *,
    staff,
    action: str,
    report=None,
    item=None,
    statement=None,
    detail="",
    content_type=None,
    object_id=None,
):
    """Appends one entry: who (`staff`, None for the site itself), what (`action`, a short
    code such as "decision.content_removed" or "verification.granted"), which case and item,
    and the statement of reasons' id. `detail` must hold no personal data. An item that no
    longer exists is named by `content_type` and `object_id` instead of `item`."""
    if item is not None:
        content_type = ContentType.objects.get_for_model(item)
        object_id = item.pk
    return ModerationAction.objects.create(
        staff=staff,
        action=action,
        report=report,
        content_type=content_type,
        object_id=object_id,
        statement_reference=statement.public_id if statement is not None else "",
        detail=str(detail)[:200],
    )
