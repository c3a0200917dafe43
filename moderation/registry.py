"""How content apps plug their content into moderation, the way `personal_data.py` plugs into
privacy: moderation never imports them; they register here, from a module called
`moderated_content.py` that `ModerationConfig.ready` imports at start-up.

    # messaging/moderated_content.py
    register_content(
        Message,
        describe=describe_message,       # obj -> Described: what a moderator needs to judge
        remove=lambda m: remove_message(message=m),
        release=lambda m: release_held_message(message=m),   # only for content the site holds
        author=lambda m: m.sender_id,    # obj -> member id of whoever wrote it (or None)
    )

Contract for the callables (called inside the moderation service's transaction):
- `describe(obj)` returns a `Described`; it only reads.
- `remove(obj)` takes the content down (nobody but moderators sees it any more); idempotent.
- `restore(obj)` (optional) undoes `remove` when a decision is reversed on appeal (a photo is
  visible again); content whose removal cannot be undone (a message's text is wiped) registers
  without it, and the appeal page says so.
- `release(obj)` delivers content the site held back (a no-op for content that was not held);
  idempotent. Content that is never held registers without it.
- `hide(obj)` / `unhide(obj)` (optional): hide the item pending review of an urgent case, and
  show it again when the case is dismissed. Without them, urgent cases hide the whole account.
- `stands_for_account` (optional, default: no `hide`): whether an urgent case on the item may
  also hide the whole account when independent reporters agree (moderation.urgent). A
  message or a profile text is hidden itself and still speaks for its writer; a photo does not.
- `author(obj)` returns the id of the member whose content it is.
- `kind` is a short stable slug ("message", "photo", "profile", "profile_text") used in URLs,
  filters and the Transparency Database's content type (`tdb_content_type`, e.g.
  "CONTENT_TYPE_TEXT" or "CONTENT_TYPE_IMAGE").
- `public_url(obj)` (optional) is the path where the item is seen on the site, and
  `resolve_url(path)` (optional) turns such a path back into the item, so a visitor's notice
  can name it by link.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models


@dataclass(frozen=True)
class Described:
    """What a moderator sees of one item: its text, who wrote it and when, and its state."""

    text: str
    author_id: int | None
    author_username: str
    created_at: datetime | None
    status: str
    status_label: str
    held: bool = False
    # A picture to show the moderator (a photo): a path that only staff with the right to
    # review may open. Empty for text.
    image_url: str = ""


@dataclass(frozen=True)
class ContentEntry:
    model: type[models.Model]
    describe: Callable[[models.Model], Described]
    remove: Callable[[models.Model], object]
    release: Callable[[models.Model], object] | None
    author: Callable[[models.Model], int | None]
    queryset: Callable[[], models.QuerySet] | None
    kind: str = ""
    tdb_content_type: str = "CONTENT_TYPE_TEXT"
    restore: Callable[[models.Model], object] | None = None
    hide: Callable[[models.Model], object] | None = None
    unhide: Callable[[models.Model], object] | None = None
    stands_for_account: bool = True
    public_url: Callable[[models.Model], str] | None = None
    resolve_url: Callable[[str], models.Model | None] | None = None

    @property
    def label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    @property
    def verbose_name(self):
        return self.model._meta.verbose_name

    def objects(self) -> models.QuerySet:
        return self.queryset() if self.queryset else self.model._default_manager.all()

    def in_bulk(self, ids) -> dict[int, models.Model]:
        return self.objects().in_bulk(list(ids))


_entries: dict[type[models.Model], ContentEntry] = {}


def register_content(
    model,
    *,
    describe,
    remove,
    author,
    release=None,
    queryset=None,
    kind: str = "",
    tdb_content_type: str = "CONTENT_TYPE_TEXT",
    restore=None,
    hide=None,
    unhide=None,
    stands_for_account: bool | None = None,
    public_url=None,
    resolve_url=None,
) -> ContentEntry:
    """Makes `model` reportable. `queryset` (optional) returns the base queryset to load items
    with (for `select_related`), so a case with many items costs one query per kind."""
    if model in _entries:
        raise ValueError(f"{model.__name__} is registered with moderation twice")
    for name, value in (("describe", describe), ("remove", remove), ("author", author)):
        if not callable(value):
            raise TypeError(f"{model.__name__} needs a callable {name}")
    optional = {
        "release": release,
        "restore": restore,
        "hide": hide,
        "unhide": unhide,
        "public_url": public_url,
        "resolve_url": resolve_url,
    }
    for name, value in optional.items():
        if value is not None and not callable(value):
            raise TypeError(f"{model.__name__}: {name} must be callable")
    kind = kind or model._meta.model_name
    if any(other.kind == kind for other in _entries.values()):
        raise ValueError(f"moderation kind {kind!r} is registered twice")
    entry = ContentEntry(
        model=model,
        describe=describe,
        remove=remove,
        author=author,
        queryset=queryset,
        kind=kind,
        tdb_content_type=tdb_content_type,
        stands_for_account=hide is None if stands_for_account is None else stands_for_account,
        **optional,
    )
    _entries[model] = entry
    return entry


class NotRegistered(LookupError):
    pass


def entries() -> list[ContentEntry]:
    return list(_entries.values())


def is_registered(model) -> bool:
    return model in _entries


def entry_for(model_or_obj) -> ContentEntry:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    model = model._meta.concrete_model
    try:
        return _entries[model]
    except KeyError:
        raise NotRegistered(f"{model.__name__} is not registered with moderation") from None


def entry_for_kind(kind: str) -> ContentEntry:
    for entry in _entries.values():
        if entry.kind == kind:
            return entry
    raise NotRegistered(f"no moderated content of kind {kind!r}")


def resolve_url(path: str):
    """The item a site path (a link a visitor pasted) shows, or None."""
    for entry in _entries.values():
        if entry.resolve_url is not None:
            obj = entry.resolve_url(path)
            if obj is not None:
                return obj
    return None


def entry_for_content_type(content_type: ContentType) -> ContentEntry:
    model = content_type.model_class()
    if model is None:
        raise NotRegistered(f"content type {content_type.pk} has no model")
    return entry_for(model)


def content_type_of(model_or_obj) -> ContentType:
    return ContentType.objects.get_for_model(model_or_obj)
