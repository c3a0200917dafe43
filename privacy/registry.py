"""The personal-data registry: for every model that holds personal data, how it is exported
and how it is erased, with its category, purpose and legal basis (SPEC R7.3, R7.4, R8.1).

Apps plug in from their `personal_data.py`:

    @register(Photo, category=Category.VOLUNTARY, purpose="profile", basis=Basis.CONSENT)
    class PhotoData:
        def export(self, member): ...   # JSON-ready rows for the member's export
        def erase(self, member): ...    # idempotent: safe to run twice after a crash

`purpose` names a purpose of the one declaration (privacy/declaration.py), with the same legal
basis: `register` refuses anything else, so the "my data" page and the export, which are
generated from the declaration, cover every registered model.

Models that reference a member but hold nothing personal are declared with
`register_no_personal_data(Model, reason=...)`. A test walks every model and fails when one
that is or references the member is in neither list.
"""

from dataclasses import dataclass

from django.db import models

# The categories, bases and purposes live in the one declaration; imported from here too.
from .declaration import BASIS_LABELS, CATEGORY_LABELS, PURPOSES, Basis, Category

__all__ = [
    "BASIS_LABELS",
    "CATEGORY_LABELS",
    "Basis",
    "Category",
    "Entry",
    "entries",
    "entry_for",
    "erase_member_data",
    "export_member",
    "is_declared",
    "register",
    "register_no_personal_data",
]


@dataclass(frozen=True)
class Entry:
    model: type[models.Model]
    category: Category
    purpose: str
    basis: Basis
    handler: object

    @property
    def label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    @property
    def declared_purpose(self):
        return PURPOSES[self.purpose]

    def export(self, member):
        """An iterable of JSON-ready rows (large histories are generators: iterate once)."""
        return self.handler.export(member)

    def erase(self, member) -> None:
        self.handler.erase(member)


_entries: dict[type[models.Model], Entry] = {}
_no_personal_data: dict[type[models.Model], str] = {}


def register(model, *, category: Category, purpose: str, basis: Basis):
    """Class decorator: registers the handler class (with export and erase) for `model`."""

    def decorator(handler_class):
        if model in _entries:
            raise ValueError(f"{model.__name__} is registered twice")
        for method in ("export", "erase"):
            if not callable(getattr(handler_class, method, None)):
                raise TypeError(f"{handler_class.__name__} needs a {method}(member) method")
        declared = PURPOSES.get(str(purpose))
        if declared is None:
            raise ValueError(
                f"{model.__name__}: purpose {purpose!r} is not declared in privacy/declaration.py"
            )
        if Basis(basis) != declared.basis:
            raise ValueError(
                f"{model.__name__}: basis {basis!r} differs from the declared basis of "
                f"{purpose!r} ({declared.basis})"
            )
        _entries[model] = Entry(
            model=model,
            category=Category(category),
            purpose=str(purpose),
            basis=Basis(basis),
            handler=handler_class(),
        )
        return handler_class

    return decorator


def register_no_personal_data(model, *, reason: str) -> None:
    """Declares that `model` references a member but holds no personal data of its own."""
    _no_personal_data[model] = reason


def entries() -> list[Entry]:
    return list(_entries.values())


def entry_for(model) -> Entry | None:
    return _entries.get(model)


def is_declared(model) -> bool:
    return model in _entries or model in _no_personal_data


def export_member(member) -> dict[str, list[dict]]:
    """Every registered piece of a member's data, keyed by model label."""
    return {entry.label: list(entry.export(member)) for entry in entries()}


def erase_member_data(member) -> None:
    """Calls every registry entry's erase. Each is idempotent, so a re-run after a crash
    midway finishes the job. The Member row itself goes last (its entry is in members)."""
    from django.contrib.auth import get_user_model

    member_model = get_user_model()
    for entry in sorted(entries(), key=lambda e: e.model is member_model):
        entry.erase(member)
