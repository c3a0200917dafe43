"""Links to the report form for one item. The item is named by a sealed, signed token (kind
and id encrypted, members.tokens), so the form is filled in from where it was opened, nobody
can walk the ids, and no link tells an item's id. Tokens of the old readable format are not
accepted: they were only in pages, which make new ones."""

from django.core import signing
from django.urls import reverse

from members.tokens import dumps_sealed, loads_sealed

from . import registry

SALT = "moderation.report-item"


def item_token(obj) -> str:
    entry = registry.entry_for(obj)
    return dumps_sealed([entry.kind, obj.pk], salt=SALT)


def item_from_token(token: str):
    """The item the token names, or None (bad token, unknown kind, item gone)."""
    try:
        kind, pk = loads_sealed(token, salt=SALT)
        entry = registry.entry_for_kind(kind)
    except (signing.BadSignature, ValueError, TypeError, registry.NotRegistered):
        return None
    return entry.objects().filter(pk=pk).first()


def report_url(obj) -> str:
    """The path of the report form for `obj` (members and visitors alike)."""
    return reverse("moderation:report", args=[item_token(obj)])
