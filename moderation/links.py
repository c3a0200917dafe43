"""Links to the report form for one item. The item is named by a signed token (kind and id),
so the form is filled in from where it was opened and nobody can walk the ids."""

from django.core import signing
from django.urls import reverse

from . import registry

SALT = "moderation.report-item"


def item_token(obj) -> str:
    entry = registry.entry_for(obj)
    return signing.dumps([entry.kind, obj.pk], salt=SALT, compress=True)


def item_from_token(token: str):
    """The item the token names, or None (bad token, unknown kind, item gone)."""
    try:
        kind, pk = signing.loads(token, salt=SALT)
        entry = registry.entry_for_kind(kind)
    except (signing.BadSignature, ValueError, TypeError, registry.NotRegistered):
        return None
    return entry.objects().filter(pk=pk).first()


def report_url(obj) -> str:
    """The path of the report form for `obj` (members and visitors alike)."""
    return reverse("moderation:report", args=[item_token(obj)])
