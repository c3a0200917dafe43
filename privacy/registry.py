"""The personal-data registry: for every model that holds personal data, how it is exported
and how it is erased, with its category, purpose and legal basis (SPEC R7.3, R7.4, R8.1).

Apps plug in from their `personal_data.py`:

    @register(Photo, category=Category.VOLUNTARY, purpose="profile", basis=Basis.CONSENT)
    class PhotoData:
        def export(self, member): ...   # JSON-ready rows for the member's export
        def erase(self, member): ...    # idempotent: safe to run twice after a crash

Models that reference a member but hold nothing personal are declared with
`register_no_personal_data(Model, reason=...)`. A test walks every model and fails when one
that is or references the member is in neither list.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(StrEnum):
    """The three categories of section 9 of the privacy statement (R8.1)."""

    NECESSARY = "necessary"
    VOLUNTARY = "voluntary"
    SPECIAL = "special"


class Basis(StrEnum):
    CONTRACT = "contract"
    CONSENT = "consent"
    EXPLICIT_CONSENT = "explicit_consent"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"


CATEGORY_LABELS = {
    Category.NECESSARY: _("Necessary"),
    Category.VOLUNTARY: _("Voluntary"),
    Category.SPECIAL: _("Special"),
}
BASIS_LABELS = {
    Basis.CONTRACT: _("Needed to provide the service you signed up for"),
    Basis.CONSENT: _("Your consent"),
    Basis.EXPLICIT_CONSENT: _("Your explicit consent"),
    Basis.LEGAL_OBLIGATION: _("A legal obligation"),
    Basis.LEGITIMATE_INTEREST: _("Our legitimate interest in a safe and working site"),
}


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

    def export(self, member) -> list[dict]:
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
    return {entry.label: entry.export(member) for entry in entries()}


def erase_member_data(member) -> None:
    """Calls every registry entry's erase. Each is idempotent, so a re-run after a crash
    midway finishes the job. The Member row itself goes last (its entry is in members)."""
    from django.contrib.auth import get_user_model

    member_model = get_user_model()
    for entry in sorted(entries(), key=lambda e: e.model is member_model):
        entry.erase(member)
